"""Training samplers: identity pairs for the Siamese verification loss (:class:`PairSampler`) and
PK batches for the embedding losses (:class:`IdentitySampler`).

Both are deterministic given ``seed`` and the epoch (``set_epoch``, called by mmengine's train
loop), and shard like mmengine's ``DefaultSampler``: the epoch's groups (pairs, or the ``K``
images of one identity) are padded by repeating the first ones to a multiple of the world size,
and rank ``r`` takes groups ``r, r + world_size, ...``, so no group is split across ranks.
They need a dataset with a ``pids`` list (one identity per item, as
:class:`~posereid.datasets.ReIDDataset` has).
"""
from __future__ import annotations

import abc
from collections import defaultdict
from typing import Iterator

import numpy as np

from posereid.registry import DATA_SAMPLERS


class _GroupSampler(abc.ABC):
    """Shared machinery: seed, epoch, images of each identity, sharding of the epoch's groups
    of ``group_size`` indices."""

    def __init__(self, dataset, seed: int | None, group_size: int) -> None:
        from mmengine.dist import get_dist_info, sync_random_seed

        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.group_size = group_size
        self.pids = np.asarray(dataset.pids)
        order = np.argsort(self.pids, kind='stable')
        pids, starts = np.unique(self.pids[order], return_index=True)
        #: identity → its dataset indices, ascending
        self.indices_of: dict[int, np.ndarray] = dict(zip(pids.tolist(),
                                                          np.split(order, starts[1:])))

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    @abc.abstractmethod
    def groups(self, rng: np.random.Generator) -> list[np.ndarray]:
        """This epoch's index groups, in order."""

    @abc.abstractmethod
    def num_groups(self) -> int:
        """Number of groups in every epoch."""

    def __iter__(self) -> Iterator[int]:
        groups = self.groups(np.random.default_rng([self.seed, self.epoch]))
        # As DefaultSampler: repeat groups from the start until every rank gets as many.
        total = -(-len(groups) // self.world_size) * self.world_size
        groups = (groups * (total // max(len(groups), 1) + 1))[:total]
        mine = groups[self.rank::self.world_size]
        return iter(np.concatenate(mine).tolist() if mine else [])

    def __len__(self) -> int:
        return -(-self.num_groups() // self.world_size) * self.group_size


@DATA_SAMPLERS.register_module()
class PairSampler(_GroupSampler):
    """Consecutive image pairs ``a0, b0, a1, b1, ...``: every positive pair, each followed by one
    negative pair, in a new random order every epoch (the scheme of the seed).

    An epoch holds every pair ``(i, j)`` of images of one identity — at most
    ``max_positive_pairs_per_id`` of them, redrawn each epoch — in random order and orientation;
    after each positive pair ``(a, b)`` comes a negative pair ``(a, n)``, ``n`` an image of another
    identity. With an even batch size a batch is ``B / 2`` pairs, ``imgs[0::2]`` against
    ``imgs[1::2]``, half of them positive.

    Hard negatives: ``n`` is drawn uniformly from the other identities' images, except that
    after :meth:`set_hard_negatives` a ``hard_negative_ratio`` fraction of the negatives of an
    anchor with candidates is drawn from its candidates (images the current model confuses with
    it). The schedule is therefore "random first, then mixed" once a mining hook provides the
    candidates; ``hard_negative_ratio=0`` turns mining off (the ablation switch).
    ``last_epoch_counts`` reports how many pairs of each kind the last epoch had.

    Args:
        dataset: a dataset with ``pids``.
        seed: random seed (default: one shared by all ranks).
        max_positive_pairs_per_id: cap on the positive pairs of an identity per epoch
            (``None``: all).
        hard_negative_ratio: fraction of negatives taken from the mined candidates.
    """

    def __init__(self, dataset, seed: int | None = None,
                 max_positive_pairs_per_id: int | None = 10,
                 hard_negative_ratio: float = 0.0) -> None:
        super().__init__(dataset, seed, group_size=2)
        if len(self.indices_of) < 2 or max(map(len, self.indices_of.values())) < 2:
            raise ValueError('PairSampler needs at least two identities, one of them with two '
                             'images or more')
        if max_positive_pairs_per_id is not None and max_positive_pairs_per_id < 1:
            raise ValueError(f'max_positive_pairs_per_id must be >= 1 or None; '
                             f'got {max_positive_pairs_per_id}')
        if not 0 <= hard_negative_ratio <= 1:
            raise ValueError(f'hard_negative_ratio must be in [0, 1]; got {hard_negative_ratio}')
        self.max_positive_pairs_per_id = max_positive_pairs_per_id
        self.hard_negative_ratio = hard_negative_ratio
        self.hard_negatives: dict[int, np.ndarray] = {}
        self.last_epoch_counts = dict(positive=0, negative=0, hard_negative=0)

    def set_hard_negatives(self, candidates: dict[int, list[int]]) -> None:
        """Replace the mined candidates: anchor dataset index → negative dataset indices."""
        hard = {}
        for anchor, negatives in candidates.items():
            negatives = np.asarray(negatives, dtype=np.int64)
            if np.any(self.pids[negatives] == self.pids[anchor]):
                raise ValueError(f'hard negatives of item {anchor} include items of its own '
                                 f'identity {self.pids[anchor]}')
            if len(negatives):
                hard[int(anchor)] = negatives
        self.hard_negatives = hard

    def _pairs_per_id(self, count: int) -> int:
        pairs = count * (count - 1) // 2
        cap = self.max_positive_pairs_per_id
        return pairs if cap is None else min(pairs, cap)

    def num_groups(self) -> int:
        return 2 * sum(self._pairs_per_id(len(i)) for i in self.indices_of.values())

    def positive_pairs(self, rng: np.random.Generator) -> np.ndarray:
        """``(P, 2)`` positive pairs of this epoch, shuffled, each in random orientation."""
        pairs = []
        for indices in self.indices_of.values():
            first, second = np.triu_indices(len(indices), k=1)
            keep = rng.permutation(len(first))[:self._pairs_per_id(len(indices))]
            pairs.append(np.stack([indices[first[keep]], indices[second[keep]]], axis=1))
        pairs = np.concatenate(pairs)
        pairs = pairs[rng.permutation(len(pairs))]
        swap = rng.random(len(pairs)) < 0.5
        pairs[swap] = pairs[swap, ::-1]
        return pairs

    def negatives_for(self, anchors: np.ndarray, rng: np.random.Generator
                      ) -> tuple[np.ndarray, np.ndarray]:
        """One negative per anchor: a mined candidate (for a ``hard_negative_ratio`` fraction of
        the anchors that have candidates) or a uniformly drawn image of another identity.

        Returns:
            the negatives, and which of them are mined candidates.
        """
        negatives = rng.integers(len(self.pids), size=len(anchors))
        clash = self.pids[negatives] == self.pids[anchors]
        while clash.any():
            negatives[clash] = rng.integers(len(self.pids), size=int(clash.sum()))
            clash = self.pids[negatives] == self.pids[anchors]
        hard = np.zeros(len(anchors), dtype=bool)
        if self.hard_negatives and self.hard_negative_ratio > 0:
            hard = np.array([int(a) in self.hard_negatives for a in anchors])
            hard &= rng.random(len(anchors)) < self.hard_negative_ratio
            for k in np.flatnonzero(hard):
                negatives[k] = rng.choice(self.hard_negatives[int(anchors[k])])
        return negatives, hard

    def groups(self, rng: np.random.Generator) -> list[np.ndarray]:
        positives = self.positive_pairs(rng)
        mates, hard = self.negatives_for(positives[:, 0], rng)
        negatives = np.stack([positives[:, 0], mates], axis=1)
        self.last_epoch_counts = dict(positive=len(positives), negative=len(negatives),
                                      hard_negative=int(hard.sum()))
        return list(np.stack([positives, negatives], axis=1).reshape(-1, 2))


@DATA_SAMPLERS.register_module()
class IdentitySampler(_GroupSampler):
    """PK sampling for embedding (triplet) losses: runs of ``num_instances`` (``K``) images of one
    identity.

    Each epoch every identity's images are shuffled and cut into runs of ``K`` (an identity with
    fewer than ``K`` images gives one run drawn with replacement; a remainder shorter than ``K``
    is dropped, as in torchreid's ``RandomIdentitySampler``). Runs are emitted in rounds, one run
    of each identity that still has one, identities in random order each round, so a batch of
    ``P * K`` consecutive indices holds ``P`` different identities (except across a round
    boundary). Use a batch size that is a multiple of ``K``.
    """

    def __init__(self, dataset, num_instances: int = 4, seed: int | None = None) -> None:
        if num_instances < 1:
            raise ValueError(f'num_instances must be >= 1; got {num_instances}')
        super().__init__(dataset, seed, group_size=num_instances)
        self.num_instances = num_instances

    def num_groups(self) -> int:
        return sum(max(1, len(i) // self.num_instances) for i in self.indices_of.values())

    def groups(self, rng: np.random.Generator) -> list[np.ndarray]:
        k = self.num_instances
        runs: dict[int, list[np.ndarray]] = defaultdict(list)
        for pid, indices in self.indices_of.items():
            if len(indices) < k:
                runs[pid].append(rng.choice(indices, size=k, replace=True))
            else:
                shuffled = rng.permutation(indices)
                runs[pid] += [shuffled[i:i + k] for i in range(0, len(shuffled) - k + 1, k)]
        groups = []
        while runs:
            for pid in rng.permutation(list(runs)).tolist():
                groups.append(runs[pid].pop())
                if not runs[pid]:
                    del runs[pid]
        return groups
