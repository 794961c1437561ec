"""Shared set-up of the engine tests (imported by test_train_*, test_test_tool,
test_cross_dataset and test_distributed): the small embedded world with ground-truth heatmap
caches, and ``--cfg-options`` that shrink the shipped synthetic configs to tiny models and
epochs of a few iterations."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch

from posereid.datasets.synthetic import generate_world, small_world
from posereid.engine.heatmaps import build_cache_for_source

REPO = Path(__file__).resolve().parents[1]
CONFIGS = {'SpindleFusion': REPO / 'configs/spindle_fusion_synthetic.py',
           'SiameseND': REPO / 'configs/siamese_nd_synthetic.py'}
DOMAINS = ('synthetic_market', 'synthetic_cuhk01')
IMAGE_SIZE = (64, 32)
TINY_MODELS = {
    'SpindleFusion': dict(
        input_size=IMAGE_SIZE, head_dim=16,
        spindle=dict(backbone=dict(channels=(8, 8, 8)), embedding_dim=16,
                     macro_roi_size=(4, 4), micro_roi_size=(4, 2)),
        siamese=dict(channels=(4, 5), summary_channels=5, fc_dim=16)),
    'SiameseND': dict(input_size=IMAGE_SIZE,
                      branch=dict(channels=(4, 5), summary_channels=5, fc_dim=16)),
}


def make_world(root: Path) -> Path:
    """``root/data/synthetic`` (small world) and ``root/heatmaps/<domain>`` (ground truth)."""
    generate_world(small_world(), root / 'data' / 'synthetic', workers=1)
    for domain in DOMAINS:
        build_cache_for_source(domain, root / 'data' / 'synthetic' / domain.split('_')[1],
                               {'type': 'ground_truth'}, root / 'heatmaps' / domain,
                               progress=False)
    return root


def tiny_options(root: Path, model: str = 'SpindleFusion', max_epochs: int = 2) -> dict:
    """cfg_options for a tiny run on the world of :func:`make_world`."""
    pipeline = [dict(type='LoadImage'), dict(type='LoadHeatmaps'),
                dict(type='Resize', size=IMAGE_SIZE), dict(type='PackReID')]
    train_pipeline = pipeline[:3] + [dict(type='RandomFlip', prob=0.5), pipeline[3]]
    return {
        'data_root': str(root / 'data'), 'heatmap_root': str(root / 'heatmaps'),
        'model': copy.deepcopy(TINY_MODELS[model]),      # merging a config may change it
        'train_dataloader.batch_size': 8,
        'train_dataloader.sampler.max_positive_pairs_per_id': 2,
        'train_dataloader.dataset.pipeline': train_pipeline,
        'val_dataloader.dataset.pipeline': pipeline,
        'test_dataloader.dataset.pipeline': pipeline,
        'train_cfg.max_epochs': max_epochs, 'train_cfg.val_interval': 1,
        'custom_hooks': [dict(type='InvalidLossHook'),
                         dict(type='HardNegativeMiningHook', start_epoch=1, num_candidates=3),
                         dict(type='EpochSeedHook')],
        'default_hooks.logger.interval': 1, 'log_processor.window_size': 1,
    }


@pytest.fixture(scope='module')
def world(tmp_path_factory) -> Path:
    return make_world(tmp_path_factory.mktemp('world'))


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one thread (the test machine's cores are shared)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def data_env(monkeypatch):
    """Restore $POSEREID_DATA after a test (``data_root`` in a config exports it)."""
    monkeypatch.delenv('POSEREID_DATA', raising=False)


def save_untrained_checkpoint(config: Path, options: dict, path: Path) -> Path:
    """A checkpoint of the freshly initialised model of ``config`` (enough for the test tools,
    which only need loadable weights)."""
    from mmengine.registry import DefaultScope

    from posereid.engine import load_config
    from posereid.registry import MODELS

    torch.manual_seed(0)
    # other tests (mmpose's) may have left their scope as the current default
    with DefaultScope.overwrite_default_scope('posereid'):
        model = MODELS.build(load_config(config, options).model)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({'state_dict': model.state_dict()}, path)
    return path
