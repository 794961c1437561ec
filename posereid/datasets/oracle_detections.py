"""Oracle detections: ground-truth boxes as a detector's output, optionally degraded.

The tracking pipeline's oracle mode replaces a person detector by the ground truth, to
measure tracking and re-identification apart from detection errors, and degrades it to see
how they hold up: boxes of people mostly hidden are missed, each other box is missed with
``miss_rate``, its corners move by a Gaussian ``jitter`` (a fraction of the box size), and
each frame gets ``false_positives`` spurious boxes on average (Poisson).
"""
from __future__ import annotations

import numpy as np


def oracle_detections(truth: np.ndarray, frame_size: tuple[int, int], num_frames: int,
                      jitter: float = 0.0, miss_rate: float = 0.0,
                      false_positives: float = 0.0, min_visibility: float = 0.0,
                      seed: int = 0) -> np.ndarray:
    """``(M, 7)`` detections ``frame, -1, x, y, w, h, conf`` from ``(N, 9)`` ground-truth rows
    (:func:`~posereid.datasets.mot.read_mot_boxes`), sorted by frame.

    ``frame_size`` is ``(height, width)``: boxes stay inside it; ``num_frames`` bounds the
    frames that false positives fall on. Kept true boxes score in ``[0.6, 1)``, false ones in
    ``[0.3, 0.7)``. Without degradation the boxes are the ground truth's with confidence 1.
    """
    if not 0 <= miss_rate <= 1:
        raise ValueError(f'miss_rate must be in [0, 1]; got {miss_rate}')
    if jitter < 0 or false_positives < 0:
        raise ValueError(f'jitter and false_positives must be >= 0; got {jitter}, '
                         f'{false_positives}')
    truth = np.asarray(truth, np.float64).reshape(-1, 9)
    rng = np.random.default_rng(seed)
    height, width = frame_size
    kept = truth[(truth[:, 8] >= min_visibility) & (rng.random(len(truth)) >= miss_rate)]
    boxes = kept[:, 2:6].copy()
    degraded = jitter > 0 or miss_rate > 0 or false_positives > 0
    if jitter > 0:
        corners = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)
        corners += rng.normal(0, jitter, corners.shape) * boxes[:, [2, 3, 2, 3]]
        boxes = np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]], axis=1)
    conf = rng.uniform(0.6, 1.0, len(kept)) if degraded else np.ones(len(kept))
    rows = [np.column_stack([kept[:, 0], -np.ones(len(kept)), boxes, conf])]
    if false_positives > 0:
        count = rng.poisson(false_positives * num_frames)
        h = rng.uniform(0.25, 0.6, count) * height
        w = h * rng.uniform(0.35, 0.55, count)
        x, y = rng.uniform(0, 1, count) * (width - w), rng.uniform(0, 1, count) * (height - h)
        rows.append(np.column_stack([rng.integers(1, num_frames + 1, count), -np.ones(count),
                                     x, y, w, h, rng.uniform(0.3, 0.7, count)]))
    out = np.concatenate(rows)
    out[:, 2:6] = _clip_boxes(out[:, 2:6], height, width)
    out = out[(out[:, 4] >= 2) & (out[:, 5] >= 2)]
    return out[np.argsort(out[:, 0], kind='stable')]


def _clip_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(N, 4)`` ``x, y, w, h`` boxes clipped to a ``height × width`` frame."""
    x0 = np.clip(boxes[:, 0], 0, width)
    y0 = np.clip(boxes[:, 1], 0, height)
    x1 = np.clip(boxes[:, 0] + boxes[:, 2], 0, width)
    y1 = np.clip(boxes[:, 1] + boxes[:, 3], 0, height)
    return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)
