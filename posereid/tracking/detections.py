"""Person detections for multi-camera tracking: oracle boxes from a sequence's ground truth,
or any mmdet detector given by config and checkpoint (nothing is downloaded).

Both give ``(M, 7)`` rows ``frame, -1, x, y, w, h, conf`` per camera, as
:func:`~posereid.tracking.single_camera.track_detections` takes them.
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import torch
from mmdet.apis import inference_detector, init_detector

from posereid.datasets.frames import FrameSource
from posereid.datasets.mot import read_mot_truth, read_seqinfo
from posereid.utils.checkpoint import load_checkpoint_safely, load_weights, state_dict_of

#: The degraded oracle of the ablation: people under 30% visible are missed, 10% of the other
#: boxes too, corners move by 5% of the box size, and 0.2 false boxes fall on each frame.
DEGRADED = dict(jitter=0.05, miss_rate=0.1, false_positives=0.2, min_visibility=0.3)


def sequence_detections(sequence_dir: str | os.PathLike, degrade: dict | None = None,
                        seed: int = 0) -> np.ndarray:
    """Oracle detections of a MOTChallenge sequence (the scored rows of ``gt/gt.txt``,
    :func:`~posereid.datasets.mot.read_mot_truth`), degraded by ``degrade``
    (:func:`oracle_detections`'s keywords; None: the
    ground truth itself)."""
    sequence_dir = Path(sequence_dir)
    info = read_seqinfo(sequence_dir)
    truth_file = sequence_dir / 'gt' / 'gt.txt'
    if not truth_file.is_file():
        raise FileNotFoundError(f'{truth_file}: no ground truth, which oracle detections need '
                                f'(give detections of your own, or an mmdet detector)')
    return oracle_detections(read_mot_truth(truth_file), (info['imHeight'], info['imWidth']),
                             info['seqLength'], seed=seed, **(degrade or {}))


class MMDetPersonDetector:
    """An mmdet detector kept to one class: ``config`` and ``checkpoint`` paths (loaded with
    weights only), boxes of ``person_class`` scoring at least ``score_threshold``."""

    def __init__(self, config: str | os.PathLike, checkpoint: str | os.PathLike | None,
                 device: str = 'cpu', score_threshold: float = 0.3, person_class: int = 0):
        self.model = init_detector(str(config), None, device=device)
        if checkpoint is not None:
            weights = state_dict_of(load_checkpoint_safely(checkpoint), checkpoint)
            load_weights(self.model, weights, checkpoint)
        self.score_threshold, self.person_class = score_threshold, person_class

    @torch.no_grad()
    def __call__(self, source: FrameSource) -> np.ndarray:
        """``(M, 7)`` detections of every frame of ``source``."""
        rows = []
        for number, image in source:
            found = inference_detector(self.model, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
            found = found.pred_instances.cpu().numpy()
            keep = (found.labels == self.person_class) & (found.scores >= self.score_threshold)
            x0, y0, x1, y1 = found.bboxes[keep].T
            rows.append(np.column_stack([np.full(keep.sum(), number), -np.ones(keep.sum()),
                                         x0, y0, x1 - x0, y1 - y0, found.scores[keep]]))
        return np.concatenate(rows).reshape(-1, 7) if rows else np.zeros((0, 7))


def oracle_detections(truth: np.ndarray, frame_size: tuple[int, int], num_frames: int,
                      jitter: float = 0.0, miss_rate: float = 0.0,
                      false_positives: float = 0.0, min_visibility: float = 0.0,
                      seed: int = 0) -> np.ndarray:
    """``(M, 7)`` detections ``frame, -1, x, y, w, h, conf`` from ``(N, 9)`` ground-truth rows
    (:func:`~posereid.datasets.mot.read_mot_boxes`), sorted by frame.

    ``frame_size`` is ``(height, width)``: boxes stay inside it; ``num_frames`` bounds the
    frames that false positives fall on. Kept true boxes score in ``[0.6, 1)``, false ones in
    ``[0.3, 0.7)``. Without degradation the boxes are the ground truth's with confidence 1.
    """
    if not 0 <= miss_rate <= 1:
        raise ValueError(f'miss_rate must be in [0, 1]; got {miss_rate}')
    if jitter < 0 or false_positives < 0:
        raise ValueError(f'jitter and false_positives must be >= 0; got {jitter}, '
                         f'{false_positives}')
    truth = np.asarray(truth, np.float64).reshape(-1, 9)
    rng = np.random.default_rng(seed)
    height, width = frame_size
    kept = truth[(truth[:, 8] >= min_visibility) & (rng.random(len(truth)) >= miss_rate)]
    boxes = kept[:, 2:6].copy()
    degraded = jitter > 0 or miss_rate > 0 or false_positives > 0
    if jitter > 0:
        corners = np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)
        corners += rng.normal(0, jitter, corners.shape) * boxes[:, [2, 3, 2, 3]]
        boxes = np.concatenate([corners[:, :2], corners[:, 2:] - corners[:, :2]], axis=1)
    conf = rng.uniform(0.6, 1.0, len(kept)) if degraded else np.ones(len(kept))
    rows = [np.column_stack([kept[:, 0], -np.ones(len(kept)), boxes, conf])]
    if false_positives > 0:
        count = rng.poisson(false_positives * num_frames)
        h = rng.uniform(0.25, 0.6, count) * height
        w = h * rng.uniform(0.35, 0.55, count)
        x, y = rng.uniform(0, 1, count) * (width - w), rng.uniform(0, 1, count) * (height - h)
        rows.append(np.column_stack([rng.integers(1, num_frames + 1, count), -np.ones(count),
                                     x, y, w, h, rng.uniform(0.3, 0.7, count)]))
    out = np.concatenate(rows)
    out[:, 2:6] = _clip_boxes(out[:, 2:6], height, width)
    out = out[(out[:, 4] >= 2) & (out[:, 5] >= 2)]
    return out[np.argsort(out[:, 0], kind='stable')]


def _clip_boxes(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """``(N, 4)`` ``x, y, w, h`` boxes clipped to a ``height × width`` frame."""
    x0 = np.clip(boxes[:, 0], 0, width)
    y0 = np.clip(boxes[:, 1], 0, height)
    x1 = np.clip(boxes[:, 0] + boxes[:, 2], 0, width)
    y1 = np.clip(boxes[:, 1] + boxes[:, 3], 0, height)
    return np.stack([x0, y0, x1 - x0, y1 - y0], axis=1)
