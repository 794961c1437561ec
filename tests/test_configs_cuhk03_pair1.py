"""The talk's configs (CUHK03 camera pair 1, 743/100) and their cross-dataset tests on VIPeR
(all 632) and CUHK01 (all 971), on tiny fixture trees: what they load, that they train without
a validation loop, and the pair set their test reports."""
from __future__ import annotations

from pathlib import Path

import pytest
from dataset_trees import cuhk01_tree, cuhk03_pair1_tree, viper_tree
from mmengine.registry import DefaultScope

from posereid.datasets.cuhk03_pair1 import VAL_PID_OFFSET
from posereid.engine import load_config, train
from posereid.engine.tester import evaluate_dataset, verification_pairs
from posereid.registry import DATASETS, MODELS

CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
MODELS_DIRS = ('siamese_nd', 'spindle', 'spindle_fusion')
# config suffix -> (test source, query identities, query camera) on the trees of `data_root`
TESTS = {'cuhk03_pair1': ('cuhk03_pair1', 3, 0), 'cuhk03_pair1_to_viper': ('viper', 10, 0),
         'cuhk03_pair1_to_cuhk01': ('cuhk01', 5, 0)}
TINY_SIAMESE = dict(branch=dict(channels=(4, 5), summary_channels=5, fc_dim=16))


@pytest.fixture(scope='module')
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    cuhk03_pair1_tree(root / 'cuhk03_pair1', num_train_ids=4, num_val_ids=3)
    viper_tree(root / 'viper', num_ids=10)
    cuhk01_tree(root / 'cuhk01', 5)            # campus/PPPPCCC.png, all of them tested
    return root


def tiny_options(data_root: Path) -> dict:
    return {'data_root': str(data_root), 'model': TINY_SIAMESE,
            'train_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False,
            'test_dataloader.num_workers': 0, 'train_dataloader.batch_size': 8,
            'train_dataloader.sampler.max_positive_pairs_per_id': 2}


@pytest.mark.parametrize('suffix', TESTS)
@pytest.mark.parametrize('model', MODELS_DIRS)
def test_the_config_trains_on_pair_1_and_tests_its_target_without_validation(
        model, suffix, data_root):
    cfg = load_config(CONFIGS / model / f'{model}_{suffix}.py', {'data_root': str(data_root)})
    assert cfg.val_dataloader is None and cfg.val_cfg is None and cfg.val_evaluator is None
    assert tuple(cfg.model.input_size) == (160, 60)
    assert cfg.pose == dict(type='blazepose', pad=0.2, flip_test=True)
    name, num_ids, camera = TESTS[suffix]
    with DefaultScope.overwrite_default_scope('posereid'):
        train_set, test_set = (DATASETS.build(dict(cfg[loader].dataset, heatmap_cache=None))
                               for loader in ('train_dataloader', 'test_dataloader'))
    assert train_set.source.name == 'cuhk03_pair1' and train_set.source.num_train_pids == 4
    assert len(train_set) == 17                    # every training image: none held out
    test = test_set.source
    assert test.name == name and (test.train == []) == (name != 'cuhk03_pair1')   # all tested
    assert len({r.pid for r in test.query}) == num_ids
    assert {r.camid for r in test.query} == {camera} and {r.camid for r in test.gallery} == {1}
    caches = {cfg[loader].dataset.heatmap_cache for loader in ('train_dataloader',
                                                               'test_dataloader')}
    assert caches == ({None} if model == 'siamese_nd' else
                      {f'work_dirs/heatmaps/{n}' for n in ('cuhk03_pair1', name)})


@pytest.mark.parametrize('suffix, num_positive', [('cuhk03_pair1', 2 * 10 + 1),
                                                  ('cuhk03_pair1_to_viper', 10),
                                                  ('cuhk03_pair1_to_cuhk01', 5 * 6)])
def test_the_test_reports_the_balanced_all_pairs_set(suffix, num_positive, data_root):
    cfg = load_config(CONFIGS / 'siamese_nd' / f'siamese_nd_{suffix}.py', tiny_options(data_root))
    result = evaluate_dataset(MODELS.build(cfg.model), cfg)
    assert result['pairs']['protocol'] == 'balanced_all_pairs'
    assert result['pairs']['num_positive'] == result['pairs']['num_negative'] == num_positive
    assert result['pairs']['num_pairs'] == 2 * num_positive
    assert sum(result['pairs']['confusion_matrix'][1]) == num_positive


def test_an_unknown_pair_protocol_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="'all'; known: cross_camera_sample, balanced_all_pairs"):
        verification_pairs('all', None, None, None)


def test_the_talk_config_trains_without_a_validation_loop(data_root, tmp_path):
    config = CONFIGS / 'siamese_nd' / 'siamese_nd_cuhk03_pair1.py'
    run = train(config, tmp_path / 'work', dict(tiny_options(data_root),
                                                **{'train_cfg.max_epochs': 1}))
    assert Path(run['last_checkpoint']).name == 'epoch_1.pth'
    assert run['val_metrics'] == {} and run['best_checkpoint'] is None


def test_the_test_identities_never_share_a_pid_with_training(data_root):
    cfg = load_config(CONFIGS / 'siamese_nd' / 'siamese_nd_cuhk03_pair1.py',
                      {'data_root': str(data_root)})
    with DefaultScope.overwrite_default_scope('posereid'):
        test = DATASETS.build(cfg.test_dataloader.dataset)
    assert sorted(set(test.pids)) == [VAL_PID_OFFSET + p for p in range(3)]
