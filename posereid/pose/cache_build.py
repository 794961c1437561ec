"""Building a heatmap cache (:mod:`posereid.pose.cache`): batched, resumable and shardable.

The arrays are written as ``*.npy.partial`` memory maps; after each batch they are flushed and
``progress.json`` (rows done, and a key of everything the result depends on) is replaced
atomically. A killed run, started again with the same inputs, continues after the last
recorded batch, so its result is byte-identical to an uninterrupted run. When all rows are
done the arrays are renamed into place and the manifest is written last. With
``shard=(i, n)`` the rows are split into ``n`` contiguous blocks, each built into
``shards/i-of-n/``; :func:`merge_shards` joins them. The manifest records the command that
built the cache, as the tool that ran it gives it.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Iterable

import numpy as np
from numpy.lib.format import open_memmap
from tqdm import tqdm

from posereid.utils.io import atomic_save_json, file_sha256, read_json

from .backends import build_pose_backend, complete_pose_config
from .base import PoseBackend
from .cache import (ARRAY_DTYPES, FORMAT_VERSION, MANIFEST, PARTIAL, PROGRESS, SHARD_RECORD,
                    SHARDS, StaleCacheError, array_shapes, image_entry, normalized,
                    read_manifest, rebuild_hint)
from .predict import predict_batch


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def _read_json(path: Path) -> dict | None:
    """A progress or shard record, or None when it is missing or unreadable (then rebuilt)."""
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None


def _start_rows(part_dir: Path, partials: dict[str, Path], shapes: dict[str, tuple],
                key: str) -> int:
    """Allocate empty ``*.npy.partial`` arrays and record that no row is done yet."""
    part_dir.mkdir(parents=True, exist_ok=True)
    (part_dir / MANIFEST).unlink(missing_ok=True)
    for name, dtype in ARRAY_DTYPES.items():
        open_memmap(partials[name], mode='w+', dtype=dtype, shape=shapes[name]).flush()
    atomic_save_json({'key': key, 'completed': 0}, part_dir / PROGRESS)
    return 0


def _fill_rows(paths: list[str], backend: PoseBackend, part_dir: Path, key: str,
               heatmap_size: tuple[int, int], batch_size: int, progress: bool) -> None:
    """Write the poses of ``paths`` to ``part_dir/{heatmaps,keypoints,scores}.npy``.

    Resumes from ``progress.json`` when its ``key`` matches; starts afresh otherwise.
    """
    finals = {name: part_dir / f'{name}.npy' for name in ARRAY_DTYPES}
    partials = {name: part_dir / f'{name}.npy{PARTIAL}' for name in ARRAY_DTYPES}
    state = _read_json(part_dir / PROGRESS) or {}
    done = state.get('completed') if state.get('key') == key else None
    # a finished part may have been killed between renaming its arrays
    if done is None or not all(partials[n].is_file() or (done == len(paths) and finals[n].is_file())
                               for n in ARRAY_DTYPES):
        done = _start_rows(part_dir, partials, array_shapes(len(paths), heatmap_size), key)
    if done < len(paths):
        arrays = {name: open_memmap(partials[name], mode='r+') for name in ARRAY_DTYPES}
        with tqdm(total=len(paths), initial=done, unit='img', disable=not progress,
                  desc=f'heatmaps -> {part_dir}') as bar:
            for start in range(done, len(paths), batch_size):
                stop = min(start + batch_size, len(paths))
                batch = predict_batch(backend, paths[start:stop], heatmap_size)
                for array, values in zip(arrays.values(), batch):
                    array[start:stop] = values
                    array.flush()
                atomic_save_json({'key': key, 'completed': stop}, part_dir / PROGRESS)
                bar.update(stop - start)
        del arrays
    for name in ARRAY_DTYPES:
        if partials[name].is_file():
            os.replace(partials[name], finals[name])


def _write_manifest(cache_dir: Path, manifest: dict) -> dict:
    """Record the arrays' hashes, write the manifest (last, atomically), drop the progress."""
    manifest = dict(manifest, arrays={
        name: {'dtype': str(dtype), 'sha256': file_sha256(cache_dir / f'{name}.npy')}
        for name, dtype in ARRAY_DTYPES.items()})
    atomic_save_json(manifest, cache_dir / MANIFEST, indent=None)
    (cache_dir / PROGRESS).unlink(missing_ok=True)
    return manifest


