"""Build mmengine's Runner from a posereid config and train it: what ``tools/train.py`` does.

The config conventions it relies on (data root, heatmap caches, input size, device, counted
``num_classes``, mixed precision on the CPU) are in :mod:`posereid.engine.config`; the work
dir it writes is read by :mod:`posereid.engine.work_dir`.
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper, revert_sync_batchnorm
from mmengine.runner import Runner

from posereid.utils.checkpoint import (load_checkpoint_safely, load_weights,
                                       mmengine_checkpoint_globals, state_dict_of)

from .config import load_config, select_device

LAUNCHERS = ('none', 'pytorch', 'slurm')


class ReIDRunner(Runner):
    """mmengine's ``Runner``, which puts a single-process model on the config's ``device``
    (mmengine's own choice is fixed when it is imported: a GPU if any, unless
    ``CUDA_VISIBLE_DEVICES`` hid them before; distributed runs are mmengine's), fills in the
    model's ``num_classes`` from the training source and quiets the console on request."""

    def build_model(self, model):
        """With an identity loss and no ``num_classes``, build the training dataloader first
        (it is built once; the train loop reuses it) and count its identities."""
        if (isinstance(model, dict) and 'identity' in (model.get('losses') or {})
                and isinstance(self._train_dataloader, dict)):
            self._train_dataloader = self.build_dataloader(
                self._train_dataloader, seed=self.seed,
                diff_rank_seed=self._randomness_cfg.get('diff_rank_seed', False))
            source = self._train_dataloader.dataset.source
            if model.get('num_classes') not in (None, source.num_train_pids):
                raise ValueError(f'model.num_classes={model["num_classes"]} but the training '
                                 f'source {source.name} has {source.num_train_pids} identities: '
                                 'leave num_classes out of the config (it is counted)')
            model = dict(model, num_classes=source.num_train_pids)
            self.logger.info(f'num_classes = {source.num_train_pids}, the training identities '
                             f'of {source.name}')
        return super().build_model(model)

    def load_checkpoint(self, filename, map_location='cpu', strict=False,
                        revise_keys=((r'^module\.', ''),)):
        """mmengine's checkpoint loading (``load_from``, ``resume``) with ``weights_only`` and
        :func:`~posereid.utils.checkpoint.load_weights`: a checkpoint missing weights of the
        model, or holding others, is refused naming them (unless the config sets
        ``load_partial=True``); one trained on another number of identities loses its
        classifier, and the log says so (fine-tuning on another dataset)."""
        checkpoint = load_checkpoint_safely(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        state = state_dict_of(checkpoint, filename)
        for pattern, replacement in revise_keys:
            state = {re.sub(pattern, replacement, key): value for key, value in state.items()}
        model = self.model.module if is_model_wrapper(self.model) else self.model
        for note in load_weights(model, state, filename, self.cfg.get('load_partial', False),
                                 drop_classifier=True):
            self.logger.warning(note)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def build_logger(self, log_level='INFO', log_file=None, **kwargs):
        """mmengine's logger, its console handler at the config's ``console_log_level``."""
        logger = super().build_logger(log_level, log_file, **kwargs)
        console = self.cfg.get('console_log_level')
        if console is not None:
            for handler in logger.handlers:
                if type(handler) is logging.StreamHandler:
                    handler.setLevel(max(handler.level, _level(console)))
                    handler.addFilter(_not_a_deprecation_notice)
        return logger

    def wrap_model(self, model_wrapper_cfg, model):
        if self.distributed or is_model_wrapper(model):
            return super().wrap_model(model_wrapper_cfg, model)
        return revert_sync_batchnorm(model.to(self.cfg.device))


def prepare_runner_config(cfg: Config, work_dir=None, resume: bool | str | None = None,
                          launcher: str = 'none', seed: int | None = None,
                          device: str | None = None) -> Config:
    """Fill in what the command line decides: work dir, resume, launcher, seed, the device
    (``device``, else the config's, else a GPU if there is one: decided here, once), DDP
    set-up."""
    if launcher not in LAUNCHERS:
        raise ValueError(f'launcher must be one of {LAUNCHERS}, got {launcher!r}')
    if work_dir is not None:
        cfg.work_dir = str(work_dir)
    elif cfg.get('work_dir') is None:
        cfg.work_dir = str(Path('work_dirs') / Path(cfg.filename or 'run').stem)
    if resume:
        cfg.resume = True
        if resume is not True and resume != 'auto':
            if not Path(resume).is_file():
                raise FileNotFoundError(f'checkpoint {resume} to resume from not found')
            cfg.load_from = str(resume)
        else:
            cfg.load_from = None   # mmengine then resumes from <work_dir>/last_checkpoint
    if seed is not None:
        cfg.randomness = dict(cfg.get('randomness') or {}, seed=seed)
    cfg.device = select_device(device or cfg.get('device'))
    cfg.launcher = launcher
    if launcher != 'none':
        backend = 'nccl' if cfg.device == 'cuda' else 'gloo'
        env_cfg = cfg.get('env_cfg') or {}
        env_cfg.setdefault('dist_cfg', {}).setdefault('backend', backend)
        cfg.env_cfg = env_cfg
        if backend == 'gloo' and cfg.get('model_wrapper_cfg') is None:
            # mmengine passes device_ids=[LOCAL_RANK], which DDP refuses for CPU modules.
            cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None,
                                         broadcast_buffers=False)
    _check_pair_batches(cfg)
    optim_wrapper = cfg.get('optim_wrapper') or {}
    if (str(optim_wrapper.get('type', '')).endswith('AmpOptimWrapper')
            and cfg.device == 'cpu'):
        optim_wrapper['type'] = 'OptimWrapper'
        for key in ('dtype', 'loss_scale', 'use_fsdp'):
            optim_wrapper.pop(key, None)
    if _quiet_console(cfg) and not any(str(h.get('type')).endswith('ProgressBarHook')
                                       for h in cfg.get('custom_hooks') or ()):
        cfg.custom_hooks = [*(cfg.get('custom_hooks') or ()), dict(type='ProgressBarHook')]
    return cfg


def _not_a_deprecation_notice(record: logging.LogRecord) -> bool:
    """For a quiet console: mmengine's notices of its own deprecated APIs stay in the log file."""
    return 'deprecated' not in record.getMessage()


def _level(level: int | str) -> int:
    """A logging level given by number or name (``'WARNING'``)."""
    number = level if isinstance(level, int) else logging.getLevelName(str(level).upper())
    if not isinstance(number, int):
        raise ValueError(f'unknown logging level {level!r}')
    return number


def _quiet_console(cfg: Config) -> bool:
    """Whether the console shows less than mmengine's INFO lines."""
    level = cfg.get('console_log_level')
    return level is not None and _level(level) > logging.INFO


def _check_pair_batches(cfg: Config) -> None:
    loader = cfg.get('train_dataloader') or {}
    sampler = (loader.get('sampler') or {}).get('type', '')
    if str(sampler).split('.')[-1] == 'PairSampler' and loader.get('batch_size', 0) % 2:
        raise ValueError(f'train_dataloader.batch_size must be even with {sampler} (a batch is '
                         f'consecutive pairs), got {loader["batch_size"]}')


def init_distributed(launcher: str, device: str) -> None:
    """Start the process group of a torchrun launch on the CPU ourselves: mmengine's
    ``init_dist`` calls ``torch.cuda.set_device``, which fails without a GPU. GPU runs (and
    slurm, which needs GPUs) are left to mmengine."""
    if launcher != 'pytorch' or device == 'cuda':
        return
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend='gloo')


