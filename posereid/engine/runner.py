"""Build mmengine's Runner from a posereid config and train it: what ``tools/train.py`` does.

Config conventions (see ``configs/_base_/default_runtime.py`` and ``docs/training.md``):

* ``data_root``: root of every dataset; ``None`` keeps :func:`posereid.utils.paths.data_root`
  (``$POSEREID_DATA`` or ``<checkout>/data``). A value (from the config or ``--cfg-options``)
  is exported as ``$POSEREID_DATA`` for this process and its workers, so every loader's default
  root follows it.
* ``heatmap_root``: folder of the heatmap caches, one sub-folder per dataset; a dataset dict
  with ``heatmap_cache='auto'`` reads ``<heatmap_root>/<source name>``.
* Distributed runs pick the ``nccl`` backend on GPUs and ``gloo`` on the CPU.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from posereid.utils.checkpoint import mmengine_checkpoint_globals

DEVICES = ('cpu', 'cuda')
LAUNCHERS = ('none', 'pytorch', 'slurm')


def load_config(config: str | os.PathLike | Config, cfg_options: dict | None = None) -> Config:
    """Read a config file (or copy a Config), merge ``cfg_options`` and apply ``data_root``."""
    if isinstance(config, Config):
        cfg = config.copy()
    else:
        if not Path(config).is_file():
            raise FileNotFoundError(f'config file {config} not found (expected an mmengine '
                                    f'python config such as configs/spindle_fusion.py)')
        cfg = Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.get('data_root'):
        os.environ['POSEREID_DATA'] = str(Path(cfg.data_root).expanduser().resolve())
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset is not None and dataset.get('heatmap_cache') == 'auto':
            dataset['heatmap_cache'] = default_heatmap_cache(cfg, dataset['source'])
    return cfg


def source_name(source: str | dict) -> str:
    """The dataset name of a ``ReIDDataset`` ``source`` (a name or ``dict(name=...)``)."""
    return source if isinstance(source, str) else source['name']


def default_heatmap_cache(cfg: Config, source: str | dict) -> str:
    """``<heatmap_root>/<source name>``: where a config's dataset finds its heatmap cache."""
    return str(Path(cfg.get('heatmap_root') or 'work_dirs/heatmaps') / source_name(source))


def select_device(device: str | None) -> None:
    """Honour ``--device``: ``'cpu'`` hides GPUs from this process; ``'cuda'`` requires one."""
    if device is None:
        return
    if device not in DEVICES:
        raise ValueError(f'device must be one of {DEVICES}, got {device!r}')
    if device == 'cpu':
        os.environ['CUDA_VISIBLE_DEVICES'] = ''
    elif not torch.cuda.is_available():
        raise RuntimeError('--device cuda was asked for but no CUDA device is available')


def prepare_runner_config(cfg: Config, work_dir=None, resume: bool | str | None = None,
                          launcher: str = 'none', seed: int | None = None) -> Config:
    """Fill in what the command line decides: work dir, resume, launcher, seed, DDP set-up."""
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
    cfg.launcher = launcher
    if launcher != 'none':
        backend = 'nccl' if torch.cuda.is_available() else 'gloo'
        env_cfg = cfg.get('env_cfg') or {}
        env_cfg.setdefault('dist_cfg', {}).setdefault('backend', backend)
        cfg.env_cfg = env_cfg
        if backend == 'gloo' and cfg.get('model_wrapper_cfg') is None:
            # mmengine passes device_ids=[LOCAL_RANK], which DDP refuses for CPU modules.
            cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None,
                                         broadcast_buffers=False)
    _check_pair_batches(cfg)
    return cfg


def _check_pair_batches(cfg: Config) -> None:
    loader = cfg.get('train_dataloader') or {}
    sampler = (loader.get('sampler') or {}).get('type', '')
    if str(sampler).split('.')[-1] == 'PairSampler' and loader.get('batch_size', 0) % 2:
        raise ValueError(f'train_dataloader.batch_size must be even with {sampler} (a batch is '
                         f'consecutive pairs), got {loader["batch_size"]}')


def init_distributed(launcher: str) -> None:
    """Start the process group of a torchrun launch on the CPU ourselves: mmengine's
    ``init_dist`` calls ``torch.cuda.set_device``, which fails without a GPU. GPU runs (and
    slurm, which needs GPUs) are left to mmengine."""
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend='gloo')


def build_runner(config, work_dir=None, cfg_options: dict | None = None,
                 resume: bool | str | None = None, launcher: str = 'none',
                 seed: int | None = None, device: str | None = None) -> Runner:
    """mmengine ``Runner`` for ``config`` (path or Config) with the command line's choices."""
    select_device(device)
    cfg = prepare_runner_config(load_config(config, cfg_options), work_dir, resume, launcher,
                                seed)
    init_distributed(launcher)
    return Runner.from_cfg(cfg)


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
    runner = build_runner(config, work_dir, cfg_options, resume, launcher, seed, device)
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
