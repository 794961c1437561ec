"""posereid's config conventions, applied when a config is read (:func:`load_config`).

The conventions (see ``configs/_base_/default_runtime.py`` and ``docs/training.md``):

* ``data_root``: root of every dataset; ``None`` keeps :func:`posereid.utils.paths.data_root`
  (``$POSEREID_DATA`` or ``./data``). A value (from the config or ``--cfg-options``) is given to
  every dataloader's ``ReIDDataset`` (its ``data_root``), so each source's default folder is
  found below it; the process environment is left alone.
* ``heatmap_root``: folder of the heatmap caches, one sub-folder per source variant; a dataset
  dict with ``heatmap_cache='auto'`` reads ``<heatmap_root>/<cache name>`` (the source's
  ``cache_name``: ``market1501``, ``cuhk03_labeled_classic``, ...).
* The input size is written once, as the pipelines' ``Resize`` size: a model config without
  ``input_size`` takes it from the test pipeline (one that gives another is an error).
* ``console_log_level``: the level of mmengine's console lines (default: ``log_level``); e.g.
  ``'WARNING'`` leaves the environment, config and hook dumps and the loss lines to the run's log
  file, and shows progress bars (:class:`~posereid.engine.hooks.ProgressBarHook`) instead.
* ``device``: ``'cpu'`` or ``'cuda'`` (set by ``--device``); ``None`` takes a GPU when there is
  one (:func:`select_device`, decided once per run). The model is moved there by
  :class:`~posereid.engine.runner.ReIDRunner`; the process environment is left alone.
* ``model.num_classes``: left out (``None``) with an identity loss, it is the number of
  training identities of the training source, counted when the run starts.
* ``optim_wrapper.type='AmpOptimWrapper'`` (mixed precision) runs as a plain ``OptimWrapper``
  on the CPU, where mmengine has no fp16 autocast.
* Distributed runs pick the ``nccl`` backend on GPUs and ``gloo`` on the CPU.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from mmengine.config import Config

from posereid.datasets.sources import source_cache_name

DEVICES = ('cpu', 'cuda')
#: The dataloaders of a config.
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def load_config(config: str | os.PathLike | Config, cfg_options: dict | None = None) -> Config:
    """Read a config file (or copy a Config), merge ``cfg_options``, give every dataloader's
    dataset the config's ``data_root`` and resolve ``heatmap_cache='auto'``."""
    if isinstance(config, Config):
        cfg = config.copy()
    else:
        if not Path(config).is_file():
            raise FileNotFoundError(f'config file {config} not found (expected an mmengine '
                                    f'python config such as configs/spindle_fusion.py)')
        cfg = Config.fromfile(str(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    for loader in LOADERS:
        dataset = (cfg.get(loader) or {}).get('dataset')
        if dataset is None:
            continue
        if cfg.get('data_root') and dataset.get('data_root') is None:
            dataset['data_root'] = str(Path(cfg.data_root).expanduser().resolve())
        if dataset.get('heatmap_cache') == 'auto':
            dataset['heatmap_cache'] = default_heatmap_cache(cfg, dataset['source'])
    _fill_input_size(cfg)
    return cfg


def resize_size(cfg: Config) -> tuple[int, int] | None:
    """``(H, W)`` of the ``Resize`` transform of the config's test (else val, else train)
    pipeline, or ``None`` when it has none."""
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        pipeline = ((cfg.get(loader) or {}).get('dataset') or {}).get('pipeline') or ()
        for transform in pipeline:
            if isinstance(transform, dict) and str(transform.get('type')).endswith('Resize'):
                return tuple(transform['size'])
    return None


def _fill_input_size(cfg: Config) -> None:
    model, size = cfg.get('model'), resize_size(cfg)
    if model is None or size is None:
        return
    if model.get('input_size') is None:
        model['input_size'] = size
    elif tuple(model['input_size']) != size:
        raise ValueError(f'model.input_size {tuple(model["input_size"])} differs from the '
                         f"pipeline's Resize size {size}: leave input_size out of the model "
                         f'config (it is taken from the pipeline) or make them agree')


def source_name(source: str | dict) -> str:
    """The dataset name of a ``ReIDDataset`` ``source`` (a name or ``dict(name=...)``)."""
    return source if isinstance(source, str) else source['name']


def default_heatmap_cache(cfg: Config, source: str | dict) -> str:
    """``<heatmap_root>/<cache name>``: where a config's dataset finds its heatmap cache, one
    folder per source variant (:func:`~posereid.datasets.sources.source_cache_name`)."""
    return str(Path(cfg.get('heatmap_root') or 'work_dirs/heatmaps') / source_cache_name(source))


def select_device(device: str | None) -> str:
    """The device to run on: ``device`` (``'cpu'`` or ``'cuda'``, which must exist), or by
    default a GPU when there is one."""
    if device is None:
        return 'cuda' if torch.cuda.is_available() else 'cpu'
    if device not in DEVICES:
        raise ValueError(f'device must be one of {DEVICES}, got {device!r}')
    if device == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda was asked for but no CUDA device is available')
    return device
