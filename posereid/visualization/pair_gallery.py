"""The four galleries of a verification model's pairs: true positives (same person, said same),
false positives, true negatives and false negatives, each pair shown side by side."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .contact_sheet import draw_contact_sheet

#: Gallery name -> (true label, predicted label).
OUTCOMES = {'true_positive': (1, 1), 'false_positive': (0, 1),
            'true_negative': (0, 0), 'false_negative': (1, 0)}


def pair_outcome_indices(labels, scores, threshold: float = 0.5, per_outcome: int = 8,
                         ) -> dict[str, np.ndarray]:
    """For each outcome, the indices of up to ``per_outcome`` pairs, most confident first
    (highest score for predicted 'same', lowest for predicted 'different')."""
    labels, scores = np.asarray(labels), np.asarray(scores, dtype=np.float64)
    predicted = (scores > threshold).astype(np.int64)
    chosen = {}
    for name, (label, prediction) in OUTCOMES.items():
        index = np.flatnonzero((labels == label) & (predicted == prediction))
        order = np.argsort(-scores[index] if prediction else scores[index], kind='stable')
        chosen[name] = index[order[:per_outcome]]
    return chosen


def draw_pair_gallery(pairs: Sequence[tuple[np.ndarray, np.ndarray]], scores: Sequence[float],
                      pairs_per_row: int = 4, scale: int = 2) -> np.ndarray:
    """Pairs of RGB crops side by side, ``pairs_per_row`` pairs a row (a blank cell between
    pairs), each row labelled with its pairs' scores (probability of 'same')."""
    if len(pairs) != len(scores):
        raise ValueError(f'{len(pairs)} pairs but {len(scores)} scores')
    if not pairs:
        raise ValueError('no pairs to draw')
    rows, labels = [], []
    for start in range(0, len(pairs), pairs_per_row):
        # a blank cell between pairs
        rows.append([image for pair in pairs[start:start + pairs_per_row]
                     for image in (*pair, None)][:-1])
        labels.append(' '.join(f'{s:.2f}' for s in scores[start:start + pairs_per_row]))
    return draw_contact_sheet(rows, row_labels=labels, scale=scale)
