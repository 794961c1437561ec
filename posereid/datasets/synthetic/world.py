"""Generate a synthetic world on disk, each domain in a real dataset's layout.

``<world>/<domain>/`` holds, for the ``market1501`` layout, ``bounding_box_train/``,
``bounding_box_test/`` and ``query/`` with Market-1501 names ``PPPP_cCsS_FFFFFF_NN.jpg``
(gallery distractors ``0000_...`` and junk ``-1_...`` included), and for the ``cuhk01`` layout
``campus/PPPPCCC.png`` (``CCC`` 001/002 camera A, 003/004 camera B). Every domain also has

* ``keypoints.json``: relative image path → ``[[x, y, v]] * 14`` (AIC order, see ``render``),
* ``annotations/person_keypoints_{train,val}.json``: COCO keypoint files with AIC metainfo
  (``val`` = the held-out identities), with extra ``pid`` / ``camera`` / ``viewpoint`` fields.

``<world>/manifest.json`` (config, hash, counts) is written last; a world whose manifest matches
its config and whose files are all there is complete and is not generated again.

Every identity is rendered from its own seed (world seed, domain name, pid), so the files do not
depend on how many worker processes share the work.
"""
from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posereid.pose.keypoints import KEYPOINT_NAMES, SKELETON
from posereid.utils.image_io import encode_jpeg
from posereid.utils.io import atomic_save_json, atomic_write, read_json

from .camera import Camera, sample_camera, sample_view
from .config import GENERATOR_VERSION, DomainConfig, WorldConfig
from .identity import sample_identity
from .render import render_view

MANIFEST = 'manifest.json'
KEYPOINTS_TABLE = 'keypoints.json'

# Seed streams inside a domain.
_CAMERA_STREAM, _IDENTITY_STREAM, _DISTRACTOR_STREAM, _JUNK_STREAM = range(4)
# Stray gallery images rendered per worker task.
_STRAY_CHUNK = 64


@dataclass(frozen=True)
class ImageRecord:
    """One written crop."""

    path: str            # relative to the domain folder, '/'-separated
    pid: int             # 1-based identity; 0 = distractor, -1 = junk (Market-1501 conventions)
    camera: int          # 1-based
    held_out: bool       # a held-out identity (query/gallery, keypoint 'val' split)
    viewpoint: str       # 'front' / 'left' / 'back' / 'right', '' for a background crop
    keypoints: tuple     # 14 (x, y, v) triples


def _rng(seed: int, domain: DomainConfig, stream: int, index: int) -> np.random.Generator:
    name_key = zlib.crc32(domain.name.encode())
    return np.random.default_rng(np.random.SeedSequence([seed, name_key, stream, index + 1]))


@functools.lru_cache(maxsize=16)
def domain_cameras(seed: int, domain: DomainConfig) -> tuple[Camera, ...]:
    """The domain's cameras (``cameras[c - 1]`` is camera ``c``)."""
    return tuple(sample_camera(_rng(seed, domain, _CAMERA_STREAM, c), domain.scene, c)
                 for c in range(1, domain.num_cameras + 1))


def _write_image(path: Path, rgb: np.ndarray, jpeg_quality: int) -> None:
    """Write a JPEG at ``jpeg_quality``; a PNG gets the same JPEG artefacts, stored losslessly."""
    data = encode_jpeg(rgb, jpeg_quality)
    if path.suffix == '.png':
        ok, data = cv2.imencode('.png', cv2.imdecode(data, cv2.IMREAD_COLOR))
        if not ok:
            raise RuntimeError(f'could not encode {path}')
    with atomic_write(path, 'wb') as f:
        f.write(data.tobytes())


def _keypoint_triples(keypoints: np.ndarray) -> tuple:
    return tuple((round(float(x), 2), round(float(y), 2), int(v)) for x, y, v in keypoints)


def _market_name(pid: int, camera: int, seq: int, frame: int, box: int) -> str:
    pid_text = '-1' if pid == -1 else f'{pid:04d}'  # Market writes junk as '-1_c1s1_...'
    return f'{pid_text}_c{camera}s{seq}_{frame:06d}_{box:02d}.jpg'


