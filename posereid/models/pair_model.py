"""What the three re-id networks share: mmengine's forward modes on batches of consecutive pairs.

A batch (the ``reid_collate`` dict) is ``imgs (B, 3, H, W)``, optional ``heatmaps (B, 14, h, w)``,
``pids``/``camids (B,)``, ``splits``/``img_paths`` lists. The verification loss's pairs come
from the batch by ``pair_mining``:

* ``'consecutive'`` (batches of the ``PairSampler``): ``imgs[0::2]`` is paired with
  ``imgs[1::2]`` and the pair label is ``pids[0::2] == pids[1::2]``;
* ``'batch_hard'`` (PK batches of the ``IdentitySampler``): every image with its hardest
  positive and its hardest negative in the batch by embedding distance (``2B`` pairs, half
  of them positive), as the batch-hard triplet loss picks them.

A subclass defines

* ``extract_pair_features(imgs, heatmaps) -> dict[str, Tensor]``: batch-first, one pass per image
  (cacheable), with the image embedding under ``'embedding'`` ``(B, D)``;
* ``verify(feats_a, feats_b) -> (P, 2)`` logits, class 1 = same person;

and calls :meth:`PairReIDModel.build_heads` at the end of its constructor.

With ``neck=True`` (the BNNeck of Luo et al., "Bag of Tricks", CVPRW 2019) the embedding ``e``
goes through a batch norm without shift, ``n = BN(e)``: the triplet loss and the pair head
take ``e``, the identity classifier takes ``n``, and ranking uses ``n``.
"""
from __future__ import annotations

from abc import abstractmethod

import torch
from mmengine.model import BaseModel
from torch import Tensor, nn

from posereid.registry import MODELS

MODES = ('tensor', 'predict', 'loss')
PAIR_MINING = ('consecutive', 'batch_hard')


