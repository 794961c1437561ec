"""``build_source(name)``: a dataset loader by name (the names configs and tools use)."""
from __future__ import annotations

from .base import ReIDSource
from .cuhk01 import CUHK01
from .cuhk03 import CUHK03
from .dukemtmc import DukeMTMC
from .folder import FolderSource
from .market1501 import Market1501
from .msmt17 import MSMT17
from .synthetic_domains import SyntheticCUHK01, SyntheticDuke, SyntheticMarket
from .viper import VIPeR

#: Loader classes by ``build_source`` name.
SOURCES: dict[str, type[ReIDSource]] = {
    cls.name: cls for cls in (Market1501, DukeMTMC, MSMT17, CUHK03, CUHK01, VIPeR, FolderSource,
                              SyntheticMarket, SyntheticDuke, SyntheticCUHK01)
}


def build_source(name: str, root=None, **kwargs) -> ReIDSource:
    """The loader ``name`` of the dataset in ``root`` (default: ``data_root() / <its folder>``).

    ``kwargs`` are the loader's options (``split_id``, ``labeled``, ``verify_images``, ...; see
    docs/datasets.md). Raises ``ValueError`` listing the known names for an unknown ``name``.
    """
    if name not in SOURCES:
        raise ValueError(f'unknown dataset {name!r}; known datasets: {", ".join(SOURCES)}')
    return SOURCES[name](root, **kwargs)
