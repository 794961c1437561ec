"""``build_pose_backend(cfg)``: a pose backend from a config dict, importing only what it needs.

========================  =====================================================================
``type``                  keys (besides ``type``)
========================  =====================================================================
``'ground_truth'``        ``root`` (embedded-world domain folder), ``heatmap_size``, ``sigma``,
                          ``hidden_score`` — ``posereid.pose.ground_truth.GroundTruthBackend``
``'mmpose'``              ``config``, ``checkpoint``, ``device``, ``flip_test``, ``heatmap_size``
                          — ``posereid.pose.mmpose_backend.MMPoseBackend``
``'blazepose'``           ``heatmap_size`` … — ``posereid.pose.blazepose.BlazePoseBackend``
``'no_pose'``             ``heatmap_size`` — ``posereid.pose.no_pose.NoPoseBackend`` (the control)
``'keypoints_file'``      ``path``, ``heatmap_size``, ``sigma`` — poses computed elsewhere
                          (``posereid.pose.keypoints_file.KeypointsFileBackend``)
========================  =====================================================================

The mmpose and MediaPipe modules are imported on first use, so ``import posereid.pose`` stays
light.
"""
from __future__ import annotations

import importlib
import os
from typing import Sequence

from .base import PoseBackend

# type → (module, class name)
POSE_BACKENDS: dict[str, tuple[str, str]] = {
    'ground_truth': ('posereid.pose.ground_truth', 'GroundTruthBackend'),
    'mmpose': ('posereid.pose.mmpose_backend', 'MMPoseBackend'),
    'blazepose': ('posereid.pose.blazepose', 'BlazePoseBackend'),
    'no_pose': ('posereid.pose.no_pose', 'NoPoseBackend'),
    'keypoints_file': ('posereid.pose.keypoints_file', 'KeypointsFileBackend'),
}


def build_pose_backend(cfg: dict) -> PoseBackend:
    """Instantiate ``cfg['type']`` with the other keys as keyword arguments."""
    cfg = dict(cfg)
    kind = cfg.pop('type', None)
    if kind not in POSE_BACKENDS:
        raise ValueError(f'pose backend type must be one of {sorted(POSE_BACKENDS)}; got {kind!r}')
    module, name = POSE_BACKENDS[kind]
    backend_class = getattr(importlib.import_module(module), name)
    try:
        return backend_class(**cfg)
    except TypeError as error:
        raise TypeError(f'pose backend {kind!r}: bad config keys {sorted(cfg)} ({error})') from None


def complete_pose_config(cfg: dict, img_paths: Sequence[str | os.PathLike]) -> dict:
    """``cfg`` with defaults that depend on the images: a ground-truth ``root`` found from them."""
    cfg = dict(cfg)
    if cfg.get('type') == 'ground_truth' and cfg.get('root') is None and img_paths:
        from .ground_truth import find_keypoints_root
        cfg['root'] = str(find_keypoints_root(img_paths[0]))
    return cfg
