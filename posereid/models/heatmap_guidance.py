"""Pose heatmaps fed to the Spindle branch besides the region boxes (configurable).

* ``'channels'``: the 14 heatmaps, resized to the image, are stacked on the RGB channels, so the
  backbone's first convolution sees ``(B, 3 + 14, H, W)``.
* ``'attention'``: a 1×1 convolution of the heatmaps (resized to the C1 map) gives a spatial
  gate ``a = σ(conv(M))`` of shape ``(B, C, h, w)``; C1 features become ``F · (1 + a)`` (residual
  attention: the unguided features pass through unchanged when ``a → 0``).
* ``'none'``: heatmaps only place the regions.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from posereid.pose.keypoints import NUM_KEYPOINTS

HEATMAP_MODES = ('none', 'channels', 'attention')


def resize_heatmaps(heatmaps: Tensor, size: tuple[int, int]) -> Tensor:
    """``(B, 14, h, w)`` → ``(B, 14, *size)`` bilinear, in the dtype of the features."""
    return F.interpolate(heatmaps.float(), size=size, mode='bilinear', align_corners=False)


class HeatmapAttention(nn.Module):
    """``F · (1 + σ(conv(M)))``: ``forward(features (B, C, h, w), heatmaps (B, 14, h', w'))``
    returns ``(B, C, h, w)``."""

    def __init__(self, channels: int, num_keypoints: int = NUM_KEYPOINTS):
        super().__init__()
        self.gate = nn.Conv2d(num_keypoints, channels, 1)

    def forward(self, features: Tensor, heatmaps: Tensor) -> Tensor:
        gate = self.gate(resize_heatmaps(heatmaps, features.shape[-2:]).to(features.dtype))
        return features * (1 + gate.sigmoid())
