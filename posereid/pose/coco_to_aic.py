"""COCO-17 keypoints → the 14 AIC joints, so that any COCO pose model (or BlazePose) fits.

The twelve limb joints (shoulders, elbows, wrists, hips, knees, ankles) exist in both sets and
are copied. The two joints COCO lacks are derived:

* **neck** = midpoint of the two shoulders; score ``min(s_lsho, s_rsho)``.
* **head top**: the head centre ``c`` is the score-weighted mean of the five face points
  (nose, eyes, ears), which sit about half-way down the head. The crown lies beyond ``c`` on
  the line from the neck, by ``HEAD_TOP_RATIO`` times the neck→centre distance::

      head_top = c + HEAD_TOP_RATIO · (c − neck),   HEAD_TOP_RATIO = 0.55

  (an adult head is ~23 cm chin to crown with the ears ~11.5 cm below the crown, and the
  shoulder midpoint ~21 cm below the ears: 11.5 / 21 ≈ 0.55). Its score is
  ``min(max(face scores), s_neck)``; with no face point detected it is 0.

COCO order (mmpose ``coco.py``): 0 nose, 1 left_eye, 2 right_eye, 3 left_ear, 4 right_ear,
5 left_shoulder, 6 right_shoulder, 7 left_elbow, 8 right_elbow, 9 left_wrist, 10 right_wrist,
11 left_hip, 12 right_hip, 13 left_knee, 14 right_knee, 15 left_ankle, 16 right_ankle.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import render_gaussian_heatmaps
from .keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

NUM_COCO_KEYPOINTS = 17

COCO_NAMES: tuple[str, ...] = (
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
    'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle',
)
COCO_FACE: tuple[int, ...] = (0, 1, 2, 3, 4)
# ``flipped[..., k] = original[..., COCO_FLIP_INDICES[k]]`` after mirroring the image.
COCO_FLIP_INDICES: tuple[int, ...] = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15)

# AIC limb joint → the COCO joint of the same name.
LIMB_AIC_TO_COCO: dict[int, int] = {
    aic: COCO_NAMES.index(name) for name, aic in KEYPOINT_INDEX.items() if name in COCO_NAMES}

HEAD_TOP_RATIO = 0.55


def coco_to_aic(keypoints: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map COCO-17 keypoints to AIC-14 with the neck and head-top rules of the module doc.

    Args:
        keypoints: ``(B, 17, 2)`` ``(x, y)`` in COCO order.
        scores: ``(B, 17)`` confidences in [0, 1].
    Returns:
        ``(B, 14, 2)`` keypoints and ``(B, 14)`` scores in AIC order, float32.
    """
    keypoints = np.asarray(keypoints, np.float32)
    scores = np.asarray(scores, np.float32)
    if keypoints.shape[1:] != (NUM_COCO_KEYPOINTS, 2) or scores.shape != keypoints.shape[:2]:
        raise ValueError(f'expected COCO keypoints (B, 17, 2) and scores (B, 17); '
                         f'got {keypoints.shape} and {scores.shape}')
    out_xy = np.zeros((len(keypoints), NUM_KEYPOINTS, 2), np.float32)
    out_s = np.zeros((len(keypoints), NUM_KEYPOINTS), np.float32)
    for aic, coco in LIMB_AIC_TO_COCO.items():
        out_xy[:, aic], out_s[:, aic] = keypoints[:, coco], scores[:, coco]

    lsho, rsho = COCO_NAMES.index('left_shoulder'), COCO_NAMES.index('right_shoulder')
    neck = (keypoints[:, lsho] + keypoints[:, rsho]) / 2
    neck_score = np.minimum(scores[:, lsho], scores[:, rsho])

    face_w = scores[:, COCO_FACE]                                            # (B, 5)
    total = face_w.sum(axis=1, keepdims=True)
    centre = (face_w[..., None] * keypoints[:, COCO_FACE]).sum(1) / np.maximum(total, 1e-12)
    head_top = centre + HEAD_TOP_RATIO * (centre - neck)
    head_score = np.where(total[:, 0] > 0, np.minimum(face_w.max(axis=1), neck_score), 0.0)

    out_xy[:, KEYPOINT_INDEX['neck']], out_s[:, KEYPOINT_INDEX['neck']] = neck, neck_score
    out_xy[:, KEYPOINT_INDEX['head_top']] = head_top
    out_s[:, KEYPOINT_INDEX['head_top']] = head_score
    return out_xy, out_s


def coco_heatmaps_to_aic(heatmaps: np.ndarray, aic_keypoints: np.ndarray, aic_scores: np.ndarray,
                         image_sizes: Sequence[tuple[int, int]], sigma: float) -> np.ndarray:
    """AIC-14 heatmaps from a COCO model's: limb channels copied, neck and head top rendered.

    The derived joints have no heatmap of their own, so each gets a Gaussian of ``sigma``
    heatmap pixels at its :func:`coco_to_aic` position, scaled by its score.

    Args:
        heatmaps: ``(B, 17, h, w)`` COCO-order heatmaps covering the crops.
        aic_keypoints, aic_scores: ``(B, 14, 2)`` and ``(B, 14)`` from :func:`coco_to_aic`.
        image_sizes: ``(H, W)`` of each crop.
    Returns:
        ``(B, 14, h, w)`` float32.
    """
    b, k, h, w = heatmaps.shape
    if k != NUM_COCO_KEYPOINTS:
        raise ValueError(f'expected COCO heatmaps (B, 17, h, w); got {heatmaps.shape}')
    out = np.zeros((b, NUM_KEYPOINTS, h, w), np.float32)
    for aic, coco in LIMB_AIC_TO_COCO.items():
        out[:, aic] = heatmaps[:, coco]
    derived = [KEYPOINT_INDEX['neck'], KEYPOINT_INDEX['head_top']]
    out[:, derived] = render_gaussian_heatmaps(aic_keypoints[:, derived], aic_scores[:, derived],
                                               image_sizes, (h, w), sigma)
    return out
