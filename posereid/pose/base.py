"""What every pose backend returns, and the Gaussian heatmap rendering they share.

A pose backend is any object with

* ``__call__(images) -> PoseOutput`` where ``images`` is a list of ``(H, W, 3)`` uint8 **RGB**
  arrays (pedestrian crops; the crop is the person box, sizes may differ), and
* ``identity() -> dict``: what makes its output reproducible (config, checkpoint hash, heatmap
  size...), recorded in heatmap-cache manifests so a stale cache is detected.

All keypoints are in AIC order (:mod:`posereid.pose.keypoints`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
import torch

from .keypoints import NUM_KEYPOINTS


@dataclass
class PoseOutput:
    """Batched pose estimates.

    Attributes:
        heatmaps: ``(B, 14, h, w)`` float32 in [0, 1], one channel per AIC joint, covering the
            whole crop (heatmap pixel ``(u, v)`` ↔ image point ``((u + .5) W / w, (v + .5) H / h)``).
        keypoints: ``(B, 14, 2)`` float32 ``(x, y)`` in each image's pixel coordinates.
        scores: ``(B, 14)`` float32 confidences in [0, 1].
    """

    heatmaps: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __post_init__(self):
        b = len(self.heatmaps)
        if (self.heatmaps.ndim != 4 or self.heatmaps.shape[1] != NUM_KEYPOINTS
                or self.keypoints.shape != (b, NUM_KEYPOINTS, 2)
                or self.scores.shape != (b, NUM_KEYPOINTS)):
            raise ValueError(
                'PoseOutput expects heatmaps (B, 14, h, w), keypoints (B, 14, 2), scores (B, 14); '
                f'got {self.heatmaps.shape}, {self.keypoints.shape}, {self.scores.shape}')


class PoseBackend(Protocol):
    def __call__(self, images: Sequence[np.ndarray]) -> PoseOutput: ...

    def identity(self) -> dict: ...


def render_gaussian_heatmaps(keypoints: np.ndarray | torch.Tensor,
                             scores: np.ndarray | torch.Tensor,
                             image_sizes: Sequence[tuple[int, int]] | tuple[int, int],
                             heatmap_size: tuple[int, int],
                             sigma: float = 1.5) -> np.ndarray:
    """Render one Gaussian per joint, scaled by its score.

    ``H_k(u, v) = s_k · exp(−((u − x_k')² + (v − y_k')²) / (2σ²))`` with ``(x_k', y_k')`` the joint
    in heatmap pixels (``x' = x · w / W − 0.5``) and ``σ`` in heatmap pixels.

    Args:
        keypoints: ``(B, 14, 2)`` ``(x, y)`` in image pixels.
        scores: ``(B, 14)`` in [0, 1]; 0 gives an empty channel.
        image_sizes: ``(H, W)`` for all images, or one per image.
        heatmap_size: ``(h, w)`` of the output.
    Returns:
        ``(B, 14, h, w)`` float32.
    """
    keypoints = np.asarray(keypoints, dtype=np.float32)
    scores = np.asarray(scores, dtype=np.float32)
    if keypoints.ndim != 3 or keypoints.shape[-1] != 2 or scores.shape != keypoints.shape[:2]:
        raise ValueError(f'keypoints must be (B, K, 2) and scores (B, K); '
                         f'got {keypoints.shape} and {scores.shape}')
    sizes = np.asarray(image_sizes, dtype=np.float32).reshape(-1, 2)
    sizes = np.broadcast_to(sizes, (len(keypoints), 2))
    h, w = heatmap_size
    scale = np.stack([w / sizes[:, 1], h / sizes[:, 0]], axis=1)[:, None, :]  # (B, 1, 2)
    centers = keypoints * scale - 0.5                                        # (B, K, 2)
    u = np.arange(w, dtype=np.float32)
    v = np.arange(h, dtype=np.float32)
    gx = np.exp(-(u[None, None, :] - centers[..., :1]) ** 2 / (2 * sigma ** 2))  # (B, K, w)
    gy = np.exp(-(v[None, None, :] - centers[..., 1:]) ** 2 / (2 * sigma ** 2))  # (B, K, h)
    return (scores[..., None, None] * gy[..., :, None] * gx[..., None, :]).astype(np.float32)
