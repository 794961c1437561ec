"""Camera footage as a sequence of RGB frames: a video file or a folder of images.

:func:`open_frames` takes a video file (anything OpenCV's FFmpeg reader opens: ``.mp4``,
``.avi``, ...), a MOTChallenge sequence folder (``seqinfo.ini`` names its image folder and
frame rate) or a plain folder of ``.jpg`` / ``.png`` frames (sorted by name; the frame rate
must then be given). Frames are numbered from 1, as in MOTChallenge files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from posereid.utils.image_io import read_image

from .mot import read_seqinfo

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')


class FootageError(ValueError):
    """Footage that cannot be read: the message names the file and what was expected."""


@dataclass(frozen=True)
class FrameSource:
    """Frames of one camera: ``path`` (a video file or a frame folder), its ``fps`` and
    ``num_frames``; iterating yields ``(frame_number, (H, W, 3) uint8 RGB)``."""

    path: Path
    fps: float
    num_frames: int
    images: tuple[Path, ...] = ()            # a frame folder's files; empty for a video file

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        if self.images:
            for number, image in enumerate(self.images, start=1):
                yield number, read_image(str(image))
            return
        capture = cv2.VideoCapture(str(self.path))
        try:
            for number in range(1, self.num_frames + 1):
                ok, frame = capture.read()
                if not ok:
                    raise FootageError(f'{self.path}: frame {number} of {self.num_frames} '
                                       f'could not be decoded (a truncated or corrupt video?)')
                yield number, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()


def open_frames(path: str | os.PathLike, fps: float | None = None) -> FrameSource:
    """The :class:`FrameSource` of a video file, a MOTChallenge sequence or a frame folder.

    ``fps`` is the frame rate of a plain frame folder, which carries none; given for footage
    that has its own (a video file, a ``seqinfo.ini``) it must agree with it, or the footage
    and its detections would run at two speeds.
    """
    path = Path(path)
    if not path.exists():
        raise FootageError(f'{path}: no such video file or frame folder')
    if path.is_dir():
        return _frame_folder(path, fps)
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise FootageError(f'{path}: not a video that OpenCV can open (expected a video '
                               f'file such as .mp4 / .avi, or a folder of frames)')
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        rate = _agreed_rate(path, capture.get(cv2.CAP_PROP_FPS), fps)
        ok, _ = capture.read()
    finally:
        capture.release()
    if not ok or count < 1:
        raise FootageError(f'{path}: the video has no readable frame')
    if not rate or rate <= 0:
        raise FootageError(f'{path}: the video gives no frame rate; pass fps')
    return FrameSource(path, float(rate), count)


def _frame_folder(path: Path, fps: float | None) -> FrameSource:
    images_dir = path
    if (path / 'seqinfo.ini').exists():
        info = read_seqinfo(path)
        images_dir = path / info['imDir']
        fps = _agreed_rate(path / 'seqinfo.ini', info['frameRate'], fps)
    images = tuple(sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
                   ) if images_dir.is_dir() else ()
    if not images:
        raise FootageError(f'{images_dir}: no frames (expected {"/".join(IMAGE_SUFFIXES)} '
                           f'images in it)')
    if not fps or fps <= 0:
        raise FootageError(f'{path}: a folder of frames has no frame rate; pass fps (or give '
                           f'a MOTChallenge sequence with a seqinfo.ini)')
    return FrameSource(path, float(fps), len(images), images)


def _agreed_rate(path: Path, own: float | None, given: float | None) -> float | None:
    """The footage's own frame rate, or the ``given`` one where it has none; both, differing by
    more than 1%, are an error naming ``path``."""
    if own and own > 0 and given and abs(own - given) > 0.01 * own:
        raise FootageError(f'{path}: the footage runs at {own:g} fps, but fps={given:g} was '
                           f'given (mismatched frame rates; leave fps out)')
    return own if own and own > 0 else given
