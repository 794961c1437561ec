"""Identity splits of two-camera datasets (CUHK01, VIPeR): random train/test halves, both
query directions, selected by index."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import ReIDRecord


#: The standard protocol of a two-camera dataset: 10 random splits, camera 0 querying camera 1
#: (the ``split_id``\ s ``2k``; ``2k + 1`` are the same splits queried the other way round).
TEN_RANDOM_SPLITS = list(range(0, 20, 2))


def split_two_views(records: Sequence[ReIDRecord], split_id: int, num_train_ids: int | None = None,
                    num_random_splits: int = 10, seed: int = 0,
                    test_pids: Sequence[int] | None = None
                    ) -> tuple[list[ReIDRecord], list[ReIDRecord], list[ReIDRecord]]:
    """Train, query and gallery of a two-camera dataset (CUHK01, VIPeR), selected by index.

    Splits ``2k`` and ``2k + 1`` share the ``k``-th random split of the identities into
    ``num_train_ids`` training ones (default: half, rounded down) and test ones; ``2k`` queries
    camera 0 against a camera-1 gallery and ``2k + 1`` the other way round (torchreid's
    convention: report the mean over all splits). The random splits are drawn from ``seed``.
    With ``test_pids`` the test identities are fixed instead and ``split_id`` is 0 or 1.
    """
    pids = sorted({r.pid for r in records})
    if test_pids is None:
        num_train_ids = len(pids) // 2 if num_train_ids is None else num_train_ids
        if not 0 <= num_train_ids < len(pids):
            raise ValueError(f'num_train_ids must be in [0, {len(pids) - 1}]; got {num_train_ids}')
    num_splits = 2 * num_random_splits if test_pids is None else 2
    if not 0 <= split_id < num_splits:
        raise ValueError(f'split_id must be in [0, {num_splits - 1}]; got {split_id}')
    if test_pids is None:
        rng = np.random.default_rng(seed)
        order = [rng.permutation(len(pids)) for _ in range(split_id // 2 + 1)][-1]
        test_pids = [pids[i] for i in order[num_train_ids:]]
    test = set(test_pids)
    query_cam = split_id % 2
    train = [r for r in records if r.pid not in test]
    query = [r for r in records if r.pid in test and r.camid == query_cam]
    gallery = [r for r in records if r.pid in test and r.camid != query_cam]
    return train, query, gallery
