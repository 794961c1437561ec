"""Hard-negative mining for pair training: every few epochs, find for each training image the
images of other identities that the current model embeds closest to it, and hand them to the
train :class:`~posereid.datasets.PairSampler` (``set_hard_negatives``)."""
from __future__ import annotations

import hashlib

import numpy as np
import torch
from mmengine.hooks import Hook
from torch.utils.data import DataLoader

from posereid.evaluation import compute_distance_matrix
from posereid.registry import HOOKS

from ..features import extract_features


def hardest_negatives(embeddings: torch.Tensor, pids, num_candidates: int,
                      chunk_size: int = 1024) -> dict[int, list[int]]:
    """For every row, the ``num_candidates`` nearest rows (Euclidean) of another identity.

    Args:
        embeddings: ``(N, D)``.
        pids: ``(N,)`` identities.
    Returns:
        ``{i: [j, ...]}``, nearest first.
    """
    pids = torch.as_tensor(np.asarray(pids))
    k = min(num_candidates, len(pids) - 1)
    candidates = {}
    for start in range(0, len(pids), chunk_size):
        rows = slice(start, start + chunk_size)
        dist = compute_distance_matrix(embeddings[rows], embeddings)
        dist[pids[rows, None] == pids[None, :]] = float('inf')
        nearest = dist.topk(k, dim=1, largest=False)
        for offset, (values, index) in enumerate(zip(nearest.values, nearest.indices)):
            candidates[start + offset] = index[torch.isfinite(values)].tolist()
    return candidates


def training_set_key(pids) -> str:
    """16 hex digits of the SHA-256 of a training set's identities, item by item: mined
    candidates (item indices) belong to the training set with that key."""
    return hashlib.sha256(np.asarray(pids, np.int64).tobytes()).hexdigest()[:16]


@HOOKS.register_module()
class HardNegativeMiningHook(Hook):
    """Schedule: random negatives for the first ``start_epoch`` epochs, then before every
    ``interval``-th epoch re-mine ``num_candidates`` hard negatives per training image; the
    sampler uses them for its ``hard_negative_ratio`` share of negative pairs.

    Each process embeds the whole training set (no gather needed; the sets are small). The
    candidates are saved in checkpoints with a key of the training set's identities, so a
    resumed run samples as an uninterrupted one, and a run that starts from another training
    set's checkpoint (fine-tuning, ``load_from``) mines its own.
    """

    priority = 'NORMAL'

    def __init__(self, start_epoch: int = 1, interval: int = 1, num_candidates: int = 10,
                 batch_size: int = 64) -> None:
        if start_epoch < 0 or interval < 1 or num_candidates < 1:
            raise ValueError(f'HardNegativeMiningHook needs start_epoch >= 0, interval >= 1 and '
                             f'num_candidates >= 1, got {start_epoch}, {interval}, '
                             f'{num_candidates}')
        self.start_epoch, self.interval = start_epoch, interval
        self.num_candidates, self.batch_size = num_candidates, batch_size
        self.candidates: dict[int, list[int]] | None = None
        self._loaded: tuple[dict | None, str | None] = (None, None)

    def before_train_epoch(self, runner) -> None:
        epoch = runner.epoch
        if epoch < self.start_epoch or (epoch - self.start_epoch) % self.interval:
            return
        train_loader = runner.train_dataloader
        loader = DataLoader(train_loader.dataset, batch_size=self.batch_size, shuffle=False,
                            collate_fn=train_loader.collate_fn)
        features = extract_features(runner.model, loader)
        self.candidates = hardest_negatives(features.embeddings, features.pids,
                                            self.num_candidates)
        self._sampler(runner).set_hard_negatives(self.candidates)
        runner.logger.info(f'hard-negative mining: {self.num_candidates} candidates for each '
                           f'of {len(self.candidates)} training images')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.candidates is not None:
            checkpoint['hard_negatives'] = self.candidates
            checkpoint['hard_negatives_training_set'] = training_set_key(
                self._sampler(runner).pids)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # used in before_train, once the training set is known
        self._loaded = (checkpoint.get('hard_negatives'),
                        checkpoint.get('hard_negatives_training_set'))

    def before_train(self, runner) -> None:
        candidates, key = self._loaded
        if candidates is None:
            return
        sampler = self._sampler(runner)
        if key != training_set_key(sampler.pids):
            runner.logger.info('hard-negative mining: the loaded checkpoint\'s candidates are of '
                               'another training set; this run mines its own')
            return
        self.candidates = candidates  # resumed after mining
        sampler.set_hard_negatives(candidates)

    @staticmethod
    def _sampler(runner):
        sampler = runner.train_dataloader.sampler
        if not hasattr(sampler, 'set_hard_negatives'):
            raise TypeError(f'HardNegativeMiningHook needs a train sampler with '
                            f'set_hard_negatives (PairSampler), got {type(sampler).__name__}')
        return sampler
