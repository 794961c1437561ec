"""What changes between views: a camera's persistent look and each image's own conditions.

A :class:`Camera` is fixed for the whole domain (background scene, colour cast, brightness,
blur/noise/JPEG level, which walking directions it mostly sees, how often people are occluded).
A :class:`View` is drawn per image from its camera: viewpoint (yaw), walking phase and stride,
scale and translation, lighting jitter, occluder, noise seed.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np

from .config import ClothingStyle, SceneStyle
from .identity import GARMENT_COLOURS, RGB, Identity, sample_identity

#: Viewpoint names and the yaw (radians) at their centre: the camera sees the person's front,
#: left side, back or right side.
VIEWPOINTS = ('front', 'left', 'back', 'right')
OCCLUDERS = ('pole', 'car', 'person')
#: Colour saturation of backgrounds relative to the palettes below.
SCENE_SATURATION = 0.25
FRAMINGS = ('person', 'fragment', 'background')

WALL_COLOURS: dict[str, tuple[RGB, ...]] = {
    'building': ((196, 190, 176), (160, 160, 165), (210, 200, 180), (140, 120, 100)),
    'brick': ((150, 70, 50), (120, 60, 45), (170, 100, 70)),
    'foliage': ((50, 90, 40), (70, 105, 50), (40, 70, 35)),
    'glass': ((110, 135, 150), (90, 100, 110), (140, 150, 155)),
    'indoor': ((225, 220, 200), (200, 210, 200), (190, 190, 195), (215, 200, 170)),
}
GROUND_COLOURS: dict[str, tuple[RGB, ...]] = {
    'tiles': ((170, 165, 155), (150, 140, 130), (185, 175, 160)),
    'asphalt': ((85, 85, 88), (70, 72, 75), (100, 98, 95)),
    'grass': ((85, 120, 55), (100, 125, 60)),
    'floor': ((190, 185, 175), (160, 150, 135), (205, 200, 195)),
}


@dataclass(frozen=True)
class Camera:
    """One camera's persistent conditions (drawn once per domain and camera)."""

    index: int                       # 1-based camera number
    wall: str
    ground: str
    wall_colour: RGB
    ground_colour: RGB
    horizon: float                   # wall/ground boundary, fraction of the crop height
    background_seed: int
    brightness: float
    cast: tuple[float, float, float]  # per-channel (R, G, B) gains
    blur: float
    noise: float
    jpeg_quality: int
    view_weights: tuple[float, float, float, float]  # over VIEWPOINTS
    occlusion: float
    person_scale: float
    shift: float


@dataclass(frozen=True)
class View:
    """One image's conditions, drawn from its camera."""

    viewpoint: str                   # nearest of VIEWPOINTS
    yaw: float                       # radians; 0 = front, pi/2 = left side visible
    phase: float                     # walking cycle phase, radians
    stride: float                    # thigh swing amplitude, radians
    scale: float                     # person height / crop height
    dx: float                        # horizontal offset, fraction of the crop width
    dy: float                        # vertical offset, fraction of the crop height
    background_offset: float         # where the crop window sits in the camera's background
    brightness: float
    cast: tuple[float, float, float]
    light_gradient: tuple[float, float]  # relative gain change across x and y
    blur: float
    noise: float
    jpeg_quality: int
    noise_seed: int
    occluder: str | None             # one of OCCLUDERS or None
    occluder_x: float                # occluder position, fraction of the crop width
    occluder_size: float             # in [0, 1]: pole width, car height, passer-by's overlap
    occluder_colour: RGB
    occluder_person: Identity | None  # the passer-by, for the 'person' occluder
    occluder_yaw: float
    occluder_phase: float
    show_person: bool = True         # False: a background-only crop (Market distractor)


