"""Where each camera's person boxes come from: a :class:`DetectionSource`.

A source is opened on one camera's footage (:meth:`DetectionSource.for_camera`) and then gives
the :class:`~posereid.datasets.boxes.Boxes` of one frame at a time, from the frame's pixels
where it needs them (a detector) or from a file (boxes known in advance). The kinds:

* :class:`GroundTruthBoxes`: a MOTChallenge sequence's ground truth (``gt/gt.txt``, its scored
  rows) as a detector's output, optionally degraded (:func:`oracle_detections`), to measure
  tracking and re-identification apart from detection errors;
* :class:`MotFileBoxes`: MOT detection files, a folder of ``<camera>.txt`` or each sequence's
  own ``det/det.txt``;
* :class:`MMDetBoxes`: any mmdet detector, from its config and a local checkpoint (nothing is
  downloaded; mmdet is imported only here);
* :class:`HogBoxes`: OpenCV's built-in HOG people detector, which needs no download at all: a
  weak fallback (its recall and precision on MOT17 are in ``docs/tracking.md``).

:func:`detection_source` turns the ``--detections`` choices of the tools into one.
"""
from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
import torch

from posereid.datasets.boxes import NO_ID, Boxes
from posereid.datasets.frames import FootageError, FrameSource, StreamSource
from posereid.datasets.mot import read_mot_boxes, read_mot_truth, read_seqinfo
from posereid.utils.checkpoint import load_checkpoint_safely, load_weights, state_dict_of

#: The degraded oracle of the ablation: people under 30% visible are missed, 10% of the other
#: boxes too, corners move by 5% of the box size, and 0.2 false boxes fall on each frame.
DEGRADED = dict(jitter=0.05, miss_rate=0.1, false_positives=0.2, min_visibility=0.3)
#: The names of the tools' ``--detections`` choices other than a folder of MOT files.
DETECTION_MODES = ('oracle', 'degraded', 'det', 'mmdet', 'hog')

#: One frame's boxes: ``(frame number, (H, W, 3) RGB or None) -> Boxes``.
FrameDetector = Callable[[int, 'np.ndarray | None'], Boxes]


class DetectionSource(ABC):
    """Person boxes for any camera. ``needs_pixels``: whether the frames' pixels are needed
    (a detector), or the boxes are known in advance (a file)."""

    needs_pixels = False

    @abstractmethod
    def for_camera(self, camera: str, footage: FrameSource) -> FrameDetector:
        """The boxes of each frame of ``camera``; errors name the camera and the file."""


class _KnownBoxes(DetectionSource):
    """Boxes read in advance for the whole footage, handed out a frame at a time."""

    @abstractmethod
    def read(self, camera: str, footage: FrameSource) -> Boxes:
        """All boxes of the camera."""

    def for_camera(self, camera: str, footage: FrameSource) -> FrameDetector:
        """Also: a cut sequence's boxes past its last frame present are not used."""
        if isinstance(footage, StreamSource):
            raise FootageError(f'camera {camera}: {footage.url} is a stream, with no file of '
                               f'boxes; give it a detector (hog or mmdet)')
        boxes = self.read(camera, footage).by_frame()
        if len(boxes) and (boxes.frame.min() < 1 or boxes.frame.max() > footage.declared_frames):
            raise ValueError(f'camera {camera}: detections fall on frames '
                             f'{boxes.frame.min()} .. {boxes.frame.max()}; the footage '
                             f'{footage.path} has frames 1 .. {footage.declared_frames}')
        bounds = np.searchsorted(boxes.frame, np.arange(1, footage.num_frames + 2))
        return lambda frame, image=None: boxes[bounds[frame - 1]:bounds[frame]]


class GroundTruthBoxes(_KnownBoxes):
    """A sequence's scored ground-truth boxes (:func:`~posereid.datasets.mot.read_mot_truth`)
    as detections with no identity, degraded by ``degrade`` (:func:`oracle_detections`'s
    keywords, e.g. :data:`DEGRADED`; None: the ground truth itself) with ``seed``."""

    def __init__(self, degrade: dict | None = None, seed: int = 0):
        self.degrade, self.seed = degrade, seed

    def read(self, camera: str, footage: FrameSource) -> Boxes:
        truth_file = footage.path / 'gt' / 'gt.txt'
        if not truth_file.is_file():
            raise FileNotFoundError(f'camera {camera}: {truth_file}: no ground truth, which '
                                    f'oracle detections need (give detections of your own, '
                                    f'or a detector)')
        info = read_seqinfo(footage.path)
        return oracle_detections(read_mot_truth(truth_file), (info['imHeight'],
                                                              info['imWidth']),
                                 footage.num_frames, seed=self.seed, **(self.degrade or {}))


