"""Same/different classification of two image embeddings."""
from __future__ import annotations

import torch
from torch import Tensor, nn


def embedding_pair_features(a: Tensor, b: Tensor) -> Tensor:
    """``(P, D)`` twice → ``(P, 2D)`` = ``[|a − b|, a ⊙ b]`` (symmetric in ``a, b``)."""
    return torch.cat([(a - b).abs(), a * b], dim=1)


class PairHead(nn.Sequential):
    """``(P, in_features)`` → ``(P, 2)`` logits: FC ``hidden``, ReLU, dropout, FC 2."""

    def __init__(self, in_features: int, hidden: int = 256, dropout: float = 0.5):
        super().__init__(nn.Linear(in_features, hidden), nn.ReLU(inplace=True),
                         nn.Dropout(dropout), nn.Linear(hidden, 2))
