"""The control of every pose experiment: no pose at all.

Every crop gets empty heatmaps and zero joint scores, so every Spindle region falls back to its
fixed box in an upright pedestrian crop (:data:`posereid.pose.regions.DEFAULT_BOXES`). A model
trained and tested on this backend's cache has the same architecture and budget as with a real
pose network; what it loses is what the per-image pose adds.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import PoseOutput
from .keypoints import NUM_KEYPOINTS


class NoPoseBackend:
    """Empty ``(B, 14, h, w)`` heatmaps, zero keypoints and scores for every crop."""

    def __init__(self, heatmap_size: tuple[int, int] = (32, 16)):
        self.heatmap_size = tuple(heatmap_size)

    def __call__(self, images: Sequence[np.ndarray]) -> PoseOutput:
        count = len(images)
        return PoseOutput(np.zeros((count, NUM_KEYPOINTS, *self.heatmap_size), np.float32),
                          np.zeros((count, NUM_KEYPOINTS, 2), np.float32),
                          np.zeros((count, NUM_KEYPOINTS), np.float32))

    def predict_files(self, paths: Sequence[str]) -> PoseOutput:
        """The same for image files, which it need not read."""
        return self([None] * len(paths))

    def identity(self) -> dict:
        return {'type': 'no_pose', 'heatmap_size': list(self.heatmap_size)}
