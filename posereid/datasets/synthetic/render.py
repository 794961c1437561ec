"""Draw a pedestrian crop and its 14 ground-truth keypoints.

The body is a small 3-D stick-and-box model (``X`` = the person's left, ``Y`` = up, ``Z`` =
forward; the standing height is 1) posed by a walking cycle, turned by the view's yaw and
projected orthographically. Parts are painted far to near (painter's algorithm) at
``SUPERSAMPLE`` times the crop size into the colour image *and* a part-label map; occluders are
painted last with the ``OCCLUDER`` label. A keypoint's visibility is read from that label map, so
it always agrees with the pixels: a joint is visible only where one of its own parts is on top.

Keypoints are ``(x, y, v)`` in crop pixels with the image's top-left corner at ``(0, 0)`` (pixel
``(i, j)`` covers ``[i, i + 1) x [j, j + 1)``), COCO visibility: ``v = 2`` visible, ``v = 1``
inside the crop but hidden (behind the body, the bag, an occluder), ``v = 0`` outside the crop
(then ``x = y = 0``).
"""
from __future__ import annotations

import math
from typing import Callable

import cv2
import numpy as np

from posereid.pose.keypoints import KEYPOINT_NAMES, NUM_KEYPOINTS

from .camera import Camera, View, apply_view_effects, camera_background
from .identity import RGB, Identity

#: Drawing resolution relative to the crop (the result is area-downsampled).
SUPERSAMPLE = 2
_SHIFT = 4                      # cv2 fixed-point bits for sub-pixel drawing
_UNIT = 1 << _SHIFT

PARTS = ('head', 'hair', 'hat', 'neck', 'torso_r', 'torso_l', 'pelvis_r', 'pelvis_l',
         'upper_arm_r', 'upper_arm_l', 'forearm_r', 'forearm_l', 'hand_r', 'hand_l',
         'thigh_r', 'thigh_l', 'shin_r', 'shin_l', 'foot_r', 'foot_l', 'skirt_r', 'skirt_l',
         'accessory')
#: Label-map value of each body part (0 is the background).
LABELS = {name: i + 1 for i, name in enumerate(PARTS)}
OCCLUDER = 255


def _owners(*names: str) -> frozenset[int]:
    return frozenset(LABELS[n] for n in names)


# The parts whose pixels show each AIC joint (in KEYPOINT_NAMES order).
_JOINT_OWNERS: tuple[frozenset[int], ...] = tuple(
    _owners(*parts) for parts in (
        ('torso_r', 'upper_arm_r'), ('upper_arm_r', 'forearm_r'), ('forearm_r', 'hand_r'),
        ('torso_l', 'upper_arm_l'), ('upper_arm_l', 'forearm_l'), ('forearm_l', 'hand_l'),
        ('pelvis_r', 'thigh_r', 'torso_r', 'skirt_r'), ('thigh_r', 'shin_r', 'skirt_r'),
        ('shin_r', 'foot_r'),
        ('pelvis_l', 'thigh_l', 'torso_l', 'skirt_l'), ('thigh_l', 'shin_l', 'skirt_l'),
        ('shin_l', 'foot_l'),
        ('head', 'hair', 'hat'), ('neck', 'head', 'hair', 'torso_r', 'torso_l'),
    ))

# Body proportions, in standing heights.
_HEAD_Y, _HEAD_RX, _HEAD_RY = 0.932, 0.056, 0.068
_NECK_Y, _SHOULDER_Y, _HIP_Y = 0.845, 0.815, 0.51
_UPPER_ARM, _FOREARM, _HAND = 0.17, 0.15, 0.045
_THIGH, _SHIN = 0.235, 0.235
_SOLE = 0.012
_CHEST = 0.078                  # half depth of the chest, times the girth


