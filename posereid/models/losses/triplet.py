"""Batch-hard triplet loss (Hermans, Beyer & Leibe, 2017)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from posereid.registry import MODELS


@MODELS.register_module()
class TripletLoss(nn.Module):
    """``L = mean_a relu(max_{p: y_p = y_a} d(a, p) − min_{n: y_n ≠ y_a} d(a, n) + m)``.

    ``d`` is the Euclidean distance. Anchors without a positive or a negative in the batch are
    left out (the loss is 0 when none is left). ``forward(embeddings (B, D), pids (B,)) -> scalar``,
    times ``loss_weight``.
    """

    def __init__(self, margin: float = 0.3, loss_weight: float = 1.0):
        super().__init__()
        self.margin, self.loss_weight = margin, loss_weight

    def forward(self, embeddings: Tensor, pids: Tensor) -> Tensor:
        if embeddings.dim() != 2 or pids.shape != embeddings.shape[:1]:
            raise ValueError(f'TripletLoss expects embeddings (B, D) and pids (B,); '
                             f'got {tuple(embeddings.shape)} and {tuple(pids.shape)}')
        norms = embeddings.square().sum(dim=1)
        squared = norms[:, None] + norms[None, :] - 2 * embeddings @ embeddings.t()
        distances = squared.clamp(min=1e-12).sqrt()              # finite gradient at 0
        same = pids[:, None] == pids[None, :]
        not_self = ~torch.eye(len(pids), dtype=torch.bool, device=pids.device)
        positive = same & not_self
        hardest_positive = distances.masked_fill(~positive, float('-inf')).amax(dim=1)
        hardest_negative = distances.masked_fill(same, float('inf')).amin(dim=1)
        valid = positive.any(dim=1) & (~same).any(dim=1)
        if not valid.any():
            return embeddings.sum() * 0.0
        losses = F.relu(hardest_positive - hardest_negative + self.margin)
        return self.loss_weight * losses[valid].mean()
