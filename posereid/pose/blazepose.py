"""BlazePose (MediaPipe) as a pose backend: a real pretrained network that works offline.

The ``mediapipe`` wheel (0.10.14, the optional ``blazepose`` extra) bundles the BlazePose
person detector and its full landmark model (``pose_landmark_full.tflite``), so nothing is
downloaded. Each crop goes through ``mp.solutions.pose.Pose(static_image_mode=True)``; its 33
landmarks are reduced to COCO-17 and mapped to the 14 AIC joints by
:func:`posereid.pose.coco_to_aic.coco_to_aic` (neck and head top by the same rules as for COCO
models). Scores are BlazePose's per-landmark *visibility*; heatmaps are Gaussians at the joints
scaled by those scores (:func:`posereid.pose.base.render_gaussian_heatmaps`). A crop where no
person is found gets zero scores and empty heatmaps.

BlazePose's detector wants people of a reasonable size, so crops smaller than ``min_height``
pixels are upscaled before detection (coordinates come back in the original crop's pixels).
Two options for tight pedestrian crops, whose person touches the border, both on by default
(on the ~100 real crops of ``../shared/realdata`` a person is found in 62% of the crops
without them, 90% with ``pad`` and 93% with both; ``benchmarks/bench_blazepose.py``,
docs/pose.md):

* ``pad``: a border of that fraction of the crop's height (and, for the width, of its width)
  on each side, in the crop's mean colour, before detection — BlazePose's detector was trained
  on people with some context around them;
* ``flip_test``: also run on the mirrored crop, mirror its joints back (swapping left and
  right), and average each joint of the two runs weighted by its visibility; when only one
  run finds the person, that run is kept.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from .base import PoseOutput, render_gaussian_heatmaps
from .coco_to_aic import COCO_FLIP_INDICES, coco_to_aic

# BlazePose landmark index of each COCO-17 joint: nose, left/right eye (centre), left/right
# ear, then shoulders, elbows, wrists, hips, knees, ankles as (left, right).
BLAZEPOSE_TO_COCO: tuple[int, ...] = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
NUM_BLAZEPOSE_LANDMARKS = 33
# The landmark model that model_complexity selects; only "full" ships inside the wheel.
LANDMARK_MODELS = {0: 'pose_landmark_lite.tflite', 1: 'pose_landmark_full.tflite',
                   2: 'pose_landmark_heavy.tflite'}


def import_mediapipe():
    """``mediapipe``, or an ImportError that says how to install the optional extra."""
    try:
        import mediapipe
    except ImportError as error:
        raise ImportError('the BlazePose backend needs mediapipe 0.10.14 (the optional '
                          "'blazepose' extra: pip install --no-deps mediapipe==0.10.14, see "
                          f'scripts/install.sh): {error}') from None
    return mediapipe


class BlazePoseBackend:
    """MediaPipe BlazePose landmarks → AIC-14 keypoints and Gaussian heatmaps.

    Args:
        heatmap_size: ``(h, w)`` of the rendered heatmaps.
        model_complexity: MediaPipe's landmark model; 1 ("full") is bundled with the wheel,
            0 and 2 are used only if their ``.tflite`` file is already installed.
        sigma: Gaussian standard deviation in heatmap pixels.
        min_detection_confidence: MediaPipe's person-detection threshold.
        min_height: crops shorter than this are upscaled (aspect kept) before detection.
        pad: border added on each side before detection, as a fraction of the crop's size.
        flip_test: average with the mirrored crop's joints (module docstring).
    """

    def __init__(self, heatmap_size: tuple[int, int] = (32, 16), model_complexity: int = 1,
                 sigma: float = 1.5, min_detection_confidence: float = 0.5,
                 min_height: int = 256, pad: float = 0.2, flip_test: bool = True):
        mp = import_mediapipe()
        if model_complexity not in LANDMARK_MODELS:
            raise ValueError(f'model_complexity must be 0, 1 or 2; got {model_complexity!r}')
        model_file = (Path(mp.__file__).parent / 'modules' / 'pose_landmark'
                      / LANDMARK_MODELS[model_complexity])
        if not model_file.is_file():
            raise FileNotFoundError(f'{model_file} not found: this mediapipe install lacks the '
                                    f'model of model_complexity={model_complexity}, and posereid '
                                    'never downloads; use model_complexity=1')
        self.heatmap_size = tuple(int(s) for s in heatmap_size)
        self.model_complexity = model_complexity
        self.sigma = float(sigma)
        self.min_detection_confidence = float(min_detection_confidence)
        self.min_height = int(min_height)
        if not 0 <= pad <= 1:
            raise ValueError(f'pad must be a fraction in [0, 1]; got {pad!r}')
        self.pad, self.flip_test = float(pad), bool(flip_test)
        self.version = mp.__version__
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=True, model_complexity=model_complexity, enable_segmentation=False,
            min_detection_confidence=min_detection_confidence)

    def identity(self) -> dict:
        return dict(type='blazepose', mediapipe=self.version,
                    model_complexity=self.model_complexity, heatmap_size=list(self.heatmap_size),
                    sigma=self.sigma, min_detection_confidence=self.min_detection_confidence,
                    min_height=self.min_height, pad=self.pad, flip_test=self.flip_test)

    def landmarks(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """BlazePose's 33 landmarks of one RGB crop: ``(33, 2)`` crop pixels and ``(33,)``
        visibilities (all zero when no person is found)."""
        if not (image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3):
            raise ValueError(f'expected an (H, W, 3) uint8 RGB array, got {image.dtype} '
                             f'{image.shape}')
        h, w = image.shape[:2]
        dy, dx = round(self.pad * h), round(self.pad * w)
        if dy or dx:
            fill = [int(c) for c in image.reshape(-1, 3).mean(axis=0)]
            image = cv2.copyMakeBorder(image, dy, dy, dx, dx, cv2.BORDER_CONSTANT, value=fill)
        if image.shape[0] < self.min_height:
            zoom = self.min_height / image.shape[0]
            image = cv2.resize(image, (round(image.shape[1] * zoom), self.min_height),
                               interpolation=cv2.INTER_LINEAR)
        result = self._pose.process(np.ascontiguousarray(image))
        if result.pose_landmarks is None:
            return (np.zeros((NUM_BLAZEPOSE_LANDMARKS, 2), np.float32),
                    np.zeros(NUM_BLAZEPOSE_LANDMARKS, np.float32))
        marks = result.pose_landmarks.landmark
        # normalised coordinates of the padded crop → pixels of the crop
        xy = np.array([(m.x * (w + 2 * dx) - dx, m.y * (h + 2 * dy) - dy) for m in marks],
                      np.float32)
        return xy, np.clip(np.array([m.visibility for m in marks], np.float32), 0, 1)

    def coco_joints(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(17, 2)`` COCO joints and ``(17,)`` visibilities of one crop, averaged with the
        mirrored crop's with ``flip_test``."""
        xy, vis = self.landmarks(image)
        xy, vis = xy[list(BLAZEPOSE_TO_COCO)], vis[list(BLAZEPOSE_TO_COCO)]
        if not self.flip_test:
            return xy, vis
        mirrored_xy, mirrored_vis = self.landmarks(np.ascontiguousarray(image[:, ::-1]))
        flip = list(COCO_FLIP_INDICES)
        mirrored_xy, mirrored_vis = mirrored_xy[list(BLAZEPOSE_TO_COCO)][flip], \
            mirrored_vis[list(BLAZEPOSE_TO_COCO)][flip]
        mirrored_xy[:, 0] = image.shape[1] - mirrored_xy[:, 0]
        if not vis.any() or not mirrored_vis.any():      # one run found nobody: the other
            return (xy, vis) if vis.any() else (mirrored_xy, mirrored_vis)
        weights = np.stack([vis, mirrored_vis])[..., None]
        total = weights.sum(axis=0).clip(min=1e-6)
        joints = (weights[0] * xy + weights[1] * mirrored_xy) / total
        return joints.astype(np.float32), ((vis + mirrored_vis) / 2).astype(np.float32)

    def __call__(self, images: Sequence[np.ndarray]) -> PoseOutput:
        found = [self.coco_joints(image) for image in images]
        xy = np.stack([f[0] for f in found]) if found else np.zeros((0, 17, 2), np.float32)
        vis = np.stack([f[1] for f in found]) if found else np.zeros((0, 17), np.float32)
        keypoints, scores = coco_to_aic(xy, vis)
        sizes = [image.shape[:2] for image in images] or [(1, 1)]
        heatmaps = render_gaussian_heatmaps(keypoints, scores, sizes, self.heatmap_size,
                                            self.sigma)
        return PoseOutput(heatmaps=heatmaps, keypoints=keypoints, scores=scores)
