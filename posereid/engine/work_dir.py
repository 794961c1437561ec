"""A training run's folder (its work dir): which checkpoint is its last, its best, its epoch.

mmengine writes ``<work_dir>/last_checkpoint``, a file naming the newest checkpoint, and, when
validation runs, ``best_*.pth``. Everything that reads a work dir reads it here.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

CHECKPOINT_CHOICES = ('last', 'best')


def last_checkpoint(work_dir: str | os.PathLike) -> Path | None:
    """The checkpoint named by ``<work_dir>/last_checkpoint``, or ``None`` if there is none."""
    pointer = Path(work_dir) / 'last_checkpoint'
    if not pointer.is_file():
        return None
    path = Path(pointer.read_text().strip())
    if not path.is_file():
        raise FileNotFoundError(f'{pointer} names {path}, which does not exist; delete '
                                f'{work_dir} to retrain that run')
    return path


def checkpoint_epoch(checkpoint: Path | None) -> int | None:
    """The epoch of an ``epoch_N.pth`` checkpoint (``None`` for none or another name)."""
    epoch = re.fullmatch(r'epoch_(\d+)\.pth', checkpoint.name) if checkpoint else None
    return int(epoch.group(1)) if epoch else None


def resolve_checkpoint(checkpoint: str | os.PathLike, config_name: str = 'CONFIG',
                       which: str = 'last') -> Path:
    """A checkpoint file, or the ``which`` checkpoint of a work dir: ``'last'`` (the one its
    ``last_checkpoint`` names) or ``'best'`` (its newest ``best_*.pth``, chosen on the
    validation set). A path without a suffix that does not exist is taken for a work dir still
    to be trained.

    Raises:
        FileNotFoundError: naming what was looked for and the command that trains it.
    """
    if which not in CHECKPOINT_CHOICES:
        raise ValueError(f'which must be one of {CHECKPOINT_CHOICES}; got {which!r}')
    path = Path(checkpoint)
    hint = f'train it with: python tools/train.py {config_name}'
    if path.is_dir() or (not path.exists() and not path.suffix):
        if which == 'best':
            best = sorted(path.glob('best_*.pth'), key=lambda p: p.stat().st_mtime)
            if best:
                return best[-1]
            raise FileNotFoundError(f'no best checkpoint in work dir {path} (expected '
                                    f'best_*.pth, saved when validation runs); {hint} '
                                    f'--work-dir {path}')
        last = last_checkpoint(path)
        if last is not None:
            return last
        raise FileNotFoundError(f'no checkpoint in work dir {path} (expected its '
                                f'last_checkpoint, or for the best one expected best_*.pth); '
                                f'{hint} --work-dir {path}')
    if not path.is_file():
        raise FileNotFoundError(f'checkpoint {path} not found; {hint}')
    return path
