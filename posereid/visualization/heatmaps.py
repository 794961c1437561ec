"""Pictures of pose heatmaps: overlay, decoded peaks with the skeleton, Spindle Net regions.

One row per image; the columns are the image, its summed heatmaps (divided by their maximum)
as a colour overlay, the heatmap peaks (:func:`posereid.pose.regions.keypoints_from_heatmaps`)
joined by the AIC skeleton, the three macro and the four micro region boxes
(:func:`posereid.pose.regions.region_boxes`), and optionally one overlay per joint.
"""
from __future__ import annotations

import os
from typing import Sequence

import cv2
import numpy as np
import torch

from posereid.datasets import build_source
from posereid.pose.backends import build_pose_backend, complete_pose_config
from posereid.pose.cache import HeatmapCache
from posereid.pose.predict import predict_batch
from posereid.pose.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS, SKELETON, dataset_metainfo
from posereid.pose.regions import (NUM_MACRO_REGIONS, REGION_NAMES, keypoints_from_heatmaps,
                                   region_boxes)
from posereid.utils.image_io import read_image

from .contact_sheet import draw_contact_sheet
from .png import save_png

PANELS = ('image', 'heatmaps', 'peaks', 'macro regions', 'micro regions')
# One colour per region (RGB), macro regions first.
REGION_COLORS = ((255, 255, 255), (255, 220, 0), (0, 200, 255),
                 (255, 128, 0), (0, 255, 0), (255, 128, 0), (0, 255, 0))


