"""Metrics of the verification output: is a pair of images the same person?

Each pair has a ``score`` (the predicted probability of 'same') and a ``label`` (1 same, 0
different). Pairs are *predicted* 'same' when ``score > threshold``: with the default 0.5 this
is the argmax of a two-way softmax. The ROC sweeps the threshold over the scores, counting a
pair positive when ``score >= t``.

The test pairs of a dataset (``ReIDSource.pair_protocol``, one of ``PAIR_PROTOCOLS``):
``'cross_camera_sample'``, positive (query, gallery) pairs of different cameras and as many
random negatives (:func:`sample_verification_pairs`), or ``'balanced_all_pairs'``, every
positive pair of the test images and one random negative each
(:func:`balanced_verification_pairs`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.stats import rankdata

#: The test pair sets a dataset may name as its ``pair_protocol`` (see the module doc).
PAIR_PROTOCOLS = ('cross_camera_sample', 'balanced_all_pairs')


def confusion_matrix(labels, predictions) -> np.ndarray:
    """``(2, 2)`` pair counts: rows true label 0/1, columns predicted label 0/1."""
    labels = _as_binary(labels, 'labels')
    predictions = _as_binary(predictions, 'predictions')
    if len(labels) != len(predictions):
        raise ValueError(f'labels and predictions differ in length: {len(labels)} vs '
                         f'{len(predictions)}')
    return np.bincount(2 * labels + predictions, minlength=4).reshape(2, 2)


def roc_curve(scores, labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ROC curve: ``(fpr, tpr, thresholds)``, one point per distinct score.

    ``thresholds`` decrease from ``+inf`` (the point (0, 0)); at threshold ``t`` the pairs with
    ``score >= t`` are positive.
    """
    scores, labels = _check_scores(scores, labels)
    order = np.argsort(-scores, kind='stable')
    scores, labels = scores[order], labels[order]
    last_of_value = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    true_pos = np.cumsum(labels)[last_of_value]
    false_pos = last_of_value + 1 - true_pos
    fpr = np.r_[0.0, false_pos / (len(labels) - labels.sum())]
    tpr = np.r_[0.0, true_pos / labels.sum()]
    return fpr, tpr, np.r_[np.inf, scores[last_of_value]]


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve, by the rank-sum (Mann-Whitney) formula with tied scores
    sharing their mean rank: ``AUC = (sum of positive ranks - P (P + 1) / 2) / (P N)``; this
    equals ``P(s+ > s-) + P(s+ = s-) / 2`` over positive/negative pairs."""
    scores, labels = _check_scores(scores, labels)
    num_pos = int(labels.sum())
    num_neg = len(labels) - num_pos
    rank_sum = rankdata(scores)[labels == 1].sum()
    return float((rank_sum - num_pos * (num_pos + 1) / 2) / (num_pos * num_neg))


def tpr_at_fpr(scores, labels, max_fpr: float) -> float:
    """The highest true-positive rate of a threshold whose false-positive rate is at most
    ``max_fpr`` (no interpolation between ROC points)."""
    if not 0 <= max_fpr <= 1:
        raise ValueError(f'max_fpr must lie in [0, 1], got {max_fpr!r}')
    fpr, tpr, _ = roc_curve(scores, labels)
    return float(tpr[fpr <= max_fpr].max())


def evaluate_pairs(scores, labels, threshold: float = 0.5,
                   fprs: Sequence[float] = (1e-2, 1e-3)) -> dict:
    """All pair metrics at once.

    Returns:
        ``{'accuracy': float, 'confusion_matrix': (2, 2) int array, 'auc': float,
        'tpr@fpr=<f>': float for each f in fprs}`` (rates as fractions in [0, 1]).
    """
    scores, labels = _check_scores(scores, labels)
    matrix = confusion_matrix(labels, (scores > threshold).astype(np.int64))
    result = {'accuracy': float(np.trace(matrix) / len(labels)),
              'confusion_matrix': matrix,
              'auc': roc_auc(scores, labels)}
    for fpr in fprs:
        result[f'tpr@fpr={fpr:g}'] = tpr_at_fpr(scores, labels, fpr)
    return result


def _as_binary(values, name: str) -> np.ndarray:
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f'{name} must be a 1-D array, got shape {values.shape}')
    if values.dtype == bool:
        values = values.astype(np.int64)
    if not (np.issubdtype(values.dtype, np.number) and np.isin(values, (0, 1)).all()):
        raise ValueError(f'{name} must be 0/1 labels, got values {np.unique(values)[:5]}')
    return values.astype(np.int64)


def _check_scores(scores, labels) -> tuple[np.ndarray, np.ndarray]:
    labels = _as_binary(labels, 'labels')
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != labels.shape:
        raise ValueError(f'scores and labels must be 1-D of the same length, got shapes '
                         f'{scores.shape} and {labels.shape}')
    if len(scores) == 0:
        raise ValueError('no pairs to evaluate: scores and labels are empty')
    if not np.isfinite(scores).all():
        raise ValueError('scores must be finite (found NaN or inf)')
    if labels.min() == labels.max():
        raise ValueError(f'ROC metrics need both same (1) and different (0) pairs; all '
                         f'{len(labels)} labels are {labels[0]}')
    return scores, labels


def sample_verification_pairs(q_pids, q_camids, g_pids, g_camids, max_positives: int = 1000,
                              seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Test pairs of a query set and a gallery: the positive (query, gallery) pairs seen by
    different cameras (a random ``max_positives`` of them if more) and as many negative pairs
    drawn uniformly from all (query, gallery) pairs of different identities, without
    replacement, all without building a query × gallery array (MSMT17 has 958 million pairs).

    Returns:
        ``(q_index, g_index, labels)``, each ``(P,)`` int64; labels 1 same, 0 different.
    """
    q_pids, q_camids, g_pids, g_camids = (np.asarray(v, np.int64) for v in (
        q_pids, q_camids, g_pids, g_camids))
    rng = np.random.default_rng(seed)
    order = np.argsort(g_pids, kind='stable')
    ids, starts, counts = np.unique(g_pids[order], return_index=True, return_counts=True)
    where = np.searchsorted(ids, q_pids).clip(max=len(ids) - 1)
    has_id = ids[where] == q_pids
    positives = []
    for q in np.flatnonzero(has_id):
        items = order[starts[where[q]]:starts[where[q]] + counts[where[q]]]
        items = items[g_camids[items] != q_camids[q]]
        positives.append(np.stack([np.full(len(items), q), items], axis=1))
    positives = np.concatenate(positives) if positives else np.zeros((0, 2), np.int64)
    if len(positives) > max_positives:
        positives = positives[np.sort(rng.choice(len(positives), max_positives, replace=False))]
    same_pairs = int(np.where(has_id, counts[where], 0).sum())
    num_negatives = len(q_pids) * len(g_pids) - same_pairs
    wanted = min(len(positives), num_negatives)
    if 2 * wanted >= num_negatives:        # few negatives at all: list them (a small problem)
        keys = np.flatnonzero((q_pids[:, None] != g_pids[None, :]).ravel())
        keys = rng.choice(keys, wanted, replace=False)
    else:                                  # rejection sampling of distinct pairs
        keys = np.zeros(0, np.int64)
        while len(keys) < wanted:
            draw = rng.integers(len(q_pids) * len(g_pids), size=2 * (wanted - len(keys)) + 16)
            draw = draw[q_pids[draw // len(g_pids)] != g_pids[draw % len(g_pids)]]
            keys = np.concatenate([keys, draw])
            _, first = np.unique(keys, return_index=True)
            keys = keys[np.sort(first)][:wanted]
    negatives = np.stack([keys // len(g_pids), keys % len(g_pids)], axis=1)
    pairs = np.concatenate([positives, negatives]).astype(np.int64)
    labels = np.r_[np.ones(len(positives), np.int64), np.zeros(len(negatives), np.int64)]
    return pairs[:, 0], pairs[:, 1], labels


def balanced_verification_pairs(pids, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The balanced pair set of the talk "Person Re-Identification" (M. Kolla) over a set of
    images: every unordered positive pair ``(i, j)``, ``i < j``, of one identity (any cameras),
    and for each one negative pair ``(i, k)``, ``k`` an image of another identity drawn uniformly
    by a generator seeded with ``seed``.

    Returns:
        ``(first, second, labels)``, each ``(2 P,)`` int64: the ``P`` positive pairs sorted by
        ``(i, j)``, then their negatives in the same order (pair ``P + p`` is the negative of
        pair ``p``); labels 1 same, 0 different.
    """
    pids = np.asarray(pids, np.int64)
    order = np.argsort(pids, kind='stable')
    ids, starts, counts = np.unique(pids[order], return_index=True, return_counts=True)
    if len(ids) < 2:
        raise ValueError(f'a balanced pair set needs images of two or more identities; got '
                         f'{len(ids)}')
    positives = []
    for start, count in zip(starts, counts):
        first, second = np.triu_indices(count, 1)
        positives.append(np.stack([order[start + first], order[start + second]], axis=1))
    positives = np.concatenate(positives)
    positives = positives[np.lexsort((positives[:, 1], positives[:, 0]))]
    identity = np.searchsorted(ids, pids[positives[:, 0]])
    # a position in the sorted images outside the identity's own run [start, start + count)
    draw = np.random.default_rng(seed).integers(len(pids) - counts[identity])
    draw += np.where(draw >= starts[identity], counts[identity], 0)
    first = np.r_[positives[:, 0], positives[:, 0]]
    second = np.r_[positives[:, 1], order[draw]]
    labels = np.r_[np.ones(len(positives), np.int64), np.zeros(len(positives), np.int64)]
    return first.astype(np.int64), second.astype(np.int64), labels
