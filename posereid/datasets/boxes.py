"""Boxes of one camera as named arrays: what a detector finds, a tracker follows and the ground
truth holds.

A :class:`Boxes` is ``N`` boxes, each on a 1-based ``frame``, with an identity (``ids``: a
track or a person; ``-1`` for a detection that nobody has claimed yet), its top-left corner and
size in pixels (``xywh``), a ``confidence`` and, for ground truth, the ``visibility`` of the
person (the fraction not hidden; 1 where nothing is known). MOTChallenge files
(:mod:`posereid.datasets.mot`) are read into and written from it; no other module knows their
column order.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Iterable

import numpy as np

#: The identity of a box that belongs to nobody yet (a detection).
NO_ID = -1


@dataclass(frozen=True)
class Boxes:
    """``frame`` ``(N,)`` int64, ``ids`` ``(N,)`` int64, ``xywh`` ``(N, 4)`` float64,
    ``confidence`` ``(N,)`` float64, ``visibility`` ``(N,)`` float64.

    Build one with :meth:`create` (missing ids are :data:`NO_ID`, missing confidences and
    visibilities 1). Indexing with a mask, an index array or a slice gives a :class:`Boxes`.
    """

    frame: np.ndarray
    ids: np.ndarray
    xywh: np.ndarray
    confidence: np.ndarray
    visibility: np.ndarray

    def __post_init__(self):
        for name, dtype in (('frame', np.int64), ('ids', np.int64), ('xywh', np.float64),
                            ('confidence', np.float64), ('visibility', np.float64)):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype))
        count = len(self.frame)
        if self.xywh.shape != (count, 4) or any(
                getattr(self, name).shape != (count,)
                for name in ('frame', 'ids', 'confidence', 'visibility')):
            raise ValueError('Boxes needs frame, ids, confidence and visibility of shape (N,) '
                             f'and xywh of shape (N, 4); got {self._shapes()}')

    def _shapes(self) -> str:
        return ', '.join(f'{f.name} {getattr(self, f.name).shape}' for f in fields(self))

    @classmethod
    def create(cls, frame, xywh, confidence=None, ids=None, visibility=None) -> Boxes:
        """Boxes from their frames ``(N,)`` and ``(N, 4)`` corners and sizes; the rest
        defaults to :data:`NO_ID` ids, confidence 1 and visibility 1."""
        frame = np.asarray(frame).reshape(-1)
        count = len(frame)
        ones = np.ones(count)
        xywh = np.asarray(xywh, np.float64)
        return cls(frame, np.full(count, NO_ID) if ids is None else ids,
                   xywh.reshape(0, 4) if xywh.size == 0 else xywh,
                   ones if confidence is None else confidence,
                   ones if visibility is None else visibility)

    @classmethod
    def empty(cls) -> Boxes:
        return cls.create(np.zeros(0), np.zeros((0, 4)))

    @classmethod
    def concatenate(cls, parts: Iterable[Boxes]) -> Boxes:
        parts = list(parts)
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    def __len__(self) -> int:
        return len(self.frame)

    def __getitem__(self, index) -> Boxes:
        if isinstance(index, (int, np.integer)):
            index = [index]
        return Boxes(*(getattr(self, f.name)[index] for f in fields(self)))

    def with_ids(self, ids) -> Boxes:
        """The same boxes with other identities ``(N,)``."""
        return Boxes(self.frame, ids, self.xywh, self.confidence, self.visibility)

    def with_xywh(self, xywh) -> Boxes:
        """The same boxes moved or resized: ``(N, 4)``."""
        return Boxes(self.frame, self.ids, xywh, self.confidence, self.visibility)

    @property
    def xyxy(self) -> np.ndarray:
        """``(N, 4)`` corners ``x0, y0, x1, y1``."""
        return np.concatenate([self.xywh[:, :2], self.xywh[:, :2] + self.xywh[:, 2:]], axis=1)

    @property
    def width(self) -> np.ndarray:
        return self.xywh[:, 2]

    @property
    def height(self) -> np.ndarray:
        return self.xywh[:, 3]

    def on_frame(self, frame: int) -> Boxes:
        """The boxes of one frame."""
        return self[self.frame == frame]

    def of_id(self, identity: int) -> Boxes:
        """The boxes of one identity, in frame order."""
        return self[self.ids == identity].by_frame()

    def by_frame(self) -> Boxes:
        """The boxes sorted by frame (stable: boxes of one frame keep their order)."""
        return self[np.argsort(self.frame, kind='stable')]

    def unique_ids(self) -> np.ndarray:
        """The distinct identities, ascending."""
        return np.unique(self.ids)

    def clipped(self, height: int, width: int) -> Boxes:
        """The boxes cut to a ``height × width`` frame."""
        x0y0 = np.clip(self.xywh[:, :2], 0, [width, height])
        x1y1 = np.clip(self.xywh[:, :2] + self.xywh[:, 2:], 0, [width, height])
        return self.with_xywh(np.concatenate([x0y0, x1y1 - x0y0], axis=1))
