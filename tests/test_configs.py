"""Every file under configs/ builds: the re-id configs' datasets (on the tiny trees of
``dataset_trees``) and models, the cross-dataset matrices' rows, the pose model's config."""
from __future__ import annotations

from pathlib import Path

import pytest
from dataset_trees import make_data_root
from mmengine.config import Config
from mmengine.registry import DefaultScope

from posereid.datasets import HeldOutValidation
from posereid.engine import load_config
from posereid.engine.cross_dataset import load_matrix_config
from posereid.registry import DATASETS, MODELS

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
ALL = sorted(p for p in CONFIGS.rglob('*.py') if '_base_' not in p.parts)
MATRICES = [p for p in ALL if p.parent.name == 'cross_dataset']
POSE = [p for p in ALL if p.parent.name == 'pose']
REID = [p for p in ALL if p not in MATRICES and p not in POSE]
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    return make_data_root(tmp_path_factory.mktemp('data'))


def without_weight_files(cfg: dict) -> dict:
    """A model config whose backbones start from random weights (no ImageNet file here)."""
    return {key: (None if key == 'pretrained' else
                  without_weight_files(value) if isinstance(value, dict) else value)
            for key, value in cfg.items()}


def test_the_configs_are_all_of_a_known_kind():
    assert len(REID) >= 3 * 8 + 6 and MATRICES and POSE
    real = {p.stem.rsplit('_', 1)[-1] for p in REID}
    assert {'market1501', 'dukemtmc', 'msmt17', 'labeled', 'detected', 'cuhk01', 'viper',
            'pair1'} <= real


@pytest.mark.parametrize('config', REID, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_a_reid_config_builds_its_datasets_and_model(config, data_root):
    synthetic = 'synthetic' in config.stem
    if synthetic:
        pytest.skip('the embedded-world configs are built and trained by test_train_*')
    cfg = load_config(config, {'data_root': str(data_root)})
    datasets = {}
    with DefaultScope.overwrite_default_scope('posereid'):
        for loader in filter(cfg.get, LOADERS):
            dataset_cfg = dict(cfg[loader].dataset, heatmap_cache=None)   # caches: test_pose_*
            datasets[loader] = DATASETS.build(dataset_cfg)
            assert len(datasets[loader]) > 0, loader
        train, test = datasets['train_dataloader'].source, datasets['test_dataloader'].source
        if cfg.val_dataloader is None:       # no validation at all, so nothing held out
            assert cfg.val_cfg is None and cfg.val_evaluator is None
            assert not isinstance(train, HeldOutValidation)
        else:
            # validation on training identities held out of training, never on the test split
            val = datasets['val_dataloader'].source
            assert isinstance(val, HeldOutValidation) and isinstance(train, HeldOutValidation)
            assert {r.img_path for r in val.query + val.gallery}.isdisjoint(
                r.img_path for r in train.train)
            assert {r.img_path for r in val.query + val.gallery}.isdisjoint(
                r.img_path for r in test.query + test.gallery)
            assert datasets['val_dataloader'].metainfo['protocol'] == val.protocol
        model_cfg = without_weight_files(cfg.model.to_dict())
        if 'identity' in (model_cfg.get('losses') or {}):
            model_cfg['num_classes'] = train.num_train_pids
        model = MODELS.build(model_cfg)
    assert type(model).__name__ == cfg.model.type
    assert tuple(cfg.model.input_size) == tuple(
        next(t['size'] for t in cfg.test_dataloader.dataset.pipeline if t['type'] == 'Resize'))


@pytest.mark.parametrize('matrix', MATRICES, ids=lambda p: p.name)
def test_a_matrix_config_names_configs_that_load(matrix):
    for row in load_matrix_config(matrix):
        cfg = load_config(CONFIGS.parent / row['config'], row.get('cfg_options'))
        assert cfg.model.type


@pytest.mark.parametrize('config', POSE, ids=lambda p: p.name)
def test_a_pose_config_builds_its_mmpose_model(config):
    from mmpose.apis import init_model

    model = init_model(Config.fromfile(str(config)), checkpoint=None, device='cpu')
    assert model.head.out_channels == 14
