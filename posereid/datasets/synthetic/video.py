"""A multi-camera video world: people walking through a street watched by several cameras.

The cameras stand along one street, ``1 .. N`` in order; a person enters the street at one
camera, walks across its view (entering at one frame edge, leaving at the other), takes a
transit time to reach the neighbouring camera, crosses that one, and so on, until they leave.
Several people are in view at once; nearer people (lower feet in the frame) hide farther ones.
People are the synthetic world's identities (:func:`~.identity.sample_identity`) and the
cameras have its per-camera looks (:func:`~.camera.sample_camera`: wall, ground, light, colour
cast, blur, noise).

``<out>/`` holds, per camera, a MOTChallenge sequence::

    c1/seqinfo.ini              name, frameRate, seqLength, imWidth, imHeight, imExt
    c1/img1/000001.jpg ...      the frames
    c1/gt/gt.txt                frame,id,x,y,w,h,1,1,visibility   (ids global across cameras)
    c1/gt/keypoints.json        {"frame": {"id": [[x, y, v]] * 14}}  AIC order, frame pixels

plus ``routes.json`` (each person's visits: camera, first and last second in view) and
``manifest.json`` (config and hash), written last: a world whose manifest matches its config
is complete. Boxes are the tight box of the person's visible-or-hidden silhouette, clipped to
the frame; ``visibility`` is the share of the silhouette not hidden by nearer people; a
keypoint is visible (``v = 2``) only where its own person is in front.
"""
from __future__ import annotations

import dataclasses
import functools
import math
import multiprocessing
import os
import shutil
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posereid.datasets.boxes import Boxes
from posereid.datasets.mot import write_mot_boxes
from posereid.utils.image_io import write_jpeg
from posereid.utils.io import atomic_save_json, atomic_write, read_json

from .camera import Camera, apply_view_effects, camera_background, sample_camera, sample_view
from .config import MARKET_CLOTHING, MARKET_SCENE, ClothingStyle, SceneStyle, short_hash
from .identity import Identity, sample_identity
from .render import render_person_layer

MANIFEST = 'manifest.json'
ROUTES = 'routes.json'
VIDEO_GENERATOR_VERSION = 1

_CAMERA_STREAM, _PERSON_STREAM, _FRAME_STREAM = range(3)


@dataclass(frozen=True)
class VideoWorldConfig:
    """Size and timing of the video world (times in seconds).

    ``visits``: (min, max) cameras a person passes; ``crossing_s``: time to walk across one
    camera's view; ``transit_s``: time between leaving one camera and entering the next.
    """

    seed: int = 0
    num_cameras: int = 4
    num_people: int = 24
    duration_s: float = 60.0
    fps: int = 5
    frame_height: int = 216
    frame_width: int = 384
    visits: tuple[int, int] = (1, 3)
    crossing_s: tuple[float, float] = (5.0, 9.0)
    transit_s: tuple[float, float] = (3.0, 8.0)
    clothing: ClothingStyle = MARKET_CLOTHING
    scene: SceneStyle = MARKET_SCENE

    def __post_init__(self):
        checks = [
            ('num_cameras', 2 <= self.num_cameras <= 9, 'in [2, 9]'),
            ('num_people', 1 <= self.num_people <= 9999, 'in [1, 9999]'),
            ('fps', 1 <= self.fps <= 60, 'in [1, 60]'),
            ('duration_s', self.duration_s > 0, '> 0'),
            ('frame_height', 64 <= self.frame_height <= 1080, 'in [64, 1080]'),
            ('frame_width', 64 <= self.frame_width <= 1920, 'in [64, 1920]'),
            ('visits', 1 <= self.visits[0] <= self.visits[1] <= self.num_cameras,
             f'(min, max) with 1 <= min <= max <= num_cameras ({self.num_cameras})'),
            ('crossing_s', 0 < self.crossing_s[0] <= self.crossing_s[1], '(min, max) > 0'),
            ('transit_s', 0 <= self.transit_s[0] <= self.transit_s[1], '(min, max) >= 0'),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise ValueError(f'VideoWorldConfig.{name} must be {expected}; '
                                 f'got {getattr(self, name)!r}')

    @property
    def num_frames(self) -> int:
        return int(round(self.duration_s * self.fps))

    def to_dict(self) -> dict:
        return {'version': VIDEO_GENERATOR_VERSION, **dataclasses.asdict(self)}

    def config_hash(self) -> str:
        return short_hash(self.to_dict())


@dataclass(frozen=True)
class Visit:
    """A person crossing one camera's view."""

    camera: int          # 1-based
    start_s: float
    end_s: float
    depth: float         # 0 = far (near the horizon), 1 = near (bottom of the frame)
    rightwards: bool     # walks towards the frame's right edge


def _rng(seed: int, stream: int, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(b'video'), stream,
                                                         index]))


