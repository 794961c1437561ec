"""Reseed every random number generator at the start of each training epoch, so a run resumed
from an epoch checkpoint draws the same dropout masks and augmentations as an uninterrupted one
(mmengine's checkpoints do not hold the generators' states)."""
from __future__ import annotations

import random

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from posereid.registry import HOOKS


def epoch_seed(base_seed: int, epoch: int, rank: int = 0) -> int:
    """A 32-bit seed mixed from ``(base_seed, epoch, rank)`` (numpy ``SeedSequence``)."""
    return int(np.random.SeedSequence([base_seed, epoch, rank]).generate_state(1)[0])


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seed ``torch``, ``numpy`` and ``random`` from ``(runner.seed, epoch, rank)`` before each
    training epoch. Runs first among the epoch's hooks, so that whatever draws random numbers
    after it (hard-negative mining, data loading with ``num_workers=0``, dropout) repeats;
    data-loader workers are seeded by mmengine's ``worker_init_fn``."""

    priority = 'HIGHEST'

    def before_train_epoch(self, runner) -> None:
        seed = epoch_seed(runner.seed, runner.epoch, get_rank())
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
