"""The mission's model: Spindle Net embeddings fused with Siamese cross-input matching.

Per image (cacheable, one pass each): the Spindle branch's embedding ``e`` ``(B, 256)`` and the
Siamese branch's tied feature map ``t`` ``(B, 25, H', W')``. Per pair ``(a, b)``:

    logits = head([|e_a − e_b| ; e_a ⊙ e_b ; siamese(t_a, t_b)])          (P, 2)

with ``siamese`` the matching layers up to FC 500 (:class:`~posereid.models.siamese_nd.SiameseBranch`)
and ``head`` FC 256 – ReLU – dropout – FC 2. Ranking shortlists the gallery by embedding distance
(:meth:`extract_embedding`, no Siamese pass) and re-scores the shortlist with :meth:`verify`.
"""
from __future__ import annotations

import torch
from torch import Tensor

from posereid.registry import MODELS

from .pair_head import PairHead, embedding_pair_features
from .pair_model import PairReIDModel
from .siamese_nd import SiameseBranch
from .spindle_net import SpindleBranch


@MODELS.register_module()
class SpindleFusion(PairReIDModel):
    """Both branches on a pair, combined into same / different logits.

    Args:
        input_size: ``(H, W)`` of the images (128 × 64 for the demo, 160 × 60 in Ahmed et al.).
        spindle: :class:`~posereid.models.spindle_net.SpindleBranch` arguments.
        siamese: :class:`~posereid.models.siamese_nd.SiameseBranch` arguments (e.g. ``matching``).
        head_dim, dropout: hidden size and dropout of the fusion head.
        num_classes, losses, neck, pair_mining: see
            :class:`~posereid.models.pair_model.PairReIDModel`.
    """

    uses_heatmaps = True

    def __init__(self, input_size: tuple[int, int] = (128, 64), spindle: dict | None = None,
                 siamese: dict | None = None, head_dim: int = 256, dropout: float = 0.5,
                 num_classes: int | None = None, losses: dict | None = None,
                 neck: bool = False, pair_mining: str = 'consecutive',
                 data_preprocessor: dict | None = None, init_cfg: dict | None = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.spindle = SpindleBranch(input_size, **(spindle or {}))
        self.siamese = SiameseBranch(input_size, **(siamese or {}))
        embedding_dim = self.spindle.embedding_dim
        self.head = PairHead(2 * embedding_dim + self.siamese.out_features, head_dim, dropout)
        self.build_heads(embedding_dim, losses, num_classes, neck, pair_mining)

    def extract_embedding(self, imgs: Tensor, heatmaps: Tensor | None = None) -> Tensor:
        """``(B, 256)`` ranking embeddings of the Spindle branch alone (the Siamese branch only
        matters for pairs)."""
        return self.ranking_embedding(self.spindle(imgs, heatmaps))

    def extract_pair_features(self, imgs: Tensor, heatmaps: Tensor | None = None) -> dict:
        """``{'embedding': (B, 256), 'tied': (B, 25, H', W')}``."""
        return {'embedding': self.spindle(imgs, heatmaps), 'tied': self.siamese.features(imgs)}

    def verify(self, feats_a: dict, feats_b: dict) -> Tensor:
        matched = self.siamese.pair_features(feats_a['tied'], feats_b['tied'])
        pair = embedding_pair_features(feats_a['embedding'], feats_b['embedding'])
        return self.head(torch.cat([pair, matched], dim=1))