def _render_identity(seed: int, domain: DomainConfig, root: str, pid: int) -> list[ImageRecord]:
    """Render and write every image of identity ``pid`` of ``domain``."""
    rng = _rng(seed, domain, _IDENTITY_STREAM, pid)
    cameras = domain_cameras(seed, domain)
    person = sample_identity(rng, domain.clothing)
    held_out = pid > domain.num_ids - domain.num_test_ids
    num_cams = int(rng.integers(domain.cameras_per_id[0], domain.cameras_per_id[1] + 1))
    seen_by = sorted(int(c) + 1 for c in rng.choice(domain.num_cameras, num_cams, replace=False))
    records = []
    for n, cam in enumerate(seen_by):
        count = int(rng.integers(domain.images_per_camera[0], domain.images_per_camera[1] + 1))
        seq = int(rng.integers(1, 7))
        frames = (np.sort(rng.choice(10 ** 5 - 1, count, replace=False)) + 1) * 10
        for i in range(count):
            view = sample_view(rng, cameras[cam - 1], domain.clothing)
            box = int(rng.integers(1, 4))
            if domain.layout == 'cuhk01':
                path = f'campus/{pid:04d}{2 * n + i + 1:03d}.png'
            elif not held_out:
                path = f'bounding_box_train/{_market_name(pid, cam, seq, frames[i], box)}'
            else:  # one query per camera, except the last camera: every query has a match
                folder = 'query' if i == 0 and n < len(seen_by) - 1 else 'bounding_box_test'
                path = f'{folder}/{_market_name(pid, cam, seq, frames[i], box)}'
            image, keypoints = render_view(person, cameras[cam - 1], view, domain.height,
                                           domain.width)
            _write_image(Path(root) / path, image, view.jpeg_quality)
            records.append(ImageRecord(path, pid, cam, held_out, view.viewpoint,
                                       _keypoint_triples(keypoints)))
    return records


def _render_strays(seed: int, domain: DomainConfig, root: str, pid: int, start: int,
                   stop: int) -> list[ImageRecord]:
    """Render gallery images ``start..stop-1`` of Market's distractors (``pid`` 0: background
    or a badly framed passer-by) or junk (``pid`` -1: a fragment of a body)."""
    cameras = domain_cameras(seed, domain)
    records = []
    for index in range(start, stop):
        rng = _rng(seed, domain, _DISTRACTOR_STREAM if pid == 0 else _JUNK_STREAM, index)
        cam = int(rng.integers(1, domain.num_cameras + 1))
        framing = 'fragment' if pid == -1 or rng.random() < 0.4 else 'background'
        view = sample_view(rng, cameras[cam - 1], domain.clothing, framing=framing)
        person = sample_identity(rng, domain.clothing)
        image, keypoints = render_view(person, cameras[cam - 1], view, domain.height,
                                       domain.width)
        frame = 1000 + 25 * index + int(rng.integers(25))
        path = f'bounding_box_test/{_market_name(pid, cam, int(rng.integers(1, 7)), frame, 1)}'
        _write_image(Path(root) / path, image, view.jpeg_quality)
        records.append(ImageRecord(path, pid, cam, True,
                                   view.viewpoint if view.show_person else '',
                                   _keypoint_triples(keypoints)))
    return records


def _run_task(task: tuple) -> list[ImageRecord]:
    kind, *args = task
    return _render_identity(*args) if kind == 'identity' else _render_strays(*args)


def _domain_tasks(seed: int, domain: DomainConfig, root: Path) -> list[tuple]:
    tasks = [('identity', seed, domain, str(root), pid) for pid in range(1, domain.num_ids + 1)]
    for pid, total in ((0, domain.num_distractors), (-1, domain.num_junk)):
        tasks += [('strays', seed, domain, str(root), pid, start, min(total, start + _STRAY_CHUNK))
                  for start in range(0, total, _STRAY_CHUNK)]
    return tasks