#: What a cache's content depends on: not the images' absolute folder (a moved or copied
#: dataset keeps its cache), but their relative paths and sizes, the pose model and the size.
CONTENT_KEYS = ('format_version', 'heatmap_size', 'pose', 'images')


def _is_built(cache_dir: Path, manifest: dict) -> bool:
    """Whether ``cache_dir`` holds a finished cache of the same content as ``manifest``."""
    built = _read_json(cache_dir / MANIFEST) or {}
    return all(built.get(key) == manifest[key] for key in CONTENT_KEYS)


def precompute_heatmaps(img_paths: Iterable[str | os.PathLike], backend: PoseBackend,
                        cache_dir: str | os.PathLike, heatmap_size: tuple[int, int] = (32, 16),
                        batch_size: int = 64, shard: tuple[int, int] | None = None,
                        command: str | None = None, progress: bool = True,
                        content_hash: bool = False) -> dict:
    """Run ``backend`` on every image and cache its heatmaps, keypoints and scores.

    Args:
        img_paths: image files (sorted and de-duplicated; their common folder is the root
            that cache keys are relative to).
        backend: a pose backend (:func:`posereid.pose.build_pose_backend`).
        cache_dir: output folder.
        heatmap_size: ``(h, w)`` of the cached heatmaps.
        batch_size: images per backend call, and per resumable step.
        shard: ``(i, n)`` to build only the ``i``-th of ``n`` contiguous blocks of rows into
            ``cache_dir/shards/``; join them with :func:`merge_shards`.
        command: the command line that builds this cache, quoted in stale-cache errors.
        progress: show a tqdm progress bar.
        content_hash: record each image's sha256 (read every byte; :func:`verify_cache`
            checks them), beside its relative path and size.
    Returns:
        ``{'cache_dir', 'num_images', 'rows': [start, stop], 'complete'}``; ``complete`` tells
        whether the whole cache (not just a shard) is built.
    """
    paths = sorted({os.path.abspath(p) for p in img_paths})
    if not paths:
        raise ValueError(f'no images to precompute heatmaps for (cache {cache_dir})')
    index, count = shard or (0, 1)
    if not 0 <= index < count:
        raise ValueError(f'shard must be (i, n) with 0 <= i < n; got {shard}')
    if count > len(paths):
        raise ValueError(f'{count} shards for {len(paths)} images: use at most one per image')
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1; got {batch_size}')
    cache_dir = Path(cache_dir)
    root = os.path.commonpath([os.path.dirname(p) for p in paths])
    manifest = dict(format_version=FORMAT_VERSION, root=root, heatmap_size=list(heatmap_size),
                    pose=normalized(backend.identity()),
                    images=[image_entry(p, root, content_hash) for p in paths])
    manifest.update(build_key=_hash(manifest),
                    command=command)
    start, stop = index * len(paths) // count, (index + 1) * len(paths) // count
    summary = dict(cache_dir=str(cache_dir), num_images=len(paths), rows=[start, stop])
    if _is_built(cache_dir, manifest):
        return dict(summary, complete=True)
    part_key = _hash([manifest['build_key'], index, count])
    if count == 1:
        _fill_rows(paths, backend, cache_dir, part_key, heatmap_size, batch_size, progress)
        _write_manifest(cache_dir, manifest)
        return dict(summary, complete=True)
    part_dir = cache_dir / SHARDS / f'{index}-of-{count}'
    if (_read_json(part_dir / SHARD_RECORD) or {}).get('key') != part_key:
        _fill_rows(paths[start:stop], backend, part_dir, part_key, heatmap_size, batch_size,
                   progress)
        atomic_save_json(dict(key=part_key, index=index, count=count, rows=[start, stop],
                              manifest=manifest), part_dir / SHARD_RECORD, indent=None)
    return dict(summary, complete=False)


