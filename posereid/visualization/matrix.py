"""Heat map of a train-on-A × test-on-B matrix (e.g. rank-1), missing cells grey."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .curves import figure_png, new_figure


def draw_matrix_heatmap(values, row_labels: Sequence[str], column_labels: Sequence[str],
                        title: str = '', value_format: str = '{:.1%}') -> bytes:
    """PNG bytes of a ``(R, C)`` matrix of values in ``[0, 1]``; ``NaN`` cells say 'missing'.

    Rows are training (source) datasets, columns test (target) datasets.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (len(row_labels), len(column_labels)):
        raise ValueError(f'matrix of shape {values.shape} for {len(row_labels)} row and '
                         f'{len(column_labels)} column labels')
    fig = new_figure(figsize=(1.6 + 1.4 * values.shape[1], 1.2 + 0.8 * values.shape[0]))
    ax = fig.subplots()
    image = ax.imshow(np.ma.masked_invalid(values), cmap='viridis', vmin=0, vmax=1)
    ax.set_facecolor('#dddddd')
    ax.set_xticks(range(len(column_labels)), column_labels, rotation=20, ha='right')
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.set_xlabel('test on')
    ax.set_ylabel('train on')
    for (i, j), value in np.ndenumerate(values):
        text = 'missing' if np.isnan(value) else value_format.format(value)
        colour = 'black' if np.isnan(value) or value > 0.6 else 'white'
        ax.text(j, i, text, ha='center', va='center', color=colour, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046)
    ax.set_title(title)
    return figure_png(fig)
