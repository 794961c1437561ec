"""The live pipeline's event stream: one JSON object a line, appended as things happen.

Identity events: ``appeared`` (a tracklet became a new global identity), ``matched`` (a
tracklet joined a known one, ``score``: its distance), ``merged`` (later evidence made two
identities one: ``global_id`` kept, ``merged_id`` absorbed), ``left`` (an identity not seen for
the configured time left the active gallery). Camera events: ``stalled``, ``resumed``,
``disconnected``, ``reconnected``, ``corrupt_frame``, ``out_of_order``, ``ended`` (each with
``message``). Every event has ``event``, ``time_s`` (the footage's second, where it has one)
and ``wall_s`` (seconds since the run started); identity events have ``camera``,
``global_id`` and ``track_id``. Each line is appended whole
(:func:`~posereid.utils.io.append_lines`).
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

from posereid.utils.io import append_lines

IDENTITY_EVENTS = ('appeared', 'matched', 'merged', 'left')
CAMERA_EVENTS = ('stalled', 'resumed', 'disconnected', 'reconnected', 'corrupt_frame',
                 'out_of_order', 'ended')


class EventLog:
    """Events appended to ``path`` (a JSON-lines file, created if missing) and counted by kind;
    ``listeners`` are called with each event (the live view)."""

    def __init__(self, path: str | os.PathLike, start: float | None = None):
        self.path = Path(path)
        append_lines(self.path, '')
        self.start = time.monotonic() if start is None else start
        self.counts: Counter = Counter()
        self.listeners: list = []

    def emit(self, event: str, **fields) -> dict:
        """Append one event; ``fields`` are JSON values. Returns it."""
        if event not in IDENTITY_EVENTS + CAMERA_EVENTS:
            raise ValueError(f'unknown event {event!r}')
        record = {'event': event, 'wall_s': round(time.monotonic() - self.start, 4), **fields}
        append_lines(self.path, json.dumps(record) + '\n')
        self.counts[event] += 1
        for listener in self.listeners:
            listener(record)
        return record


def read_events(path: str | os.PathLike) -> list[dict]:
    """The events of a JSON-lines file, in order."""
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f if line.strip()]