class MotFileBoxes(_KnownBoxes):
    """MOT detection files (``frame,-1,x,y,w,h,conf,...``): ``<folder>/<camera>.txt``, or, with
    no folder, each MOTChallenge sequence's own ``det/det.txt`` (its public detections)."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = None if folder is None else Path(folder)

    def read(self, camera: str, footage: FrameSource) -> Boxes:
        if self.folder is None:
            file, expected = footage.path / 'det' / 'det.txt', 'a MOTChallenge sequence has'
        else:
            file, expected = self.folder / f'{camera}.txt', 'one MOT file <camera>.txt per ' \
                f'camera in {self.folder}'
        if not file.is_file():
            raise FootageError(f'camera {camera}: no detection file {file} (expected '
                               f'{expected})')
        found = read_mot_boxes(file)
        return found.with_ids(np.full(len(found), NO_ID))


class MMDetBoxes(DetectionSource):
    """An mmdet detector kept to one class: ``config`` and ``checkpoint`` paths (loaded with
    weights only), boxes of ``person_class`` scoring at least ``score_threshold``."""

    needs_pixels = True

    def __init__(self, config: str | os.PathLike, checkpoint: str | os.PathLike | None,
                 device: str = 'cpu', score_threshold: float = 0.3, person_class: int = 0):
        from mmdet.apis import init_detector

        self.model = init_detector(str(config), None, device=device)
        if checkpoint is not None:
            weights = state_dict_of(load_checkpoint_safely(checkpoint), checkpoint)
            load_weights(self.model, weights, checkpoint)
        self.score_threshold, self.person_class = score_threshold, person_class

    @torch.no_grad()
    def detect(self, frame: int, image: np.ndarray) -> Boxes:
        """The person boxes of one ``(H, W, 3)`` RGB frame."""
        from mmdet.apis import inference_detector

        found = inference_detector(self.model, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        found = found.pred_instances.cpu().numpy()
        keep = (found.labels == self.person_class) & (found.scores >= self.score_threshold)
        corners = found.bboxes[keep].reshape(-1, 4)
        return Boxes.create(np.full(len(corners), frame),
                            np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]],
                                           axis=1), found.scores[keep])

    def for_camera(self, camera: str, footage: FrameSource) -> FrameDetector:
        return self.detect


#: The margins of the HOG window around its person, as fractions of the window's width and
#: height (each side): the INRIA person windows the default detector was trained on.
#: (0.2, 0.1) gave the best recall at IoU 0.5 on MOT17's first frames (docs/tracking.md).
HOG_PERSON = (0.2, 0.1)


class HogBoxes(DetectionSource):
    """OpenCV's built-in HOG people detector (Dalal and Triggs, CVPR 2005: a linear SVM over
    64 × 128 windows of gradient histograms), shipped inside OpenCV. A frame is first scaled to
    ``width`` pixels wide (wider frames only: HOG's cost grows with the pixels), then searched
    at scales ``scale`` apart with a window stride of ``stride`` pixels; windows scoring at
    least ``score_threshold`` (the SVM's margin) are kept, overlaps above IoU ``nms_iou``
    suppressed. Confidence is the margin through a logistic, so 0.5 at the SVM's boundary."""

    needs_pixels = True

    def __init__(self, width: int = 1280, scale: float = 1.05, stride: int = 8,
                 score_threshold: float = 0.5, nms_iou: float = 0.4):
        if width < 64 or scale <= 1 or stride < 1 or not 0 < nms_iou <= 1:
            raise ValueError(f'need width >= 64, scale > 1, stride >= 1 and nms_iou in (0, 1]; '
                             f'got {width}, {scale}, {stride}, {nms_iou}')
        self.width, self.scale, self.stride = width, scale, stride
        self.score_threshold, self.nms_iou = score_threshold, nms_iou
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())

    def detect(self, frame: int, image: np.ndarray) -> Boxes:
        """The person boxes of one ``(H, W, 3)`` RGB frame."""
        factor = min(1.0, self.width / image.shape[1])
        small = image if factor == 1 else cv2.resize(image, None, fx=factor, fy=factor,
                                                     interpolation=cv2.INTER_AREA)
        found, margins = self.hog.detectMultiScale(
            cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), hitThreshold=self.score_threshold,
            winStride=(self.stride, self.stride), scale=self.scale, groupThreshold=0)
        xywh = np.asarray(found, np.float64).reshape(-1, 4) / factor
        # the detector's window frames the person with a margin: keep the person's part
        margin_x, margin_y = HOG_PERSON
        xywh = xywh + xywh[:, [2, 3, 2, 3]] * [margin_x, margin_y, -2 * margin_x, -2 * margin_y]
        confidence = 1 / (1 + np.exp(-np.asarray(margins, np.float64).reshape(-1)))
        keep = cv2.dnn.NMSBoxes(xywh.tolist(), confidence.tolist(), 0.0, self.nms_iou)
        keep = np.asarray(keep, int).reshape(-1)
        return Boxes.create(np.full(len(keep), frame), xywh[keep], confidence[keep])

    def for_camera(self, camera: str, footage: FrameSource) -> FrameDetector:
        return self.detect


