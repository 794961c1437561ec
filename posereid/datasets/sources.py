"""``build_source(name)``: a dataset loader by name (the names configs and tools use)."""
from __future__ import annotations

import os
from pathlib import Path

from posereid.utils.paths import data_root as default_data_root

from .base import ReIDSource
from .cuhk01 import CUHK01
from .cuhk03 import CUHK03
from .cuhk03_pair1 import CUHK03Pair1
from .dukemtmc import DukeMTMC
from .folder import FolderSource
from .market1501 import Market1501
from .msmt17 import MSMT17
from .synthetic_domains import SyntheticCUHK01, SyntheticDuke, SyntheticMarket
from .viper import VIPeR

#: Loader classes by ``build_source`` name.
SOURCES: dict[str, type[ReIDSource]] = {
    cls.name: cls for cls in (Market1501, DukeMTMC, MSMT17, CUHK03, CUHK03Pair1, CUHK01, VIPeR,
                              FolderSource, SyntheticMarket, SyntheticDuke, SyntheticCUHK01)
}


def source_cache_name(source: str | dict) -> str:
    """The heatmap-cache folder name of a ``ReIDDataset`` ``source`` (a name, or a dict
    ``dict(name=..., **options)``): :meth:`ReIDSource.cache_name` of its loader."""
    options = {'name': source} if isinstance(source, str) else dict(source)
    name = options.pop('name')
    if name not in SOURCES:
        raise ValueError(f'unknown dataset {name!r}; known datasets: {", ".join(SOURCES)}')
    return SOURCES[name].cache_name(**options)


def build_source(name: str, root=None, data_root: str | os.PathLike | None = None,
                 **kwargs) -> ReIDSource:
    """The loader ``name`` of the dataset in ``root`` (default: ``<data_root>/<its folder>``,
    ``data_root`` defaulting to :func:`posereid.utils.paths.data_root`).

    ``kwargs`` are the loader's options (``split_id``, ``labeled``, ``verify_images``, ...; see
    docs/datasets.md). Raises ``ValueError`` listing the known names for an unknown ``name``.
    """
    if name not in SOURCES:
        raise ValueError(f'unknown dataset {name!r}; known datasets: {", ".join(SOURCES)}')
    source = SOURCES[name]
    if root is None and source.default_folder:
        root = Path(data_root or default_data_root()).expanduser() / source.default_folder
    return source(root, **kwargs)
