import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from posereid.engine.hooks import (EpochSeedHook, HardNegativeMiningHook, InvalidLossError,
                                   InvalidLossHook, epoch_seed, hardest_negatives)


def fake_runner(**attrs):
    return SimpleNamespace(epoch=2, iter=41, seed=7, work_dir='/tmp/run', **attrs)


@pytest.mark.parametrize('value', [float('nan'), float('inf')])
def test_invalid_loss_stops_with_the_loss_name_and_iteration(value):
    outputs = {'loss': torch.tensor(value), 'loss_pair': torch.tensor(value),
               'pair_acc': torch.tensor(0.5)}
    with pytest.raises(InvalidLossError, match=r'loss is (nan|inf) at epoch 3, iteration 42'):
        InvalidLossHook().after_train_iter(fake_runner(), 0, None, outputs)


def test_only_the_losses_are_checked_not_other_outputs():
    hook = InvalidLossHook()
    # a NaN pair accuracy (e.g. a batch without pairs) is not a reason to stop...
    assert hook.after_train_iter(fake_runner(), 0, None, {
        'loss': torch.tensor(0.7), 'pair_acc': torch.tensor(float('nan'))}) is None
    # ...but a NaN in any loss term is, even when the total is finite
    with pytest.raises(InvalidLossError, match='loss_pair'):
        hook.after_train_iter(fake_runner(), 0, None, {
            'loss': torch.tensor(0.7), 'loss_pair': torch.tensor(float('nan'))})


def test_epoch_seed_hook_makes_every_generator_repeat_per_epoch_and_differ_across_epochs():
    def draws(epoch):
        EpochSeedHook().before_train_epoch(fake_runner() if epoch == 2 else
                                           SimpleNamespace(epoch=epoch, seed=7))
        return random.random(), np.random.rand(), torch.rand(1).item()

    assert draws(2) == draws(2)
    assert draws(2) != draws(3)
    assert epoch_seed(7, 2) != epoch_seed(7, 2, rank=1)


def test_hardest_negatives_are_the_nearest_images_of_other_identities():
    embeddings = torch.tensor([[0.0], [0.1], [0.3], [1.0], [5.0], [0.2]])
    pids = [0, 0, 1, 2, 2, 0]
    candidates = hardest_negatives(embeddings, pids, num_candidates=2, chunk_size=4)
    assert candidates[0] == [2, 3]            # 0.3, 1.0 (not 0.1, 0.2: same identity)
    assert candidates[3] == [2, 5]            # 0.3, 0.2
    assert candidates[4] == [2, 5]            # 0.3, 0.2 (not 1.0: same identity)
    assert all(pids[j] != pids[i] for i, js in candidates.items() for j in js)


def test_mining_schedule_and_checkpoint_round_trip():
    class Sampler:
        hard = None

        def __init__(self, pids):
            self.pids = np.array(pids)

        def set_hard_negatives(self, candidates):
            self.hard = candidates

    def runner_with(sampler):
        logs = []
        return SimpleNamespace(epoch=0, train_dataloader=SimpleNamespace(sampler=sampler),
                               logger=SimpleNamespace(info=logs.append), logs=logs)

    hook = HardNegativeMiningHook(start_epoch=2, interval=3)
    sampler = Sampler([0, 0, 1, 2, 2])
    runner = runner_with(sampler)
    hook.before_train_epoch(runner)          # epoch 0 < start_epoch: random negatives
    assert hook.candidates is None and sampler.hard is None
    checkpoint = {}
    hook.candidates = {0: [3, 4]}
    hook.before_save_checkpoint(runner, checkpoint)
    resumed = HardNegativeMiningHook(start_epoch=2, interval=3)
    resumed.after_load_checkpoint(runner, checkpoint)
    resumed.before_train(runner)
    assert sampler.hard == {0: [3, 4]} and resumed.candidates == {0: [3, 4]}
    # fine-tuned on another training set: its items are others, the candidates are not used
    other = runner_with(Sampler([5, 5, 6]))
    fine_tuned = HardNegativeMiningHook(start_epoch=2, interval=3)
    fine_tuned.after_load_checkpoint(other, checkpoint)
    fine_tuned.before_train(other)
    assert other.train_dataloader.sampler.hard is None and fine_tuned.candidates is None
    assert 'another training set' in other.logs[0]


def test_mining_needs_a_pair_sampler():
    hook = HardNegativeMiningHook()
    runner = SimpleNamespace(train_dataloader=SimpleNamespace(sampler=object()))
    hook.after_load_checkpoint(runner, {'hard_negatives': {0: [1]}})
    with pytest.raises(TypeError, match='PairSampler'):
        hook.before_train(runner)


def test_mining_arguments_are_checked():
    with pytest.raises(ValueError, match='interval'):
        HardNegativeMiningHook(interval=0)
