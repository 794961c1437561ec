"""What the three re-id networks share: mmengine's forward modes on batches of consecutive pairs.

A batch (the ``reid_collate`` dict) is ``imgs (B, 3, H, W)``, optional ``heatmaps (B, 14, h, w)``,
``pids``/``camids (B,)``, ``splits``/``img_paths`` lists. Training batches come from the
``PairSampler``: ``imgs[0::2]`` is paired with ``imgs[1::2]`` and the pair label is
``pids[0::2] == pids[1::2]``.

A subclass defines

* ``extract_pair_features(imgs, heatmaps) -> dict[str, Tensor]``: batch-first, one pass per image
  (cacheable), with the image embedding under ``'embedding'`` ``(B, D)``;
* ``verify(feats_a, feats_b) -> (P, 2)`` logits, class 1 = same person;

and calls :meth:`PairReIDModel.build_heads` at the end of its constructor.
"""
from __future__ import annotations

from abc import abstractmethod

import torch
from mmengine.model import BaseModel
from torch import Tensor, nn

from posereid.registry import MODELS

MODES = ('tensor', 'predict', 'loss')


class PairReIDModel(BaseModel):
    """Forward modes and losses. Losses (``losses`` config, any subset):

    * ``pair``: on ``verify`` of the consecutive pairs (e.g. ``PairCrossEntropyLoss``);
    * ``identity``: on ``classifier(embedding)`` of every image (needs ``num_classes``; e.g.
      ``CrossEntropyLabelSmooth``, whose ``num_classes`` is filled in);
    * ``triplet``: on the embeddings of the batch (e.g. ``TripletLoss``).
    """

    def build_heads(self, embedding_dim: int, losses: dict | None,
                    num_classes: int | None) -> None:
        """Build the configured losses and, for the identity loss, a linear classifier."""
        losses = dict(pair=dict(type='PairCrossEntropyLoss')) if losses is None else dict(losses)
        unknown = set(losses) - {'pair', 'identity', 'triplet'}
        if unknown:
            raise ValueError(f'unknown loss names {sorted(unknown)}; expected a subset of '
                             f"pair, identity, triplet")
        self.embedding_dim = embedding_dim
        self.num_classes = num_classes
        if 'identity' in losses:
            if not num_classes:
                raise ValueError('the identity loss needs num_classes (the number of training '
                                 'identities) in the model config')
            losses['identity'] = dict(losses['identity'], num_classes=num_classes)
            self.classifier = nn.Linear(embedding_dim, num_classes)
        self.losses = nn.ModuleDict({name: MODELS.build(cfg) for name, cfg in losses.items()})

    # ------------------------------------------------------------------ ranking API
    def extract_embedding(self, imgs: Tensor, heatmaps: Tensor | None = None) -> Tensor:
        """``(B, 3, H, W)`` images (and heatmaps) → ``(B, D)`` embeddings."""
        return self.extract_pair_features(imgs, heatmaps)['embedding']

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
        embeddings = self.extract_embedding(imgs, heatmaps).detach().cpu()
        return [dict(embedding=embedding, pid=int(pid), camid=int(camid), split=split,
                     img_path=path)
                for embedding, pid, camid, split, path in zip(embeddings, pids.tolist(),
                                                              camids.tolist(), splits, img_paths)]

    def loss(self, imgs: Tensor, heatmaps: Tensor | None, pids: Tensor) -> dict[str, Tensor]:
        """Losses of a batch of consecutive pairs, plus ``pair_acc`` (logged, not optimised)."""
        if pids is None or len(imgs) % 2:
            raise ValueError(f'mode="loss" needs pids and an even batch of consecutive pairs '
                             f'(PairSampler); got {len(imgs)} images')
        feats = self.extract_pair_features(imgs, heatmaps)
        logits = self.verify({k: v[0::2] for k, v in feats.items()},
                             {k: v[1::2] for k, v in feats.items()})
        labels = (pids[0::2] == pids[1::2]).long()
        losses = {}
        if 'pair' in self.losses:
            losses['loss_pair'] = self.losses['pair'](logits, labels)
        if 'identity' in self.losses:
            losses['loss_id'] = self.losses['identity'](self.classifier(feats['embedding']), pids)
        if 'triplet' in self.losses:
            losses['loss_triplet'] = self.losses['triplet'](feats['embedding'], pids)
        with torch.no_grad():
            losses['pair_acc'] = (logits.argmax(dim=1) == labels).float().mean()
        return losses


def check_input_size(imgs: Tensor, input_size: tuple[int, int], model: str) -> None:
    """Raise a clear error unless ``imgs`` is ``(B, C, *input_size)``."""
    if imgs.dim() != 4 or tuple(imgs.shape[-2:]) != tuple(input_size):
        raise ValueError(f'{model} was built for images (B, 3, {input_size[0]}, {input_size[1]}); '
                         f'got {tuple(imgs.shape)} (set input_size in the model config to the '
                         f'pipeline\'s resize)')
