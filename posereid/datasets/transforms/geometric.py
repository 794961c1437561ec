"""Geometric transforms that move the image and its heatmaps together.

Coordinates are continuous pixels: pixel ``i`` covers ``[i, i + 1)``. A transform that maps an
image point ``X`` to ``X' = A X + t`` (``A`` diagonal here) maps heatmap point ``U`` (heatmap
pixels; a heatmap covers the whole image) to ``U' = S'⁻¹ (A S U + t)`` with
``S = diag(W/w, H/h)`` before and ``S'`` after the transform, so the heatmaps stay aligned at
their own size.
Random draws come from numpy's global generator (seeded per DataLoader worker by mmengine).
"""
from __future__ import annotations

import cv2
import numpy as np

from posereid.pose.keypoints import FLIP_INDICES
from posereid.registry import TRANSFORMS


def _pixel_centred(matrix: np.ndarray) -> np.ndarray:
    """A 2×3 affine map of continuous coordinates in OpenCV's (pixel centres at integers)."""
    shift = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    unshift = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    return (unshift @ np.vstack([matrix, [0, 0, 1]]) @ shift)[:2]


def warp(results: dict, scale: tuple[float, float], shift: tuple[float, float],
         fill: int = 0) -> dict:
    """Map ``img`` by ``X' = diag(scale) X + shift`` keeping its size; ``heatmaps`` likewise.

    Uncovered image pixels become ``fill``, uncovered heatmap pixels 0.
    """
    height, width = results['img'].shape[:2]
    matrix = np.array([[scale[0], 0, shift[0]], [0, scale[1], shift[1]]], dtype=np.float64)
    results['img'] = cv2.warpAffine(results['img'], _pixel_centred(matrix), (width, height),
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=(fill, fill, fill))
    if 'heatmaps' in results:
        heatmaps = results['heatmaps']
        h, w = heatmaps.shape[1:]
        to_image = np.diag([width / w, height / h, 1.0])
        to_heatmap = np.diag([w / width, h / height, 1.0])
        heatmap_matrix = (to_heatmap @ np.vstack([matrix, [0, 0, 1]]) @ to_image)[:2]
        warped = cv2.warpAffine(heatmaps.transpose(1, 2, 0), _pixel_centred(heatmap_matrix),
                                (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                borderValue=0)
        results['heatmaps'] = warped.reshape(h, w, -1).transpose(2, 0, 1).copy()
    return results


@TRANSFORMS.register_module()
class Resize:
    """Resize ``img`` to ``size = (H, W)`` (bilinear); ``heatmaps`` keep their own size, as they
    cover the whole image at any size."""

    def __init__(self, size: tuple[int, int]) -> None:
        self.size = tuple(size)

    def __call__(self, results: dict) -> dict:
        height, width = self.size
        if results['img'].shape[:2] != (height, width):
            results['img'] = cv2.resize(results['img'], (width, height),
                                        interpolation=cv2.INTER_LINEAR)
        return results

    def __repr__(self) -> str:
        return f'Resize(size={self.size})'


@TRANSFORMS.register_module()
class RandomFlip:
    """Mirror ``img`` left-right with probability ``prob``; ``heatmaps`` are mirrored too and
    their left/right channels swapped (``FLIP_INDICES``), so each channel stays its joint."""

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def __call__(self, results: dict) -> dict:
        flip = np.random.rand() < self.prob
        if flip:
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
            if 'heatmaps' in results:
                results['heatmaps'] = np.ascontiguousarray(
                    results['heatmaps'][list(FLIP_INDICES), :, ::-1])
        results['flipped'] = bool(flip)
        return results

    def __repr__(self) -> str:
        return f'RandomFlip(prob={self.prob})'


@TRANSFORMS.register_module()
class RandomTranslate:
    """Shift ``img`` and ``heatmaps`` by a whole number of pixels, up to ``max_shift`` of the
    image's width / height each way, with probability ``prob`` (pad-and-crop augmentation)."""

    def __init__(self, max_shift: float = 0.125, prob: float = 0.5, fill: int = 0) -> None:
        self.max_shift, self.prob, self.fill = max_shift, prob, fill

    def __call__(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            height, width = results['img'].shape[:2]
            dx, dy = (np.random.randint(-limit, limit + 1) for limit in
                      (int(self.max_shift * width), int(self.max_shift * height)))
            results = warp(results, (1.0, 1.0), (dx, dy), self.fill)
        return results

    def __repr__(self) -> str:
        return f'RandomTranslate(max_shift={self.max_shift}, prob={self.prob}, fill={self.fill})'


@TRANSFORMS.register_module()
class RandomZoomCrop:
    """With probability ``prob``, enlarge ``img`` by ``zoom`` and crop a random window of its
    original size (torchreid's ``Random2DTranslation``); ``heatmaps`` follow."""

    def __init__(self, zoom: float = 1.125, prob: float = 0.5) -> None:
        if zoom < 1:
            raise ValueError(f'zoom must be >= 1; got {zoom}')
        self.zoom, self.prob = zoom, prob

    def __call__(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            height, width = results['img'].shape[:2]
            big_height, big_width = round(height * self.zoom), round(width * self.zoom)
            x0 = np.random.randint(0, big_width - width + 1)
            y0 = np.random.randint(0, big_height - height + 1)
            results = warp(results, (big_width / width, big_height / height), (-x0, -y0))
        return results

    def __repr__(self) -> str:
        return f'RandomZoomCrop(zoom={self.zoom}, prob={self.prob})'
