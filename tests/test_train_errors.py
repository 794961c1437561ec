import os

import pytest

from common import CONFIGS, run_tool, tiny_options

from posereid import engine
from posereid.pose.cache import StaleCacheError


def test_missing_dataset_fails_at_start_naming_the_folder(tmp_path):
    options = {'data_root': str(tmp_path / 'empty')}
    with pytest.raises(FileNotFoundError, match='empty/synthetic/market'):
        engine.train(CONFIGS['SiameseND'], work_dir=tmp_path / 'work', cfg_options=options)
    assert not list((tmp_path / 'work').glob('*.pth'))


def test_missing_heatmap_cache_names_the_rebuild_command(world, tmp_path):
    options = {**tiny_options(world), 'heatmap_root': str(tmp_path / 'no_caches')}
    with pytest.raises(StaleCacheError, match='precompute_heatmaps'):
        engine.train(CONFIGS['SpindleFusion'], work_dir=tmp_path / 'work', cfg_options=options)


def test_missing_checkpoint_names_the_training_command(world, tmp_path):
    with pytest.raises(FileNotFoundError, match='tools/train.py'):
        engine.test(CONFIGS['SpindleFusion'], tmp_path / 'nowhere.pth',
                    cfg_options=tiny_options(world))
    with pytest.raises(FileNotFoundError, match='expected best_'):
        engine.test(CONFIGS['SpindleFusion'], tmp_path, cfg_options=tiny_options(world))
    with pytest.raises(FileNotFoundError, match='resume'):
        engine.train(CONFIGS['SpindleFusion'], cfg_options=tiny_options(world),
              resume=str(tmp_path / 'nowhere.pth'))


def test_odd_pair_batches_are_refused(world, tmp_path):
    options = {**tiny_options(world), 'train_dataloader.batch_size': 7}
    with pytest.raises(ValueError, match='even'):
        engine.train(CONFIGS['SpindleFusion'], work_dir=tmp_path, cfg_options=options)


@pytest.mark.slow
def test_train_tool_prints_one_line_instead_of_a_traceback(tmp_path):
    run = run_tool('tools/train.py', CONFIGS['SiameseND'], '--work-dir', tmp_path / 'work',
                   cwd=tmp_path, env=dict(os.environ, POSEREID_DATA=str(tmp_path / 'empty')))
    assert run.returncode == 1
    assert 'Traceback' not in run.stderr
    assert 'error:' in run.stderr and str(tmp_path / 'empty') in run.stderr
