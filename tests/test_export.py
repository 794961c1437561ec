"""ONNX export: the standard-operator paths equal the training layers, and onnxruntime gives
PyTorch's embeddings and pair probabilities at batch 1 and at batch 16 (dynamic batch)."""
from __future__ import annotations


import onnx
import pytest
import torch

from common import CONFIGS, run_tool, save_untrained_checkpoint, tiny_options

from posereid.apis import init_predictor
from posereid.apis.export import check_onnx, export_onnx
from posereid.models.siamese_nd import SiameseBranch


def test_the_export_paths_compute_what_the_fused_layers_compute(monkeypatch):
    torch.manual_seed(0)
    branch = SiameseBranch((48, 32), 'both', channels=(4, 5), summary_channels=5,
                           fc_dim=8).eval()
    f, g = branch.features(torch.randn(3, 3, 48, 32)), branch.features(torch.randn(3, 3, 48, 32))
    with torch.no_grad():
        fused = branch.pair_features(f, g)
        monkeypatch.setattr(torch.onnx, 'is_in_onnx_export', lambda: True)
        exported = branch.pair_features(f, g)
    torch.testing.assert_close(exported, fused, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('name', ['SiameseND', 'SpindleFusion'])
def test_onnxruntime_matches_pytorch_at_batch_1_and_16(name, world, tmp_path):
    options = tiny_options(world, name)
    if name == 'SpindleFusion':
        options['model.siamese.matching'] = 'both'          # ND and NCC
    checkpoint = save_untrained_checkpoint(CONFIGS[name], options, tmp_path / 'model.pth')
    predictor = init_predictor(CONFIGS[name], checkpoint, 'cpu', options)
    assert predictor.uses_heatmaps == (name == 'SpindleFusion')
    files = export_onnx(predictor, tmp_path / 'onnx')
    for path in files.values():
        onnx.checker.check_model(str(path))
    graph = onnx.load(str(files['embedding'])).graph
    assert [i.name for i in graph.input] == (['imgs', 'heatmaps'] if name == 'SpindleFusion'
                                              else ['imgs'])
    assert graph.input[0].type.tensor_type.shape.dim[0].dim_param == 'batch'
    differences = check_onnx(predictor, files, batch_sizes=(1, 16))
    assert differences['embedding_max_abs_diff'] <= 1e-4
    assert differences['probability_max_abs_diff'] <= 1e-4


@pytest.mark.slow
def test_the_tool_exports_and_checks(world, tmp_path):
    from posereid.engine import load_config

    config = tmp_path / 'tiny.py'
    load_config(CONFIGS['SiameseND'], tiny_options(world, 'SiameseND')).dump(str(config))
    checkpoint = save_untrained_checkpoint(config, {}, tmp_path / 'tiny.pth')
    run = run_tool('tools/export_onnx.py', config, checkpoint, '--out', tmp_path / 'onnx',
                   cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert 'embedding_max_abs_diff' in run.stdout and (tmp_path / 'onnx/verifier.onnx').is_file()
    bad = run_tool('tools/export_onnx.py', config, tmp_path / 'missing.pth', '--out',
                   tmp_path / 'none', cwd=tmp_path)
    assert bad.returncode == 1 and 'missing.pth' in bad.stderr and 'Traceback' not in bad.stderr
    assert not (tmp_path / 'none').exists()
