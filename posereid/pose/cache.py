"""A disk cache of pose heatmaps, read one image at a time through memory maps.

Reading it is this module; building it (batched, resumable, shardable) is
:mod:`posereid.pose.cache_build`.

Layout of a cache folder::

    manifest.json     written last: format version, image root, images (path relative to the
                      root, size in bytes, and a sha256 when asked for), pose-model identity,
                      heatmap size, array hashes, and the command that rebuilds the cache
    heatmaps.npy      (N, 14, h, w) float16
    keypoints.npy     (N, 14, 2) float32, (x, y) in image pixels
    scores.npy        (N, 14) float32

Row ``i`` belongs to ``manifest['images'][i]``; images are sorted by path. An image is known by
its path relative to the images' common folder and its size, not by its modification time, so a
cache survives copying or moving the dataset: a cache whose recorded root is gone finds the
images' new folder from the first image looked up (the folder below which that image's
relative path is a key of the cache). Content hashes (``content_hash=True``) are checked by
:func:`verify_cache`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Iterable

import numpy as np

from posereid.utils.errors import UserError
from posereid.utils.io import file_sha256, read_json

from .keypoints import NUM_KEYPOINTS

FORMAT_VERSION = 2
MANIFEST = 'manifest.json'
PROGRESS = 'progress.json'
SHARD_RECORD = 'shard.json'
SHARDS = 'shards'
PARTIAL = '.partial'
ARRAY_DTYPES: dict[str, np.dtype] = {'heatmaps': np.dtype(np.float16),
                                     'keypoints': np.dtype(np.float32),
                                     'scores': np.dtype(np.float32)}


class StaleCacheError(UserError):
    """A heatmap cache that is missing, incomplete, or does not match the images or pose model."""


def array_shapes(num_images: int, heatmap_size: tuple[int, int]) -> dict[str, tuple]:
    h, w = heatmap_size
    return {'heatmaps': (num_images, NUM_KEYPOINTS, h, w),
            'keypoints': (num_images, NUM_KEYPOINTS, 2), 'scores': (num_images, NUM_KEYPOINTS)}


def rebuild_hint(command: str | None) -> str:
    """How to rebuild a cache: the command that built it (its manifest's ``command``), else a
    pointer to the tool."""
    return (f'Rebuild it with: {command}' if command else
            'Rebuild it with tools/precompute_heatmaps.py (docs/heatmaps.md)')


def image_key(img_path: str | os.PathLike, root: str | os.PathLike) -> str:
    """``img_path`` relative to ``root``, '/'-separated (the key of a cache row)."""
    return Path(os.path.relpath(os.path.abspath(img_path), root)).as_posix()


def image_entry(img_path: str | os.PathLike, root: str | os.PathLike,
                content_hash: bool = False) -> dict:
    """What a manifest records of one image: its path relative to ``root``, its size in bytes
    and, with ``content_hash``, the sha256 of its bytes."""
    try:
        stat = os.stat(img_path)
    except OSError as error:
        raise FileNotFoundError(f'image {img_path}: {error.strerror}') from None
    entry = {'path': image_key(img_path, root), 'size': stat.st_size}
    if content_hash:
        entry['sha256'] = file_sha256(img_path)
    return entry


def normalized(obj):
    """``obj`` as it reads back from JSON (tuples become lists), for comparisons."""
    return json.loads(json.dumps(obj))


def read_manifest(cache_dir: str | os.PathLike) -> dict:
    """The manifest of a complete cache, or :class:`StaleCacheError` saying how to build it."""
    path = Path(cache_dir) / MANIFEST
    if not path.is_file():
        raise StaleCacheError(
            f'no heatmap cache at {cache_dir} ({MANIFEST} missing: never built, or the build '
            f'is unfinished). {rebuild_hint(None)}')
    try:
        manifest = read_json(path)
        version = manifest['format_version']
    except (ValueError, KeyError, TypeError):
        raise StaleCacheError(f'{path} is not a heatmap-cache manifest. '
                              f'{rebuild_hint(None)}') from None
    if version != FORMAT_VERSION:
        raise StaleCacheError(f'{path}: cache format {version}, this posereid reads '
                              f'{FORMAT_VERSION}. {rebuild_hint(manifest.get("command"))}')
    return manifest


class HeatmapCache:
    """Read-only access to a built cache; each lookup reads one row from memory-mapped arrays.

    Args:
        cache_dir: the cache folder (see the module docstring).
    """

    def __init__(self, cache_dir: str | os.PathLike):
        self.cache_dir = Path(cache_dir)
        self.manifest = read_manifest(cache_dir)
        self.root = self.manifest['root']
        self.heatmap_size: tuple[int, int] = tuple(self.manifest['heatmap_size'])
        self.pose: dict = self.manifest['pose']
        self.command: str | None = self.manifest.get('command')
        self.images: list[dict] = self.manifest['images']
        self._rows = {entry['path']: i for i, entry in enumerate(self.images)}
        self.images_root = self.root       # where the images are now (found if they moved)
        self._arrays: dict[str, np.ndarray] | None = None
        self.arrays()  # fail now, not in a data-loader worker, if the arrays are broken

    def __len__(self) -> int:
        return len(self.images)

    def stale(self, problem: str) -> StaleCacheError:
        return StaleCacheError(f'heatmap cache {self.cache_dir}: {problem}. '
                               f'{rebuild_hint(self.command)}')

    def arrays(self) -> dict[str, np.ndarray]:
        """The memory-mapped arrays, opened on first use (and again after unpickling)."""
        if self._arrays is None:
            arrays = {}
            shapes = array_shapes(len(self), self.heatmap_size)
            for name, dtype in ARRAY_DTYPES.items():
                try:
                    array = np.load(self.cache_dir / f'{name}.npy', mmap_mode='r')
                except (OSError, ValueError) as error:
                    raise self.stale(f'cannot read {name}.npy ({error})') from None
                if array.shape != shapes[name] or array.dtype != dtype:
                    raise self.stale(f'{name}.npy is {array.dtype} {array.shape}, the manifest '
                                     f'says {dtype} {shapes[name]}')
                arrays[name] = array
            self._arrays = arrays
        return self._arrays

    def __getstate__(self) -> dict:  # pickle (data-loader workers) without the mapped data
        return {**self.__dict__, '_arrays': None}

    def row(self, img_path: str | os.PathLike) -> int:
        """The row of ``img_path``, relative to the images' folder (found again if the dataset
        was moved or copied since the cache was built)."""
        row = self._rows.get(image_key(img_path, self.images_root))
        if row is None:
            for folder in Path(os.path.abspath(img_path)).parents:
                row = self._rows.get(image_key(img_path, folder))
                if row is not None:
                    self.images_root = str(folder)
                    break
        if row is None:
            raise self.stale(f'{img_path} is not in it (built for {len(self)} images under '
                             f'{self.root})')
        return row

    def lookup(self, img_path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(heatmaps (14, h, w) float16, keypoints (14, 2), scores (14,))`` of one image."""
        i = self.row(img_path)
        arrays = self.arrays()
        return (np.array(arrays['heatmaps'][i]), np.array(arrays['keypoints'][i]),
                np.array(arrays['scores'][i]))

    def check_images(self, img_paths: Iterable[str | os.PathLike],
                     pose_identity: dict | None = None,
                     heatmap_size: tuple[int, int] | None = None) -> None:
        """Raise :class:`StaleCacheError` unless every image is cached and unchanged on disk
        (same size), and — when given — the pose model and heatmap size match."""
        if pose_identity is not None and normalized(pose_identity) != normalized(self.pose):
            raise self.stale(f'it was built with pose model {self.pose}, not {pose_identity}')
        if heatmap_size is not None and tuple(heatmap_size) != self.heatmap_size:
            raise self.stale(f'its heatmaps are {self.heatmap_size}, not {tuple(heatmap_size)}')
        for path in img_paths:
            recorded = self.images[self.row(path)]
            size = image_entry(path, self.images_root)['size']
            if size != recorded['size']:
                raise self.stale(f'{path} changed since the cache was built (it had '
                                 f'{recorded["size"]} bytes, now {size})')


