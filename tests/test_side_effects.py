"""Library calls leave the caller's process as they found it: the matplotlib backend (a notebook
user's), the global random number generators of torch, numpy and ``random``, and the umask.

The check runs in a fresh interpreter, so that nothing imported or set by other tests hides an
effect: it chooses the ``svg`` backend, seeds every generator and sets a umask, then imports
posereid, draws a plot, exports a tiny model to ONNX and checks it with onnxruntime, and writes
a file atomically.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from common import CONFIGS, REPO, TINY_MODELS
UMASK = 0o027

SCRIPT = r'''
import json, os, pickle, random, sys
from pathlib import Path

import matplotlib
import mmengine  # noqa: F401  (its import draws from random, through rich: not posereid's doing)
import numpy as np
import torch

config, model_options, out, umask = sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3]), \
    int(sys.argv[4])
matplotlib.use('svg')
os.umask(umask)
random.seed(1)
np.random.seed(1)
torch.manual_seed(1)


def state():
    current_umask = os.umask(0)
    os.umask(current_umask)
    return {'backend': matplotlib.get_backend(), 'umask': current_umask,
            'torch RNG': torch.get_rng_state().numpy().tobytes().hex(),
            'numpy RNG': pickle.dumps(np.random.get_state()).hex(),
            'random RNG': repr(random.getstate())}


before = state()
import posereid
from mmengine.registry import DefaultScope

from posereid.apis import Predictor
from posereid.apis.export import check_onnx, export_onnx
from posereid.engine import load_config
from posereid.registry import MODELS
from posereid.utils.io import atomic_write
from posereid.visualization.curves import draw_cmc_curves

assert posereid.__file__.startswith(os.getcwd()), posereid.__file__
with torch.random.fork_rng(devices=[]), DefaultScope.overwrite_default_scope('posereid'):
    cfg = load_config(config, {'model': model_options})
    model = MODELS.build(cfg.model).eval()     # weights drawn by the test, not by the library
predictor = Predictor(model, cfg, (), None, tuple(cfg.model.input_size), (32, 16),
                      Path('untrained'))
draw_cmc_curves({'a': [0.5, 0.75, 1.0]})
check_onnx(predictor, export_onnx(predictor, out / 'onnx'), batch_sizes=(1, 2))
with atomic_write(out / 'atomic.txt') as f:
    f.write('written')
after = state()
print(json.dumps({'changed': sorted(k for k in before if before[k] != after[k]),
                  'backend': after['backend'], 'pyplot': 'matplotlib.pyplot' in sys.modules,
                  'mode': (out / 'atomic.txt').stat().st_mode & 0o777}))
'''


@pytest.mark.slow
def test_a_plot_an_export_and_an_atomic_write_leave_the_process_as_it_was(tmp_path):
    run = subprocess.run(
        [sys.executable, '-c', SCRIPT, str(CONFIGS['SiameseND']),
         json.dumps({'branch': TINY_MODELS['SiameseND']['branch']}), str(tmp_path), str(UMASK)],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.splitlines()[-1])
    assert report['changed'] == [], f'changed by posereid: {report["changed"]}'
    assert report['backend'] == 'svg'
    assert not report['pyplot'], 'drawing imported matplotlib.pyplot'
    assert report['mode'] == 0o666 & ~UMASK