def detection_source(mode: str, seed: int = 0, detector_config: str | None = None,
                     detector_checkpoint: str | None = None,
                     device: str = 'cpu') -> DetectionSource:
    """The source of the tools' ``--detections``: ``'oracle'`` (the ground truth),
    ``'degraded'`` (with ``seed``), ``'det'`` (each sequence's ``det/det.txt``), ``'mmdet'``
    (then ``detector_config`` and, for trained weights, ``detector_checkpoint``), ``'hog'``
    (OpenCV's HOG people detector), or a folder of ``<camera>.txt`` MOT files."""
    if mode in ('oracle', 'degraded'):
        return GroundTruthBoxes(DEGRADED if mode == 'degraded' else None, seed)
    if mode == 'det':
        return MotFileBoxes()
    if mode == 'hog':
        return HogBoxes()
    if mode == 'mmdet':
        if not detector_config:
            raise ValueError("detections 'mmdet' need a detector config (--detector-config) "
                             'and, for trained weights, a checkpoint (--detector-checkpoint)')
        return MMDetBoxes(detector_config, detector_checkpoint, device)
    if Path(mode).is_dir():
        return MotFileBoxes(mode)
    raise ValueError(f"detections must be one of {', '.join(DETECTION_MODES)} or a folder of "
                     f'<camera>.txt MOT files; got {mode!r}')


def oracle_detections(truth: Boxes, frame_size: tuple[int, int], num_frames: int,
                      jitter: float = 0.0, miss_rate: float = 0.0,
                      false_positives: float = 0.0, min_visibility: float = 0.0,
                      seed: int = 0) -> Boxes:
    """Detections (no identities, sorted by frame) from ground-truth boxes, degraded or not.

    Boxes of people less than ``min_visibility`` visible are missed, each other box is missed
    with ``miss_rate``, its corners move by a Gaussian ``jitter`` (a fraction of the box
    size), and each frame gets ``false_positives`` spurious boxes on average (Poisson), on
    frames ``1 .. num_frames``. ``frame_size`` is ``(height, width)``: boxes stay inside it.
    Kept true boxes score in ``[0.6, 1)``, false ones in ``[0.3, 0.7)``; without degradation
    the boxes are the ground truth's with confidence 1.
    """
    if not 0 <= miss_rate <= 1:
        raise ValueError(f'miss_rate must be in [0, 1]; got {miss_rate}')
    if jitter < 0 or false_positives < 0:
        raise ValueError(f'jitter and false_positives must be >= 0; got {jitter}, '
                         f'{false_positives}')
    rng = np.random.default_rng(seed)
    height, width = frame_size
    kept = truth[(truth.visibility >= min_visibility) & (rng.random(len(truth)) >= miss_rate)]
    corners = kept.xyxy
    degraded = jitter > 0 or miss_rate > 0 or false_positives > 0
    if jitter > 0:
        corners = corners + rng.normal(0, jitter, corners.shape) * kept.xywh[:, [2, 3, 2, 3]]
    conf = rng.uniform(0.6, 1.0, len(kept)) if degraded else np.ones(len(kept))
    parts = [Boxes.create(kept.frame, np.concatenate([corners[:, :2],
                                                      corners[:, 2:] - corners[:, :2]], 1),
                          conf)]
    if false_positives > 0:
        count = rng.poisson(false_positives * num_frames)
        h = rng.uniform(0.25, 0.6, count) * height
        w = h * rng.uniform(0.35, 0.55, count)
        x, y = rng.uniform(0, 1, count) * (width - w), rng.uniform(0, 1, count) * (height - h)
        parts.append(Boxes.create(rng.integers(1, num_frames + 1, count),
                                  np.stack([x, y, w, h], axis=1), rng.uniform(0.3, 0.7, count)))
    out = Boxes.concatenate(parts).clipped(height, width)
    return out[(out.width >= 2) & (out.height >= 2)].by_frame()