def verify_cache(cache_dir: str | os.PathLike, check_hashes: bool = True,
                 images_root: str | os.PathLike | None = None) -> dict:
    """Check a cache against its manifest: arrays (shape, dtype, sha256, finite values) and
    images (present, same size, and the same sha256 where the manifest has one), under
    ``images_root`` (default: the folder the cache was built from).

    Returns:
        A summary (``num_images``, ``heatmap_size``, ``pose``, ``root``).
    Raises:
        StaleCacheError: listing every problem found and the command that rebuilds the cache.
    """
    cache = HeatmapCache(cache_dir)
    problems = []
    for name, array in cache.arrays().items():
        if check_hashes:
            expected = cache.manifest['arrays'][name]['sha256']
            if file_sha256(cache.cache_dir / f'{name}.npy') != expected:
                problems.append(f'{name}.npy does not match its sha256 in the manifest')
        if not all(np.isfinite(array[i:i + 4096]).all() for i in range(0, len(array), 4096)):
            problems.append(f'{name}.npy holds non-finite values')
    root = Path(images_root or cache.root)
    for entry in cache.images:
        path = root / entry['path']
        if not path.is_file():
            problems.append(f'{path} is missing')
        elif image_entry(path, root, content_hash=check_hashes and 'sha256' in entry) != entry:
            problems.append(f'{path} changed since the cache was built')
    if problems:
        shown = '; '.join(problems[:5]) + (f'; and {len(problems) - 5} more'
                                           if len(problems) > 5 else '')
        raise cache.stale(f'{len(problems)} problem(s): {shown}')
    return dict(num_images=len(cache), heatmap_size=list(cache.heatmap_size), pose=cache.pose,
                root=cache.root)