def skeleton(identity: Identity, phase: float, stride: float) -> dict[str, np.ndarray]:
    """3-D joints of ``identity`` at walking ``phase`` (radians) with thigh swing ``stride``.

    Returns points named like the AIC joints (``right_knee``...) plus ``head``, ``hand_*``,
    ``toe_*``, ``heel_*``, all lifted so that the lowest sole point touches the ground, and
    ``origin``: that lift, which places the torso, hips and bags.
    """
    g = identity.girth
    p = {'head': np.array([0.0, _HEAD_Y, 0.0]), 'head_top': np.array([0.0, 1.0, 0.0]),
         'neck': np.array([0.0, _NECK_Y, 0.0])}
    for side, sign, leg_phase in (('right', -1.0, phase), ('left', 1.0, phase + math.pi)):
        thigh = stride * math.sin(leg_phase)                       # forward swing of the thigh
        knee_flex = 0.08 + 2.0 * stride * max(0.0, math.cos(leg_phase)) ** 2
        shin = thigh - knee_flex
        hip = np.array([sign * 0.09 * g, _HIP_Y, 0.0])
        knee = hip + _THIGH * np.array([-sign * 0.03, -math.cos(thigh), math.sin(thigh)])
        ankle = knee + _SHIN * np.array([-sign * 0.03, -math.cos(shin), math.sin(shin)])
        arm = -0.8 * stride * math.sin(leg_phase)                  # arms swing against the leg
        forearm = arm + 0.15 + 0.9 * max(0.0, arm)
        shoulder = np.array([sign * 0.142 * g, _SHOULDER_Y, 0.0])
        elbow = shoulder + _UPPER_ARM * np.array([sign * 0.1, -math.cos(arm), math.sin(arm)])
        wrist = elbow + _FOREARM * np.array([sign * 0.08, -math.cos(forearm), math.sin(forearm)])
        p.update({f'{side}_hip': hip, f'{side}_knee': knee, f'{side}_ankle': ankle,
                  f'{side}_shoulder': shoulder, f'{side}_elbow': elbow, f'{side}_wrist': wrist,
                  f'hand_{side}': wrist + _HAND / _FOREARM * (wrist - elbow),
                  f'toe_{side}': ankle + np.array([0.0, -0.035, 0.1]),
                  f'heel_{side}': ankle + np.array([0.0, -0.035, -0.025])})
    ground = min(p[f'{k}_{s}'][1] for k in ('toe', 'heel') for s in ('right', 'left'))
    p['origin'] = np.zeros(3)
    lift = np.array([0.0, _SOLE - ground, 0.0])
    return {k: v + lift for k, v in p.items()}



class _Painter:
    """Paints projected 3-D body parts into an RGB canvas and its part-label map.

    ``line`` / ``hull`` / ``ellipse`` paint at once; ``queue`` defers a painting call and
    ``paint`` runs the queue far to near (ties: lower ``order`` first).
    """

    def __init__(self, canvas: np.ndarray, labels: np.ndarray, yaw: float,
                 pixels_per_unit: float, centre_x: float, ground_y: float,
                 label_override: int | None = None):
        self.canvas, self.labels = canvas, labels
        self.cos, self.sin = math.cos(yaw), math.sin(yaw)
        self.k, self.cx, self.gy = pixels_per_unit, centre_x, ground_y
        self.label_override = label_override
        self._queue: list[tuple[float, int, Callable[[], None]]] = []

    def project(self, p) -> np.ndarray:
        """Body points ``(..., 3)`` → render-pixel corner coordinates ``(..., 2)``."""
        p = np.asarray(p, dtype=np.float64)
        x = p[..., 0] * self.cos - p[..., 2] * self.sin
        return np.stack([self.cx + self.k * x, self.gy - self.k * p[..., 1]], axis=-1)

    def depth(self, p) -> float:
        """How far towards the camera a body point is (larger = nearer)."""
        return float(p[0] * self.sin + p[2] * self.cos)

    def queue(self, depth: float, order: int, draw: Callable[[], None]) -> None:
        self._queue.append((depth, order, draw))

    def paint(self) -> None:
        for _, _, draw in sorted(self._queue, key=lambda t: (round(t[0], 4), t[1])):
            draw()
        self._queue.clear()

    def _fixed(self, points) -> np.ndarray:
        return np.round((self.project(points) - 0.5) * _UNIT).astype(np.int32)

    def _style(self, name: str, colour: RGB, depth: float) -> tuple[int, tuple[float, ...]]:
        shade = 1.0 + 1.2 * min(0.1, max(-0.2, depth))  # far-side parts are a little darker
        return (self.label_override or LABELS[name],
                tuple(min(255.0, c * shade) for c in colour))

    def line(self, name: str, colour: RGB, a, b, width: float, depth: float) -> None:
        label, colour = self._style(name, colour, depth)
        pa, pb = (tuple(int(v) for v in p) for p in self._fixed(np.stack([a, b])))
        t = max(1, int(round(width * self.k)))
        cv2.line(self.canvas, pa, pb, colour, t, cv2.LINE_8, _SHIFT)
        cv2.line(self.labels, pa, pb, label, t, cv2.LINE_8, _SHIFT)

    def hull(self, name: str, colour: RGB, corners, depth: float) -> int:
        label, colour = self._style(name, colour, depth)
        hull = cv2.convexHull(self._fixed(corners))
        cv2.fillConvexPoly(self.canvas, hull, colour, cv2.LINE_8, _SHIFT)
        cv2.fillConvexPoly(self.labels, hull, label, cv2.LINE_8, _SHIFT)
        return label

    def ellipse(self, name: str, colour: RGB, centre, rx: float, ry: float,
                depth: float) -> None:
        label, colour = self._style(name, colour, depth)
        c = tuple(int(v) for v in self._fixed(centre))
        axes = (max(1, int(rx * self.k * _UNIT)), max(1, int(ry * self.k * _UNIT)))
        cv2.ellipse(self.canvas, c, axes, 0, 0, 360, colour, -1, cv2.LINE_8, _SHIFT)
        cv2.ellipse(self.labels, c, axes, 0, 0, 360, label, -1, cv2.LINE_8, _SHIFT)

    def limb(self, name: str, colour: RGB, a, b, width: float, order: int = 5) -> None:
        depth = self.depth((np.asarray(a) + b) / 2)
        self.queue(depth, order, lambda: self.line(name, colour, a, b, width, depth))

    def solid(self, name: str, colour: RGB, corners: np.ndarray, order: int = 5) -> None:
        depth = self.depth(corners.mean(axis=0))
        self.queue(depth, order, lambda: self.hull(name, colour, corners, depth))

    def stripes(self, label: int, colour: RGB, width: float, y_range: tuple[float, float]):
        """Recolour every other ``width``-high band of the pixels currently labelled ``label``."""
        top = max(0, int(self.gy - self.k * y_range[1]))
        bottom = min(self.canvas.shape[0], int(self.gy - self.k * y_range[0]) + 1)
        body_y = (self.gy - np.arange(top, bottom) - 0.5) / self.k
        rows = np.nonzero(np.floor(body_y / width) % 2 == 0)[0] + top
        band, region = self.canvas[rows], self.labels[rows] == label
        band[region] = colour
        self.canvas[rows] = band


