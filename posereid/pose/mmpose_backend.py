"""Any mmpose top-down heatmap model, run as batched forward passes over pedestrian crops.

``MMPoseBackend(config, checkpoint)`` builds the model of an mmpose config (offline: the
config's ``Pretrained`` initialisers are removed), loads the checkpoint safely
(:func:`posereid.utils.checkpoint.load_checkpoint_safely`) and checks it fits the model. A call
on a list of crops then

1. maps every crop, whole, into the model input (``input_size`` of the head's codec) with the
   affine transform of mmpose's ``TopdownAffine``: box = the crop (times ``padding``), widened
   or heightened to the input's aspect ratio, centred;
2. normalises with the model's data preprocessor and runs one ``forward(mode='tensor')`` per
   batch of ``batch_size`` crops (plus one on the mirrored batch with ``flip_test``), instead of
   mmpose's ``inference_topdown`` loop of one pipeline + forward per image;
3. decodes keypoints with the head's own codec (argmax + sub-pixel refinement, DARK, UDP...)
   and maps them back to crop pixels; resamples the heatmaps so they cover exactly the crop
   at ``heatmap_size``.

Models with 14 outputs are taken to be in AIC order (mmpose's AI-Challenger models); models
with 17 are COCO and go through :mod:`posereid.pose.coco_to_aic`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from posereid.utils.checkpoint import load_checkpoint_safely, state_dict_of
from posereid.utils.io import file_sha256

from .base import PoseOutput
from .coco_to_aic import (COCO_FLIP_INDICES, NUM_COCO_KEYPOINTS, coco_heatmaps_to_aic,
                          coco_to_aic)
from .keypoints import FLIP_INDICES, NUM_KEYPOINTS, dataset_metainfo

FLIP_INDICES_BY_COUNT = {NUM_KEYPOINTS: FLIP_INDICES, NUM_COCO_KEYPOINTS: COCO_FLIP_INDICES}


def remove_pretrained_init(node):
    """Drop every ``init_cfg`` of type ``Pretrained`` in a (nested) config, in place.

    mmpose model-zoo configs initialise backbones from ImageNet weights by URL; the checkpoint
    loaded afterwards overwrites them anyway, so posereid never fetches them.
    """
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        elif isinstance(init, list):
            node['init_cfg'] = [c for c in init if c.get('type') != 'Pretrained'] or None
        for value in node.values():
            remove_pretrained_init(value)
    elif isinstance(node, list):
        for value in node:
            remove_pretrained_init(value)


def load_pose_config(config: str | Path):
    """The mmengine ``Config`` of an mmpose top-down model, with pretrained init removed."""
    from mmengine.config import Config

    config = Path(config)
    if not config.is_file():
        raise FileNotFoundError(f'mmpose config not found: {config}')
    try:
        cfg = Config.fromfile(str(config))
    except Exception as error:  # mmengine raises many kinds on a bad file
        raise ValueError(f'{config}: not a readable mmengine config ({error})') from None
    model = cfg.get('model')
    if not isinstance(model, dict) or model.get('type') != 'TopdownPoseEstimator':
        raise ValueError(f'{config}: expected an mmpose top-down model '
                         f"(model.type='TopdownPoseEstimator'); got "
                         f'{model.get("type") if isinstance(model, dict) else model!r}')
    if not isinstance(model.get('head'), dict) or not model['head'].get('decoder'):
        raise ValueError(f'{config}: the model head has no decoder (codec) to decode heatmaps')
    remove_pretrained_init(cfg.model)
    cfg.model.train_cfg = None
    return cfg


def load_pose_weights(model: torch.nn.Module, checkpoint: str | Path, config: str | Path,
                      num_keypoints: int) -> dict:
    """Load ``checkpoint`` into ``model``, refusing one made for another architecture.

    mmpose's own load hooks run (they rename the keys of mmpose 0.x model-zoo checkpoints,
    e.g. ``keypoint_head.*`` → ``head.*``). Returns the checkpoint's ``meta`` (or ``{}``).

    Raises:
        ValueError naming both files: the checkpoint's head predicts another number of
            keypoints, or its weights do not match the model's (missing, unexpected or
            of other shapes).
    """
    loaded = load_checkpoint_safely(checkpoint, map_location='cpu')
    state = {k.removeprefix('module.'): v for k, v in state_dict_of(loaded, checkpoint).items()}
    counts = {v.shape[0] for k, v in state.items() if k.endswith('final_layer.weight')}
    if counts and num_keypoints not in counts:
        raise ValueError(f'{checkpoint}: its head predicts {counts.pop()} keypoints but '
                         f'{config} builds a model with {num_keypoints}; pass the config the '
                         'checkpoint was trained with')
    try:
        incompatible = model.load_state_dict(state, strict=False)
    except RuntimeError as error:                # torch lists every tensor of another shape
        detail = '; '.join(line.strip() for line in str(error).splitlines()[1:4])
        raise ValueError(f'{checkpoint} does not fit the model of {config} (another '
                         f'architecture?): {detail}') from None
    missing = [k for k in incompatible.missing_keys if not k.endswith('num_batches_tracked')]
    unexpected = incompatible.unexpected_keys
    if missing or unexpected:
        def some(keys):
            return f'{len(keys)} (e.g. {", ".join(keys[:3])})' if keys else '0'
        raise ValueError(f'{checkpoint} does not fit the model of {config} (another '
                         f'architecture?): weights missing {some(missing)}, unexpected '
                         f'{some(unexpected)}')
    meta = loaded.get('meta') if isinstance(loaded, dict) else None
    return meta if isinstance(meta, dict) else {}


def crop_boxes(image_sizes: np.ndarray, input_size: tuple[int, int],
               padding: float) -> tuple[np.ndarray, np.ndarray]:
    """mmpose box ``(center, scale)`` of whole crops, fixed to the input's aspect ratio.

    Args:
        image_sizes: ``(B, 2)`` ``(H, W)``.
        input_size: model input ``(w, h)``.
    Returns:
        ``centers`` and ``scales``, each ``(B, 2)`` ``(x, y)``; the input pixel ``p`` shows the
        crop point ``p / input_size · scale + center − scale / 2`` (mmpose's convention).
    """
    wh = image_sizes[:, ::-1].astype(np.float32)
    centers = wh / 2
    scales = wh * padding
    aspect = input_size[0] / input_size[1]
    scales = np.where((scales[:, 0] > scales[:, 1] * aspect)[:, None],
                      np.stack([scales[:, 0], scales[:, 0] / aspect], 1),
                      np.stack([scales[:, 1] * aspect, scales[:, 1]], 1))
    return centers, scales


def crop_heatmaps(heatmaps: torch.Tensor, centers: np.ndarray, scales: np.ndarray,
                  image_sizes: np.ndarray, input_size: tuple[int, int],
                  out_size: tuple[int, int]) -> torch.Tensor:
    """Resample model heatmaps (over the input box) to cover exactly each crop.

    Output pixel ``(u, v)`` is the crop point ``X = ((u + .5) W / w, (v + .5) H / h)``
    (:class:`posereid.pose.base.PoseOutput`); it lies at heatmap index
    ``(X − center + scale / 2) / scale · (w_m, h_m)`` of the model's ``(h_m, w_m)`` heatmap
    (the codec's index ↔ input-pixel scale). Bilinear, zero outside the box.

    Args:
        heatmaps: ``(B, K, h_m, w_m)``.
        out_size: ``(h, w)``.
    Returns:
        ``(B, K, h, w)``.
    """
    b, _, hm_h, hm_w = heatmaps.shape
    h, w = out_size
    sizes = torch.as_tensor(image_sizes, dtype=torch.float32)                 # (B, 2) (H, W)
    centers = torch.as_tensor(centers, dtype=torch.float32)
    scales = torch.as_tensor(scales, dtype=torch.float32)
    u = (torch.arange(w, dtype=torch.float32) + 0.5)[None] * sizes[:, 1:] / w    # (B, w)
    v = (torch.arange(h, dtype=torch.float32) + 0.5)[None] * sizes[:, :1] / h    # (B, h)
    to_index = torch.tensor([hm_w, hm_h], dtype=torch.float32) / torch.tensor(input_size)
    ix = ((u - centers[:, :1] + scales[:, :1] / 2) / scales[:, :1] * input_size[0]) * to_index[0]
    iy = ((v - centers[:, 1:] + scales[:, 1:] / 2) / scales[:, 1:] * input_size[1]) * to_index[1]
    gx = ix / (hm_w - 1) * 2 - 1                                              # align_corners
    gy = iy / (hm_h - 1) * 2 - 1
    grid = torch.stack([gx[:, None, :].expand(b, h, w), gy[:, :, None].expand(b, h, w)], -1)
    return F.grid_sample(heatmaps, grid.to(heatmaps), mode='bilinear', padding_mode='zeros',
                         align_corners=True)


def default_dataset_meta(num_keypoints: int) -> dict:
    """mmpose dataset meta of AIC-14 (posereid's) or COCO-17 (mmpose's ``coco.py``)."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    return parse_pose_metainfo(dataset_metainfo() if num_keypoints == NUM_KEYPOINTS
                               else dict(from_file='configs/_base_/datasets/coco.py'))


class MMPoseBackend:
    """A top-down heatmap model of mmpose as a posereid pose backend.

    Args:
        config: mmpose config file of the model (e.g. a model-zoo config, or
            ``configs/pose/*.py``).
        checkpoint: its weights (``.pth``), loaded with ``weights_only=True``.
        device: torch device; default CUDA if available, else CPU.
        flip_test: also run on mirrored crops and average the heatmaps.
        heatmap_size: ``(h, w)`` of the returned heatmaps; default the model's own.
        batch_size: crops per forward pass.
        padding: box = crop × ``padding`` (1.0: the crop is the person box).
    """

    def __init__(self, config: str | Path, checkpoint: str | Path, device=None,
                 flip_test: bool = False, heatmap_size: tuple[int, int] | None = None,
                 batch_size: int = 64, padding: float = 1.0):
        from mmengine.model.utils import revert_sync_batchnorm
        from mmengine.registry import DefaultScope
        from mmpose.models import build_pose_estimator

        self.config_path, self.checkpoint_path = Path(config), Path(checkpoint)
        if not self.checkpoint_path.is_file():
            raise FileNotFoundError(f'pose checkpoint not found: {self.checkpoint_path}')
        cfg = load_pose_config(self.config_path)
        # scoped, so that the caller's default scope (e.g. posereid's) is left as it was
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmpose')):
            model = revert_sync_batchnorm(build_pose_estimator(cfg.model)).eval()
        self.input_size = tuple(int(s) for s in model.head.decoder.input_size)   # (w, h)
        self.num_model_keypoints, self.model_heatmap_size = self._probe(model)
        meta = load_pose_weights(model, self.checkpoint_path, self.config_path,
                                 self.num_model_keypoints)
        model.cfg = cfg                                # what mmpose's inference_topdown reads
        model.dataset_meta = meta.get('dataset_meta') or default_dataset_meta(
            self.num_model_keypoints)
        self.device = torch.device(device) if device is not None else torch.device(
            'cuda' if torch.cuda.is_available() else 'cpu')
        self.model = model.to(self.device)
        self.flip_test = flip_test
        self.shift_flipped = bool((cfg.model.get('test_cfg') or {}).get('shift_heatmap', False))
        self.heatmap_size = tuple(heatmap_size) if heatmap_size else self.model_heatmap_size
        self.batch_size = batch_size
        self.padding = padding
        self.sigma = float(getattr(model.head.decoder, 'sigma', 2.0))
        preprocessor = model.data_preprocessor
        self.to_bgr = not getattr(preprocessor, '_channel_conversion', False)
        self.mean = preprocessor.mean.to(self.device) if preprocessor._enable_normalize else None
        self.std = preprocessor.std.to(self.device) if preprocessor._enable_normalize else None
        self._checkpoint_sha256 = file_sha256(self.checkpoint_path)

    def _probe(self, model) -> tuple[int, tuple[int, int]]:
        """Keypoint count and heatmap ``(h, w)`` of the model, from one forward on zeros."""
        with torch.inference_mode():
            out = model(torch.zeros(1, 3, self.input_size[1], self.input_size[0]), None,
                        mode='tensor')
        if not isinstance(out, torch.Tensor) or out.ndim != 4:
            raise ValueError(f'{self.config_path}: not a heatmap model (its head returns '
                             f'{type(out).__name__}, not one (B, K, h, w) tensor)')
        if out.shape[1] not in FLIP_INDICES_BY_COUNT:
            raise ValueError(f'{self.config_path}: the model predicts {out.shape[1]} keypoints; '
                             'posereid needs 14 (AIC order) or 17 (COCO order)')
        return out.shape[1], tuple(out.shape[2:])

    def identity(self) -> dict:
        return dict(type='mmpose', config=str(self.config_path),
                    config_sha256=file_sha256(self.config_path),
                    checkpoint=str(self.checkpoint_path), checkpoint_sha256=self._checkpoint_sha256,
                    flip_test=self.flip_test, heatmap_size=list(self.heatmap_size),
                    input_size=list(self.input_size), padding=self.padding)

    def __call__(self, images: Sequence[np.ndarray]) -> PoseOutput:
        outputs = [self._predict_batch(images[i:i + self.batch_size])
                   for i in range(0, len(images), self.batch_size)]
        if not outputs:
            h, w = self.heatmap_size
            return PoseOutput(np.zeros((0, NUM_KEYPOINTS, h, w), np.float32),
                              np.zeros((0, NUM_KEYPOINTS, 2), np.float32),
                              np.zeros((0, NUM_KEYPOINTS), np.float32))
        return PoseOutput(*(np.concatenate(parts) for parts in zip(
            *((o.heatmaps, o.keypoints, o.scores) for o in outputs))))

    def preprocess(self, images: Sequence[np.ndarray]):
        """Crops → normalised input batch ``(B, 3, h_in, w_in)`` and their boxes."""
        for i, image in enumerate(images):
            if not (isinstance(image, np.ndarray) and image.dtype == np.uint8
                    and image.ndim == 3 and image.shape[2] == 3):
                raise ValueError(f'image {i}: expected an (H, W, 3) uint8 RGB array, got '
                                 f'{getattr(image, "dtype", type(image))} '
                                 f'{getattr(image, "shape", "")}')
        sizes = np.array([image.shape[:2] for image in images])
        centers, scales = crop_boxes(sizes, self.input_size, self.padding)
        warped = []
        for image, center, scale in zip(images, centers, scales):
            zoom = np.array(self.input_size, np.float32) / scale
            matrix = np.array([[zoom[0], 0, (scale[0] / 2 - center[0]) * zoom[0]],
                               [0, zoom[1], (scale[1] / 2 - center[1]) * zoom[1]]], np.float32)
            warped.append(cv2.warpAffine(image[..., ::-1] if self.to_bgr else image, matrix,
                                         self.input_size, flags=cv2.INTER_LINEAR))
        batch = torch.from_numpy(np.stack(warped)).to(self.device)
        batch = batch.permute(0, 3, 1, 2).float()
        if self.mean is not None:
            batch = (batch - self.mean) / self.std
        return batch, sizes, centers, scales

    @torch.inference_mode()
    def _predict_batch(self, images: Sequence[np.ndarray]) -> PoseOutput:
        from mmpose.models.utils.tta import flip_heatmaps

        batch, sizes, centers, scales = self.preprocess(images)
        heatmaps = self.model(batch, None, mode='tensor')
        if self.flip_test:
            flipped = self.model(batch.flip(-1), None, mode='tensor')
            flipped = flip_heatmaps(flipped, list(FLIP_INDICES_BY_COUNT[heatmaps.shape[1]]),
                                    'heatmap', shift_heatmap=self.shift_flipped)
            heatmaps = (heatmaps + flipped) / 2
        decoded = [self.model.head.decoder.decode(hm) for hm in heatmaps.float().cpu().numpy()]
        keypoints = np.concatenate([k for k, _ in decoded]).astype(np.float32)   # input px
        scores = np.clip(np.concatenate([s for _, s in decoded]), 0, 1).astype(np.float32)
        keypoints = (keypoints / np.array(self.input_size, np.float32) * scales[:, None]
                     + centers[:, None] - scales[:, None] / 2)
        maps = crop_heatmaps(heatmaps.float(), centers, scales, sizes, self.input_size,
                             self.heatmap_size).clamp_(0, 1).cpu().numpy()
        if self.num_model_keypoints == NUM_COCO_KEYPOINTS:
            keypoints, scores = coco_to_aic(keypoints, scores)
            sigma = self.sigma * self.heatmap_size[0] / self.model_heatmap_size[0]
            maps = coco_heatmaps_to_aic(maps, keypoints, scores, [tuple(s) for s in sizes], sigma)
        return PoseOutput(maps.astype(np.float32), keypoints.astype(np.float32), scores)
