import json
from pathlib import Path

import pytest
import torch

from common import CONFIGS, tiny_options

from posereid.datasets import HeldOutValidation, build_source
from posereid.engine import load_config, train
from posereid.engine.tester import read_checkpoint


def logged_losses(work_dir) -> dict[str, dict[int, float]]:
    """{run timestamp: {iteration: loss}} from mmengine's scalars.json of each run."""
    runs = {}
    for scalars in sorted(Path(work_dir).glob('*/vis_data/scalars.json')):
        lines = [json.loads(line) for line in scalars.read_text().splitlines()]
        runs[scalars.parents[1].name] = {r['step']: r['loss'] for r in lines if 'loss' in r}
    return runs


@pytest.mark.slow
def test_resume_after_a_stop_gives_the_losses_and_weights_of_an_uninterrupted_run(
        world, tmp_path):
    config = CONFIGS['SpindleFusion']
    options = tiny_options(world, max_epochs=2)
    full = train(config, work_dir=tmp_path / 'full', cfg_options=options)
    train(config, work_dir=tmp_path / 'stopped', cfg_options={**options,
                                                              'train_cfg.max_epochs': 1})
    resumed = train(config, work_dir=tmp_path / 'stopped', cfg_options=options, resume=True)

    (full_losses,) = logged_losses(tmp_path / 'full').values()
    first, second = logged_losses(tmp_path / 'stopped').values()
    iters_per_epoch = max(first)
    assert len(full_losses) == 2 * iters_per_epoch >= 4
    assert min(second) == iters_per_epoch + 1          # resumed, not restarted
    for step, loss in {**first, **second}.items():
        assert abs(loss - full_losses[step]) <= 1e-6, step

    final_full = read_checkpoint(full['last_checkpoint'])
    final_resumed = read_checkpoint(resumed['last_checkpoint'])
    assert final_resumed['meta']['epoch'] == 2
    for name, weight in final_full['state_dict'].items():
        torch.testing.assert_close(final_resumed['state_dict'][name], weight, rtol=0, atol=1e-6)
    # hard negatives were mined before epoch 2 and saved with the checkpoint
    assert final_resumed['hard_negatives'] == final_full['hard_negatives']
    metrics = resumed['val_metrics']
    assert set(metrics) >= {'reid/rank1', 'reid/mAP', 'two_stage/rank1', 'two_stage/mAP'}
    # validation ranks the training identities held out of training (never the test split):
    # Q x min(K, G) pair passes
    val = HeldOutValidation(build_source('synthetic_market', data_root=world / 'data'), 0.1)
    top_k = load_config(config, options).retrieval.top_k
    assert metrics['two_stage/pair_passes'] == len(val.query) * min(top_k, len(val.gallery))
    assert resumed['best_checkpoint'] and Path(resumed['best_checkpoint']).is_file()
    assert list((tmp_path / 'full').glob('*/vis_data/events.out.tfevents.*'))  # TensorBoard