@functools.lru_cache(maxsize=8)
def video_cameras(config: VideoWorldConfig) -> tuple[Camera, ...]:
    """The street's cameras (``cameras[c - 1]`` is camera ``c``)."""
    return tuple(sample_camera(_rng(config.seed, _CAMERA_STREAM, c), config.scene, c)
                 for c in range(1, config.num_cameras + 1))


@functools.lru_cache(maxsize=8)
def video_people(config: VideoWorldConfig) -> tuple[tuple[Identity, tuple[Visit, ...]], ...]:
    """Each person's appearance and route (``people[pid - 1]``)."""
    people = []
    for pid in range(1, config.num_people + 1):
        rng = _rng(config.seed, _PERSON_STREAM, pid)
        person = sample_identity(rng, config.clothing)
        camera = int(rng.integers(1, config.num_cameras + 1))
        step = 1 if camera == 1 else -1 if camera == config.num_cameras else int(
            rng.choice([-1, 1]))
        t = float(rng.uniform(-0.5 * config.crossing_s[1], 0.8 * config.duration_s))
        visits = []
        for _ in range(int(rng.integers(config.visits[0], config.visits[1] + 1))):
            crossing = float(rng.uniform(*config.crossing_s))
            # walking down the street (towards higher camera numbers) is rightwards in frame
            visits.append(Visit(camera, t, t + crossing, float(rng.uniform(0.05, 1.0)),
                                rightwards=step > 0))
            t += crossing + float(rng.uniform(*config.transit_s))
            if not 1 <= camera + step <= config.num_cameras:
                break
            camera += step
        people.append((person, tuple(visits)))
    return tuple(people)


def _placement(config: VideoWorldConfig, camera: Camera, visit: Visit, t: float
               ) -> tuple[int, int, int, int]:
    """``(x0, y0, width, height)`` of the person's layer box in the frame at second ``t``."""
    H, W = config.frame_height, config.frame_width
    horizon = camera.horizon * H
    feet = horizon + (0.45 + 0.5 * visit.depth) * (H - horizon)
    height = max(16, int(round(camera.person_scale * 1.15 * (feet - horizon + 0.1 * H))))
    width = max(8, int(round(height * 0.5)))
    progress = (t - visit.start_s) / (visit.end_s - visit.start_s)
    if not visit.rightwards:
        progress = 1 - progress
    centre = -width / 2 + progress * (W + width)
    return int(round(centre - width / 2)), int(round(feet - height)), width, height


def _frame_view(config: VideoWorldConfig, camera: Camera, frame: int):
    """The camera's light and sensor for one frame: its look (colour cast, light gradient,
    blur and noise drawn once per camera), a slow brightness flicker, fresh sensor noise."""
    rng = _rng(config.seed, _FRAME_STREAM, camera.index * 1_000_000 + frame)
    view = sample_view(_rng(config.seed, _CAMERA_STREAM, 100 + camera.index), camera,
                       config.clothing)
    flicker = 1 + 0.04 * math.sin(2 * math.pi * frame / (7.3 * config.fps))
    return dataclasses.replace(view, occluder=None, brightness=camera.brightness * flicker,
                               noise_seed=int(rng.integers(2 ** 31)))


def render_frame(config: VideoWorldConfig, camera_index: int, frame: int, people=None
                 ) -> tuple[np.ndarray, list[dict]]:
    """Frame ``frame`` (1-based) of camera ``camera_index`` and its ground truth.

    ``people``: ``(identity, visits)`` per pid as :func:`video_people` gives them (its
    default) — or any other cast, to stage a scene.

    Returns the ``(H, W, 3)`` uint8 RGB frame and one dict per person at least partly in it:
    ``pid``, ``box`` ``(x, y, w, h)`` (clipped to the frame), ``visibility`` in ``[0, 1]`` and
    ``keypoints`` ``(14, 3)`` in frame pixels (``v`` 0 outside the frame, 1 hidden, 2 seen).
    """
    camera = video_cameras(config)[camera_index - 1]
    H, W = config.frame_height, config.frame_width
    t = (frame - 1) / config.fps
    canvas = camera_background(camera, H, W)[:, W:2 * W].astype(np.float32)
    owner = np.zeros((H, W), np.int32)                   # pid of the front person per pixel
    present = []
    for pid, (person, visits) in enumerate(people or video_people(config), start=1):
        for visit in visits:
            if visit.camera == camera_index and visit.start_s <= t < visit.end_s:
                present.append((pid, person, visit, _placement(config, camera, visit, t)))
    present.sort(key=lambda p: p[3][1] + p[3][3])         # far (feet high in frame) first
    drawn = []
    for pid, person, visit, (x0, y0, w, h) in present:
        yaw = math.pi / 2 if visit.rightwards else 3 * math.pi / 2
        phase = 2 * math.pi * 1.8 * t + pid                # about 1.8 steps a second
        layer, alpha, keypoints = render_person_layer(person, yaw, phase, 0.35, h, w)
        fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + w, W), min(y0 + h, H)
        if fx1 <= fx0 or fy1 <= fy0:
            continue
        a = alpha[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0, None]
        region = canvas[fy0:fy1, fx0:fx1]
        region[:] = a * layer[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0] + (1 - a) * region
        mask = np.zeros((H, W), bool)
        mask[fy0:fy1, fx0:fx1] = a[..., 0] > 0.5
        if not mask.any():
            continue
        owner[mask] = pid
        keypoints[:, :2] += (x0, y0)
        drawn.append(dict(pid=pid, mask=mask, keypoints=keypoints))
    truth = []
    for p in drawn:
        mask, own = p.pop('mask'), owner == p['pid']
        ys, xs = np.nonzero(mask)
        x, y = int(xs.min()), int(ys.min())
        keypoints = p['keypoints']
        for k, (u, v, seen) in enumerate(keypoints):
            inside = 0 <= u < W and 0 <= v < H
            keypoints[k, 2] = 0 if not inside else (
                2 if seen == 2 and owner[int(v), int(u)] == p['pid'] else 1)
        truth.append(dict(pid=p['pid'], box=(x, y, int(xs.max()) - x + 1, int(ys.max()) - y + 1),
                          visibility=float(own.sum() / mask.sum()), keypoints=keypoints))
    frame_rgb = apply_view_effects(np.clip(canvas, 0, 255).astype(np.uint8),
                                   _frame_view(config, camera, frame))
    return frame_rgb, truth


