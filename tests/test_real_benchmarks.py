"""The two complete real benchmarks of ``../shared/realdata``, read in place (never copied):
CUHK03 labeled camera pair 1 in the 743/100 split of the talk "Person Re-Identification"
(M. Kolla), with its balanced pair set, and VIPeR, all 632 identities as a cross-dataset test
and the 10 random 316/316 splits that ``tools/train_test_splits.py`` runs."""
from __future__ import annotations

from pathlib import Path

import pytest
from mmengine.registry import DefaultScope

from posereid.datasets import build_source
from posereid.engine import load_config
from posereid.engine.splits import default_splits, split_options
from posereid.evaluation import balanced_verification_pairs
from posereid.registry import DATASETS

REALDATA = Path(__file__).resolve().parents[2] / 'shared' / 'realdata'
CUHK03_PAIR1 = REALDATA / 'cuhk03_seed'          # the shared folder's name (its README.md)
VIPER = REALDATA / 'viper'
if not (CUHK03_PAIR1.is_dir() and VIPER.is_dir()):
    pytest.skip(f'{CUHK03_PAIR1} or {VIPER} is absent: the real benchmarks live beside the '
                'checkout, in ../shared (shared/realdata/README.md), and are never copied into it',
                allow_module_level=True)

VIPER_CONFIG = Path(__file__).resolve().parents[1] / 'configs/siamese_nd/siamese_nd_viper.py'


def _ids(records):
    return {r.pid for r in records}


def test_cuhk03_pair1_is_743_training_and_100_test_identities():
    source = build_source('cuhk03_pair1', root=CUHK03_PAIR1)
    assert source.num_train_pids == 743 and len(source.train) == 7239
    test = source.query + source.gallery
    assert len(_ids(test)) == 100 and len(test) == 938
    assert (len(source.query), len(source.gallery)) == (451, 487)     # camera 1, camera 2
    assert _ids(source.query) == _ids(source.gallery)
    first, second, labels = balanced_verification_pairs([r.pid for r in test])
    assert labels.sum() == 3976 and len(labels) == 2 * 3976


def test_viper_all_632_identities_camera_a_against_camera_b():
    source = build_source('viper', root=VIPER, num_train_ids=0)
    assert source.train == [] and len(source.query) == len(source.gallery) == 632
    assert len(_ids(source.query)) == 632 and _ids(source.query) == _ids(source.gallery)


def test_viper_10_random_splits_of_316_316_as_train_test_splits_runs_them():
    cfg = load_config(VIPER_CONFIG, {'data_root': str(REALDATA)})
    assert default_splits(cfg) == list(range(0, 20, 2))
    test_sets = set()
    for split_id in default_splits(cfg):
        split_cfg = load_config(cfg, split_options(cfg, split_id))     # as run_splits does
        with DefaultScope.overwrite_default_scope('posereid'):
            train, test = (DATASETS.build(dict(split_cfg[loader].dataset, heatmap_cache=None,
                                               serialize_data=False)).source
                           for loader in ('train_dataloader', 'test_dataloader'))
        viper = train.source                       # the training split, before held-out ids
        assert viper.num_train_pids == 316 and len(test.query) == len(test.gallery) == 316
        assert {r.camid for r in test.query} == {0} and _ids(test.query) == _ids(test.gallery)
        assert {r.img_path for r in viper.train}.isdisjoint(r.img_path for r in test.query)
        test_sets.add(frozenset(_ids(test.query)))
    assert len(test_sets) == 10
