"""Pictures of multi-camera tracking: each camera's frames with their boxes coloured by global
identity, and a timeline of who was where when."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from posereid.datasets.boxes import Boxes
from posereid.utils.image_io import write_jpeg

from posereid.visualization.curves import figure_png, new_figure
from posereid.visualization.storyboard import draw_identity_boxes, identity_colour


def save_tracked_frames(frames: Iterable[tuple[int, np.ndarray]], tracks: Boxes,
                        out_dir: str | os.PathLike) -> int:
    """Write each of ``frames`` (``(number, (H, W, 3) RGB)`` pairs) to
    ``out_dir/<number:06d>.jpg`` with the ``tracks`` of that frame drawn in their global
    identity's colour, each file atomically; return how many were written."""
    out_dir = Path(out_dir)
    written = 0
    for number, image in frames:
        write_jpeg(out_dir / f'{number:06d}.jpg',
                   draw_identity_boxes(image, tracks.on_frame(number)), quality=90)
        written += 1
    return written


def draw_timeline(segments: Sequence[dict], cameras: Sequence[str], title: str = '') -> bytes:
    """PNG bytes of a timeline: a row per global identity, a bar in its colour for each
    ``segments`` item ``{'global_id', 'camera', 'start_s', 'end_s'}``, labelled with the
    camera (``cameras`` gives their order, for the labels' legend)."""
    if not segments:
        raise ValueError('no tracks to draw on the timeline')
    ids = sorted({int(s['global_id']) for s in segments})
    row = {gid: k for k, gid in enumerate(ids)}
    end = max(float(s['end_s']) for s in segments)
    fig = new_figure(figsize=(8, 0.8 + 0.22 * len(ids)))
    ax = fig.subplots()
    for s in segments:
        start, stop = float(s['start_s']), max(float(s['end_s']), float(s['start_s']) + 0.2)
        colour = np.array(identity_colour(int(s['global_id']))) / 255
        ax.barh(row[int(s['global_id'])], stop - start, left=start, height=0.7, color=colour,
                edgecolor='black', linewidth=0.4)
        ax.text((start + stop) / 2, row[int(s['global_id'])], str(s['camera']), ha='center',
                va='center', fontsize=6)
    ax.set_yticks(range(len(ids)), [str(gid) for gid in ids], fontsize=6)
    ax.set_ylim(len(ids) - 0.5, -0.5)
    ax.set_xlim(0, end * 1.02 + 0.1)
    ax.set_xlabel('time (s)')
    ax.set_ylabel('global identity')
    ax.set_title(title or f'who was where when ({len(ids)} identities, cameras '
                 f'{", ".join(cameras)})', fontsize=9)
    ax.grid(axis='x', alpha=0.3)
    return figure_png(fig)
