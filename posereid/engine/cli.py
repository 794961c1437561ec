"""What the command-line tools share: ``--cfg-options`` parsing and turning the errors a user
can fix (missing data, cache or checkpoint, a diverged loss) into a one-line message."""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator

from mmengine.config import DictAction

from posereid.pose.heatmap_cache import StaleCacheError

from .hooks import InvalidLossError

#: Errors whose message tells the user what is wrong and what to do; no stack trace needed.
USER_ERRORS = (FileNotFoundError, NotADirectoryError, ValueError, StaleCacheError,
               InvalidLossError)


def add_cfg_options(parser) -> None:
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={}, metavar='KEY=VALUE',
        help='override config entries, e.g. train_cfg.max_epochs=2 data_root=/data')


@contextlib.contextmanager
def exit_on_user_error() -> Iterator[None]:
    """Run a tool's body; a :data:`USER_ERRORS` exception exits with status 1 and its message."""
    try:
        yield
    except USER_ERRORS as error:
        print(f'error: {error}', file=sys.stderr)
        raise SystemExit(1) from None
