"""Same/different cross-entropy on pair logits (the talk's sparse categorical cross-entropy)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from posereid.registry import MODELS


@MODELS.register_module()
class PairCrossEntropyLoss(nn.Module):
    """``L = −mean_p log softmax(z_p)[y_p]`` over pairs, ``y_p = 1`` for the same person.

    ``forward(logits (P, 2), labels (P,) in {0, 1}) -> scalar``, times ``loss_weight``.
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, logits: Tensor, labels: Tensor) -> Tensor:
        if logits.dim() != 2 or logits.shape[1] != 2 or labels.shape != logits.shape[:1]:
            raise ValueError(f'PairCrossEntropyLoss expects logits (P, 2) and labels (P,); '
                             f'got {tuple(logits.shape)} and {tuple(labels.shape)}')
        return self.loss_weight * F.cross_entropy(logits, labels.long())
