"""What several test modules share besides fixtures (those are in conftest.py): the checkout,
the shipped synthetic configs and tiny versions of their models, the shipped pose network,
the small video worlds, and helpers that build a world, shrink a config, save an untrained
checkpoint and run a tool."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import torch

from posereid.datasets.synthetic import VideoWorldConfig, generate_world, small_world
from posereid.engine.heatmaps import build_cache_for_source
from posereid.tracking import MultiCameraConfig

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
#: The shipped pose network of the embedded world.
SHIPPED_POSE = dict(type='mmpose', config=str(REPO / 'configs/pose/res18w16_synthetic_64x32.py'),
                    checkpoint=str(REPO / 'checkpoints/pose_synthetic_res18w16_64x32.pth'))
#: A tiny multi-camera video world: 2 cameras, 5 people, 10 s at 3 fps.
VIDEO = VideoWorldConfig(num_cameras=2, num_people=5, duration_s=10, fps=3, frame_height=144,
                         frame_width=256, visits=(1, 2), crossing_s=(3, 4), transit_s=(1, 2))
#: The same at 8 fps: frames close enough in time for a box to overlap its next one (IoU
#: tracking).
TRACKED = VideoWorldConfig(**{**VIDEO.__dict__, 'fps': 8})
#: Tracking settings that keep the model's work small on the tiny video worlds.
CHEAP = MultiCameraConfig(frames_per_tracklet=2, candidates=3)


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


def run_tool(path: str, *args: str, cwd: Path, env: dict | None = None,
             timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``<checkout>/<path>`` (e.g. ``tools/track.py``) with this checkout's posereid first
    on the path, whatever posereid the environment has installed."""
    env = dict(os.environ if env is None else env)
    env['PYTHONPATH'] = os.pathsep.join([str(REPO), env.get('PYTHONPATH', '')])
    return subprocess.run([sys.executable, str(REPO / path), *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
