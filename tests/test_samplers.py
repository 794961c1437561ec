"""PairSampler (positive:negative 1:1, every identity used, hard negatives) and the PK
IdentitySampler."""
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from posereid.datasets import IdentitySampler, PairSampler

# Identity of each item: 6 identities with 1..6 images, shuffled over the dataset.
PIDS = np.random.default_rng(0).permutation(
    [pid for pid, count in enumerate((1, 2, 3, 4, 5, 6)) for _ in range(count)]).tolist()
DATASET = SimpleNamespace(pids=PIDS)


def _pairs(sampler):
    indices = list(sampler)
    assert len(indices) == len(sampler) and len(indices) % 2 == 0
    return np.array(indices).reshape(-1, 2)


def _positive(pair):
    return PIDS[pair[0]] == PIDS[pair[1]]


def test_every_positive_pair_is_followed_by_one_negative_and_every_identity_is_used():
    sampler = PairSampler(DATASET, seed=1, max_positive_pairs_per_id=None)
    pairs = _pairs(sampler)
    labels = [_positive(p) for p in pairs]
    assert labels == [True, False] * (len(pairs) // 2)                  # 1:1, alternating
    positives, negatives = pairs[0::2], pairs[1::2]
    # All pairs of each identity, each exactly once: n(n-1)/2 for n = 1..6 images.
    assert len(positives) == sum(n * (n - 1) // 2 for n in range(1, 7))
    assert len({tuple(sorted(p)) for p in positives}) == len(positives)
    per_id = Counter(PIDS[a] for a, _ in positives)
    assert {pid: per_id[pid] for pid in range(1, 6)} == {
        pid: (pid + 1) * pid // 2 for pid in range(1, 6)}
    # Every identity is used (the single-image one as a negative), negatives share the anchor.
    assert {PIDS[i] for i in pairs.ravel()} == set(PIDS)
    assert np.array_equal(negatives[:, 0], positives[:, 0])
    assert sampler.last_epoch_counts == dict(positive=35, negative=35, hard_negative=0)


def test_positive_pairs_are_capped_per_identity_and_reshuffled_each_epoch():
    sampler = PairSampler(DATASET, seed=1, max_positive_pairs_per_id=3)
    first = _pairs(sampler)
    assert Counter(PIDS[a] for a, _ in first[0::2]) == {1: 1, 2: 3, 3: 3, 4: 3, 5: 3}
    assert np.array_equal(_pairs(sampler), first)                     # same epoch, same order
    sampler.set_epoch(1)
    assert not np.array_equal(_pairs(sampler), first)
    assert np.array_equal(_pairs(PairSampler(DATASET, seed=1, max_positive_pairs_per_id=3)),
                          first)


def test_ranks_get_disjoint_shards_of_whole_pairs():
    shards = []
    for rank in (0, 1):
        sampler = PairSampler(DATASET, seed=5, max_positive_pairs_per_id=None)
        sampler.rank, sampler.world_size = rank, 2
        shards.append(_pairs(sampler))
    everything = _pairs(PairSampler(DATASET, seed=5, max_positive_pairs_per_id=None))
    assert len(shards[0]) == len(shards[1]) == (len(everything) + 1) // 2
    assert np.array_equal(shards[0], everything[0::2][:len(shards[0])])
    assert np.array_equal(shards[1][:len(everything) // 2], everything[1::2])


def test_hard_negatives_are_drawn_from_the_candidates_in_the_given_ratio():
    candidates = {i: [j for j, pid in enumerate(PIDS) if pid == (PIDS[i] + 1) % 6]
                  for i in range(len(PIDS))}
    sampler = PairSampler(DATASET, seed=2, max_positive_pairs_per_id=None,
                          hard_negative_ratio=1.0)
    random_negatives = _pairs(sampler)[1::2]
    sampler.set_hard_negatives(candidates)
    negatives = _pairs(sampler)[1::2]
    assert all(PIDS[n] == (PIDS[a] + 1) % 6 for a, n in negatives)
    assert sampler.last_epoch_counts['hard_negative'] == len(negatives)
    assert not all(PIDS[n] == (PIDS[a] + 1) % 6 for a, n in random_negatives)
    half = PairSampler(DATASET, seed=2, max_positive_pairs_per_id=None, hard_negative_ratio=0.5)
    half.set_hard_negatives(candidates)
    _pairs(half)
    assert 0.2 < half.last_epoch_counts['hard_negative'] / half.last_epoch_counts['negative'] < 0.8
    with pytest.raises(ValueError, match='own identity'):
        sampler.set_hard_negatives({0: [i for i, pid in enumerate(PIDS) if pid == PIDS[0]]})


def test_pair_sampler_rejects_a_dataset_without_pairs():
    with pytest.raises(ValueError, match='two identities'):
        PairSampler(SimpleNamespace(pids=[0, 1, 2]), seed=0)


def test_identity_sampler_gives_runs_of_k_images_of_one_identity():
    sampler = IdentitySampler(DATASET, num_instances=2, seed=0)
    indices = list(sampler)
    assert len(indices) == len(sampler) == 2 * (1 + 1 + 1 + 2 + 2 + 3)
    runs = np.array(indices).reshape(-1, 2)
    assert all(PIDS[a] == PIDS[b] for a, b in runs)
    run_pids = [PIDS[a] for a, _ in runs]
    assert Counter(run_pids) == {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 3}
    # The first round has one run of each identity, so a batch of P=6 runs has 6 identities.
    assert sorted(run_pids[:6]) == [0, 1, 2, 3, 4, 5]
    # Within an identity's runs no image repeats, except to fill an identity with < K images.
    for pid in (2, 3, 4, 5):
        chosen = [i for a, b in runs if PIDS[a] == pid for i in (a, b)]
        assert len(set(chosen)) == len(chosen)
    assert [PIDS[i] for i in runs[run_pids.index(0)]] == [0, 0]
    sampler.set_epoch(1)
    assert list(sampler) != indices
