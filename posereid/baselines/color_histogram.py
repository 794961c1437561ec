"""Colour-histogram re-identification baseline: how far does colour alone go on a dataset?

Each crop becomes ``stripes`` horizontal bands (head/torso/legs for 3), each described by a joint
HSV histogram (``8 × 8 × 8`` bins by default) normalised to sum 1; two crops are compared with
the Hellinger distance of their histograms. No learning, no pose: if this ranks well, the
dataset is too easy.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

from posereid.datasets.market1501 import read_market_folder
from posereid.evaluation import evaluate_rank
from posereid.utils.image_io import read_image


def color_histogram_features(images: Iterable[np.ndarray], stripes: int = 3,
                             bins: tuple[int, int, int] = (8, 8, 8)) -> np.ndarray:
    """``(N, stripes * prod(bins))`` float32 features of RGB uint8 crops.

    Every stripe's HSV histogram is normalised to sum ``1 / stripes`` and square-rooted, so the
    features have unit norm and their Euclidean distance is √2 × the Hellinger distance.
    """
    if stripes < 1:
        raise ValueError(f'stripes must be >= 1; got {stripes}')
    if len(bins) != 3 or min(bins) < 1:
        raise ValueError(f'bins must be three positive counts; got {bins}')
    features = []
    for image in images:
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
        edges = np.linspace(0, hsv.shape[0], stripes + 1).round().astype(int)
        if np.any(np.diff(edges) == 0):
            raise ValueError(f'an image of height {hsv.shape[0]} cannot make {stripes} stripes')
        parts = []
        for top, bottom in zip(edges[:-1], edges[1:]):
            hist = cv2.calcHist([hsv[top:bottom]], [0, 1, 2], None, list(bins),
                                [0, 180, 0, 256, 0, 256]).ravel()
            parts.append(hist / (hist.sum() * stripes))
        features.append(np.sqrt(np.concatenate(parts)))
    return np.asarray(features, np.float32).reshape(len(features), -1)


def hellinger_distances(query: np.ndarray, gallery: np.ndarray) -> np.ndarray:
    """``(Q, G)`` Hellinger distances between rows of :func:`color_histogram_features`."""
    similarity = np.clip(query @ gallery.T, 0.0, 1.0)
    return np.sqrt(1.0 - similarity).astype(np.float32)


def _read_market_folder(folder: Path, keep_distractors: bool
                        ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    records = read_market_folder(folder, keep_distractors)
    if not records:
        raise ValueError(f'no .jpg images of identities in {folder}')
    return ([read_image(r.img_path) for r in records], np.array([r.pid for r in records]),
            np.array([r.camid for r in records]))


def evaluate_market_folder(root: str | os.PathLike, stripes: int = 3,
                           bins: tuple[int, int, int] = (8, 8, 8)) -> dict:
    """Rank ``root/bounding_box_test`` for every ``root/query`` image by colour histograms.

    Returns rank-1/5/10, mAP and mINP (Market protocol: same-camera matches of the query's
    identity and junk images, pid -1, are left out) and the query/gallery sizes.
    """
    root = Path(root)
    # the Market-1501 loader's names and filter: junk (pid -1) dropped, distractors in the gallery
    q_images, q_pids, q_cams = _read_market_folder(root / 'query', keep_distractors=False)
    g_images, g_pids, g_cams = _read_market_folder(root / 'bounding_box_test',
                                                   keep_distractors=True)
    distmat = hellinger_distances(color_histogram_features(q_images, stripes, bins),
                                  color_histogram_features(g_images, stripes, bins))
    result = evaluate_rank(distmat, q_pids, g_pids, q_cams, g_cams, max_rank=50,
                           protocol='market')
    cmc = np.asarray(result['cmc'])
    return dict(rank1=float(cmc[0]), rank5=float(cmc[4]), rank10=float(cmc[9]),
                mAP=float(result['mAP']), mINP=float(result['mINP']),
                num_query=len(q_images), num_gallery=len(g_images),
                num_valid_queries=int(result['num_valid_queries']))
