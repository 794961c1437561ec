import os
import subprocess
import sys

import pytest
from mmengine.config import Config

from common import CONFIGS, REPO, tiny_options

from posereid.datasets import PairSampler, ReIDDataset
from posereid.engine.tester import read_checkpoint


@pytest.mark.slow
def test_torchrun_with_two_gloo_processes_trains_on_half_the_pairs_each(world, tmp_path):
    options = tiny_options(world, model='SiameseND', max_epochs=1)
    cfg = Config.fromfile(str(CONFIGS['SiameseND']))
    cfg.merge_from_dict(options)
    config = tmp_path / 'tiny_ddp.py'
    cfg.dump(str(config))
    work_dir = tmp_path / 'work'
    # Both processes talk over the loopback interface: by default torchrun advertises the
    # machine's FQDN and gloo binds to the address the hostname resolves to, which on some
    # machines (containers, CI runners) is an interface the other process cannot reach or that
    # is not up yet: the run then fails or hangs now and then, depending on the machine.
    env = dict(os.environ, OMP_NUM_THREADS='1', POSEREID_DATA=str(world / 'data'),
               GLOO_SOCKET_IFNAME='lo',
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get('PYTHONPATH', '')]))
    run = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2',
         '--local-addr', '127.0.0.1', str(REPO / 'tools/train.py'), str(config),
         '--launcher', 'pytorch', '--device', 'cpu', '--work-dir', str(work_dir)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]      # the error is last, after the warnings

    train_set = ReIDDataset('synthetic_market', split='train',
                            source_root=str(world / 'data' / 'synthetic' / 'market'),
                            validation=cfg.train_dataloader.dataset.validation)
    images_per_epoch = len(PairSampler(train_set, seed=0, max_positive_pairs_per_id=2))
    pairs_per_rank = -(-images_per_epoch // 2 // 2)
    iters_per_rank = -(-2 * pairs_per_rank // 8)
    checkpoint = read_checkpoint(work_dir / 'epoch_1.pth')
    assert checkpoint['meta']['iter'] == iters_per_rank < -(-images_per_epoch // 8)
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'Distributed training: True' in log
    assert 'two_stage/rank1' in log    # features gathered from both processes and ranked