def heatmap_overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """``(H, W, 3)`` RGB image blended with a ``(h, w)`` heatmap (clipped to [0, 1]) in the
    jet colour map, the colour's weight growing with the heatmap value."""
    heat = cv2.resize(np.clip(heatmap.astype(np.float32), 0, 1), image.shape[1::-1],
                      interpolation=cv2.INTER_LINEAR)
    colour = cv2.applyColorMap((heat * 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
    weight = (alpha * np.sqrt(heat))[..., None]
    return (image * (1 - weight) + colour * weight).astype(np.uint8)


def draw_peaks(image: np.ndarray, keypoints: np.ndarray, scores: np.ndarray,
               score_threshold: float) -> np.ndarray:
    """Skeleton limbs between confident joints; joints filled when confident, else hollow."""
    out = (image * 0.6).astype(np.uint8)
    colors = [tuple(info['color']) for info in dataset_metainfo()['keypoint_info'].values()]
    points = [tuple(int(round(c)) for c in xy) for xy in keypoints]
    confident = scores >= score_threshold
    for a, b in SKELETON:
        if confident[a] and confident[b]:
            cv2.line(out, points[a], points[b], (230, 230, 230), 1, cv2.LINE_AA)
    for k in range(NUM_KEYPOINTS):
        if scores[k] > 0:
            cv2.circle(out, points[k], 3, colors[k], -1 if confident[k] else 1, cv2.LINE_AA)
    return out


def draw_boxes(image: np.ndarray, boxes: np.ndarray, regions: Sequence[int]) -> np.ndarray:
    """``boxes`` ``(7, 4)`` xyxy of the regions listed (indices into ``REGION_NAMES``)."""
    out = (image * 0.7).astype(np.uint8)
    for r in regions:
        x0, y0, x1, y1 = (int(round(v)) for v in boxes[r])
        cv2.rectangle(out, (x0, y0), (max(x0, x1 - 1), max(y0, y1 - 1)), REGION_COLORS[r], 1)
    return out


def heatmap_panels(image: np.ndarray, heatmaps: np.ndarray, scale: int = 3,
                   score_threshold: float = 0.1, per_joint: bool = False) -> list[np.ndarray]:
    """The panels of one image (see :data:`PANELS`), each enlarged ``scale`` times.

    Args:
        image: ``(H, W, 3)`` uint8 RGB.
        heatmaps: ``(14, h, w)`` covering the whole image.
    """
    height, width = image.shape[:2]
    big = cv2.resize(image, (width * scale, height * scale), interpolation=cv2.INTER_CUBIC)
    size = big.shape[:2]
    maps = torch.from_numpy(np.asarray(heatmaps, np.float32))[None]
    keypoints, scores = keypoints_from_heatmaps(maps, size)
    boxes = region_boxes(keypoints, scores, size, score_threshold)[0].numpy()
    keypoints, scores = keypoints[0].numpy(), scores[0].numpy()
    total = heatmaps.sum(axis=0)
    panels = [big, heatmap_overlay(big, total / max(float(total.max()), 1e-6)),
              draw_peaks(big, keypoints, scores, score_threshold),
              draw_boxes(big, boxes, range(NUM_MACRO_REGIONS)),
              draw_boxes(big, boxes, range(NUM_MACRO_REGIONS, len(REGION_NAMES)))]
    if per_joint:
        panels += [heatmap_overlay(big, channel) for channel in heatmaps]
    return panels


def draw_heatmap_sheet(images: Sequence[np.ndarray], heatmaps: Sequence[np.ndarray],
                       row_labels: Sequence[str] | None = None, scale: int = 3,
                       score_threshold: float = 0.1, per_joint: bool = False) -> np.ndarray:
    """A grid of :func:`heatmap_panels`, one row per image, as one RGB image."""
    if len(images) != len(heatmaps) or not images:
        raise ValueError(f'need as many heatmaps as images (at least one); got {len(images)} '
                         f'images and {len(heatmaps)} heatmaps')
    rows = [heatmap_panels(image, maps, scale, score_threshold, per_joint)
            for image, maps in zip(images, heatmaps)]
    labels = list(PANELS) + ([name.replace('_', ' ') for name in KEYPOINT_NAMES]
                             if per_joint else [])
    return draw_contact_sheet(rows, row_labels=row_labels, column_labels=labels, scale=1)


def load_heatmaps(img_paths: Sequence[str], cache_dir: str | os.PathLike | None = None,
                  pose_cfg: dict | None = None,
                  heatmap_size: tuple[int, int] = (32, 16)) -> list[np.ndarray]:
    """``(14, h, w)`` heatmaps of each image, from a heatmap cache or else a pose backend."""
    if cache_dir is not None:
        cache = HeatmapCache(cache_dir)
        return [cache.lookup(p)[0].astype(np.float32) for p in img_paths]
    pose_cfg = complete_pose_config(pose_cfg or dict(type='ground_truth'), img_paths)
    pose_cfg.setdefault('heatmap_size', tuple(heatmap_size))
    return list(predict_batch(build_pose_backend(pose_cfg), list(img_paths), heatmap_size)[0])


def dataset_images(name: str, root: str | os.PathLike | None, num: int) -> list[str]:
    """``num`` images of identities (no distractors or junk), evenly spread over the query
    and gallery of dataset ``name``, and its training set if they run short."""
    source = build_source(name, root=root)
    records = [r for split in (source.query, source.gallery, source.train) for r in split
               if r.pid > 0]
    if not records:
        raise ValueError(f'dataset {name!r} (root {root}) has no images of identities')
    step = max(1, len(records) // num)
    return [r.img_path for r in records[::step][:num]]


def visualize_heatmaps(img_paths: Sequence[str], out_path: str | os.PathLike,
                       cache_dir: str | os.PathLike | None = None, pose_cfg: dict | None = None,
                       heatmap_size: tuple[int, int] = (32, 16), colors: int | None = None,
                       **sheet_kwargs) -> np.ndarray:
    """Draw :func:`draw_heatmap_sheet` for image files and write it to ``out_path`` (PNG).

    Heatmaps come from ``cache_dir`` if given, else from the backend of ``pose_cfg``
    (default: ground truth); ``colors``: see :func:`~posereid.visualization.png.save_png`.
    ``sheet_kwargs``: ``scale``, ``score_threshold``, ``per_joint``.
    """
    images = [read_image(p) for p in img_paths]
    heatmaps = load_heatmaps(img_paths, cache_dir, pose_cfg, heatmap_size)
    sheet = draw_heatmap_sheet(images, heatmaps, **sheet_kwargs)
    save_png(sheet, out_path, colors)
    return sheet
