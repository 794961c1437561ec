"""Writing what the inference API computes: features as ``.npz``, search results as a CSV and a
ranked-list picture, each written atomically (what ``tools/extract_features.py`` and
``tools/search.py`` do)."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from posereid.utils.image_io import read_image
from posereid.utils.io import atomic_write
from posereid.visualization.png import save_png
from posereid.visualization.ranked_list import draw_ranked_lists

from .inference import ImageFeatures, SearchResult, load_rgb


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
                top: int = 10, query_images: Sequence[np.ndarray] | None = None,
                gallery_images: Sequence[np.ndarray] | None = None) -> dict[str, Path]:
    """``search.csv`` (query, rank, gallery image, same-person probability, embedding distance)
    and ``ranked_lists.png`` (the first ``num_queries`` queries and their ``top`` matches).

    The picture shows the images the features came from: read again by name, or, for features
    of RGB arrays, ``query_images`` / ``gallery_images`` (in the features' order). Nothing is
    written when an image cannot be had.
    """
    out_dir = Path(out_dir)
    shown = range(min(num_queries, len(result.query.names)))
    queries = [_image(result.query.names, query_images, q) for q in shown]
    ranked = [[_image(result.gallery.names, gallery_images, g) for g in result.indices[q][:top]]
              for q in shown]
    table = io.StringIO()
    writer = csv.writer(table, lineterminator='\n')
    writer.writerow(['query', 'rank', 'gallery', 'probability', 'distance'])
    for q, name in enumerate(result.query.names):
        for rank, (g, score, distance) in enumerate(zip(result.indices[q], result.scores[q],
                                                        result.distances[q]), start=1):
            writer.writerow([name, rank, result.gallery.names[g],
                             '' if np.isnan(score) else f'{score:.4f}', f'{distance:.4f}'])
    files = {'csv': out_dir / 'search.csv', 'png': out_dir / 'ranked_lists.png'}
    picture = draw_ranked_lists(queries, ranked,
                                [[bool(s >= 0.5) for s in result.scores[q][:top]] for q in shown],
                                row_labels=[Path(result.query.names[q]).name[:12] for q in shown])
    with atomic_write(files['csv'], encoding='utf-8', newline='') as f:
        f.write(table.getvalue())
    save_png(picture, files['png'])
    return files


def _image(names: list[str], images: Sequence[np.ndarray] | None, index: int) -> np.ndarray:
    """Image ``index`` of a search side: ``images[index]`` if given, else read by its name."""
    if images is not None:
        return load_rgb(images[index], names[index])
    if not Path(names[index]).is_file():
        raise ValueError(f'{names[index]}: not an image file, so the ranked lists cannot show '
                         f'it; for features of RGB arrays pass query_images / gallery_images')
    return read_image(names[index])
