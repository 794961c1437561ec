"""A grid of pedestrian crops (e.g. identities × cameras), optionally with their keypoints, and
the contact sheet of a generated synthetic world."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from posereid.pose.keypoints import NUM_KEYPOINTS, SKELETON, dataset_metainfo
from posereid.utils.image_io import read_image
from posereid.utils.io import read_json

from .png import save_png

#: File name of a world's contact sheet, beside its ``manifest.json``.
WORLD_CONTACT_SHEET = 'contact_sheet.png'

_GAP = 4
_BACKGROUND = (255, 255, 255)
_TEXT = (40, 40, 40)


def _draw_keypoints(cell: np.ndarray, keypoints: np.ndarray, scale: float) -> None:
    """Limbs between labelled joints; visible joints filled, hidden (v = 1) ones hollow."""
    info = dataset_metainfo()['keypoint_info']
    points = [(int(round(x * scale)), int(round(y * scale))) for x, y, _ in keypoints]
    for a, b in SKELETON:
        if keypoints[a, 2] > 0 and keypoints[b, 2] > 0:
            cv2.line(cell, points[a], points[b], (255, 255, 255), 1, cv2.LINE_AA)
    radius = max(2, int(round(scale * 1.2)))
    for k, (point, v) in enumerate(zip(points, keypoints[:, 2])):
        if v > 0:
            cv2.circle(cell, point, radius, info[k]['color'], -1 if v == 2 else 1, cv2.LINE_AA)


def draw_contact_sheet(cells: Sequence[Sequence[np.ndarray | None]],
                       keypoints: Sequence[Sequence[np.ndarray | None]] | None = None,
                       row_labels: Sequence[str] | None = None,
                       column_labels: Sequence[str] | None = None,
                       scale: int = 2) -> np.ndarray:
    """Tile RGB crops into one RGB image, each crop enlarged ``scale`` times.

    Args:
        cells: rows of ``(H, W, 3)`` uint8 RGB crops; ``None`` leaves a blank cell. Crops of
            different sizes are top-left aligned in cells of the largest size.
        keypoints: same nesting, ``(14, 3)`` ``(x, y, v)`` arrays (AIC order, crop pixels) or
            ``None``; drawn with the AIC skeleton.
        row_labels / column_labels: text left of each row / above each column.
    """
    if not cells or not any(len(row) for row in cells):
        raise ValueError('cells must hold at least one row with one cell')
    if scale < 1:
        raise ValueError(f'scale must be >= 1; got {scale}')
    if keypoints is not None and [len(r) for r in keypoints] != [len(r) for r in cells]:
        raise ValueError('keypoints must have the same rows and lengths as cells')
    for labels, count, what in ((row_labels, len(cells), 'rows'),
                                (column_labels, max(len(r) for r in cells), 'columns')):
        if labels is not None and len(labels) != count:
            raise ValueError(f'{what} labels: expected {count}, got {len(labels)}')
    shapes = [c.shape[:2] for row in cells for c in row if c is not None]
    if not shapes:
        raise ValueError('cells must hold at least one image')
    cell_h, cell_w = (max(s[i] for s in shapes) * scale for i in (0, 1))
    left = 8 * max((len(t) for t in row_labels), default=0) + _GAP if row_labels else 0
    top = 16 if column_labels else 0
    n_cols = max(len(row) for row in cells)
    sheet = np.full((top + len(cells) * (cell_h + _GAP) + _GAP,
                     left + n_cols * (cell_w + _GAP) + _GAP, 3), _BACKGROUND, np.uint8)
    font = cv2.FONT_HERSHEY_PLAIN
    for j, text in enumerate(column_labels or ()):
        cv2.putText(sheet, text, (left + _GAP + j * (cell_w + _GAP), 12), font, 0.9, _TEXT, 1)
    for i, row in enumerate(cells):
        y = top + _GAP + i * (cell_h + _GAP)
        if row_labels:
            cv2.putText(sheet, row_labels[i], (2, y + cell_h // 2), font, 0.9, _TEXT, 1)
        for j, image in enumerate(row):
            if image is None:
                continue
            cell = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
            if keypoints is not None and keypoints[i][j] is not None:
                _draw_keypoints(cell, np.asarray(keypoints[i][j], np.float32), scale)
            x = left + _GAP + j * (cell_w + _GAP)
            sheet[y:y + cell.shape[0], x:x + cell.shape[1]] = cell
    return sheet


def world_contact_sheet(world_dir: str | os.PathLike, domain: str, num_ids: int = 6,
                        draw_keypoints: bool = True, scale: int = 2) -> np.ndarray:
    """RGB contact sheet of a generated domain: held-out identities seen by the most cameras
    (rows) × cameras (columns), one crop per camera, keypoints drawn if ``draw_keypoints``."""
    root = Path(world_dir) / domain
    coco = read_json(root / 'annotations' / 'person_keypoints_val.json')
    paths = {image['id']: image['file_name'] for image in coco['images']}
    first: dict[int, dict[int, dict]] = {}
    for ann in coco['annotations']:
        first.setdefault(ann['pid'], {}).setdefault(ann['camera'], ann)
    pids = sorted(first, key=lambda pid: (-len(first[pid]), pid))[:num_ids]
    cameras = sorted({cam for pid in pids for cam in first[pid]})
    cells, keypoints = [], []
    for pid in pids:
        anns = [first[pid].get(cam) for cam in cameras]
        cells.append([None if a is None else read_image(str(root / paths[a['image_id']]))
                      for a in anns])
        keypoints.append([None if a is None or not draw_keypoints else
                          np.reshape(a['keypoints'], (NUM_KEYPOINTS, 3)) for a in anns])
    return draw_contact_sheet(cells, keypoints, row_labels=[f'{pid:04d}' for pid in pids],
                              column_labels=[f'c{cam}' for cam in cameras], scale=scale)


def save_world_contact_sheet(world_dir: str | os.PathLike, manifest: dict) -> Path:
    """Write the :func:`world_contact_sheet` of the world's first domain (``manifest`` as
    :func:`~posereid.datasets.synthetic.generate_world` returns it) to
    ``<world_dir>/contact_sheet.png``, atomically; return its path."""
    path = Path(world_dir) / WORLD_CONTACT_SHEET
    save_png(world_contact_sheet(world_dir, next(iter(manifest['domains']))), path)
    return path