def _box(x: tuple[float, float], y: tuple[float, float], half_width: tuple[float, float],
         half_depth: tuple[float, float]) -> np.ndarray:
    """The 8 corners of a frustum spanning ``x`` (in half-widths) from ``y[0]`` to ``y[1]``,
    with ``half_width`` / ``half_depth`` given at the bottom and the top."""
    return np.array([[xi * w, yi, z * dz] for yi, w, dz in zip(y, half_width, half_depth)
                     for xi in x for z in (-1.0, 1.0)])


def _queue_body(painter: _Painter, person: Identity, joints: dict[str, np.ndarray]) -> None:
    """Queue torso, hips, arms and legs (with sleeves, trousers/shorts/skirt, shoes)."""
    g, skin, lower, origin = person.girth, person.skin, person.lower, joints['origin']
    chest = _CHEST * g
    for side, sign in (('right', -1.0), ('left', 1.0)):
        s = side[0]
        top = (person.pattern_colour if person.upper_pattern == 'two_tone' and side == 'left'
               else person.upper)
        torso = _box((0, sign), (0.5, 0.83), (0.126 * g, 0.154 * g), (chest, chest)) + origin
        depth = painter.depth(torso.mean(axis=0))
        if person.upper_pattern == 'stripes':
            def draw_torso(s=s, top=top, torso=torso, depth=depth):
                label = painter.hull(f'torso_{s}', top, torso, depth)
                painter.stripes(label, person.pattern_colour, person.stripe_width,
                                (0.5 + origin[1], 0.83 + origin[1]))
            painter.queue(depth, 3, draw_torso)
        else:
            painter.solid(f'torso_{s}', top, torso, order=3)
        pelvis = _box((0, sign), (0.44, 0.58), (0.12 * g, 0.12 * g), (0.084 * g, 0.084 * g))
        painter.solid(f'pelvis_{s}', lower, pelvis + origin, order=1)
        if person.lower_kind == 'skirt':
            skirt = _box((0, sign), (0.3, 0.58), (0.18 * g, 0.12 * g), (0.132 * g, 0.084 * g))
            painter.solid(f'skirt_{s}', lower, skirt + origin, order=4)
        shoulder, elbow = joints[f'{side}_shoulder'], joints[f'{side}_elbow']
        wrist, hand = joints[f'{side}_wrist'], joints[f'hand_{side}']
        if person.short_sleeves:
            mid = (shoulder + elbow) / 2
            painter.limb(f'upper_arm_{s}', top, shoulder, mid, 0.074 * g)
            painter.limb(f'upper_arm_{s}', skin, mid, elbow, 0.055 * g, order=4)
            painter.limb(f'forearm_{s}', skin, elbow, wrist, 0.05 * g)
        else:
            painter.limb(f'upper_arm_{s}', top, shoulder, elbow, 0.07 * g)
            painter.limb(f'forearm_{s}', top, elbow, wrist, 0.06 * g)
        depth = painter.depth(hand)
        painter.queue(depth, 6, lambda hand=hand, s=s, depth=depth: painter.ellipse(
            f'hand_{s}', skin, hand, 0.029 * g, 0.031 * g, depth))
        hip, knee, ankle = joints[f'{side}_hip'], joints[f'{side}_knee'], joints[f'{side}_ankle']
        if person.lower_kind == 'trousers':
            painter.limb(f'thigh_{s}', lower, hip, knee, 0.106 * g)
            painter.limb(f'shin_{s}', lower, knee, ankle, 0.084 * g)
        elif person.lower_kind == 'shorts':
            mid = hip + 0.6 * (knee - hip)
            painter.limb(f'thigh_{s}', lower, hip, mid, 0.11 * g)
            painter.limb(f'thigh_{s}', skin, mid, knee, 0.084 * g, order=4)
            painter.limb(f'shin_{s}', skin, knee, ankle, 0.066 * g)
        else:
            painter.limb(f'thigh_{s}', skin, hip, knee, 0.084 * g)
            painter.limb(f'shin_{s}', skin, knee, ankle, 0.066 * g)
        painter.limb(f'foot_{s}', person.shoes, joints[f'heel_{side}'], joints[f'toe_{side}'],
                     0.045, order=6)


