"""A trained re-id model ready for unlabelled images: :class:`Predictor`.

Everything that turns crops into what the network reads travels with the network: the
config's test pipeline (after its loading steps: the same resize and normalisation as
``tools/test.py``), the pose backend that makes the heatmaps of a pose model (the config's
``pose``; BlazePose when the config names none), and the input and heatmap sizes.
:func:`init_predictor` builds one from a config and a checkpoint; :func:`~.inference.extract`,
:func:`~.inference.compare`, :func:`~.inference.search`, the ONNX exporter and the tracking
pipeline take it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from mmengine.config import Config

from posereid.datasets.transforms import LoadHeatmaps, LoadImage
from posereid.engine.config import load_config
from posereid.engine.tester import load_model
from posereid.engine.work_dir import resolve_checkpoint
from posereid.pose.backends import build_pose_backend
from posereid.pose.base import PoseBackend
from posereid.registry import TRANSFORMS

#: The pose model of a config that names none: BlazePose, for real photographs.
DEFAULT_POSE = dict(type='blazepose')


@dataclass(frozen=True)
class Predictor:
    """``model`` (eval mode, on its device), the ``cfg`` it was built from, the ``pipeline`` of
    transforms from an RGB crop to the network's input, the ``pose`` backend of a model that
    reads heatmaps (None otherwise), ``input_size`` ``(H, W)``, ``heatmap_size`` ``(h, w)`` and
    the ``checkpoint`` file its weights came from."""

    model: torch.nn.Module
    cfg: Config
    pipeline: tuple
    pose: PoseBackend | None
    input_size: tuple[int, int]
    heatmap_size: tuple[int, int]
    checkpoint: Path

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    @property
    def uses_heatmaps(self) -> bool:
        return self.pose is not None


def init_predictor(config: str | os.PathLike | Config, checkpoint: str | os.PathLike,
                   device: str | None = None, cfg_options: dict | None = None,
                   pose: dict | None = None) -> Predictor:
    """The :class:`Predictor` of a re-id config and a checkpoint (a file, or a work dir: its
    last checkpoint). ``device``: ``'cpu'`` or ``'cuda'`` (default: the config's, else a GPU if
    there is one); ``pose``: a pose-backend config instead of the config's."""
    cfg = load_config(config, cfg_options)
    checkpoint = resolve_checkpoint(checkpoint, cfg.filename or 'CONFIG')
    model = load_model(cfg, checkpoint, device)
    pipeline = tuple(t for t in map(TRANSFORMS.build, cfg.test_dataloader.dataset.pipeline)
                     if not isinstance(t, (LoadImage, LoadHeatmaps)))
    heatmap_size = tuple(cfg.get('heatmap_size', (32, 16)))
    backend = None
    if getattr(model, 'uses_heatmaps', False):
        backend = build_pose_backend(dict(pose or cfg.get('pose') or DEFAULT_POSE,
                                          heatmap_size=heatmap_size))
    return Predictor(model, cfg, pipeline, backend, tuple(cfg.model.input_size), heatmap_size,
                     checkpoint)
