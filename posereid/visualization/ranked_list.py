"""Ranked lists: each query followed by its top-ranked gallery images, framed green when they
show the query's identity and red when not."""
from __future__ import annotations

from typing import Sequence

import cv2
import numpy as np

from .contact_sheet import draw_contact_sheet

MATCH = (0, 170, 0)
MISMATCH = (220, 0, 0)
QUERY = (60, 60, 60)


def framed(image: np.ndarray, colour: tuple[int, int, int], width: int = 2) -> np.ndarray:
    """A copy of an ``(H, W, 3)`` RGB image with a ``width``-pixel border of ``colour``."""
    out = np.ascontiguousarray(image).copy()
    h, w = out.shape[:2]
    cv2.rectangle(out, (0, 0), (w - 1, h - 1), colour, width)
    return out


def draw_ranked_lists(queries: Sequence[np.ndarray], ranked: Sequence[Sequence[np.ndarray]],
                      matches: Sequence[Sequence[bool]], row_labels: Sequence[str] | None = None,
                      scale: int = 2) -> np.ndarray:
    """One row per query: the query (grey frame), then its ranked gallery images.

    Args:
        queries: ``Q`` RGB crops.
        ranked: per query, the top-ranked gallery crops, best first.
        matches: per query, whether each ranked crop has the query's identity.
    Returns:
        ``(H, W, 3)`` uint8 RGB sheet, column labels ``q, 1, 2, ...``.
    """
    if not (len(queries) == len(ranked) == len(matches)):
        raise ValueError(f'queries, ranked and matches differ in length: {len(queries)}, '
                         f'{len(ranked)}, {len(matches)}')
    rows = []
    for query, gallery, hits in zip(queries, ranked, matches):
        if len(gallery) != len(hits):
            raise ValueError(f'{len(gallery)} ranked images but {len(hits)} match flags')
        rows.append([framed(query, QUERY)]
                    + [framed(g, MATCH if hit else MISMATCH) for g, hit in zip(gallery, hits)])
    columns = ['q'] + [str(i + 1) for i in range(max(len(r) for r in rows) - 1)]
    return draw_contact_sheet(rows, row_labels=row_labels, column_labels=columns, scale=scale)