def sample_camera(rng: np.random.Generator, scene: SceneStyle, index: int) -> Camera:
    """Draw camera ``index``'s look from the domain's ``scene`` ranges."""
    wall = scene.walls[rng.integers(len(scene.walls))]
    ground = scene.grounds[rng.integers(len(scene.grounds))]
    cast = 1 + rng.uniform(-scene.colour_cast, scene.colour_cast, 3)
    cast /= cast.mean()
    # Cameras watch a path: some mostly see people walking towards/away, others across.
    along = rng.random() < 0.5
    weights = rng.dirichlet([4, 1, 4, 1] if along else [1, 4, 1, 4]) + 0.08
    lo, hi = scene.person_scale
    return Camera(
        index=index, wall=wall, ground=ground,
        wall_colour=WALL_COLOURS[wall][rng.integers(len(WALL_COLOURS[wall]))],
        ground_colour=GROUND_COLOURS[ground][rng.integers(len(GROUND_COLOURS[ground]))],
        horizon=float(rng.uniform(0.3, 0.65)),
        background_seed=int(rng.integers(2 ** 31)),
        brightness=float(rng.uniform(*scene.brightness)),
        cast=tuple(float(c) for c in cast),
        blur=float(rng.uniform(*scene.blur)),
        noise=float(rng.uniform(*scene.noise)),
        jpeg_quality=int(rng.integers(scene.jpeg_quality[0], scene.jpeg_quality[1] + 1)),
        view_weights=tuple(float(w) for w in weights / weights.sum()),
        occlusion=float(min(1.0, scene.occlusion * rng.uniform(0.5, 1.5))),
        person_scale=float(rng.uniform(lo, hi)),
        shift=scene.shift,
    )


def sample_view(rng: np.random.Generator, camera: Camera, clothing: ClothingStyle,
                framing: str = 'person') -> View:
    """Draw one image's conditions.

    ``framing`` is ``'person'`` (a detection of a walking person), ``'fragment'`` (a badly
    framed detection showing part of a body, Market's junk) or ``'background'`` (a false
    detection with nobody in it, Market's distractors).
    """
    if framing not in FRAMINGS:
        raise ValueError(f'framing must be one of {FRAMINGS}; got {framing!r}')
    k = int(rng.choice(4, p=camera.view_weights))
    scale = float(np.clip(camera.person_scale + rng.normal(0, 0.03), 0.3, 1.2))
    dx = float(rng.uniform(-camera.shift, camera.shift))
    dy = float(rng.uniform(-0.02, 0.02))
    if framing == 'fragment':
        scale *= float(rng.uniform(1.6, 2.6))
        dx = float(rng.choice([-1, 1]) * rng.uniform(0.2, 0.5))
        dy = float(rng.uniform(-0.6, 0.6))
    occluder = None
    if rng.random() < camera.occlusion:
        occluder = OCCLUDERS[rng.choice(3, p=[0.35, 0.3, 0.35])]
    colours = list(GARMENT_COLOURS.values())
    return View(
        viewpoint=VIEWPOINTS[k],
        yaw=float(k * math.pi / 2 + rng.normal(0, math.radians(12))),
        phase=float(rng.uniform(0, 2 * math.pi)),
        stride=float(rng.uniform(0.12, 0.45)),
        scale=scale, dx=dx, dy=dy,
        background_offset=float(rng.random()),
        brightness=float(camera.brightness * rng.uniform(0.85, 1.15)),
        cast=tuple(float(c) for c in np.asarray(camera.cast) * (1 + rng.normal(0, 0.03, 3))),
        light_gradient=tuple(float(g) for g in rng.normal(0, 0.15, 2)),
        blur=float(camera.blur * rng.uniform(0.7, 1.3)),
        noise=float(camera.noise * rng.uniform(0.7, 1.3)),
        jpeg_quality=int(np.clip(camera.jpeg_quality + rng.integers(-5, 6), 1, 100)),
        noise_seed=int(rng.integers(2 ** 31)),
        occluder=occluder,
        occluder_x=float(rng.uniform(0.15, 0.85)),
        occluder_size=float(rng.random()),
        occluder_colour=colours[rng.integers(len(colours))][0],
        occluder_person=sample_identity(rng, clothing) if occluder == 'person' else None,
        occluder_yaw=float(rng.uniform(0, 2 * math.pi)),
        occluder_phase=float(rng.uniform(0, 2 * math.pi)),
        show_person=framing != 'background',
    )


