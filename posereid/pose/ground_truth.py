"""A pose "model" that reads the embedded world's ground-truth keypoints.

Each synthetic domain folder holds ``keypoints.json``: image path relative to the folder →
``[[x, y, v]] * 14`` (AIC order, crop pixels, COCO visibility; see ``docs/synthetic_world.md``).
The backend turns visibility into a score — visible (``v = 2``) ``1.0``, labelled but hidden
(``v = 1``) ``hidden_score``, unlabelled (``v = 0``) ``0`` — and renders one Gaussian per joint
scaled by its score (:func:`posereid.pose.base.render_gaussian_heatmaps`).

The ground truth is found by file, not by pixels, so besides ``__call__`` the backend offers
``predict_files(paths)``, which :func:`posereid.pose.cache_build.precompute_heatmaps` prefers
when a backend has it.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from .base import PoseOutput, render_gaussian_heatmaps
from .keypoints import NUM_KEYPOINTS

KEYPOINTS_TABLE = 'keypoints.json'


def find_keypoints_root(img_path: str | os.PathLike) -> Path:
    """The nearest folder above ``img_path`` that holds a ``keypoints.json``."""
    path = Path(img_path).resolve()
    for folder in path.parents:
        if (folder / KEYPOINTS_TABLE).is_file():
            return folder
    raise FileNotFoundError(f'no {KEYPOINTS_TABLE} in any folder above {img_path}: the '
                            "'ground_truth' pose backend needs an embedded-world domain "
                            "(see docs/synthetic_world.md)")


def _read_table(path: Path) -> tuple[dict[str, np.ndarray], str]:
    """``keypoints.json`` as relative path → ``(14, 3)`` array, and the file's sha256."""
    data = path.read_bytes()
    try:
        table = json.loads(data)
        rows = {name: np.asarray(value, np.float32) for name, value in table.items()}
    except (ValueError, AttributeError, TypeError) as error:
        raise ValueError(f'{path}: expected a JSON object of image path -> 14 [x, y, v] '
                         f'triples ({error})') from None
    for name, row in rows.items():
        if row.shape != (NUM_KEYPOINTS, 3):
            raise ValueError(f'{path}: entry {name!r} has shape {row.shape}, expected '
                             f'({NUM_KEYPOINTS}, 3) [x, y, v] triples')
    return rows, hashlib.sha256(data).hexdigest()


class GroundTruthBackend:
    """Ground-truth heatmaps of one embedded-world domain.

    Args:
        root: the domain folder (holds ``keypoints.json``); images must lie below it.
        heatmap_size: ``(h, w)`` of the rendered heatmaps.
        sigma: Gaussian standard deviation in heatmap pixels.
        hidden_score: score of labelled-but-hidden joints (``v = 1``).
    """

    def __init__(self, root: str | os.PathLike, heatmap_size: tuple[int, int] = (32, 16),
                 sigma: float = 1.5, hidden_score: float = 0.5):
        self.root = Path(root).resolve()
        table = self.root / KEYPOINTS_TABLE
        if not table.is_file():
            raise FileNotFoundError(f'{table} not found: the ground_truth pose backend needs '
                                    'the folder of an embedded-world domain')
        self.table, self.table_sha256 = _read_table(table)
        self.heatmap_size = tuple(int(s) for s in heatmap_size)
        self.sigma = float(sigma)
        self.hidden_score = float(hidden_score)

    def identity(self) -> dict:
        return dict(type='ground_truth', keypoints_sha256=self.table_sha256,
                    heatmap_size=list(self.heatmap_size), sigma=self.sigma,
                    hidden_score=self.hidden_score)

    def _lookup(self, path: str | os.PathLike) -> np.ndarray:
        try:
            key = Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            raise ValueError(f'{path} is not below {self.root}, the domain folder of the '
                             'ground_truth pose backend') from None
        if key not in self.table:
            raise ValueError(f'{path}: no entry {key!r} in {self.root / KEYPOINTS_TABLE}')
        return self.table[key]

    def predict_files(self, paths: Sequence[str | os.PathLike]) -> PoseOutput:
        """Pose of each image file (only its header is read, for its size)."""
        triples = np.stack([self._lookup(p) for p in paths]) if paths else \
            np.zeros((0, NUM_KEYPOINTS, 3), np.float32)
        sizes = []
        for p in paths:
            with Image.open(p) as image:
                sizes.append((image.height, image.width))
        return self._output(triples, sizes)

    def __call__(self, images: Sequence[np.ndarray]) -> PoseOutput:
        raise TypeError('the ground_truth pose backend finds keypoints by file: call '
                        'predict_files(paths) instead of passing pixels')

    def _output(self, triples: np.ndarray, sizes: list[tuple[int, int]]) -> PoseOutput:
        visibility = triples[..., 2]
        scores = np.where(visibility >= 2, 1.0,
                          np.where(visibility >= 1, self.hidden_score, 0.0)).astype(np.float32)
        keypoints = np.ascontiguousarray(triples[..., :2])
        heatmaps = render_gaussian_heatmaps(keypoints, scores, sizes or [(1, 1)],
                                            self.heatmap_size, self.sigma)
        return PoseOutput(heatmaps=heatmaps, keypoints=keypoints, scores=scores)
