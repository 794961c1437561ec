"""Where posereid looks for data and checkpoints by default: an environment variable, else a
folder of the working directory (as mmengine resolves a config's relative paths). The
package never looks beside its own files, so an installed copy behaves as the checkout does."""
from __future__ import annotations

import os
from pathlib import Path


def data_root() -> Path:
    """Root folder of all datasets: ``$POSEREID_DATA`` if set, else ``./data``."""
    return Path(os.environ.get('POSEREID_DATA') or 'data').expanduser().absolute()


def checkpoints_root() -> Path:
    """Folder of shipped and hand-copied checkpoints: ``$POSEREID_CHECKPOINTS`` if set, else
    ``./checkpoints`` (the checkout's, when run from it)."""
    return Path(os.environ.get('POSEREID_CHECKPOINTS') or 'checkpoints').expanduser().absolute()