class PairReIDModel(BaseModel):
    """Forward modes and losses (``uses_heatmaps``: whether the model reads pose heatmaps).
    Losses (``losses`` config, any subset):

    * ``pair``: on ``verify`` of the consecutive pairs (e.g. ``PairCrossEntropyLoss``);
    * ``identity``: on ``classifier(embedding)`` of every image (needs ``num_classes``; e.g.
      ``CrossEntropyLabelSmooth``, whose ``num_classes`` is filled in);
    * ``triplet``: on the embeddings of the batch (e.g. ``TripletLoss``).

    ``neck`` and ``pair_mining`` are described in the module docstring.
    """

    uses_heatmaps = False

    def build_heads(self, embedding_dim: int, losses: dict | None, num_classes: int | None,
                    neck: bool = False, pair_mining: str = 'consecutive') -> None:
        """Build the configured losses, the BNNeck and, for the identity loss, a linear
        classifier."""
        losses = dict(pair=dict(type='PairCrossEntropyLoss')) if losses is None else dict(losses)
        unknown = set(losses) - {'pair', 'identity', 'triplet'}
        if unknown:
            raise ValueError(f'unknown loss names {sorted(unknown)}; expected a subset of '
                             f"pair, identity, triplet")
        if pair_mining not in PAIR_MINING:
            raise ValueError(f'pair_mining must be one of {PAIR_MINING}; got {pair_mining!r}')
        self.embedding_dim = embedding_dim
        self.num_classes, self.pair_mining = num_classes, pair_mining
        self.neck = None
        if neck:
            self.neck = nn.BatchNorm1d(embedding_dim)
            self.neck.bias.requires_grad_(False)       # BN without shift, as the BNNeck
        if 'identity' in losses:
            if not num_classes:
                raise ValueError('the identity loss needs num_classes (the number of training '
                                 'identities) in the model config')
            losses['identity'] = dict(losses['identity'], num_classes=num_classes)
            self.classifier = nn.Linear(embedding_dim, num_classes)
        self.losses = nn.ModuleDict({name: MODELS.build(cfg) for name, cfg in losses.items()})

    # ------------------------------------------------------------------ ranking API
    def extract_embedding(self, imgs: Tensor, heatmaps: Tensor | None = None) -> Tensor:
        """``(B, 3, H, W)`` images (and heatmaps) → ``(B, D)`` ranking embeddings."""
        return self.ranking_embedding(self.extract_pair_features(imgs, heatmaps)['embedding'])

    def ranking_embedding(self, embedding: Tensor) -> Tensor:
        """The embedding that ranks the gallery: ``embedding`` (of
        :meth:`extract_pair_features`), through the BNNeck if there is one."""
        return embedding if self.neck is None else self.neck(embedding)

    @abstractmethod
    def extract_pair_features(self, imgs: Tensor, heatmaps: Tensor | None = None) -> dict:
        """Per-image features, batch-first, with ``'embedding'`` ``(B, D)``."""

    @abstractmethod
    def verify(self, feats_a: dict, feats_b: dict) -> Tensor:
        """Pair logits ``(P, 2)`` of ``P`` pairs of :meth:`extract_pair_features` outputs."""

    # ------------------------------------------------------------------ mmengine
    def forward(self, imgs: Tensor, heatmaps: Tensor | None = None, pids: Tensor | None = None,
                camids: Tensor | None = None, mode: str = 'tensor', **batch_extras):
        if mode == 'tensor':
            return self.extract_embedding(imgs, heatmaps)
        if mode == 'predict':
            return self.predict(imgs, heatmaps, pids, camids, **batch_extras)
        if mode == 'loss':
            return self.loss(imgs, heatmaps, pids)
        raise ValueError(f'mode must be one of {MODES}; got {mode!r}')

    def predict(self, imgs: Tensor, heatmaps: Tensor | None, pids: Tensor, camids: Tensor,
                splits: list[str], img_paths: list[str], **unused) -> list[dict]:
        """Per-image dicts ``{embedding (D,) cpu, pid, camid, split, img_path}`` for ReIDMetric."""
        return self.metric_samples(self.extract_embedding(imgs, heatmaps), pids, camids, splits,
                                   img_paths)

    @staticmethod
    def metric_samples(embeddings: Tensor, pids: Tensor, camids: Tensor, splits: list[str],
                       img_paths: list[str]) -> list[dict]:
        """What :meth:`predict` returns for ranking embeddings ``(B, D)`` of a batch."""
        return [dict(embedding=embedding, pid=int(pid), camid=int(camid), split=split,
                     img_path=path)
                for embedding, pid, camid, split, path in zip(
                    embeddings.detach().cpu(), pids.tolist(), camids.tolist(), splits, img_paths)]

    def loss(self, imgs: Tensor, heatmaps: Tensor | None, pids: Tensor) -> dict[str, Tensor]:
        """Losses of a batch, plus ``pair_acc`` (logged, not optimised)."""
        if pids is None:
            raise ValueError('mode="loss" needs the pids of the batch')
        feats = self.extract_pair_features(imgs, heatmaps)
        first, second = self.training_pairs(feats['embedding'], pids)
        labels = (pids[first] == pids[second]).long()
        losses = {}
        if len(first):
            logits = self.verify({k: v[first] for k, v in feats.items()},
                                 {k: v[second] for k, v in feats.items()})
        else:   # a batch of one image has no pair: nothing to verify
            logits = feats['embedding'].new_zeros(0, 2)
        if 'pair' in self.losses:
            losses['loss_pair'] = (self.losses['pair'](logits, labels) if len(first)
                                   else feats['embedding'].sum() * 0.0)
        if 'identity' in self.losses:
            losses['loss_id'] = self.losses['identity'](
                self.classifier(self.ranking_embedding(feats['embedding'])), pids)
        if 'triplet' in self.losses:
            losses['loss_triplet'] = self.losses['triplet'](feats['embedding'], pids)
        with torch.no_grad():
            losses['pair_acc'] = (logits.argmax(dim=1) == labels).float().mean()
        return losses

    def training_pairs(self, embeddings: Tensor, pids: Tensor) -> tuple[Tensor, Tensor]:
        """``(first, second)`` ``(P,)`` indices of the batch's verification pairs
        (``pair_mining``, module docstring). With ``'batch_hard'`` an image without a
        positive (or negative) in the batch has no positive (negative) pair."""
        if self.pair_mining == 'consecutive':
            if len(pids) % 2:
                raise ValueError(f'pair_mining="consecutive" needs an even batch of consecutive '
                                 f'pairs (PairSampler); got {len(pids)} images')
            index = torch.arange(len(pids), device=pids.device)
            return index[0::2], index[1::2]
        with torch.no_grad():
            distances = torch.cdist(embeddings.float(), embeddings.float())
            same = pids[:, None] == pids[None, :]
            not_self = ~torch.eye(len(pids), dtype=torch.bool, device=pids.device)
            has_positive, has_negative = (same & not_self).any(1), (~same).any(1)
            positive = distances.masked_fill(~(same & not_self), float('-inf')).argmax(1)
            negative = distances.masked_fill(same, float('inf')).argmin(1)
        anchors = torch.arange(len(pids), device=pids.device)
        return (torch.cat([anchors[has_positive], anchors[has_negative]]),
                torch.cat([positive[has_positive], negative[has_negative]]))


def check_input_size(imgs: Tensor, input_size: tuple[int, int], model: str) -> None:
    """Raise a clear error unless ``imgs`` is ``(B, C, *input_size)``."""
    if imgs.dim() != 4 or tuple(imgs.shape[-2:]) != tuple(input_size):
        raise ValueError(f'{model} was built for images (B, 3, {input_size[0]}, {input_size[1]}); '
                         f'got {tuple(imgs.shape)} (set input_size in the model config to the '
                         f'pipeline\'s resize)')
