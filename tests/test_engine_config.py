"""What loading a config and building a run decide, and what they leave alone: the process
environment, the input size written once, the protocol from the source, a quiet console."""
import os

import pytest
import torch

from common import CONFIGS, tiny_options

from posereid import engine
from posereid.engine.config import load_config, select_device


def test_loading_a_config_with_a_data_root_leaves_the_environment_alone(tmp_path, monkeypatch):
    monkeypatch.setenv('POSEREID_DATA', '/somewhere/else')
    before = dict(os.environ)
    cfg = load_config(CONFIGS['SpindleFusion'], {'data_root': str(tmp_path)})
    assert dict(os.environ) == before
    # the config's data root reaches every dataset instead
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.data_root == str(tmp_path.resolve())


def test_choosing_the_cpu_hides_no_gpu_from_the_process(monkeypatch):
    monkeypatch.delenv('CUDA_VISIBLE_DEVICES', raising=False)
    assert select_device('cpu') == 'cpu'
    assert 'CUDA_VISIBLE_DEVICES' not in os.environ
    assert select_device(None) == ('cuda' if torch.cuda.is_available() else 'cpu')
    with pytest.raises(ValueError, match='device'):
        select_device('tpu')


def test_the_input_size_is_written_once_in_the_pipeline(world):
    cfg = load_config(CONFIGS['SpindleFusion'])
    assert tuple(cfg.model.input_size) == (128, 64)          # configs/_base_/datasets/synthetic_*
    options = tiny_options(world)
    assert tuple(load_config(CONFIGS['SpindleFusion'], options).model.input_size) == (64, 32)
    with pytest.raises(ValueError, match="Resize size"):
        load_config(CONFIGS['SpindleFusion'], {**options, 'model.input_size': (96, 48)})


@pytest.mark.slow
def test_a_run_on_the_cpu_with_a_quiet_console_writes_the_dumps_to_its_log_file(
        world, tmp_path, capsys):
    options = {**tiny_options(world, model='SiameseND', max_epochs=1),
               'console_log_level': 'WARNING', 'train_cfg.val_begin': 10}
    result = engine.train(CONFIGS['SiameseND'], work_dir=tmp_path, cfg_options=options,
                          device='cpu')
    console = capsys.readouterr()
    log_files = list(tmp_path.glob('*/*.log'))
    assert len(log_files) == 1 and f'log: {log_files[0]}' in console.out
    log = log_files[0].read_text()
    for dump in ('System environment', 'Config:', 'Hooks will be executed', 'Epoch(train)'):
        assert dump in log and dump not in console.out + console.err
    assert 'epoch 1/1' in console.err                          # the progress bar
    assert result['last_checkpoint'].endswith('epoch_1.pth')