def merge_shards(cache_dir: str | os.PathLike) -> dict:
    """Join the finished shards in ``cache_dir/shards/`` into the cache, then delete them.

    Returns:
        The cache's manifest.
    Raises:
        StaleCacheError: when shards are missing or were built from different inputs.
    """
    cache_dir = Path(cache_dir)
    shard_dirs = sorted((cache_dir / SHARDS).glob('*-of-*'))
    records = [_read_json(d / SHARD_RECORD) for d in shard_dirs]
    finished = {(r['index'], r['count']): (d, r) for d, r in zip(shard_dirs, records) if r}
    if not finished:
        if (cache_dir / MANIFEST).is_file():
            return read_manifest(cache_dir)
        raise StaleCacheError(f'no finished shards in {cache_dir / SHARDS}')
    first = next(iter(finished.values()))[1]
    count, manifest = first['count'], first['manifest']
    if any(r['count'] != count or r['manifest']['build_key'] != manifest['build_key']
           for _, r in finished.values()):
        raise StaleCacheError(f'the shards in {cache_dir / SHARDS} were built from different '
                              'images, pose models or shard counts; delete that folder and '
                              'rebuild them')
    missing = [i for i in range(count) if (i, count) not in finished]
    if missing:
        raise StaleCacheError(
            f'{len(missing)} of {count} shards of {cache_dir} are unfinished: '
            + ', '.join(f'{i}/{count}' for i in missing)
            + f'. Run each (--shard I/{count}): {rebuild_hint(manifest["command"])}')
    shapes = array_shapes(len(manifest['images']), manifest['heatmap_size'])
    (cache_dir / MANIFEST).unlink(missing_ok=True)
    for name, dtype in ARRAY_DTYPES.items():
        partial = cache_dir / f'{name}.npy{PARTIAL}'
        merged = open_memmap(partial, mode='w+', dtype=dtype, shape=shapes[name])
        for i in range(count):
            part_dir, record = finished[(i, count)]
            start, stop = record['rows']
            merged[start:stop] = np.load(part_dir / f'{name}.npy', mmap_mode='r')
        merged.flush()
        del merged
        os.replace(partial, cache_dir / f'{name}.npy')
    manifest = _write_manifest(cache_dir, manifest)
    shutil.rmtree(cache_dir / SHARDS)
    return manifest


def shard_from_env() -> tuple[int, int] | None:
    """``(RANK, WORLD_SIZE)`` when launched by torchrun with several processes, else None."""
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    return (int(os.environ.get('RANK', '0')), world_size) if world_size > 1 else None


def build_cache_for_images(img_paths: list[str], pose_cfg: dict, cache_dir: str | os.PathLike,
                           heatmap_size: tuple[int, int] = (32, 16), batch_size: int = 64,
                           shard: tuple[int, int] | None = None, progress: bool = True,
                           content_hash: bool = False, command: str | None = None) -> dict:
    """Build the pose backend of ``pose_cfg`` and :func:`precompute_heatmaps` with it
    (``command``: the command line that did it, recorded in the manifest)."""
    if not img_paths:
        raise ValueError(f'no images to precompute heatmaps for (cache {cache_dir})')
    pose_cfg = complete_pose_config(pose_cfg, sorted(img_paths))
    pose_cfg.setdefault('heatmap_size', tuple(heatmap_size))
    return precompute_heatmaps(img_paths, build_pose_backend(pose_cfg), cache_dir,
                               heatmap_size, batch_size, shard, command, progress, content_hash)
