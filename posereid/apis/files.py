"""Writing what the inference API computes: features as ``.npz``, search results as a CSV and a
ranked-list picture, each written atomically (what ``tools/extract_features.py`` and
``tools/search.py`` do)."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from posereid.utils.image_io import read_image
from posereid.utils.io import atomic_write
from posereid.visualization.png import save_png
from posereid.visualization.ranked_list import draw_ranked_lists

from .inference import ImageFeatures, SearchResult


def save_features(features: ImageFeatures, path: str | os.PathLike) -> Path:
    """``embeddings`` (N, D), ``names`` (N,), ``keypoints`` (N, 14, 2), ``scores`` (N, 14) and the
    ``skipped`` names, in one ``.npz``."""
    path = Path(path)
    with atomic_write(path, 'wb') as f:
        np.savez(f, embeddings=features.embeddings, names=np.array(features.names),
                 keypoints=features.keypoints, scores=features.scores,
                 skipped=np.array([name for name, _ in features.skipped], dtype=str))
    return path


def save_search(result: SearchResult, out_dir: str | os.PathLike, num_queries: int = 8,
                top: int = 10) -> dict[str, Path]:
    """``search.csv`` (query, rank, gallery image, same-person probability, embedding distance)
    and ``ranked_lists.png`` (the first ``num_queries`` queries and their ``top`` matches)."""
    out_dir = Path(out_dir)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator='\n')
    writer.writerow(['query', 'rank', 'gallery', 'probability', 'distance'])
    for q, name in enumerate(result.query.names):
        for rank, (g, score, distance) in enumerate(zip(result.indices[q], result.scores[q],
                                                        result.distances[q]), start=1):
            writer.writerow([name, rank, result.gallery.names[g],
                             '' if np.isnan(score) else f'{score:.4f}', f'{distance:.4f}'])
    files = {'csv': out_dir / 'search.csv', 'png': out_dir / 'ranked_lists.png'}
    with atomic_write(files['csv'], encoding='utf-8', newline='') as f:
        f.write(table.getvalue())
    shown = range(min(num_queries, len(result.query.names)))
    save_png(draw_ranked_lists(
        [read_image(result.query.names[q]) for q in shown],
        [[read_image(result.gallery.names[g]) for g in result.indices[q][:top]] for q in shown],
        [[bool(s >= 0.5) for s in result.scores[q][:top]] for q in shown],
        row_labels=[Path(result.query.names[q]).name[:12] for q in shown]), files['png'])
    return files