def coco_keypoints(records: list[ImageRecord], height: int, width: int) -> dict:
    """A COCO person-keypoints dict (AIC-14 category) of ``records``; bbox = the whole crop."""
    images, annotations = [], []
    for i, r in enumerate(records, start=1):
        images.append(dict(id=i, file_name=r.path, height=height, width=width))
        flat = [value for triple in r.keypoints for value in triple]
        annotations.append(dict(
            id=i, image_id=i, category_id=1, iscrowd=0, keypoints=flat,
            num_keypoints=sum(1 for triple in r.keypoints if triple[2] > 0),
            bbox=[0, 0, width, height], area=float(width * height),
            pid=r.pid, camera=r.camera, viewpoint=r.viewpoint))
    category = dict(id=1, name='person', supercategory='person', keypoints=list(KEYPOINT_NAMES),
                    skeleton=[[a + 1, b + 1] for a, b in SKELETON])
    return dict(info=dict(description='posereid synthetic pedestrians (AIC-14 keypoints)',
                          version=str(GENERATOR_VERSION)),
                images=images, annotations=annotations, categories=[category])


def _write_annotations(domain: DomainConfig, root: Path, records: list[ImageRecord]) -> None:
    atomic_save_json({r.path: [list(t) for t in r.keypoints] for r in records},
                     root / KEYPOINTS_TABLE, indent=None)
    people = [r for r in records if r.pid > 0]
    for split, held_out in (('train', False), ('val', True)):
        chosen = [r for r in people if r.held_out == held_out]
        atomic_save_json(coco_keypoints(chosen, domain.height, domain.width),
                         root / 'annotations' / f'person_keypoints_{split}.json', indent=None)


def _count(records: list[ImageRecord]) -> dict:
    per_folder: dict[str, Counter] = {}
    for r in records:
        per_folder.setdefault(r.path.split('/')[0], Counter())[f'c{r.camera}'] += 1
    return {folder: dict(sorted(c.items())) for folder, c in sorted(per_folder.items())}


def _images_on_disk(root: Path) -> int:
    return sum(1 for p in root.glob('*/*') if p.suffix in ('.jpg', '.png'))


def is_complete(out_dir: str | os.PathLike, config: WorldConfig) -> bool:
    """True if ``out_dir`` holds a finished world of exactly ``config`` with all its images."""
    out_dir = Path(out_dir)
    try:
        manifest = read_json(out_dir / MANIFEST)
    except (FileNotFoundError, ValueError):
        return False
    if manifest.get('config_hash') != config.config_hash():
        return False
    return all(_images_on_disk(out_dir / d.name) == manifest['domains'][d.name]['num_images']
               for d in config.domains)


def generate_world(config: WorldConfig, out_dir: str | os.PathLike, workers: int | None = None,
                   force: bool = False) -> dict:
    """Write ``config``'s world into ``out_dir``; return its manifest.

    Skipped (the existing manifest is returned) when ``out_dir`` already holds it complete,
    unless ``force``. Otherwise the manifest and each domain's folder are removed first, then
    identities are rendered by ``workers`` processes (default: all CPUs; 1 = in this process).
    """
    out_dir = Path(out_dir)
    if not force and is_complete(out_dir, config):
        return read_json(out_dir / MANIFEST)
    if workers is not None and workers < 1:
        raise ValueError(f'workers must be >= 1; got {workers}')
    workers = workers or os.cpu_count() or 1
    (out_dir / MANIFEST).unlink(missing_ok=True)
    tasks = []
    for domain in config.domains:
        root = out_dir / domain.name
        if root.exists():
            shutil.rmtree(root)
        tasks += _domain_tasks(config.seed, domain, root)
    if workers == 1:
        results = list(map(_run_task, tasks))
    else:
        with multiprocessing.get_context('spawn').Pool(workers, cv2.setNumThreads, (1,)) as pool:
            results = pool.map(_run_task, tasks, chunksize=max(1, len(tasks) // (8 * workers)))
    domains = {}
    for domain in config.domains:
        records = [r for task, chunk in zip(tasks, results) if task[2] is domain for r in chunk]
        _write_annotations(domain, out_dir / domain.name, records)
        people = {r.pid: r.held_out for r in records if r.pid > 0}
        domains[domain.name] = dict(
            layout=domain.layout, height=domain.height, width=domain.width,
            num_images=len(records), num_ids=len(people), num_held_out_ids=sum(people.values()),
            images=_count(records))
    manifest = dict(generator_version=GENERATOR_VERSION, config_hash=config.config_hash(),
                    config=config.to_dict(), domains=domains)
    atomic_save_json(manifest, out_dir / MANIFEST)
    return manifest
