"""Plots of results: CMC curves of several rankings, and training curves from mmengine logs."""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Mapping

import numpy as np


def new_figure(**figure_kwargs):
    """A matplotlib ``Figure`` on its own Agg canvas: no display needed, and neither pyplot nor
    the process's backend is touched."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**figure_kwargs)
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig) -> bytes:
    """Render a matplotlib figure to PNG bytes."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=100)
    return buffer.getvalue()


def draw_cmc_curves(curves: Mapping[str, np.ndarray], title: str = '') -> bytes:
    """PNG bytes of CMC curves: ``{label: (R,) matching rates at ranks 1..R}``."""
    if not curves:
        raise ValueError('no CMC curves to draw')
    fig = new_figure(figsize=(5, 3.6))
    ax = fig.subplots()
    for label, cmc in curves.items():
        cmc = np.asarray(cmc, dtype=np.float64)
        ax.plot(np.arange(1, len(cmc) + 1), cmc, marker='.', label=f'{label} (r1 {cmc[0]:.1%})')
    ax.set_xlabel('rank')
    ax.set_ylabel('matching rate')
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right')
    ax.set_title(title)
    return figure_png(fig)


def read_training_log(scalars_json: str | os.PathLike) -> dict[str, np.ndarray]:
    """The training records of an mmengine ``vis_data/scalars.json`` (one JSON object a line):
    ``{'iter': (N,), 'loss': (N,), 'pair_acc': (N,) ...}`` for every scalar the training lines
    log (validation lines, which carry no ``iter``, are skipped)."""
    path = Path(scalars_json)
    rows = []
    for number, line in enumerate(path.read_text(encoding='utf-8').splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise ValueError(f'{path}:{number}: not a JSON line of an mmengine log '
                             f'({error.msg})') from None
    train = [r for r in rows if 'iter' in r and 'loss' in r]
    if not train:
        raise ValueError(f'{path}: no training lines (with "iter" and "loss")')
    keys = [k for k in train[0] if all(k in r for r in train)]
    return {k: np.asarray([r[k] for r in train], dtype=np.float64) for k in keys}


def draw_training_curves(logs: Mapping[str, Mapping[str, np.ndarray]],
                         metrics: tuple[str, ...] = ('loss', 'pair_acc')) -> bytes:
    """PNG bytes: one panel per metric, one line per run (``{label: read_training_log(...)}``),
    against the iteration."""
    if not logs:
        raise ValueError('no training logs to draw')
    fig = new_figure(figsize=(4.2 * len(metrics), 3.2))
    axes = fig.subplots(1, len(metrics), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for label, log in logs.items():
            if metric in log:
                ax.plot(log['iter'], log[metric], label=label)
        ax.set_xlabel('iteration')
        ax.set_title(metric)
        ax.grid(alpha=0.3)
    axes[0][0].legend()
    return figure_png(fig)