def _smooth_noise(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """Value noise in [0, 1] with features about ``cell`` pixels wide."""
    small = rng.random((height // cell + 2, width // cell + 2)).astype(np.float32)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _shade(colour: RGB, factor) -> np.ndarray:
    return np.asarray(colour, np.float32) * np.asarray(factor, np.float32)[..., None]


def _wall(rng: np.random.Generator, kind: str, colour: RGB, h: int, w: int) -> np.ndarray:
    noise = _smooth_noise(rng, h, w, 6)
    img = _shade(colour, 0.85 + 0.25 * noise)
    if kind == 'building':
        win_w, win_h = int(rng.integers(10, 22)), int(rng.integers(12, 26))
        gap_x, gap_y = win_w + int(rng.integers(6, 16)), win_h + int(rng.integers(8, 18))
        tint = np.asarray([60, 75, 90], np.float32) * rng.uniform(0.6, 1.4)
        for y in range(int(rng.integers(0, gap_y)), h, gap_y):
            for x in range(int(rng.integers(0, gap_x)), w, gap_x):
                img[y:y + win_h, x:x + win_w] = tint * rng.uniform(0.7, 1.5)
    elif kind == 'brick':
        brick_h, brick_w = int(rng.integers(5, 9)), int(rng.integers(12, 20))
        img *= (0.85 + 0.3 * _smooth_noise(rng, h, w, 3))[..., None]
        mortar = np.asarray([190, 180, 165], np.float32)
        img[::brick_h] = mortar
        for row, y in enumerate(range(0, h, brick_h)):
            img[y:y + brick_h, (row % 2) * brick_w // 2::brick_w] = mortar
    elif kind == 'foliage':
        fine = _smooth_noise(rng, h, w, 3)
        img *= (0.5 + 0.9 * fine * noise)[..., None]
        for x in rng.integers(0, w, int(rng.integers(0, 3))):
            img[:, x:x + int(rng.integers(4, 10))] = (70, 55, 40)
    elif kind == 'glass':
        img *= (0.75 + 0.5 * np.linspace(0, 1, w, dtype=np.float32))[None, :, None]
        step = int(rng.integers(18, 40))
        img[:, int(rng.integers(0, step))::step] = (40, 45, 50)
    elif kind == 'indoor':
        for _ in range(int(rng.integers(1, 4))):  # doors and notice boards
            x, y = int(rng.integers(0, w)), int(rng.integers(0, max(1, h // 2)))
            board = _palette_colours(rng, 1)[0] * 0.8
            img[y:y + int(rng.integers(15, 60)), x:x + int(rng.integers(10, 40))] = board
    return img


def _ground(rng: np.random.Generator, kind: str, colour: RGB, h: int, w: int) -> np.ndarray:
    noise = _smooth_noise(rng, h, w, 4)
    img = _shade(colour, 0.85 + 0.25 * noise)
    if kind in ('tiles', 'floor'):
        depth = np.linspace(0.2, 1, h, dtype=np.float32) ** 1.5  # tiles grow towards the camera
        rows = np.nonzero(np.diff(np.floor(np.cumsum(1 / (8 + 40 * depth)))))[0]
        img[rows] *= 0.75
        step = int(rng.integers(20, 40))
        img[:, int(rng.integers(0, step))::step] *= 0.8
        if kind == 'floor':  # polished: a soft reflection band
            img *= (1 + 0.25 * _smooth_noise(rng, h, w, 30))[..., None]
    elif kind == 'asphalt':
        img *= (0.8 + 0.4 * rng.random((h, w), dtype=np.float32))[..., None]
        if rng.random() < 0.5:
            y = int(rng.integers(0, h))
            img[y:y + int(rng.integers(3, 8))] = (225, 225, 215)
    elif kind == 'grass':
        img *= (0.6 + 0.7 * _smooth_noise(rng, h, w, 2))[..., None]
    return img


def _palette_colours(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` random garment-palette colours as a float32 ``(n, 3)`` array."""
    palette = np.asarray([c for c, _, _ in GARMENT_COLOURS.values()], np.float32)
    return palette[rng.integers(len(palette), size=n)]


def _draw_clutter(rng: np.random.Generator, img: np.ndarray, colour: np.ndarray,
                  horizon: int) -> None:
    """One thing in the scene: a distant passer-by, a bin or planter, or a poster on the wall."""
    h, w = img.shape[:2]
    x = int(rng.integers(0, w))
    kind = rng.integers(3)
    if kind == 0:  # a passer-by further away: body, legs, head
        ph = int(h * rng.uniform(0.15, 0.35))
        foot = min(h - 1, horizon + int(rng.integers(0, max(1, h // 8))))
        t = max(2, ph // 5)
        cv2.line(img, (x, foot - ph // 2), (x, foot - ph * 4 // 5), colour.tolist(), t)
        cv2.line(img, (x, foot), (x, foot - ph // 2), (colour * 0.5 + 20).tolist(), t * 3 // 4)
        cv2.circle(img, (x, foot - ph * 9 // 10), max(1, t // 2), (150, 110, 90), -1)
    elif kind == 1:  # a bin, planter or bench on the ground
        bh, bw = int(h * rng.uniform(0.08, 0.2)), int(w * rng.uniform(0.04, 0.12))
        base = min(h, horizon + int(rng.integers(bh // 2, max(bh // 2 + 1, h // 4))))
        cv2.rectangle(img, (x, base - bh), (x + bw, base), (colour * 0.7 + 30).tolist(), -1)
        cv2.rectangle(img, (x, base - bh), (x + bw, base - bh + max(1, bh // 8)),
                      (colour * 0.5).tolist(), -1)
    else:  # a poster or sign on the wall
        ph, pw = int(h * rng.uniform(0.06, 0.15)), int(w * rng.uniform(0.03, 0.08))
        y = int(rng.integers(0, max(1, horizon - ph)))
        cv2.rectangle(img, (x, y), (x + pw, y + ph), colour.tolist(), -1)


@functools.lru_cache(maxsize=64)
def camera_background(camera: Camera, height: int, width: int) -> np.ndarray:
    """The camera's scene as a read-only ``(height, 3 * width, 3)`` uint8 RGB panorama.

    Each view crops a ``width``-wide window out of it (at ``View.background_offset``), so all
    views of a camera share its wall, ground and clutter (bikes, bins, passers-by in the
    distance) but not the exact pixels.
    """
    rng = np.random.default_rng(camera.background_seed)
    pano_w = 3 * width
    horizon = int(camera.horizon * height)
    img = np.empty((height, pano_w, 3), np.float32)
    img[:horizon] = _wall(rng, camera.wall, camera.wall_colour, horizon, pano_w)
    img[horizon:] = _ground(rng, camera.ground, camera.ground_colour, height - horizon, pano_w)
    for colour in _palette_colours(rng, int(rng.integers(2, 7))):
        _draw_clutter(rng, img, colour, horizon)
    grey = img.mean(axis=2, keepdims=True)   # distant scenery is washed out: less saturated
    out = np.clip(grey + SCENE_SATURATION * (img - grey), 0, 255).astype(np.uint8)
    out.flags.writeable = False
    return out


def apply_view_effects(image: np.ndarray, view: View) -> np.ndarray:
    """Blur, illuminate (gain, colour cast, light gradient) and add sensor noise to an RGB crop."""
    h, w = image.shape[:2]
    img = image.astype(np.float32)
    if view.blur > 0.15:
        img = cv2.GaussianBlur(img, (0, 0), view.blur)
    gx, gy = view.light_gradient
    ramp = (1 + gx * np.linspace(-1, 1, w, dtype=np.float32)[None, :]
            + gy * np.linspace(-1, 1, h, dtype=np.float32)[:, None])
    img *= ramp[..., None] * (view.brightness * np.asarray(view.cast, np.float32))
    if view.noise > 0:
        rng = np.random.default_rng(view.noise_seed)
        img += rng.normal(0, view.noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)