def _logo_outline(shape: str, g: float) -> np.ndarray:
    """The logo's 2-D outline ``(n, 2)`` as (X, Y) on the chest."""
    if shape == 'circle':
        a = np.linspace(0, 2 * math.pi, 12, endpoint=False)
        return np.stack([0.042 * g * np.cos(a), 0.70 + 0.042 * g * np.sin(a)], axis=1)
    if shape == 'square':
        return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * 0.038 * g + [0, 0.70]
    if shape == 'triangle':
        return np.array([[-0.05 * g, 0.665], [0.05 * g, 0.665], [0, 0.745]])
    return np.array([[-1, -0.3], [1, -0.3], [1, 0.3], [-1, 0.3]]) * 0.06 * g + [0, 0.72]


def _queue_accessories(painter: _Painter, person: Identity, origin: np.ndarray) -> None:
    """Queue the chest logo, the bag and its straps: flat shapes on the body's surfaces, so
    the painter's order alone decides from which sides they are seen."""
    g, chest = person.girth, _CHEST * person.girth
    if person.upper_pattern == 'logo':
        xy = _logo_outline(person.logo_shape, g)
        logo = np.concatenate([xy, np.full((len(xy), 1), chest * 1.02)], axis=1)
        painter.solid('torso_l', person.pattern_colour, logo + origin, order=7)
    colour = person.bag_colour
    if person.bag == 'backpack':
        pack = _box((-1, 1), (0.57, 0.8), (0.108 * g, 0.102 * g), (0.045, 0.045))
        painter.solid('accessory', colour, pack + origin + [0, 0, -chest - 0.045], order=8)
        for sign in (-1, 1):
            painter.limb('accessory', colour, origin + [sign * 0.09 * g, 0.825, chest],
                         origin + [sign * 0.102 * g, 0.64, chest * 1.05], 0.018, order=8)
    elif person.bag == 'shoulder_bag':
        sign = 1.0 if person.bag_side == 'left' else -1.0
        bag = _box((-1, 1), (0.45, 0.57), (0.036 * g, 0.036 * g), (0.06, 0.06))
        painter.solid('accessory', colour, bag + origin + [sign * 0.186 * g, 0, 0], order=8)
        for z in (chest * 1.05, -chest * 1.05):  # the strap crosses the chest and the back
            painter.limb('accessory', colour, origin + [-sign * 0.096 * g, 0.83, z],
                         origin + [sign * 0.168 * g, 0.57, z], 0.016, order=8)


