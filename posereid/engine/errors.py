"""The errors a user can fix (missing data, cache or checkpoint, a bad value, a diverged loss):
their message says what is wrong and what to do, so tools print it without a stack trace, and
the cross-dataset matrix records it as a missing cell."""
from __future__ import annotations

import contextlib
import os
import shlex
from typing import Iterator

from mmengine.config import Config

from posereid.pose.heatmap_cache import StaleCacheError

from .hooks import InvalidLossError

USER_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError, StaleCacheError,
               InvalidLossError)


def config_command(config: str | os.PathLike, cfg_options: dict | None = None) -> str:
    """The ``tools/precompute_heatmaps.py --config`` line that builds a config's caches."""
    args = ['python', 'tools/precompute_heatmaps.py', '--config', str(config)]
    if cfg_options:
        args += ['--cfg-options', *(f'{key}={value}' for key, value in cfg_options.items())]
    return shlex.join(args)


@contextlib.contextmanager
def caches_hint(cfg: Config, cfg_options: dict | None = None) -> Iterator[None]:
    """Add to a stale-cache error of a run the command that builds all of its config's
    caches (``cfg_options``: the run's overrides, repeated in the command)."""
    try:
        yield
    except StaleCacheError as error:
        if not cfg.filename or 'precompute_heatmaps.py --config' in str(error):
            raise
        raise StaleCacheError(f'{error}\nAll of this config\'s caches: '
                              f'{config_command(cfg.filename, cfg_options)}') from None
