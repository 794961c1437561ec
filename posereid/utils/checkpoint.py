"""Loading PyTorch / mmengine checkpoints with ``torch.load(weights_only=True)``.

Since torch 2.6 ``torch.load`` unpickles only tensors and plain containers unless told
otherwise. Checkpoints written by mmengine's ``Runner`` also carry run metadata: numpy
scalars and arrays (seeds, dataset meta), and the ``MessageHub`` state with its
``HistoryBuffer`` objects. Rather than turning the safety off (``weights_only=False`` or the
global ``TORCH_FORCE_WEIGHTS_ONLY_LOAD`` switch), the few classes that such metadata needs are
allow-listed for the duration of one ``with`` block (:func:`mmengine_checkpoint_globals`).
Anything else in a pickle — arbitrary callables — is still refused.
"""
from __future__ import annotations

import contextlib
import os
import pickle
import zipfile
from pathlib import Path
from typing import Iterator

import numpy as np
import torch


def history_buffer_method(obj, name: str):
    """``getattr`` restricted to what a pickled mmengine ``HistoryBuffer`` needs.

    A ``HistoryBuffer`` pickles its statistics methods (``min``, ``max``, ``mean``...) as
    ``getattr(HistoryBuffer, name)``; any other ``getattr`` in a pickle is refused.
    """
    from mmengine.logging import HistoryBuffer

    # the built-in statistics are registered on the class only when a first buffer is made
    statistics = {'min', 'max', 'current', 'mean', *HistoryBuffer._statistics_methods}
    if obj is HistoryBuffer and name in statistics:
        return getattr(obj, name)
    raise pickle.UnpicklingError(f'refused getattr({obj!r}, {name!r}) in a checkpoint: only '
                                 'HistoryBuffer statistics methods are allowed')


def mmengine_metadata_globals() -> list:
    """Classes found in the metadata of mmengine/mmpose checkpoints, safe to reconstruct."""
    from mmengine.logging import HistoryBuffer

    numpy_globals = [np.ndarray, np.dtype, np.core.multiarray._reconstruct,
                     np.core.multiarray.scalar]
    # numpy >= 1.25 pickles dtypes as instances of their own classes (np.dtypes.Float64DType...).
    numpy_globals += [type(np.dtype(name)) for name in
                      ('bool', 'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32',
                       'uint64', 'float16', 'float32', 'float64', 'str', 'object')]
    restricted_getattr = [(history_buffer_method, f'{module}.getattr')
                          for module in ('builtins', '__builtin__')]   # pickle protocol 2 name
    return [HistoryBuffer, *restricted_getattr, *numpy_globals]


@contextlib.contextmanager
def mmengine_checkpoint_globals() -> Iterator[None]:
    """Allow-list mmengine checkpoint metadata for ``torch.load(weights_only=True)`` in a block.

    Wrap mmengine calls that load checkpoints themselves (``Runner.train()`` with
    ``resume``/``load_from``, ``mmengine.runner.load_checkpoint``); the allow-list is
    thread-local to torch's unpickler settings and removed on exit.
    """
    with torch.serialization.safe_globals(mmengine_metadata_globals()):
        yield


def load_checkpoint_safely(path: str | os.PathLike, map_location: str | torch.device = 'cpu'):
    """``torch.load`` a checkpoint with ``weights_only=True`` and the mmengine allow-list.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: ``path`` is not a PyTorch checkpoint, or its pickle needs a class outside
            the allow-list (the message names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        with mmengine_checkpoint_globals():
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        refused = [line.strip() for line in str(error).splitlines()
                   if 'Unsupported global' in line or 'refused getattr' in line]
        if refused:
            raise ValueError(f'{path}: refused to load a checkpoint that needs objects outside '
                             f'the weights-only allow-list ({refused[0]})') from None
        raise ValueError(f'{path}: not a readable PyTorch checkpoint') from None
    except (RuntimeError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f'{path}: not a readable PyTorch checkpoint ({error})') from None


def state_dict_of(checkpoint, path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The weights of a loaded checkpoint: its ``state_dict`` entry, or the dict itself.

    ``path`` is only used in the error message.
    """
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{path}: expected a state dict (name -> tensor), or a dict with a '
                         "'state_dict' entry")
    return state


def load_weights(model: torch.nn.Module, state: dict[str, torch.Tensor], path: str | os.PathLike,
                 allow_partial: bool = False, drop_classifier: bool = False,
                 classifier_prefix: str = 'classifier.') -> list[str]:
    """Load ``state`` into ``model``, refusing a partial load.

    Every key the model has and the checkpoint lacks (missing), the checkpoint has and the
    model lacks (unexpected) or both have with another shape is named in the error, unless
    ``allow_partial`` (then they are skipped). With ``drop_classifier`` an identity classifier
    (``classifier_prefix``) of another shape — a checkpoint trained on another number of
    identities, being fine-tuned — is dropped and left as the model initialised it.

    Returns:
        One line per thing not loaded (for the log).
    Raises:
        ValueError: naming ``path`` and the keys.
    """
    own = model.state_dict()
    mismatched = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    dropped = [k for k in mismatched if drop_classifier and k.startswith(classifier_prefix)]
    notes = []
    if dropped:
        notes.append(f'{path}: dropped its identity classifier ({dropped[0]} is '
                     f'{tuple(state[dropped[0]].shape)}, this model has '
                     f'{tuple(own[dropped[0]].shape)}): a checkpoint of another number of '
                     f'identities; the classifier starts anew')
        mismatched = [k for k in mismatched if k not in dropped]
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    problems = [(f'missing {len(missing)}', missing), (f'unexpected {len(unexpected)}',
                                                      unexpected),
                (f'another shape {len(mismatched)}', mismatched)]
    problems = [(label, keys) for label, keys in problems if keys]
    if problems:
        text = '; '.join(f'{label}: {", ".join(keys[:20])}{" ..." if len(keys) > 20 else ""}'
                         for label, keys in problems)
        if not allow_partial:
            raise ValueError(f'{path} does not hold the weights of this {type(model).__name__} '
                             f'({text}); a checkpoint of another architecture or config? '
                             f'(load it partially only on purpose: allow_partial)')
        notes.append(f'{path}: loaded partially ({text})')
    skip = set(mismatched) | set(dropped)
    model.load_state_dict({k: v for k, v in state.items() if k in own and k not in skip},
                          strict=False)
    return notes
