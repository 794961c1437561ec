"""Poses computed elsewhere: keypoints and scores from a file, rendered as heatmaps.

The file is an ``.npz`` with ``names`` ``(N,)`` (image paths relative to the dataset's folder,
'/'-separated), ``keypoints`` ``(N, 14, 2)`` (``x, y`` in each image's pixels), ``scores``
``(N, 14)``. Each image is matched by the end of its path; its heatmaps are Gaussians at its
joints scaled by their scores (:func:`~posereid.pose.base.render_gaussian_heatmaps`), as
BlazePose's are, so keypoints exported from a BlazePose cache (:func:`save_keypoints`) give the
same heatmaps again, on a machine without MediaPipe and for a resized copy of the images.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from posereid.utils.io import atomic_write, file_sha256

from .base import PoseOutput, render_gaussian_heatmaps


def save_keypoints(path: str | os.PathLike, names: Sequence[str], keypoints: np.ndarray,
                   scores: np.ndarray) -> Path:
    """Write a keypoints file (module doc), atomically."""
    with atomic_write(path, 'wb') as f:
        np.savez_compressed(f, names=np.asarray(names, dtype=str),
                            keypoints=np.asarray(keypoints, np.float32),
                            scores=np.asarray(scores, np.float32))
    return Path(path)


class KeypointsFileBackend:
    """The poses of a keypoints file (``path``), rendered at ``heatmap_size`` with ``sigma``
    (heatmap pixels)."""

    def __init__(self, path: str | os.PathLike, heatmap_size: tuple[int, int] = (32, 16),
                 sigma: float = 1.5):
        self.path, self.heatmap_size, self.sigma = Path(path), tuple(heatmap_size), sigma
        try:
            with np.load(self.path) as data:
                names, self.keypoints = data['names'], data['keypoints']
                self.scores = data['scores']
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f'{path}: not a keypoints file (an .npz with names, keypoints '
                             f'(N, 14, 2) and scores (N, 14)): {error}') from None
        self.rows = {str(name): row for row, name in enumerate(names)}

    def row(self, path: str) -> int:
        """The row of an image file, matched by the end of its path."""
        parts = Path(path).as_posix().split('/')
        for start in range(len(parts)):
            row = self.rows.get('/'.join(parts[start:]))
            if row is not None:
                return row
        raise ValueError(f'{path}: no pose for it in {self.path}')

    def __call__(self, images) -> PoseOutput:
        raise ValueError(f'the keypoints_file pose backend ({self.path}) knows images by their '
                         f'files, not their pixels: use it to build heatmap caches, not on '
                         f'crops in memory')

    def predict_files(self, paths: Sequence[str]) -> PoseOutput:
        rows = [self.row(p) for p in paths]
        sizes = []
        for p in paths:
            with Image.open(p) as image:             # the header only
                sizes.append((image.height, image.width))
        keypoints, scores = self.keypoints[rows], self.scores[rows]
        heatmaps = render_gaussian_heatmaps(keypoints, scores, sizes, self.heatmap_size,
                                            self.sigma)
        return PoseOutput(heatmaps, keypoints, scores)

    def identity(self) -> dict:
        return {'type': 'keypoints_file', 'sha256': file_sha256(self.path),
                'heatmap_size': list(self.heatmap_size), 'sigma': self.sigma}