def build_runner(config, work_dir=None, cfg_options: dict | None = None,
                 resume: bool | str | None = None, launcher: str = 'none',
                 seed: int | None = None, device: str | None = None) -> Runner:
    """:class:`ReIDRunner` for ``config`` (path or Config) with the command line's choices."""
    return _runner(load_config(config, cfg_options), work_dir, resume, launcher, seed, device)


def _runner(cfg: Config, work_dir, resume, launcher: str, seed, device) -> Runner:
    """:func:`build_runner` of a config already read."""
    cfg = prepare_runner_config(cfg, work_dir, resume, launcher, seed, device)
    init_distributed(launcher, cfg.device)
    return ReIDRunner.from_cfg(cfg)


class _LastValMetrics(Hook):
    """Keeps the metrics of the latest validation, for :func:`train`'s result."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.metrics: dict = {}

    def after_val_epoch(self, runner, metrics=None) -> None:
        self.metrics = dict(metrics or {})


def train(config, work_dir=None, cfg_options: dict | None = None,
          resume: bool | str | None = None, launcher: str = 'none', seed: int | None = None,
          device: str | None = None) -> dict:
    """Train ``config`` (path or Config) with mmengine's Runner.

    Args:
        work_dir: output folder (default: the config's, else ``work_dirs/<config name>``).
        cfg_options: overrides, e.g. ``{'train_cfg.max_epochs': 2, 'data_root': '/data'}``.
        resume: ``True``/``'auto'`` for ``<work_dir>/last_checkpoint``, or a checkpoint path.
        launcher: ``'none'``, ``'pytorch'`` (torchrun) or ``'slurm'``.
        seed: overrides ``randomness.seed``.
        device: ``'cpu'`` or ``'cuda'`` (default: a GPU when there is one).

    Returns:
        ``{'work_dir', 'last_checkpoint', 'best_checkpoint', 'best_score', 'val_metrics'}``
        (checkpoints as paths or ``None``).
    """
    runner = _runner(load_config(config, cfg_options), work_dir, resume, launcher, seed, device)
    if _quiet_console(runner.cfg):
        print(f'log: {Path(runner.log_dir) / (runner.timestamp + ".log")}', flush=True)
    last_val = _LastValMetrics()
    runner.register_hook(last_val)
    with mmengine_checkpoint_globals():
        runner.train()
    hub = runner.message_hub
    return {'work_dir': runner.work_dir,
            'last_checkpoint': hub.get_info('last_ckpt'),
            'best_checkpoint': hub.get_info('best_ckpt'),
            'best_score': hub.get_info('best_score'),
            'val_metrics': last_val.metrics}
