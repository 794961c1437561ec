"""What the command-line tools share: ``--cfg-options`` parsing and turning the errors a user
can fix (missing data, cache or checkpoint, a diverged loss) into a one-line message."""
from __future__ import annotations

import contextlib
import sys
from typing import Iterator

from mmengine.config import DictAction

from .errors import USER_ERRORS


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
