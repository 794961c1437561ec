"""Training a pose model with mmpose's own loop, and exporting a small shippable checkpoint.

``train_pose_model`` runs an mmpose config (e.g. ``configs/pose/res18w16_synthetic_64x32.py``)
through mmengine's ``Runner`` — mmpose's datasets, augmentation, targets, losses and metrics —
inside :func:`posereid.utils.checkpoint.mmengine_checkpoint_globals`, so that resuming and
best-checkpoint loading work with ``torch.load(weights_only=True)``. ``export_pose_checkpoint``
then keeps only the weights and a little plain metadata (no optimizer, no message hub), which
any torch loads with ``weights_only=True`` as is.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from posereid.utils.checkpoint import (load_checkpoint_safely, mmengine_checkpoint_globals,
                                       state_dict_of)
from posereid.utils.io import atomic_write
from posereid.utils.paths import checkpoints_root, data_root

from .keypoints import KEYPOINT_NAMES

#: The shipped embedded-world pose model: its mmpose config (relative to the working
#: directory, the checkout) and its checkpoint's name under ``checkpoints_root()``.
SYNTHETIC_POSE_CONFIG = Path('configs') / 'pose' / 'res18w16_synthetic_64x32.py'
SYNTHETIC_POSE_CHECKPOINT_NAME = 'pose_synthetic_res18w16_64x32.pth'


def synthetic_pose_backend_cfg(**overrides) -> dict:
    """``build_pose_backend`` config of the shipped embedded-world pose model (flip test on:
    it is what the reported PCK is measured with), with absolute paths."""
    return dict(dict(type='mmpose', config=str(SYNTHETIC_POSE_CONFIG.absolute()),
                     checkpoint=str(checkpoints_root() / SYNTHETIC_POSE_CHECKPOINT_NAME),
                     flip_test=True), **overrides)


def _dataset_cfgs(dataset: dict) -> list[dict]:
    """The leaf dataset configs of a (possibly concatenated) dataset config."""
    if dataset.get('type') == 'ConcatDataset':
        return [leaf for child in dataset['datasets'] for leaf in _dataset_cfgs(child)]
    return [dataset]


def set_data_root(cfg, root: str | os.PathLike) -> None:
    """Point every dataset of ``cfg`` at ``root`` instead of ``cfg.data_root``, in place."""
    old = cfg.data_root
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for dataset in _dataset_cfgs(cfg[loader]['dataset']):
            if dataset['data_root'].startswith(old):
                dataset['data_root'] = str(root) + dataset['data_root'][len(old):]
    cfg.data_root = str(root)


def check_annotations(cfg) -> None:
    """Fail early, naming the file, when a dataset's keypoint JSON is missing."""
    for loader in ('train_dataloader', 'val_dataloader'):
        for dataset in _dataset_cfgs(cfg[loader]['dataset']):
            ann = Path(dataset['data_root']) / dataset['ann_file']
            if not ann.is_file():
                raise FileNotFoundError(
                    f'{ann} not found: generate the embedded world first '
                    f'(python tools/generate_world.py --out {cfg.data_root})')


def train_pose_model(config: str | os.PathLike = SYNTHETIC_POSE_CONFIG,
                     work_dir: str | os.PathLike | None = None,
                     dataset_root: str | os.PathLike | None = None,
                     max_epochs: int | None = None, resume: bool = False,
                     threads: int | None = None, load_from: str | os.PathLike | None = None,
                     lr: float | None = None) -> Path:
    """Train with mmengine's ``Runner``; returns the best (else the last) checkpoint's path.

    Args:
        config: mmpose config.
        work_dir: logs and full checkpoints; default ``work_dirs/pose/<config name>``.
        dataset_root: replaces the config's ``data_root``; default ``data_root()/synthetic``.
        max_epochs: overrides ``train_cfg.max_epochs`` (and the cosine schedule's end).
        resume: continue from the latest checkpoint in ``work_dir``.
        threads: torch CPU threads during training (restored afterwards). On a shared,
            oversubscribed CPU one thread can be many times faster than two.
        load_from: start from these weights (a second stage: a fresh schedule, unlike
            ``resume``).
        lr: overrides the optimizer's learning rate.
    """
    from mmengine.config import Config
    from mmengine.runner import Runner

    config = Path(config)
    if not config.is_file():
        raise FileNotFoundError(f'pose config not found: {config}')
    cfg = Config.fromfile(str(config))
    set_data_root(cfg, Path(dataset_root) if dataset_root else data_root() / 'synthetic')
    check_annotations(cfg)
    cfg.work_dir = str(work_dir or Path('work_dirs') / 'pose' / config.stem)
    cfg.resume = resume
    if load_from is not None:
        cfg.load_from = str(load_from)
    if lr is not None:
        cfg.optim_wrapper.optimizer.lr = lr
    if max_epochs is not None:
        cfg.train_cfg.max_epochs = max_epochs
        cfg.train_cfg.val_interval = min(cfg.train_cfg.val_interval, max_epochs)
        for scheduler in cfg.param_scheduler:
            if scheduler.get('by_epoch', True):
                scheduler['end'] = max_epochs
                scheduler['T_max'] = max_epochs
    threads_before = torch.get_num_threads()
    try:
        torch.set_num_threads(threads or threads_before)
        with mmengine_checkpoint_globals():
            runner = Runner.from_cfg(cfg)
            runner.train()
    finally:
        torch.set_num_threads(threads_before)
    best = runner.message_hub.get_info('best_ckpt')
    return Path(best) if best else Path(cfg.work_dir) / f'epoch_{runner.epoch}.pth'


def export_pose_checkpoint(src: str | os.PathLike, dst: str | os.PathLike,
                           config: str | os.PathLike) -> Path:
    """Write the weights of an mmengine checkpoint, with plain metadata only, to ``dst``.

    Saved: ``{'state_dict': float32 weights, 'meta': {'config', 'epoch', 'keypoints'}}``.
    """
    loaded = load_checkpoint_safely(src)
    state = {k: v.float() if v.is_floating_point() else v
             for k, v in state_dict_of(loaded, src).items()}
    meta = dict(config=Path(config).name, epoch=int(loaded.get('meta', {}).get('epoch', -1)),
                keypoints=list(KEYPOINT_NAMES))
    with atomic_write(dst, 'wb') as f:
        torch.save(dict(state_dict=state, meta=meta), f)
    return Path(dst)
