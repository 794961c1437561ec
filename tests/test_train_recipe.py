"""The GPU recipe (ResNet-50 SpindleFusion, PK batches, identity + triplet + pair losses,
BNNeck, warm-up, mixed precision) trained for a few iterations on the CPU from its shipped
config, on a tiny Market-1501 tree with a stand-in pose."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from dataset_trees import market_like_tree

from posereid import engine
from posereid.datasets import build_source
from posereid.engine import load_config
from posereid.engine.tester import read_checkpoint
from posereid.pose.base import PoseOutput, render_gaussian_heatmaps
from posereid.pose.cache_build import precompute_heatmaps

CONFIG = (Path(__file__).resolve().parents[1] / 'configs' / 'spindle_fusion'
          / 'spindle_fusion_r50_market1501.py')
SIZE = (64, 32)


class StandingPose:
    """Every crop gets the same upright person's 14 joints (a stand-in pose backend)."""

    KEYPOINTS = np.array([[0.5, 0.05], [0.5, 0.18], [0.3, 0.2], [0.25, 0.35], [0.2, 0.5],
                          [0.7, 0.2], [0.75, 0.35], [0.8, 0.5], [0.4, 0.5], [0.4, 0.7],
                          [0.4, 0.95], [0.6, 0.5], [0.6, 0.7], [0.6, 0.95]], np.float32)

    def __call__(self, images):
        sizes = [image.shape[:2] for image in images]
        keypoints = np.stack([self.KEYPOINTS * (w, h) for h, w in sizes]).astype(np.float32)
        scores = np.ones(keypoints.shape[:2], np.float32)
        return PoseOutput(render_gaussian_heatmaps(keypoints, scores, sizes, (16, 8)),
                          keypoints, scores)

    def identity(self):
        return {'type': 'standing'}


@pytest.fixture(scope='module')
def recipe_root(tmp_path_factory):
    """A Market-1501-like tree with standing-pose caches and a random ResNet-50 file."""
    root = tmp_path_factory.mktemp('recipe')
    market_like_tree(root / 'data' / 'market1501', num_train_ids=8, num_test_ids=3, cameras=3)
    source = build_source('market1501', data_root=root / 'data')
    paths = [r.img_path for part in (source.train, source.query, source.gallery) for r in part]
    precompute_heatmaps(paths, StandingPose(), root / 'heatmaps' / 'market1501',
                        heatmap_size=(16, 8), progress=False)
    torch.manual_seed(0)
    from torchvision.models import resnet50
    torch.save(resnet50(weights=None).state_dict(), root / 'resnet50.pth')
    return root


def tiny_recipe(root: Path):
    """The shipped config at 64 x 32 pixels, batches of 2 identities x 4 images, one epoch."""
    cfg = load_config(CONFIG, {'data_root': str(root / 'data'),
                               'heatmap_root': str(root / 'heatmaps'),
                               'model.spindle.backbone.pretrained': str(root / 'resnet50.pth'),
                               'train_dataloader.batch_size': 8,
                               'train_dataloader.num_workers': 0,
                               'val_dataloader.num_workers': 0, 'test_dataloader.num_workers': 0,
                               'train_cfg.max_epochs': 1, 'train_cfg.val_interval': 1,
                               'default_hooks.logger.interval': 1})
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].persistent_workers = False
        for transform in cfg[loader].dataset.pipeline:
            if transform['type'] == 'Resize':
                transform['size'] = SIZE
    cfg.model.input_size = SIZE
    return cfg


@pytest.mark.slow
def test_the_recipe_trains_a_resnet50_fusion_model_on_the_cpu(recipe_root, tmp_path):
    cfg = tiny_recipe(recipe_root)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper' and cfg.model.neck
    result = engine.train(cfg, work_dir=tmp_path, device='cpu')
    state = read_checkpoint(result['last_checkpoint'])['state_dict']
    # one of the 8 training identities is held out for validation: 7 classes, counted
    assert state['classifier.weight'].shape == (7, 512)
    assert 'neck.running_mean' in state and 'siamese.ncc_summary.weight' in state
    assert state['spindle.backbone.stages.2.2.conv3.weight'].shape == (2048, 512, 1, 1)
    logged = [json.loads(line) for line in next(tmp_path.glob('*/vis_data/scalars.json'))
              .read_text().splitlines()]
    losses = [entry for entry in logged if 'loss' in entry]
    assert losses and all(key in losses[0] for key in ('loss_id', 'loss_triplet', 'loss_pair'))
    assert all(np.isfinite(entry['loss']) for entry in losses)
    warmup = [entry['lr'] for entry in losses]
    assert warmup[0] < 3.5e-4 * 0.05 and warmup == sorted(warmup)      # linear warm-up
    assert any('two_stage/rank1' in entry for entry in logged)           # validation ran
    # the checkpoint tests through the same config: num_classes is read back from it
    results = engine.test(cfg, tmp_path, pictures=False, device='cpu')
    assert results['market1501']['num_query'] == 3 * 3
    assert results['market1501']['checkpoint'] == result['last_checkpoint']


def test_a_missing_imagenet_file_names_the_path_and_where_it_comes_from(recipe_root, tmp_path):
    cfg = tiny_recipe(recipe_root)
    cfg.model.spindle.backbone.pretrained = str(tmp_path / 'resnet50-0676ba61.pth')
    with pytest.raises(FileNotFoundError, match='download.pytorch.org/models/resnet50-0676ba61'):
        engine.train(cfg, work_dir=tmp_path, device='cpu')
