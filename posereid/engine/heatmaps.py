"""Heatmap caches of datasets: every image of a source run through a pose backend into a
:class:`~posereid.pose.cache.HeatmapCache` (what ``tools/precompute_heatmaps.py
--dataset`` and ``--config`` do).

A config names its caches (``heatmap_root``, one folder per source variant: the dataloaders'
``heatmap_cache``, resolved by :func:`~posereid.engine.config.load_config`) and the pose model
that fills them (``pose``, a pose-backend config, e.g. BlazePose for real photographs, the
shipped network for the embedded world); :func:`build_caches_for_config` builds exactly those.
"""
from __future__ import annotations

import os

from mmengine.config import Config

from posereid.datasets import build_source
from posereid.pose.cache_build import build_cache_for_images

from .config import LOADERS, load_config


def source_records(source) -> list:
    """Every record (train, query and gallery) of a built source."""
    return [r for split in (source.train, source.query, source.gallery) for r in split]


def source_images(source) -> list[str]:
    """Every image (train, query and gallery) of a built source."""
    return [r.img_path for r in source_records(source)]


def build_cache_for_source(name: str, root: str | os.PathLike | None, pose_cfg: dict,
                           cache_dir: str | os.PathLike, **kwargs) -> dict:
    """Cache the heatmaps of every image (train, query and gallery) of dataset ``name``.

    ``kwargs`` go to :func:`~posereid.pose.cache_build.build_cache_for_images`
    (``heatmap_size``, ``batch_size``, ``shard``, ``progress``, ``command``).
    """
    source = build_source(name, root=root)
    return build_cache_for_images(source_images(source), pose_cfg, cache_dir, **kwargs)


def config_caches(cfg: Config) -> dict[str, dict]:
    """``{cache folder: dataset config}`` of the config's dataloaders that read a heatmap
    cache (a cache shared by several loaders is listed once)."""
    caches = {}
    for loader in LOADERS:
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        if dataset.get('heatmap_cache'):
            caches.setdefault(str(dataset['heatmap_cache']), dataset)
    return caches


def build_caches_for_config(config: str | os.PathLike | Config, cfg_options: dict | None = None,
                            pose_cfg: dict | None = None, **kwargs) -> list[dict]:
    """Build every heatmap cache the config's datasets read, each with every image of its
    source variant, by the config's ``pose`` backend (or ``pose_cfg``).

    ``kwargs`` go to :func:`~posereid.pose.cache_build.build_cache_for_images`
    (``batch_size``, ``shard``, ``progress``, ``content_hash``, ``command``); the heatmap size
    is the config's ``heatmap_size``. Returns each cache's summary.
    """
    cfg = load_config(config, cfg_options)
    pose_cfg = dict(pose_cfg or cfg.get('pose') or {})
    if not pose_cfg:
        raise ValueError(f'{cfg.filename}: no pose backend to build its heatmap caches with: '
                         "set `pose` in the config (e.g. pose=dict(type='blazepose')) or give "
                         'one (--pose)')
    caches = config_caches(cfg)
    if not caches:
        raise ValueError(f'{cfg.filename}: none of its datasets reads a heatmap cache')
    results = []
    for cache_dir, dataset in caches.items():
        options = ({'name': dataset['source']} if isinstance(dataset['source'], str)
                   else dict(dataset['source']))
        source = build_source(options.pop('name'), data_root=dataset.get('data_root'), **options)
        summary = build_cache_for_images(source_images(source), pose_cfg, cache_dir,
                                         heatmap_size=tuple(cfg.get('heatmap_size', (32, 16))),
                                         **kwargs)
        results.append(dict(summary, source=source.name))
    return results
