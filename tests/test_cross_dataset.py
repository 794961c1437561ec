import csv
import json
import os

import cv2
import pytest

from common import CONFIGS, REPO, run_tool, save_untrained_checkpoint, tiny_options

from posereid.engine.cross_dataset import load_matrix_config

TARGETS = ['synthetic_market', 'synthetic_duke', 'synthetic_cuhk01']


@pytest.mark.slow
def test_matrix_reports_missing_cells_with_reasons_and_runs_the_rest(world, tmp_path):
    options = tiny_options(world)
    checkpoint = save_untrained_checkpoint(CONFIGS['SpindleFusion'], options,
                                           tmp_path / 'market' / 'model.pth')
    sources = [  # the small world has no duke domain; nothing was trained on cuhk01
        dict(name='synthetic_market', config=str(CONFIGS['SpindleFusion']),
             checkpoint=str(checkpoint), cfg_options=options, targets=TARGETS),
        dict(name='synthetic_cuhk01', config=str(CONFIGS['SpindleFusion']),
             checkpoint=str(tmp_path / 'cuhk01'), cfg_options=options, targets=TARGETS),
    ]
    matrix = tmp_path / 'matrix.py'
    matrix.write_text(f'sources = {sources!r}\n')
    run = run_tool('tools/test.py', '--cross-dataset', matrix, '--out', tmp_path / 'out',
                   cwd=tmp_path, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert run.returncode == 0, run.stderr[-3000:]

    cells = json.loads((tmp_path / 'out' / 'cross_dataset.json').read_text())['cells']
    status = {(c['source'], c['target']): c['status'] for c in cells}
    assert status == {('synthetic_market', 'synthetic_market'): 'ok',
                      ('synthetic_market', 'synthetic_duke'): 'missing',
                      ('synthetic_market', 'synthetic_cuhk01'): 'ok',
                      **{('synthetic_cuhk01', t): 'missing' for t in TARGETS}}
    reasons = {(c['source'], c['target']): c['reason'] for c in cells}
    assert 'synthetic/duke' in reasons['synthetic_market', 'synthetic_duke']
    assert 'tools/train.py' in reasons['synthetic_cuhk01', 'synthetic_market']
    for cell in cells:
        if cell['status'] == 'ok':
            (tn, fp), (fn, tp) = cell['confusion_matrix']
            assert tn + fp + fn + tp > 0
            assert cell['pair_accuracy'] == pytest.approx((tn + tp) / (tn + fp + fn + tp))
            assert cell['source'] == 'synthetic_market'

    rows = list(csv.DictReader((tmp_path / 'out' / 'cross_dataset.csv').open()))
    assert [(r['source'], r['target'], r['status']) for r in rows] == [
        (c['source'], c['target'], c['status']) for c in cells]
    table = (tmp_path / 'out' / 'cross_dataset.md').read_text()
    assert table.count('missing:') == 4 and table in run.stdout
    heat_map = cv2.imread(str(tmp_path / 'out' / 'cross_dataset_rank1.png'))
    assert heat_map is not None and heat_map.shape[0] > 100
    assert (tmp_path / 'out' / 'synthetic_market__synthetic_cuhk01' / 'ranked_lists.png').is_file()


def test_matrix_config_entries_are_checked(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text("sources = [dict(name='a', config='c.py', targets=['a'])]\n")
    with pytest.raises(ValueError, match=r"sources\[0\] lacks \['checkpoint'\]"):
        load_matrix_config(bad)


def test_default_matrix_covers_the_embedded_worlds_domains():
    sources = load_matrix_config(REPO / 'configs/cross_dataset/synthetic.py')
    assert [s['name'] for s in sources] == TARGETS
    assert all(s['targets'] == TARGETS and (REPO / s['config']).is_file() for s in sources)


def test_rows_of_several_models_trained_on_one_dataset_are_told_apart():
    from posereid.engine.cross_dataset import _rank1_grid, format_matrix_table
    cell = dict(source='synthetic_market', status='ok', num_identities=5, pair_accuracy=0.5,
                mAP=0.2)
    cells = [dict(cell, model='SiameseND', target='synthetic_market', phase='same dataset',
                  rank1=0.25),
             dict(cell, model='SpindleFusion', target='synthetic_market', phase='same dataset',
                  rank1=0.75)]
    grid, rows, columns = _rank1_grid(cells)
    assert rows == ['SiameseND on synthetic_market', 'SpindleFusion on synthetic_market']
    assert columns == ['synthetic_market'] and grid[:, 0].tolist() == [0.25, 0.75]
    table = format_matrix_table(cells)
    assert '| SpindleFusion on synthetic_market | same dataset |' in table
