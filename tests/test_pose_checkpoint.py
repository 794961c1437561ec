"""Safe checkpoint loading: weights_only with a scoped allow-list for mmengine metadata."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from posereid.utils.checkpoint import (load_checkpoint_safely, mmengine_checkpoint_globals,
                                       state_dict_of)


class Payload:
    """Not on any allow-list: unpickling it would run arbitrary code in a real attack."""

    def __reduce__(self):
        return (print, ('unpickled!',))


class SneakyGetattr:
    """Pickles as ``getattr(HistoryBuffer, 'register_statistics')``: not a statistics method."""

    def __reduce__(self):
        return (getattr, (HistoryBuffer, 'register_statistics'))


@pytest.fixture
def runner_checkpoint(tmp_path):
    """What mmengine's Runner writes: weights plus numpy and HistoryBuffer metadata."""
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict={'w': torch.arange(3.0)},
                    meta=dict(epoch=np.int64(1), seed=np.array([1, 2], np.int32),
                              lr=np.float32(0.1), message_hub=dict(
                                  log_scalars={'loss': HistoryBuffer([1.0, 0.5], [1, 1])}))), path)
    return path


def test_mmengine_metadata_loads_with_the_allow_list_only(runner_checkpoint, monkeypatch):
    # as in a fresh process, before any HistoryBuffer registered the built-in statistics
    monkeypatch.setattr(HistoryBuffer, '_statistics_methods', {})
    with pytest.raises(pickle.UnpicklingError):
        torch.load(runner_checkpoint, weights_only=True)
    loaded = load_checkpoint_safely(runner_checkpoint)
    assert torch.equal(state_dict_of(loaded, runner_checkpoint)['w'], torch.arange(3.0))
    assert loaded['meta']['epoch'] == 1
    assert loaded['meta']['message_hub']['log_scalars']['loss'].current() == 0.5


def test_allow_list_is_scoped_to_the_with_block(runner_checkpoint):
    with mmengine_checkpoint_globals():
        assert torch.load(runner_checkpoint, weights_only=True)['meta']['lr'] == np.float32(0.1)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(runner_checkpoint, weights_only=True)


def test_arbitrary_objects_are_refused_naming_the_file(tmp_path, capsys):
    path = tmp_path / 'evil.pth'
    torch.save({'state_dict': {}, 'payload': Payload()}, path)
    with pytest.raises(ValueError, match='evil.pth: refused'):
        load_checkpoint_safely(path)
    assert 'unpickled!' not in capsys.readouterr().out


def test_getattr_is_allowed_only_for_history_buffer_statistics(tmp_path):
    path = tmp_path / 'sneaky.pth'
    torch.save({'x': SneakyGetattr()}, path)
    with pytest.raises(ValueError, match='sneaky.pth: refused.*register_statistics'):
        load_checkpoint_safely(path)


def test_unreadable_and_missing_files_are_named(tmp_path):
    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(b'\x00not a zip')
    with pytest.raises(ValueError, match='garbage.pth: not a readable PyTorch checkpoint'):
        load_checkpoint_safely(garbage)
    with pytest.raises(FileNotFoundError, match='absent.pth'):
        load_checkpoint_safely(tmp_path / 'absent.pth')


def test_state_dict_of_accepts_bare_state_dicts_and_names_bad_ones():
    assert list(state_dict_of({'a': torch.zeros(1)}, 'x.pth')) == ['a']
    with pytest.raises(ValueError, match='x.pth: expected a state dict'):
        state_dict_of({'state_dict': {'a': 'text'}}, 'x.pth')
