"""Validation on identities held out of the training set, never on the test split.

Model selection on the test identities inflates every figure it selects (the best epoch, the
best hyper-parameters). :class:`HeldOutValidation` takes a source and moves some of its
*training* identities into a validation query / gallery; the rest stays the training set,
relabelled ``0 .. N-1``. The held-out identities are drawn from those seen by at least two
cameras (a query needs a match from another camera), by a seeded generator, so the training
and the validation dataset of a config agree on them.

In a config (``ReIDDataset(validation=...)``, the same dict in both)::

    validation = dict(num_ids=0.1, seed=0)
    train_dataloader = dict(dataset=dict(split='train', validation=validation))
    val_dataloader = dict(dataset=dict(split='test', validation=validation))
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from .base import ReIDRecord, ReIDSource


def held_out_identities(train: list[ReIDRecord], num_ids: float | int,
                        seed: int = 0) -> list[int]:
    """The training identities to hold out, sorted: ``num_ids`` of them (a count, or a
    fraction of all training identities, at least one), drawn among those with images from
    two or more cameras."""
    cameras: dict[int, set[int]] = defaultdict(set)
    for record in train:
        cameras[record.pid].add(record.camid)
    count = int(num_ids) if num_ids >= 1 else max(1, int(round(num_ids * len(cameras))))
    eligible = sorted(pid for pid, cams in cameras.items() if len(cams) > 1)
    if num_ids <= 0 or count >= len(cameras) or count > len(eligible):
        raise ValueError(f'cannot hold out {num_ids} of {len(cameras)} training identities '
                         f'({len(eligible)} are seen by two or more cameras, and some must be '
                         f'left to train on)')
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(eligible, size=count, replace=False).tolist())


class HeldOutValidation(ReIDSource):
    """``source`` with ``num_ids`` of its training identities moved to a validation set.

    ``train`` is the remaining training set (relabelled); ``query`` holds one image of each
    held-out identity (drawn with ``seed``) and ``gallery`` all its other images, among them
    those of its other cameras, the query's matches.
    Name and protocol are ``source``'s, so heatmap caches and evaluation follow it.

    Args:
        source: any :class:`ReIDSource`.
        num_ids: identities to hold out, a count or a fraction of the training identities.
        seed: seed of the choice of identities and of the query images.
    """

    def __init__(self, source: ReIDSource, num_ids: float | int = 0.1, seed: int = 0) -> None:
        self.name, self.protocol = source.name, source.protocol
        self.source = source
        held_out = set(held_out_identities(source.train, num_ids, seed))
        images: dict[int, list[ReIDRecord]] = defaultdict(list)
        rest = []
        for record in source.train:
            (images[record.pid] if record.pid in held_out else rest).append(record)
        rng = np.random.default_rng([seed, 1])
        query, gallery = [], []
        for pid in sorted(images):
            chosen = int(rng.integers(len(images[pid])))
            query.append(images[pid][chosen])
            gallery += images[pid][:chosen] + images[pid][chosen + 1:]
        super().__init__(rest, query, gallery, verify_images='none')
        self.held_out_pids = sorted(held_out)

    def __repr__(self) -> str:
        return (f'{super().__repr__()}\n  (validation: {len(self.held_out_pids)} training '
                f'identities held out of {self.source.name})')
