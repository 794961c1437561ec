"""MOTChallenge files: ``seqinfo.ini`` and ``frame,id,x,y,w,h,conf,...`` box files.

A sequence folder holds ``seqinfo.ini`` (``[Sequence]`` with ``name``, ``imDir``,
``frameRate``, ``seqLength``, ``imWidth``, ``imHeight``, ``imExt``), the frames in ``imDir``
and ground truth in ``gt/gt.txt``. Box files have one box per line: 1-based frame, id, the
top-left corner and size in pixels, then a confidence and, in ground truth, class and
visibility.
"""
from __future__ import annotations

import configparser
import os
from pathlib import Path

import numpy as np

from posereid.utils.io import atomic_write

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


def read_mot_boxes(path: str | os.PathLike) -> np.ndarray:
    """``(N, 9)`` float64 rows ``frame, id, x, y, w, h, conf, class, visibility`` of a MOT box
    file (missing trailing columns are ``1``; an empty file gives ``(0, 9)``)."""
    path = Path(path)
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


#: MOTChallenge's class of a walking or standing pedestrian (the class that is scored).
PEDESTRIAN = 1


def read_mot_truth(path: str | os.PathLike) -> np.ndarray:
    """The scored rows of a ground-truth file: :func:`read_mot_boxes` without the rows marked
    to ignore (``conf = 0``) and the other classes (people on vehicles, static people,
    distractors, reflections: MOTChallenge's classes 2 .. 12)."""
    rows = read_mot_boxes(path)
    return rows[(rows[:, 6] != 0) & (rows[:, 7] == PEDESTRIAN)]


def write_mot_boxes(rows: np.ndarray, path: str | os.PathLike) -> None:
    """Write ``(N, >= 7)`` rows ``frame, id, x, y, w, h, conf[, ...]`` as a MOT box file,
    atomically (frame and id as integers, the rest with 2 to 3 decimals)."""
    rows = np.asarray(rows, np.float64)
    if rows.ndim != 2 or rows.shape[1] < 7:
        raise ValueError(f'MOT rows must be (N, >= 7) frame,id,x,y,w,h,conf,...; got '
                         f'{rows.shape}')
    lines = [f'{int(r[0])},{int(r[1])},' + ','.join(f'{v:.2f}' for v in r[2:6]) + ','
             + ','.join(f'{v:.3f}' for v in r[6:]) + '\n' for r in rows]
    with atomic_write(path) as f:
        f.write(''.join(lines))
