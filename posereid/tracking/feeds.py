"""Cameras as live feeds: each camera's frames read by a thread of its own, merged in time.

A :class:`CameraFeed` reads one camera's footage (a
:class:`~posereid.datasets.frames.FrameSource` or a
:class:`~posereid.datasets.frames.StreamSource`) into a small queue: as fast as it decodes, or
``realtime`` at the footage's own rate (:func:`~posereid.datasets.frames.paced`); ``loops``
times over for a file (frame numbers and times go on, the detector sees the file's own frame
numbers); a stream that breaks is reopened every ``reconnect_s`` seconds. :func:`ticks` takes
the frames of all feeds in time order, a tick at a time (the frames of all cameras at one
instant), and reports what goes wrong with a camera in the event log, naming it: a stall (no
frame for ``stall_s`` seconds; the other cameras go on), a disconnection and a reconnection,
a corrupt frame, a frame out of order (dropped), the end of its footage (``ended``, with the
error if it ended on one).
"""
from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from posereid.datasets.frames import FootageError, StreamSource, paced

from .events import EventLog

#: How the ``ended`` event of footage that ended without an error ends.
END_OF_FOOTAGE = 'end of footage'


@dataclass
class Frame:
    """Frame ``number`` of ``camera`` (numbered on over loops), its ``time_s`` in the camera's
    footage, ``source_frame`` its number in the footage's own file, its ``(H, W, 3)`` RGB
    ``image``, its ``arrival`` (``time.monotonic()`` when read) and when its tick was
    ``taken`` for handling."""

    camera: str
    number: int
    time_s: float
    source_frame: int
    image: np.ndarray | None
    arrival: float
    taken: float = 0.0


class CameraFeed:
    """One camera's reader thread (module doc). ``footage`` has ``fps``, ``num_frames`` and
    ``frames(corrupt_as_none)``; items on ``queue``: ``('frame', Frame)``, ``(event,
    message)`` for a camera event, ``('end', None)`` last."""

    def __init__(self, camera: str, footage, realtime: bool = False, speed: float = 1.0,
                 loops: int = 1, reconnect_s: float | None = None, queue_size: int = 8):
        if loops < 1:
            raise ValueError(f'loops must be >= 1; got {loops}')
        self.camera, self.footage, self.realtime, self.speed = camera, footage, realtime, speed
        self.loops = loops
        self.reconnect_s = reconnect_s if reconnect_s is not None else (
            2.0 if isinstance(footage, StreamSource) else None)
        self.queue: queue.Queue = queue.Queue(queue_size)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name=f'feed-{camera}', daemon=True)

    def start(self) -> CameraFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _put(self, item) -> bool:
        """Queue ``item`` unless stopped (waiting while the queue is full); whether it was."""
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> None:
        """The reader thread: :meth:`_read_frames`; an error it does not expect ends the camera,
        named, instead of the thread alone (the run would wait for it for ever)."""
        try:
            self._read_frames()
        except Exception as error:                   # noqa: BLE001  (whatever it is)
            self._put(('ended', f'camera {self.camera}: {type(error).__name__}: {error}'))
            self._put(('end', None))

    def _read_frames(self) -> None:
        offset, loop, broken = 0, 0, False
        while loop < self.loops and not self._stop.is_set():
            last = 0
            try:
                frames = self.footage.frames(corrupt_as_none=True)
                if self.realtime:
                    frames = paced(frames, self.footage.fps, self.speed)
                for number, image in frames:
                    if broken:
                        broken = not self._put(('reconnected', f'camera {self.camera}: frames '
                                                               f'come again'))
                    last = number
                    frame = Frame(self.camera, offset + number,
                                  (offset + number - 1) / self.footage.fps, number, image,
                                  time.monotonic())
                    if not self._put(('frame', frame)):
                        return
            except FootageError as error:
                if self.reconnect_s is None:
                    self._put(('ended', f'camera {self.camera}: {error}'))
                    self._put(('end', None))
                    return
                broken = True
                self._put(('disconnected', f'camera {self.camera}: {error}; trying again '
                                           f'every {self.reconnect_s:g} s'))
                offset += last
                self._stop.wait(self.reconnect_s)
                continue
            offset += last
            loop += 1
        self._put(('ended', f'camera {self.camera}: {END_OF_FOOTAGE}'))
        self._put(('end', None))


def ticks(feeds: dict[str, CameraFeed], events: EventLog, stall_s: float = 5.0,
          clock=time.monotonic) -> Iterator[list[Frame]]:
    """The frames of all ``feeds`` in time order, a tick at a time: the earliest frame of the
    cameras and those of the other cameras less than half a frame after it (module doc)."""
    if stall_s <= 0:
        raise ValueError(f'stall_s must be > 0; got {stall_s}')
    heads: dict[str, Frame] = {}
    last_number = dict.fromkeys(feeds, 0)
    last_arrival = dict.fromkeys(feeds, clock())
    stalled, done = set(), set()
    window = 0.5 / max(feed.footage.fps for feed in feeds.values())
    while True:
        for camera, feed in feeds.items():
            while camera not in heads and camera not in done:
                wait = 0 if camera in stalled else last_arrival[camera] + stall_s - clock()
                try:
                    kind, payload = feed.queue.get(timeout=wait) if wait > 0 else \
                        feed.queue.get_nowait()
                except queue.Empty:
                    if camera not in stalled:
                        stalled.add(camera)
                        events.emit('stalled', camera=camera, time_s=_time(last_number, camera,
                                                                            feed),
                                    message=f'camera {camera}: no frame for {stall_s:g} s')
                    break
                if kind == 'end':
                    done.add(camera)
                elif kind != 'frame':
                    events.emit(kind, camera=camera, message=payload)
                else:
                    last_arrival[camera] = clock()
                    if camera in stalled:
                        stalled.discard(camera)
                        events.emit('resumed', camera=camera, time_s=payload.time_s,
                                    message=f'camera {camera}: frames come again')
                    if payload.number <= last_number[camera]:
                        events.emit('out_of_order', camera=camera, time_s=payload.time_s,
                                    message=f'camera {camera}: frame {payload.number} came '
                                            f'after frame {last_number[camera]}; dropped')
                    elif payload.image is None:
                        events.emit('corrupt_frame', camera=camera, time_s=payload.time_s,
                                    message=f'camera {camera}: frame {payload.number} could '
                                            f'not be decoded; skipped')
                    else:
                        heads[camera] = payload
                        last_number[camera] = payload.number
        if not heads:
            if len(done) == len(feeds):
                return
            time.sleep(0.01)                  # every camera that is left is stalled
            continue
        first = min(frame.time_s for frame in heads.values())
        tick = [heads.pop(camera) for camera in sorted(heads)
                if heads[camera].time_s <= first + window]
        for frame in tick:
            frame.taken = clock()
        yield tick


def _time(last_number: dict, camera: str, feed: CameraFeed) -> float:
    return max(last_number[camera] - 1, 0) / feed.footage.fps
