"""The talk's balanced pair set: every positive pair, one seeded random negative each."""
from itertools import combinations

import numpy as np
import pytest

from posereid.evaluation import balanced_verification_pairs


def test_a_hand_computed_case():
    pids = [5, 5, 7, 5, 7, 9]
    first, second, labels = balanced_verification_pairs(pids)
    np.testing.assert_array_equal(labels, [1, 1, 1, 1, 0, 0, 0, 0])
    # positives sorted by (i, j); negative p + 4 starts where positive p does
    np.testing.assert_array_equal(first, [0, 0, 1, 2, 0, 0, 1, 2])
    np.testing.assert_array_equal(second[:4], [1, 3, 3, 4])
    others = {0: {2, 4, 5}, 1: {2, 4, 5}, 2: {0, 1, 3, 5}}
    assert all(k in others[i] for i, k in zip(first[4:], second[4:]))


def test_every_positive_pair_once_and_one_negative_of_another_identity_each():
    pids = np.random.default_rng(3).integers(0, 40, size=300)
    first, second, labels = balanced_verification_pairs(pids)
    expected = {(i, j) for i, j in combinations(range(len(pids)), 2) if pids[i] == pids[j]}
    num = len(expected)
    assert num == sum(n * (n - 1) // 2 for n in np.bincount(pids))
    assert len(labels) == 2 * num and labels[:num].all() and not labels[num:].any()
    assert len(set(zip(first[:num], second[:num]))) == num
    assert set(zip(first[:num], second[:num])) == expected
    np.testing.assert_array_equal(first[num:], first[:num])
    assert (pids[first[num:]] != pids[second[num:]]).all()


def test_negatives_are_drawn_from_all_other_identities_images():
    # identity 1's images sit between the others' once sorted: both sides must be drawn
    pids = [0, 0, 1, 1, 1, 1, 2, 2]
    first, second, labels = balanced_verification_pairs(pids, seed=1)
    drawn = [k for i, k in zip(first[labels == 0], second[labels == 0]) if pids[i] == 1]
    assert len(drawn) == 6 and {0, 1} & set(drawn) and {6, 7} & set(drawn)
    many = [k for seed in range(50) for i, k in zip(*balanced_verification_pairs(pids, seed)[:2])
            if pids[i] == 1 and pids[k] != 1]
    assert set(many) == {0, 1, 6, 7}


def test_the_negatives_are_seeded():
    pids = np.repeat(np.arange(30), 4)
    same = balanced_verification_pairs(pids, seed=7), balanced_verification_pairs(pids, seed=7)
    np.testing.assert_array_equal(same[0][1], same[1][1])
    other = balanced_verification_pairs(pids, seed=8)
    np.testing.assert_array_equal(other[1][:180], same[0][1][:180])      # positives
    assert (other[1][180:] != same[0][1][180:]).any()                     # negatives


def test_one_identity_has_no_negatives():
    with pytest.raises(ValueError, match='two or more identities; got 1'):
        balanced_verification_pairs([4, 4, 4])
