"""What the command-line tools share: ``--cfg-options`` parsing, the command lines they print
and record, and turning the errors a user can fix (:data:`~posereid.utils.errors.USER_ERRORS`:
missing data, cache or checkpoint, a bad value, a diverged loss) into a one-line message."""
from __future__ import annotations

import contextlib
import os
import shlex
import sys
from typing import Iterator, Sequence

from mmengine.config import DictAction

from posereid.pose.cache import StaleCacheError
from posereid.utils.errors import USER_ERRORS


def add_cfg_options(parser) -> None:
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={}, metavar='KEY=VALUE',
        help='override config entries, e.g. train_cfg.max_epochs=2 data_root=/data')


def tool_command(tool: str, args: Sequence[str]) -> str:
    """The shell line that runs ``tools/<tool>`` with ``args``."""
    return shlex.join(['python', f'tools/{tool}', *map(str, args)])


def precompute_command(config: str | os.PathLike, cfg_options: dict | None = None) -> str:
    """The ``tools/precompute_heatmaps.py --config`` line that builds every cache of a config."""
    args = ['--config', str(config)]
    if cfg_options:
        args += ['--cfg-options', *(f'{key}={value}' for key, value in cfg_options.items())]
    return tool_command('precompute_heatmaps.py', args)


@contextlib.contextmanager
def exit_on_user_error(config: str | os.PathLike | None = None,
                       cfg_options: dict | None = None) -> Iterator[None]:
    """Run a tool's body; a :data:`USER_ERRORS` exception exits with status 1 and its message.
    A missing or stale heatmap cache of a run of ``config`` also gets the command that builds
    all of that config's caches."""
    try:
        yield
    except USER_ERRORS as error:
        print(f'error: {error}', file=sys.stderr)
        if isinstance(error, StaleCacheError) and config is not None:
            print(f"all of this config's heatmap caches: "
                  f'{precompute_command(config, cfg_options)}', file=sys.stderr)
        raise SystemExit(1) from None
