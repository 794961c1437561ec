"""Person detections for multi-camera tracking: oracle boxes from a sequence's ground truth,
or any mmdet detector given by config and checkpoint (nothing is downloaded).

Both give ``(M, 7)`` rows ``frame, -1, x, y, w, h, conf`` per camera, as
:func:`~posereid.apis.single_camera.track_detections` takes them.
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
from posereid.datasets.oracle_detections import oracle_detections
from posereid.utils.checkpoint import load_checkpoint_safely, load_weights, state_dict_of

#: The degraded oracle of the ablation: people under 30% visible are missed, 10% of the other
#: boxes too, corners move by 5% of the box size, and 0.2 false boxes fall on each frame.
DEGRADED = dict(jitter=0.05, miss_rate=0.1, false_positives=0.2, min_visibility=0.3)


def sequence_detections(sequence_dir: str | os.PathLike, degrade: dict | None = None,
                        seed: int = 0) -> np.ndarray:
    """Oracle detections of a MOTChallenge sequence (the scored rows of ``gt/gt.txt``,
    :func:`~posereid.datasets.mot.read_mot_truth`), degraded by ``degrade``
    (:func:`~posereid.datasets.oracle_detections.oracle_detections`'s keywords; None: the
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
