"""Pose of images now, at the cache's heatmap size: what the cache builder stores and what
inference on unlabelled crops computes on the fly."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from posereid.utils.image_io import read_image

from .base import PoseBackend


def predict_batch(backend: PoseBackend, paths: list[str],
                  heatmap_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(heatmaps (B, 14, h, w), keypoints (B, 14, 2), scores (B, 14))`` of image files.

    A backend with ``predict_files(paths)`` (ground truth) is given the files, any other the
    RGB pixels (:func:`predict_images`).
    """
    if hasattr(backend, 'predict_files'):
        return _at_size(backend.predict_files(paths), heatmap_size)
    return predict_images(backend, [read_image(p) for p in paths], heatmap_size)


def predict_images(backend: PoseBackend, images: list[np.ndarray],
                   heatmap_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`predict_batch` of ``(H, W, 3)`` uint8 RGB arrays."""
    return _at_size(backend(images), heatmap_size)


def _at_size(out, heatmap_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A backend's output, heatmaps of another size resized bilinearly (pixel centres
    aligned)."""
    heatmaps = out.heatmaps
    if heatmaps.shape[-2:] != tuple(heatmap_size):
        heatmaps = F.interpolate(torch.from_numpy(np.asarray(heatmaps, np.float32)),
                                 size=tuple(heatmap_size), mode='bilinear',
                                 align_corners=False).numpy()
    return heatmaps, out.keypoints, out.scores
