"""The storyboard of a multi-camera video: a few frames of each camera with their boxes, each
person's box in their own colour and labelled with their global id."""
from __future__ import annotations

import colorsys
import os
from pathlib import Path

import cv2
import numpy as np

from posereid.datasets.boxes import Boxes
from posereid.datasets.mot import read_mot_boxes, read_seqinfo
from posereid.utils.image_io import read_image

from .png import save_png

_GAP = 4


def identity_colour(pid: int) -> tuple[int, int, int]:
    """A bright RGB colour for id ``pid``; consecutive ids differ in hue (golden angle)."""
    r, g, b = colorsys.hsv_to_rgb((pid * 0.618034) % 1.0, 0.85, 1.0)
    return int(255 * r), int(255 * g), int(255 * b)


def draw_identity_boxes(frame: np.ndarray, boxes: Boxes) -> np.ndarray:
    """A copy of an RGB ``frame`` with ``boxes`` drawn, each in its identity's colour and
    labelled with it."""
    out = frame.copy()
    for pid, (x, y, w, h) in zip(boxes.ids, boxes.xywh):
        colour = identity_colour(int(pid))
        x0, y0, x1, y1 = int(x), int(y), int(x + w) - 1, int(y + h) - 1
        cv2.rectangle(out, (x0, y0), (x1, y1), colour, 2)
        cv2.putText(out, str(int(pid)), (x0 + 2, max(y0 + 12, 12)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, colour, 1, cv2.LINE_AA)
    return out


def video_storyboard(sequence_dirs: list[str | os.PathLike], frames_per_camera: int = 4,
                     boxes_files: list[str | os.PathLike] | None = None) -> np.ndarray:
    """``(rows, cols, 3)`` uint8 RGB: a row per camera sequence, ``frames_per_camera`` frames
    evenly spread over it, with the boxes of its ground truth ``<sequence>/gt/gt.txt`` or of
    ``boxes_files`` (a MOT file per sequence, e.g. tracks with global ids)."""
    rows = []
    boxes_files = boxes_files or [Path(s) / 'gt' / 'gt.txt' for s in sequence_dirs]
    for sequence, boxes_file in zip(map(Path, sequence_dirs), boxes_files, strict=True):
        info = read_seqinfo(sequence)
        boxes = read_mot_boxes(boxes_file)
        picks = np.linspace(1, info['seqLength'], frames_per_camera + 2)[1:-1].round()
        cells = []
        for frame in picks.astype(int):
            image = read_image(sequence / info['imDir'] / f'{frame:06d}{info["imExt"]}')
            cell = draw_identity_boxes(image, boxes.on_frame(frame))
            cv2.putText(cell, f'{info["name"]}  frame {frame}', (4, info['imHeight'] - 6),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
            cells += [cell, np.full((info['imHeight'], _GAP, 3), 255, np.uint8)]
        rows += [np.concatenate(cells[:-1], axis=1)]
    width = max(r.shape[1] for r in rows)
    padded = [np.pad(row, ((0, _GAP), (0, width - row.shape[1]), (0, 0)), constant_values=255)
              for row in rows]
    return np.concatenate(padded, axis=0)[:-_GAP]


def save_video_storyboard(sequence_dirs: list[str | os.PathLike], path: str | os.PathLike,
                          frames_per_camera: int = 4,
                          boxes_files: list[str | os.PathLike] | None = None) -> Path:
    """Write :func:`video_storyboard` to ``path`` as PNG, atomically; return the path."""
    save_png(video_storyboard(sequence_dirs, frames_per_camera, boxes_files), path)
    return Path(path)
