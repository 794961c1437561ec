"""Where posereid looks for data and checkpoints by default."""
from __future__ import annotations

import os
from pathlib import Path

#: The checkout (or install) folder that holds the ``posereid`` package.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def data_root() -> Path:
    """Root folder of all datasets: ``$POSEREID_DATA`` if set, else ``<checkout>/data``."""
    return Path(os.environ.get('POSEREID_DATA', PROJECT_ROOT / 'data')).expanduser()


def checkpoints_root() -> Path:
    """Folder of shipped and downloaded-by-hand checkpoints: ``<checkout>/checkpoints``."""
    return PROJECT_ROOT / 'checkpoints'