def _queue_head(painter: _Painter, person: Identity, joints: dict[str, np.ndarray]) -> None:
    """Queue neck, long hair, and the head (hair, face, hat) painted in view-dependent order."""
    head, neck = joints['head'], joints['neck']
    painter.limb('neck', person.skin, neck, head - [0, 0.05, 0], 0.045 * person.girth, order=2)
    if person.long_hair:
        hair = _box((-1, 1), (0.76, 0.93), (0.062, 0.058), (0.025, 0.03))
        painter.solid('hair', person.hair, hair + joints['origin'] + [0, 0, -0.03], order=2)
    depth = painter.depth(head)

    def face():
        painter.ellipse('head', person.skin, head + [0, -0.008, 0.012], _HEAD_RX * 0.95,
                        _HEAD_RY * 0.92, depth)

    def hair():
        painter.ellipse('hair', person.hair, head + [0, 0.012, -0.015], _HEAD_RX * 1.05,
                        _HEAD_RY, depth)

    def crown():
        painter.ellipse('hat', person.hat, head + [0, 0.03, 0], _HEAD_RX * 1.08,
                        _HEAD_RY * 0.62, depth)

    def brim():
        brim = _box((-1, 1), (0.938, 0.95), (0.055, 0.055), (0.05, 0.05))
        painter.hull('hat', person.hat, brim + joints['origin'] + [0, 0, 0.06], depth)

    back_view = painter.cos < -0.3
    steps = [face, hair] if back_view else [hair, face]
    if person.hat is not None:
        steps = [brim] + steps + [crown] if back_view else steps + [crown, brim]

    def draw_head():
        for step in steps:
            step()
    painter.queue(depth, 9, draw_head)


def _draw_person(painter: _Painter, person: Identity, phase: float, stride: float
                ) -> dict[str, np.ndarray]:
    """Paint ``person`` walking at ``phase``; return its 3-D joints."""
    joints = skeleton(person, phase, stride)
    _queue_body(painter, person, joints)
    _queue_accessories(painter, person, joints['origin'])
    _queue_head(painter, person, joints)
    painter.paint()
    return joints