def _write_camera(config: VideoWorldConfig, out_dir: str, camera_index: int) -> int:
    """Write camera ``camera_index``'s sequence; return its number of ground-truth boxes."""
    root = Path(out_dir) / f'c{camera_index}'
    (root / 'img1').mkdir(parents=True)
    (root / 'gt').mkdir()
    people, keypoints = [], {}
    for frame in range(1, config.num_frames + 1):
        image, truth = render_frame(config, camera_index, frame)
        write_jpeg(root / 'img1' / f'{frame:06d}.jpg', image, quality=95)
        people += [(frame, p) for p in truth]
        if truth:
            keypoints[str(frame)] = {str(p['pid']): np.round(p['keypoints'], 2).tolist()
                                     for p in truth}
    boxes = Boxes.create([frame for frame, _ in people], [p['box'] for _, p in people],
                         ids=[p['pid'] for _, p in people],
                         visibility=[p['visibility'] for _, p in people])
    write_mot_boxes(boxes, root / 'gt' / 'gt.txt', truth=True)
    atomic_save_json(keypoints, root / 'gt' / 'keypoints.json')
    with atomic_write(root / 'seqinfo.ini') as f:
        f.write(f'[Sequence]\nname=c{camera_index}\nimDir=img1\nframeRate={config.fps}\n'
                f'seqLength={config.num_frames}\nimWidth={config.frame_width}\n'
                f'imHeight={config.frame_height}\nimExt=.jpg\n')
    return len(boxes)


def is_video_world_complete(out_dir: str | os.PathLike, config: VideoWorldConfig) -> bool:
    """True if ``out_dir`` holds a finished video world of exactly ``config``."""
    try:
        manifest = read_json(Path(out_dir) / MANIFEST)
    except (FileNotFoundError, ValueError):
        return False
    return manifest.get('config_hash') == config.config_hash() and all(
        len(list((Path(out_dir) / f'c{c}' / 'img1').glob('*.jpg'))) == config.num_frames
        for c in range(1, config.num_cameras + 1))


def generate_video_world(config: VideoWorldConfig, out_dir: str | os.PathLike,
                         workers: int | None = None, force: bool = False) -> dict:
    """Write ``config``'s video world into ``out_dir`` (one process per camera, up to
    ``workers``); return its manifest. Skipped when already complete, unless ``force``."""
    out_dir = Path(out_dir)
    if not force and is_video_world_complete(out_dir, config):
        return read_json(out_dir / MANIFEST)
    if workers is not None and workers < 1:
        raise ValueError(f'workers must be >= 1; got {workers}')
    workers = min(workers or os.cpu_count() or 1, config.num_cameras)
    (out_dir / MANIFEST).unlink(missing_ok=True)
    cameras = range(1, config.num_cameras + 1)
    for c in cameras:
        shutil.rmtree(out_dir / f'c{c}', ignore_errors=True)
    tasks = [(config, str(out_dir), c) for c in cameras]
    if workers == 1:
        boxes = [_write_camera(*task) for task in tasks]
    else:
        with multiprocessing.get_context('spawn').Pool(workers, cv2.setNumThreads, (1,)) as pool:
            boxes = pool.starmap(_write_camera, tasks)
    routes = {str(pid): [dataclasses.asdict(v) for v in visits]
              for pid, (_, visits) in enumerate(video_people(config), start=1)}
    atomic_save_json(routes, out_dir / ROUTES, indent=1)
    manifest = dict(config=config.to_dict(), config_hash=config.config_hash(),
                    num_frames=config.num_frames,
                    boxes={f'c{c}': n for c, n in zip(cameras, boxes)})
    atomic_save_json(manifest, out_dir / MANIFEST, indent=1)
    return read_json(out_dir / MANIFEST)
