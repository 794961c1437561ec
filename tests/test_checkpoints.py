"""Loading weights: a partial load is refused naming the keys, unless asked; fine-tuning from a
checkpoint of another number of identities drops its classifier and says so."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from common import CONFIGS, tiny_options

from posereid import engine
from posereid.utils.checkpoint import load_weights


class Net(nn.Module):
    def __init__(self, classes=3):
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.classifier = nn.Linear(4, classes)


def test_a_partial_load_is_refused_naming_every_kind_of_problem():
    state = Net().state_dict()
    state['extra.weight'] = torch.zeros(1)
    del state['body.bias']
    state['classifier.weight'] = torch.zeros(5, 4)
    with pytest.raises(ValueError, match=r'missing 1: body.bias; unexpected 1: extra.weight; '
                                         r'another shape 1: classifier.weight'):
        load_weights(Net(), state, 'x.pth')
    model = Net()
    notes = load_weights(model, state, 'x.pth', allow_partial=True)
    assert len(notes) == 1 and 'loaded partially' in notes[0]
    torch.testing.assert_close(model.body.weight, state['body.weight'])


def test_a_classifier_of_another_size_is_dropped_on_request():
    source, target = Net(classes=5), Net(classes=3)
    notes = load_weights(target, source.state_dict(), 'x.pth', drop_classifier=True)
    assert len(notes) == 1 and 'dropped its identity classifier' in notes[0]
    torch.testing.assert_close(target.body.weight, source.body.weight)
    assert target.classifier.weight.shape == (3, 4)


@pytest.mark.slow
def test_fine_tuning_on_another_dataset_drops_the_classifier_and_says_so(
        world, tmp_path):
    losses = dict(pair=dict(type='PairCrossEntropyLoss'),
                  identity=dict(type='CrossEntropyLabelSmooth', epsilon=0.1))
    options = {**tiny_options(world, max_epochs=1), 'model.losses': losses,
               'train_cfg.val_begin': 10}
    first = engine.train(CONFIGS['SpindleFusion'], tmp_path / 'market', options)
    other = {**options, 'load_from': first['last_checkpoint'],
             **{f'{loader}.dataset.source': 'synthetic_cuhk01'
                for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}}
    second = engine.train(CONFIGS['SpindleFusion'], tmp_path / 'cuhk01', other)
    log = next((tmp_path / 'cuhk01').glob('*/*.log')).read_text()
    assert 'dropped its identity classifier' in log
    before = engine.tester.read_checkpoint(first['last_checkpoint'])['state_dict']
    after = engine.tester.read_checkpoint(second['last_checkpoint'])['state_dict']
    assert before['classifier.weight'].shape[0] != after['classifier.weight'].shape[0]
