"""Heatmap caches of datasets: every image of a source run through a pose backend into a
:class:`~posereid.pose.heatmap_cache.HeatmapCache` (what ``tools/precompute_heatmaps.py
--dataset`` does)."""
from __future__ import annotations

import os

from posereid.datasets import build_source
from posereid.pose.heatmap_cache import build_cache_for_images


def build_cache_for_source(name: str, root: str | os.PathLike | None, pose_cfg: dict,
                           cache_dir: str | os.PathLike, **kwargs) -> dict:
    """Cache the heatmaps of every image (train, query and gallery) of dataset ``name``.

    ``kwargs`` go to :func:`~posereid.pose.heatmap_cache.build_cache_for_images`
    (``heatmap_size``, ``batch_size``, ``shard``, ``progress``).
    """
    source = build_source(name, root=root)
    paths = [r.img_path for split in (source.train, source.query, source.gallery) for r in split]
    images_args = ['--dataset', name] + (['--root', str(root)] if root is not None else [])
    return build_cache_for_images(paths, pose_cfg, cache_dir, images_args=images_args, **kwargs)
