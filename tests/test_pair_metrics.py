import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posereid.evaluation import (confusion_matrix, evaluate_pairs, roc_auc, roc_curve,
                                 tpr_at_fpr)


def test_confusion_matrix_rows_are_true_labels_and_columns_predictions():
    labels = [0, 0, 0, 1, 1]
    predictions = [0, 1, 1, 0, 1]
    np.testing.assert_array_equal(confusion_matrix(labels, predictions), [[1, 2], [1, 1]])


def test_accuracy_predicts_same_only_above_the_threshold():
    scores = [0.9, 0.5, 0.2, 0.7, 0.4]
    labels = [1, 1, 0, 0, 0]
    result = evaluate_pairs(scores, labels)
    # 0.5 is not above 0.5: predictions 1, 0, 0, 1, 0.
    np.testing.assert_array_equal(result['confusion_matrix'], [[2, 1], [1, 1]])
    assert result['accuracy'] == pytest.approx(3 / 5)
    assert set(result) == {'accuracy', 'confusion_matrix', 'auc', 'tpr@fpr=0.01',
                           'tpr@fpr=0.001'}


def test_tpr_at_fpr_is_the_best_tpr_within_the_fpr_budget():
    # 100 negatives scored 0..99; positives at 99.5, 98.5 and 50.
    scores = np.r_[np.arange(100.0), 99.5, 98.5, 50.0]
    labels = np.r_[np.zeros(100, dtype=int), 1, 1, 1]
    # FPR 1e-2 allows the negative at 99: positives above 98.5 count.
    assert tpr_at_fpr(scores, labels, 1e-2) == pytest.approx(2 / 3)
    # FPR 1e-3 allows no false positive: only the positive at 99.5.
    assert tpr_at_fpr(scores, labels, 1e-3) == pytest.approx(1 / 3)
    assert tpr_at_fpr(scores, labels, 1.0) == 1.0


def test_perfectly_separated_scores_have_auc_one_and_reversed_zero():
    scores = [0.1, 0.2, 0.8, 0.9]
    assert roc_auc(scores, [0, 0, 1, 1]) == 1.0
    assert roc_auc(scores, [1, 1, 0, 0]) == 0.0
    assert roc_auc([0.5] * 4, [0, 1, 0, 1]) == 0.5


def pair_problems():
    # Scores from a few values so ties are common; both classes present.
    return st.lists(st.tuples(st.integers(0, 5), st.integers(0, 1)), min_size=2,
                    max_size=40).filter(lambda pairs: len({label for _, label in pairs}) == 2)


@settings(max_examples=50, deadline=None)
@given(pairs=pair_problems())
def test_auc_is_the_probability_a_positive_outscores_a_negative(pairs):
    scores, labels = map(np.array, zip(*pairs))
    positives, negatives = scores[labels == 1], scores[labels == 0]
    wins = (positives[:, None] > negatives[None]).mean()
    ties = (positives[:, None] == negatives[None]).mean()
    assert roc_auc(scores, labels) == pytest.approx(wins + ties / 2)


@settings(max_examples=50, deadline=None)
@given(pairs=pair_problems())
def test_roc_curve_is_monotone_from_origin_to_one_and_its_area_is_the_auc(pairs):
    scores, labels = map(np.array, zip(*pairs))
    fpr, tpr, thresholds = roc_curve(scores, labels)
    assert (fpr[0], tpr[0]) == (0, 0) and (fpr[-1], tpr[-1]) == (1, 1)
    assert (np.diff(fpr) >= 0).all() and (np.diff(tpr) >= 0).all()
    assert (np.diff(thresholds) < 0).all()
    # Each point counts the pairs scoring at least its threshold.
    for f, t, threshold in zip(fpr[1:], tpr[1:], thresholds[1:]):
        positive = scores >= threshold
        assert t == pytest.approx(positive[labels == 1].mean())
        assert f == pytest.approx(positive[labels == 0].mean())
    assert np.trapz(tpr, fpr) == pytest.approx(roc_auc(scores, labels))


@pytest.mark.parametrize('call, message', [
    (lambda: roc_auc([0.1, 0.2], [1, 1]), 'both'),
    (lambda: roc_auc([0.1, 0.2, 0.3], [0, 1]), 'same length'),
    (lambda: roc_auc([0.1, np.nan], [0, 1]), 'finite'),
    (lambda: roc_auc([0.1, 0.2], [0, 2]), '0/1'),
    (lambda: evaluate_pairs([], []), 'empty'),
    (lambda: confusion_matrix([0, 1], [1]), 'length'),
    (lambda: tpr_at_fpr([0.1, 0.2], [0, 1], 2.0), 'max_fpr'),
])
def test_bad_input_raises_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize('max_positives', [5, 1000])
def test_verification_pairs_are_sampled_without_a_query_by_gallery_array(max_positives):
    from posereid.evaluation import sample_verification_pairs

    rng = np.random.default_rng(1)
    q_pids, q_cams = rng.integers(0, 30, 60), rng.integers(0, 4, 60)
    g_pids, g_cams = rng.integers(0, 40, 500), rng.integers(0, 4, 500)
    q, g, labels = sample_verification_pairs(q_pids, q_cams, g_pids, g_cams, max_positives)
    same = q_pids[:, None] == g_pids[None, :]
    all_positives = np.argwhere(same & (q_cams[:, None] != g_cams[None, :]))
    positive = labels == 1
    assert positive.sum() == min(max_positives, len(all_positives)) == (~positive).sum()
    assert (q_pids[q[positive]] == g_pids[g[positive]]).all()
    assert (q_cams[q[positive]] != g_cams[g[positive]]).all()
    assert (q_pids[q[~positive]] != g_pids[g[~positive]]).all()
    assert len(set(zip(q.tolist(), g.tolist()))) == len(labels)          # no pair twice
    if max_positives == 1000:                                              # every positive
        assert set(zip(q[positive].tolist(), g[positive].tolist())) == set(
            map(tuple, all_positives.tolist()))
    again = sample_verification_pairs(q_pids, q_cams, g_pids, g_cams, max_positives)
    assert all(np.array_equal(a, b) for a, b in zip((q, g, labels), again))   # seeded
