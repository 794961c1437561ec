"""The 14-joint body model: mmpose's AI-Challenger (AIC) keypoint set.

Every keypoint array in posereid is in **AIC order** (mmpose's ``aic.py`` dataset metainfo):

====  ===============  ====  ===============
idx   name             idx   name
====  ===============  ====  ===============
0     right_shoulder   7     right_knee
1     right_elbow      8     right_ankle
2     right_wrist      9     left_hip
3     left_shoulder    10    left_knee
4     left_elbow       11    left_ankle
5     left_wrist       12    head_top
6     right_hip        13    neck
====  ===============  ====  ===============

Spindle Net (Zhao et al., CVPR 2017) lists the same 14 joints in another order;
``AIC_TO_SPINDLE`` / ``SPINDLE_TO_AIC`` convert between the two
(``kpts_spindle = kpts_aic[..., AIC_TO_SPINDLE, :]``).
"""
from __future__ import annotations

import numpy as np

NUM_KEYPOINTS = 14

KEYPOINT_NAMES: tuple[str, ...] = (
    'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist',
    'right_hip', 'right_knee', 'right_ankle',
    'left_hip', 'left_knee', 'left_ankle',
    'head_top', 'neck',
)
KEYPOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(KEYPOINT_NAMES)}

# Left/right pairs, swapped by a horizontal flip (heatmap channels and keypoints alike).
FLIP_PAIRS: tuple[tuple[int, int], ...] = ((0, 3), (1, 4), (2, 5), (6, 9), (7, 10), (8, 11))


def _flip_indices() -> tuple[int, ...]:
    index = list(range(NUM_KEYPOINTS))
    for a, b in FLIP_PAIRS:
        index[a], index[b] = b, a
    return tuple(index)


# ``flipped[..., k] = original[..., FLIP_INDICES[k]]`` after mirroring the image.
FLIP_INDICES: tuple[int, ...] = _flip_indices()

# Limbs as (joint, joint) in AIC indices, as mmpose's AIC skeleton draws them.
SKELETON: tuple[tuple[int, int], ...] = (
    (12, 13),                      # head_top - neck
    (13, 0), (0, 1), (1, 2),       # neck - right arm
    (13, 3), (3, 4), (4, 5),       # neck - left arm
    (0, 6), (3, 9),                # shoulders - hips
    (6, 7), (7, 8),                # right leg
    (9, 10), (10, 11),             # left leg
)

SPINDLE_NAMES: tuple[str, ...] = (
    'head_top', 'neck',
    'right_shoulder', 'right_elbow', 'right_wrist',
    'left_shoulder', 'left_elbow', 'left_wrist',
    'right_hip', 'right_knee', 'right_ankle',
    'left_hip', 'left_knee', 'left_ankle',
)
# ``spindle[..., i] = aic[..., AIC_TO_SPINDLE[i]]`` and ``aic[..., j] = spindle[..., SPINDLE_TO_AIC[j]]``.
AIC_TO_SPINDLE: tuple[int, ...] = tuple(KEYPOINT_INDEX[name] for name in SPINDLE_NAMES)
SPINDLE_TO_AIC: tuple[int, ...] = tuple(SPINDLE_NAMES.index(name) for name in KEYPOINT_NAMES)


def facing(keypoints: np.ndarray, scores: np.ndarray, min_score: float = 0.5,
           min_width: float = 3.0) -> np.ndarray:
    """Which way each person faces, from the shoulders: ``(B,)`` int, +1 towards the camera
    (the left shoulder on the image's right), -1 away, 0 unknown (a shoulder scoring below
    ``min_score``, or the shoulders less than ``min_width`` pixels apart: a side view).

    ``keypoints`` ``(B, 14, 2)`` in image pixels, ``scores`` ``(B, 14)``.
    """
    left, right = KEYPOINT_INDEX['left_shoulder'], KEYPOINT_INDEX['right_shoulder']
    width = keypoints[:, left, 0] - keypoints[:, right, 0]
    known = (np.minimum(scores[:, left], scores[:, right]) >= min_score) & (
        np.abs(width) >= min_width)
    return np.where(known, np.sign(width), 0).astype(np.int64)


def dataset_metainfo() -> dict:
    """mmpose-style metainfo for the AIC-14 set (names, flip pairs, skeleton, sigmas).

    The sigmas are mmpose's AIC values, used by its keypoint-similarity metrics.
    """
    sigmas = [0.01388152, 0.01515228, 0.01057665, 0.01417709, 0.01497891, 0.01402144,
              0.03909642, 0.03686941, 0.01981803, 0.03843971, 0.03412318, 0.02415081,
              0.01291456, 0.01236173]
    swap = dict(FLIP_PAIRS) | {b: a for a, b in FLIP_PAIRS}
    keypoint_info = {
        i: dict(name=name, id=i, color=[255, 128, 0] if 'left' in name else
                [0, 255, 0] if 'right' in name else [51, 153, 255],
                type='lower' if any(s in name for s in ('hip', 'knee', 'ankle')) else 'upper',
                swap=KEYPOINT_NAMES[swap[i]] if i in swap else '')
        for i, name in enumerate(KEYPOINT_NAMES)
    }
    skeleton_info = {
        i: dict(link=(KEYPOINT_NAMES[a], KEYPOINT_NAMES[b]), id=i, color=[51, 153, 255])
        for i, (a, b) in enumerate(SKELETON)
    }
    return dict(dataset_name='posereid_aic14', keypoint_info=keypoint_info,
                skeleton_info=skeleton_info, joint_weights=[1.0] * NUM_KEYPOINTS,
                sigmas=sigmas)
