import json

import numpy as np
import pytest

from posereid.visualization.curves import draw_training_curves, read_training_log


def _write_log(path, rows):
    path.write_text('\n'.join(json.dumps(r) for r in rows) + '\n')


def test_read_training_log_keeps_training_lines_in_order_and_skips_validation(tmp_path):
    log = tmp_path / 'scalars.json'
    _write_log(log, [
        {'lr': 1e-3, 'loss': 0.7, 'pair_acc': 0.5, 'epoch': 1, 'iter': 10, 'step': 10},
        {'reid/rank1': 0.2, 'step': 1},
        {'lr': 1e-3, 'loss': 0.4, 'pair_acc': 0.8, 'epoch': 2, 'iter': 20, 'step': 20},
    ])
    curves = read_training_log(log)
    np.testing.assert_array_equal(curves['iter'], [10, 20])
    np.testing.assert_allclose(curves['loss'], [0.7, 0.4])
    assert 'reid/rank1' not in curves
    png = draw_training_curves({'run': curves})
    assert png[:8] == b'\x89PNG\r\n\x1a\n'


def test_read_training_log_names_the_file_and_line_of_a_broken_log(tmp_path):
    log = tmp_path / 'scalars.json'
    log.write_text('{"loss": 1, "iter": 1}\n{not json\n')
    with pytest.raises(ValueError, match=r'scalars.json:2'):
        read_training_log(log)
    _write_log(log, [{'reid/rank1': 0.2, 'step': 1}])
    with pytest.raises(ValueError, match='no training lines'):
        read_training_log(log)
