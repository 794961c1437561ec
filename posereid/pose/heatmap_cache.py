"""A disk cache of pose heatmaps, read one image at a time through memory maps.

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

Building (:func:`precompute_heatmaps`) is batched, resumable and shardable. The arrays are
written as ``*.npy.partial`` memory maps; after each batch they are flushed and
``progress.json`` (rows done, and a key of everything the result depends on) is replaced
atomically. A killed run, started again with the same inputs, continues after the last
recorded batch, so its result is byte-identical to an uninterrupted run. When all rows are
done the arrays are renamed into place and the manifest is written last. With
``shard=(i, n)`` the rows are split into ``n`` contiguous blocks, each built into
``shards/i-of-n/``; :func:`merge_shards` joins them.
"""
from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.format import open_memmap
from tqdm import tqdm

from posereid.utils.image_io import read_image
from posereid.utils.io import atomic_save_json, file_sha256

from .backends import build_pose_backend, complete_pose_config
from .base import PoseBackend
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


class StaleCacheError(RuntimeError):
    """A heatmap cache that is missing, incomplete, or does not match the images or pose model."""


def array_shapes(num_images: int, heatmap_size: tuple[int, int]) -> dict[str, tuple]:
    h, w = heatmap_size
    return {'heatmaps': (num_images, NUM_KEYPOINTS, h, w),
            'keypoints': (num_images, NUM_KEYPOINTS, 2), 'scores': (num_images, NUM_KEYPOINTS)}


def default_rebuild_command(cache_dir: str | os.PathLike) -> str:
    return (f'python tools/precompute_heatmaps.py --dataset NAME --pose ground_truth|mmpose|'
            f'blazepose --out {cache_dir}')


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
            f'is unfinished). Build it with: {default_rebuild_command(cache_dir)}')
    try:
        manifest = json.loads(path.read_text(encoding='utf-8'))
        version = manifest['format_version']
    except (ValueError, KeyError, TypeError):
        raise StaleCacheError(f'{path} is not a heatmap-cache manifest. Rebuild it with: '
                              f'{default_rebuild_command(cache_dir)}') from None
    if version != FORMAT_VERSION:
        raise StaleCacheError(f'{path}: cache format {version}, this posereid reads '
                              f'{FORMAT_VERSION}. Rebuild it with: {manifest.get("command")}')
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
        self.command: str = self.manifest['command']
        self.images: list[dict] = self.manifest['images']
        self._rows = {entry['path']: i for i, entry in enumerate(self.images)}
        self.images_root = self.root       # where the images are now (found if they moved)
        self._arrays: dict[str, np.ndarray] | None = None
        self.arrays()  # fail now, not in a data-loader worker, if the arrays are broken

    def __len__(self) -> int:
        return len(self.images)

    def stale(self, problem: str) -> StaleCacheError:
        return StaleCacheError(f'heatmap cache {self.cache_dir}: {problem}. '
                               f'Rebuild it with: {self.command}')

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


# ----------------------------------------------------------------------------- building


def predict_batch(backend: PoseBackend, paths: list[str],
                  heatmap_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(heatmaps (B, 14, h, w), keypoints (B, 14, 2), scores (B, 14))`` of image files.

    A backend with ``predict_files(paths)`` (ground truth) is given the files, any other the
    RGB pixels (:func:`predict_images`).
    """
    if hasattr(backend, 'predict_files'):
        return _at_size(backend.predict_files(paths), heatmap_size)
    return predict_images(backend, [read_image(p) for p in paths], heatmap_size)


def predict_images(backend: PoseBackend, images: list[np.ndarray],
                   heatmap_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`predict_batch` of ``(H, W, 3)`` uint8 RGB arrays."""
    return _at_size(backend(images), heatmap_size)


def _at_size(out, heatmap_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A backend's output, heatmaps of another size resized bilinearly (pixel centres
    aligned)."""
    heatmaps = out.heatmaps
    if heatmaps.shape[-2:] != tuple(heatmap_size):
        heatmaps = F.interpolate(torch.from_numpy(np.asarray(heatmaps, np.float32)),
                                 size=tuple(heatmap_size), mode='bilinear',
                                 align_corners=False).numpy()
    return heatmaps, out.keypoints, out.scores


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding='utf-8'))
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


def _is_built(cache_dir: Path, build_key: str) -> bool:
    return (_read_json(cache_dir / MANIFEST) or {}).get('build_key') == build_key


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
        command: the command that rebuilds this cache, quoted in stale-cache errors.
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
                    command=command or default_rebuild_command(cache_dir))
    start, stop = index * len(paths) // count, (index + 1) * len(paths) // count
    summary = dict(cache_dir=str(cache_dir), num_images=len(paths), rows=[start, stop])
    if _is_built(cache_dir, manifest['build_key']):
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
            + f'. Run each with: {manifest["command"]} --shard I/{count}')
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


def rebuild_command(images_args: list[str], pose_cfg: dict, cache_dir: str | os.PathLike,
                    heatmap_size: tuple[int, int]) -> str:
    """The ``tools/precompute_heatmaps.py`` command line that builds this cache."""
    args = ['python', 'tools/precompute_heatmaps.py', *images_args, '--pose', pose_cfg['type']]
    for key, flag in (('config', '--pose-config'), ('checkpoint', '--pose-checkpoint'),
                      ('root', '--pose-root')):
        if pose_cfg.get(key) is not None:
            args += [flag, str(pose_cfg[key])]
    if pose_cfg.get('flip_test') is not None:
        args.append('--flip-test' if pose_cfg['flip_test'] else '--no-flip-test')
    if pose_cfg.get('pad') is not None:
        args += ['--pad', str(pose_cfg['pad'])]
    args += ['--out', str(cache_dir), '--heatmap-size', *map(str, heatmap_size)]
    return shlex.join(args)


def build_cache_for_images(img_paths: list[str], pose_cfg: dict, cache_dir: str | os.PathLike,
                           heatmap_size: tuple[int, int] = (32, 16), batch_size: int = 64,
                           shard: tuple[int, int] | None = None,
                           images_args: list[str] | None = None, progress: bool = True,
                           content_hash: bool = False, command: str | None = None) -> dict:
    """Build the pose backend of ``pose_cfg`` and :func:`precompute_heatmaps` with it.

    ``images_args`` are the command-line arguments that select the images (e.g.
    ``['--images', 'data/*.jpg']``), for the rebuild command recorded in the manifest; or
    ``command`` is that command.
    """
    if not img_paths:
        raise ValueError(f'no images to precompute heatmaps for (cache {cache_dir})')
    pose_cfg = complete_pose_config(pose_cfg, sorted(img_paths))
    pose_cfg.setdefault('heatmap_size', tuple(heatmap_size))
    if command is None:
        command = rebuild_command(images_args or ['--images', 'PATTERN'], pose_cfg, cache_dir,
                                  heatmap_size)
        if content_hash:
            command += ' --content-hash'
    return precompute_heatmaps(img_paths, build_pose_backend(pose_cfg), cache_dir,
                               heatmap_size, batch_size, shard, command, progress, content_hash)

