"""MOTChallenge files: ``seqinfo.ini`` and ``frame,id,x,y,w,h,conf,...`` box files.

A sequence folder holds ``seqinfo.ini`` (``[Sequence]`` with ``name``, ``imDir``,
``frameRate``, ``seqLength``, ``imWidth``, ``imHeight``, ``imExt``), the frames in ``imDir``
and ground truth in ``gt/gt.txt``. Box files have one box per line: 1-based frame, id, the
top-left corner and size in pixels, then a confidence and, in ground truth, class and
visibility. They are read into :class:`~posereid.datasets.boxes.Boxes`.
"""
from __future__ import annotations

import configparser
import os
from pathlib import Path

import numpy as np

from posereid.utils.io import append_lines, atomic_write

from .boxes import Boxes

SEQINFO_KEYS = {'name': str, 'imDir': str, 'frameRate': int, 'seqLength': int,
                'imWidth': int, 'imHeight': int, 'imExt': str}


def read_seqinfo(sequence_dir: str | os.PathLike) -> dict:
    """The ``[Sequence]`` section of ``<sequence_dir>/seqinfo.ini``, typed."""
    path = Path(sequence_dir) / 'seqinfo.ini'
    parser = configparser.ConfigParser()
    parser.optionxform = str                              # keys are camelCase
    try:
        if not parser.read(path, encoding='utf-8'):
            raise FileNotFoundError(f'{path}: no seqinfo.ini (a MOTChallenge sequence has one)')
        section = parser['Sequence']
        return {key: kind(section[key]) for key, kind in SEQINFO_KEYS.items()}
    except (KeyError, ValueError, configparser.Error) as err:
        raise ValueError(f'{path}: expected a [Sequence] section with '
                         f'{", ".join(SEQINFO_KEYS)} ({err})') from None


def _read_rows(path: Path) -> np.ndarray:
    """``(N, 9)`` float64 rows of a MOT box file, missing trailing columns ``1``."""
    rows = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                values = [float(v) for v in line.split(',')]
            except ValueError:
                values = []
            if not 6 <= len(values) <= 10:
                raise ValueError(f'{path}, line {number}: expected frame,id,x,y,w,h[,conf,'
                                 f'class,visibility] numbers; got {line.strip()!r}')
            rows.append((values + [1.0] * 3)[:9])
    return np.asarray(rows, np.float64).reshape(-1, 9)


def _boxes(rows: np.ndarray) -> Boxes:
    return Boxes.create(rows[:, 0], rows[:, 2:6], rows[:, 6], rows[:, 1], rows[:, 8])


def read_mot_boxes(path: str | os.PathLike) -> Boxes:
    """Every box of a MOT box file (detections, tracks or ground truth): missing trailing
    columns are ``1``, an empty file gives no boxes. Names the file and line of a bad row."""
    return _boxes(_read_rows(Path(path)))


#: MOTChallenge's class of a walking or standing pedestrian (the class that is scored).
PEDESTRIAN = 1


def read_mot_truth(path: str | os.PathLike) -> Boxes:
    """The scored boxes of a ground-truth file: :func:`read_mot_boxes` without the rows marked
    to ignore (``conf = 0``) and the other classes (people on vehicles, static people,
    distractors, reflections: MOTChallenge's classes 2 .. 12)."""
    rows = _read_rows(Path(path))
    return _boxes(rows[(rows[:, 6] != 0) & (rows[:, 7] == PEDESTRIAN)])


def write_mot_boxes(boxes: Boxes, path: str | os.PathLike, truth: bool = False) -> None:
    """Write ``boxes`` as a MOT box file, atomically: ``frame,id,x,y,w,h,conf,-1,-1,-1``
    (MOTChallenge's results and detections), or with ``truth``
    ``frame,id,x,y,w,h,1,1,visibility`` (scored pedestrians). Frame and id are integers, the
    rest has 2 to 3 decimals."""
    with atomic_write(path) as f:
        f.write(mot_lines(boxes, truth))


def append_mot_boxes(boxes: Boxes, path: str | os.PathLike) -> None:
    """Append ``boxes`` to a MOT results file (created if missing) as whole lines in one write
    (:func:`~posereid.utils.io.append_lines`): what the live pipeline writes as frames are
    decided."""
    append_lines(path, mot_lines(boxes))


def mot_lines(boxes: Boxes, truth: bool = False) -> str:
    """The MOT rows of ``boxes`` (see :func:`write_mot_boxes`), each ending in a newline."""
    if not isinstance(boxes, Boxes):
        raise TypeError(f'write_mot_boxes writes Boxes; got {type(boxes).__name__}')
    count = len(boxes)
    tail = (np.column_stack([np.ones(count), np.full(count, PEDESTRIAN), boxes.visibility])
            if truth else np.column_stack([boxes.confidence, -np.ones((count, 3))]))
    return ''.join(f'{f},{i},' + ','.join(f'{v:.2f}' for v in xywh) + ','
                   + ','.join(f'{v:.3f}' for v in rest) + '\n'
                   for f, i, xywh, rest in zip(boxes.frame, boxes.ids, boxes.xywh, tail))
