"""Camera footage as a sequence of RGB frames: a video file, a folder of images or a stream.

:func:`open_frames` takes a video file (anything OpenCV's FFmpeg reader opens: ``.mp4``,
``.avi``, ...), a MOTChallenge sequence folder (``seqinfo.ini`` names its image folder and
frame rate) or a plain folder of ``.jpg`` / ``.png`` frames (sorted by name; the frame rate
must then be given). Frames are numbered from 1, as in MOTChallenge files. A sequence whose
image folder holds fewer frames than its ``seqLength`` (a cut sequence) is its first frames.

For live use, :func:`open_live` also takes a stream URL (``rtsp://``, ``http://``, ...: a
:class:`StreamSource`, frames as they come, no known length), and :func:`paced` plays footage
at its own frame rate instead of as fast as it decodes.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import cv2
import numpy as np

from posereid.utils.image_io import BadImageError, read_image

from .mot import read_seqinfo

IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')


class FootageError(ValueError):
    """Footage that cannot be read: the message names the file and what was expected."""


@dataclass(frozen=True)
class FrameSource:
    """Frames of one camera: ``path`` (a video file or a frame folder), its ``fps`` and
    ``num_frames``; iterating yields ``(frame_number, (H, W, 3) uint8 RGB)``.
    ``declared_frames``: the length a cut sequence's ``seqinfo.ini`` declares (its detection
    files may cover it), else ``num_frames``."""

    path: Path
    fps: float
    num_frames: int
    images: tuple[Path, ...] = ()            # a frame folder's files; empty for a video file
    declared_frames: int = 0

    def __post_init__(self):
        object.__setattr__(self, 'declared_frames', max(self.declared_frames, self.num_frames))

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        return self.frames()

    def frames(self, corrupt_as_none: bool = False) -> Iterator[tuple[int, np.ndarray | None]]:
        """The frames in order; with ``corrupt_as_none`` a frame file that cannot be decoded
        comes as ``None`` instead of raising (live use: the next frames still come)."""
        if self.images:
            for number, image in enumerate(self.images, start=1):
                try:
                    yield number, read_image(str(image))
                except BadImageError:
                    if not corrupt_as_none:
                        raise
                    yield number, None
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
    if is_stream_url(path):
        raise FootageError(f'{path}: a stream has no end to read to; follow it live '
                           f'(tools/live.py)')
    path = Path(path)
    if not path.exists():
        raise FootageError(f'{path}: no such video file or frame folder')
    if path.is_dir():
        return _frame_folder(path, fps)
    count, rate, ok = _probe(str(path), fps, 'not a video that OpenCV can open (expected a '
                             'video file such as .mp4 / .avi, or a folder of frames)')
    if not ok or count < 1:
        raise FootageError(f'{path}: the video has no readable frame')
    if not rate:
        raise FootageError(f'{path}: the video gives no frame rate; pass fps')
    return FrameSource(path, rate, count)


def _probe(spec: str, fps: float | None, unopened: str) -> tuple[int, float | None, bool]:
    """What OpenCV reports of the video or stream ``spec``: its frame count (0 for a stream),
    its frame rate (agreed with ``fps``; None where neither gives one) and whether a first
    frame reads. ``unopened``: the error when OpenCV cannot open it."""
    capture = cv2.VideoCapture(spec)
    try:
        if not capture.isOpened():
            raise FootageError(f'{spec}: {unopened}')
        count = max(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), 0)
        rate = _agreed_rate(spec, capture.get(cv2.CAP_PROP_FPS), fps)
        ok, _ = capture.read()
    finally:
        capture.release()
    return count, float(rate) if rate and rate > 0 else None, ok


def _frame_folder(path: Path, fps: float | None) -> FrameSource:
    images_dir, declared = path, 0
    if (path / 'seqinfo.ini').exists():
        info = read_seqinfo(path)
        images_dir, declared = path / info['imDir'], info['seqLength']
        fps = _agreed_rate(path / 'seqinfo.ini', info['frameRate'], fps)
    images = tuple(sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
                   ) if images_dir.is_dir() else ()
    if not images:
        raise FootageError(f'{images_dir}: no frames (expected {"/".join(IMAGE_SUFFIXES)} '
                           f'images in it)')
    if not fps or fps <= 0:
        raise FootageError(f'{path}: a folder of frames has no frame rate; pass fps (or give '
                           f'a MOTChallenge sequence with a seqinfo.ini)')
    return FrameSource(path, float(fps), len(images), images, declared)


def _agreed_rate(path: Path | str, own: float | None, given: float | None) -> float | None:
    """The footage's own frame rate, or the ``given`` one where it has none; both, differing by
    more than 1%, are an error naming ``path``."""
    if own and own > 0 and given and abs(own - given) > 0.01 * own:
        raise FootageError(f'{path}: the footage runs at {own:g} fps, but fps={given:g} was '
                           f'given (mismatched frame rates; leave fps out)')
    return own if own and own > 0 else given


#: A stream's address: a URL scheme OpenCV's FFmpeg reader follows.
STREAM_URL = re.compile(r'^(rtsp|rtsps|rtmp|http|https|udp|tcp)://', re.IGNORECASE)


def is_stream_url(spec: str | os.PathLike) -> bool:
    """Whether ``spec`` is a stream URL rather than a file or folder."""
    return bool(STREAM_URL.match(str(spec)))


@dataclass(frozen=True)
class StreamSource:
    """A live stream that OpenCV opens (``url``), at ``fps`` (its own, or given where it
    reports none); its length is unknown (``num_frames`` 0). Iterating yields ``(frame_number,
    (H, W, 3) uint8 RGB)`` as frames come, and raises :class:`FootageError` naming the URL
    when the stream breaks or ends."""

    url: str
    fps: float
    num_frames: int = 0

    @property
    def path(self) -> str:
        return self.url

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        return self.frames()

    def frames(self, corrupt_as_none: bool = False) -> Iterator[tuple[int, np.ndarray]]:
        """The frames as they come (a stream has no corrupt frame to skip: OpenCV's reader
        drops them)."""
        capture = cv2.VideoCapture(self.url)
        try:
            if not capture.isOpened():
                raise FootageError(f'{self.url}: the stream cannot be opened')
            number = 0
            while True:
                ok, frame = capture.read()
                if not ok:
                    raise FootageError(f'{self.url}: the stream stopped after frame {number}')
                number += 1
                yield number, cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()


def open_live(spec: str | os.PathLike, fps: float | None = None) -> FrameSource | StreamSource:
    """:func:`open_frames` of a file or folder, or the :class:`StreamSource` of a stream URL
    (``fps``: its frame rate where the stream reports none; it must agree with one it
    reports)."""
    if not is_stream_url(spec):
        return open_frames(spec, fps)
    _, rate, _ = _probe(str(spec), fps, "the stream cannot be opened (is the address right, "
                        "and does OpenCV's FFmpeg reader follow it?)")
    if not rate:
        raise FootageError(f'{spec}: the stream gives no frame rate; pass fps')
    return StreamSource(str(spec), rate)


def paced(frames: Iterable[tuple[int, np.ndarray]], fps: float, speed: float = 1.0,
          clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep) -> Iterator[tuple[int, np.ndarray]]:
    """``frames`` no faster than the footage's own rate times ``speed``: frame ``n`` is handed
    out ``(n - first) / (fps · speed)`` seconds after the first, or as soon as it is read when
    decoding falls behind."""
    if fps <= 0 or speed <= 0:
        raise ValueError(f'need fps > 0 and speed > 0; got {fps}, {speed}')
    start = first = None
    for number, image in frames:
        if start is None:
            start, first = clock(), number
        wait = start + (number - first) / (fps * speed) - clock()
        if wait > 0:
            sleep(wait)
        yield number, image