def _draw_occluder(canvas: np.ndarray, labels: np.ndarray, view: View,
                   person_box: tuple[float, float, float]) -> None:
    """Paint the view's occluder (pole, parked car or passer-by) in front of the person.

    ``person_box`` is the person's (pixels per body height, centre x, ground y) in render pixels.
    """
    h, w = labels.shape
    size, colour = view.occluder_size, np.asarray(view.occluder_colour, np.float32)
    if view.occluder == 'pole':
        half = w * (0.05 + 0.06 * size) / 2
        x0, x1 = int(view.occluder_x * w - half), int(view.occluder_x * w + half) + 1
        x0, x1 = max(0, x0), min(w, x1)
        across = np.sin(np.linspace(0.3, math.pi - 0.3, max(1, x1 - x0), dtype=np.float32))
        metal = np.float32(0.55) * colour + 50  # painted metal: a greyed palette colour
        canvas[:, x0:x1] = (metal[None, :] * (0.55 + 0.6 * across)[:, None])[None]
        labels[:, x0:x1] = OCCLUDER
    elif view.occluder == 'car':  # a parked car's side: cabin with windows, body, wheel
        top = int(h * (0.5 + 0.2 * size))
        from_left = view.occluder_x < 0.5
        edge = int(w * (view.occluder_x + (0.15 if from_left else -0.15)))
        x0, x1 = (-w, edge) if from_left else (edge, 2 * w)
        waist = top + int(0.12 * h)
        slope = int(0.12 * w) * (1 if from_left else -1)   # the windscreen leans inwards
        near, far = (x1, x0) if from_left else (x0, x1)
        cabin = np.array([[far, top], [near - slope, top], [near, waist], [far, waist]])
        body = np.array([[x0, waist], [x1, waist], [x1, h], [x0, h]])
        for shape, paint in ((cabin, (45, 55, 68)), (body, colour.tolist())):
            cv2.fillConvexPoly(canvas, shape.astype(np.int32), paint)
            cv2.fillConvexPoly(labels, shape.astype(np.int32), OCCLUDER)
        cv2.line(canvas, (x0, waist), (x1, waist), (colour * 1.25).clip(0, 255).tolist(), 2)
        wheel = (near - (w // 3 if from_left else -w // 3), h)
        cv2.circle(canvas, wheel, max(3, w // 5), (25, 25, 25), -1)
        cv2.circle(labels, wheel, max(3, w // 5), OCCLUDER, -1)
    elif view.occluder == 'person':
        k, cx, gy = person_box
        side = -1 if view.occluder_x < 0.5 else 1
        scale = 1.05 + 0.15 * size
        painter = _Painter(canvas, labels, view.occluder_yaw, k * scale,
                           cx + side * w * (0.55 + 0.2 * (1 - size)), gy + 0.04 * k,
                           label_override=OCCLUDER)
        _draw_person(painter, view.occluder_person, view.occluder_phase, 0.3)


def _darken_outlines(canvas: np.ndarray, labels: np.ndarray) -> None:
    """Darken pixels where the label changes: part outlines make the figure readable."""
    edge = np.zeros(labels.shape, bool)
    edge[:, 1:] |= labels[:, 1:] != labels[:, :-1]
    edge[1:] |= labels[1:] != labels[:-1]
    edge &= labels > 0
    canvas[edge] = (canvas[edge] * 0.72).astype(canvas.dtype)


def _keypoints(joints: dict[str, np.ndarray], painter: _Painter, labels: np.ndarray
               ) -> np.ndarray:
    """``(14, 3)`` AIC keypoints in crop pixels with visibility read from the label map."""
    h, w = labels.shape
    out = np.zeros((NUM_KEYPOINTS, 3), np.float32)
    points = painter.project(np.stack([joints[name] for name in KEYPOINT_NAMES]))
    for k, ((u, v), owners) in enumerate(zip(points, _JOINT_OWNERS)):
        if not (0 <= u < w and 0 <= v < h):
            continue
        i, j = int(v), int(u)
        window = labels[max(0, i - 1):i + 2, max(0, j - 1):j + 2]
        seen = any(int(label) in owners for label in np.unique(window))
        out[k] = (u / SUPERSAMPLE, v / SUPERSAMPLE, 2 if seen else 1)
    return out


def render_view(person: Identity | None, camera: Camera, view: View, height: int, width: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Render one ``(height, width, 3)`` uint8 RGB crop and its ``(14, 3)`` keypoints.

    ``person=None`` (or ``view.show_person`` False) renders the background and occluder only;
    all keypoints are then ``(0, 0, 0)``.
    """
    h, w = height * SUPERSAMPLE, width * SUPERSAMPLE
    background = camera_background(camera, h, w)
    x0 = int(view.background_offset * (background.shape[1] - w))
    canvas = background[:, x0:x0 + w].copy()
    labels = np.zeros((h, w), np.uint8)
    k = view.scale * h * (person.height if person is not None else 1.0)
    centre_x = w * (0.5 + view.dx)
    ground_y = h * (0.5 + view.dy) + k / 2
    painter = _Painter(canvas, labels, view.yaw, k, centre_x, ground_y)
    shown = person is not None and view.show_person
    joints = _draw_person(painter, person, view.phase, view.stride) if shown else None
    if view.occluder is not None:
        _draw_occluder(canvas, labels, view, (k, centre_x, ground_y))
    keypoints = (_keypoints(joints, painter, labels) if shown
                 else np.zeros((NUM_KEYPOINTS, 3), np.float32))
    _darken_outlines(canvas, labels)
    crop = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)
    return apply_view_effects(crop, view), keypoints


def render_person_layer(person: Identity, yaw: float, phase: float, stride: float, height: int,
                        width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``person`` alone, standing in a ``(height, width)`` box: to paste into a scene.

    Returns the ``(height, width, 3)`` uint8 RGB layer, its ``(height, width)`` float32 alpha
    (the share of each pixel the person covers) and the ``(14, 3)`` keypoints in box pixels
    (visibility from self-occlusion only). The feet touch the box's bottom edge and the person's
    height is ``0.93 · height`` times ``person.height``.
    """
    h, w = height * SUPERSAMPLE, width * SUPERSAMPLE
    canvas = np.zeros((h, w, 3), np.uint8)
    labels = np.zeros((h, w), np.uint8)
    painter = _Painter(canvas, labels, yaw, 0.93 * h * person.height, w / 2, h - 1)
    joints = _draw_person(painter, person, phase, stride)
    keypoints = _keypoints(joints, painter, labels)
    _darken_outlines(canvas, labels)
    layer = cv2.resize(canvas, (width, height), interpolation=cv2.INTER_AREA)
    alpha = cv2.resize((labels > 0).astype(np.float32), (width, height),
                       interpolation=cv2.INTER_AREA)
    return layer, alpha, keypoints
