"""Re-id datasets: loaders of the real datasets' on-disk layouts, the mmengine dataset, its
transforms, samplers and collate function, and the embedded synthetic world (``.synthetic``).

Importing this package fills the ``DATASETS``, ``TRANSFORMS`` and ``DATA_SAMPLERS`` registries
and registers ``reid_collate`` in mmengine's ``FUNCTIONS``.
"""
from posereid.utils.image_io import BadImageError

from . import transforms
from .base import (VERIFY_LEVELS, DatasetFormatError, DatasetLayoutError, ReIDRecord,
                   ReIDSource)
from .collate import reid_collate
from .cuhk01 import CUHK01
from .cuhk03 import CUHK03
from .cuhk03_pair1 import CUHK03Pair1
from .dukemtmc import DukeMTMC
from .folder import FolderSource
from .market1501 import Market1501
from .msmt17 import MSMT17
from .reid_dataset import ReIDDataset
from .samplers import IdentitySampler, PairSampler
from .sources import SOURCES, build_source
from .synthetic_domains import SyntheticCUHK01, SyntheticDuke, SyntheticMarket
from .validation import HeldOutValidation
from .viper import VIPeR

__all__ = [
    'ReIDRecord', 'ReIDSource', 'VERIFY_LEVELS', 'DatasetLayoutError', 'DatasetFormatError',
    'BadImageError', 'SOURCES', 'build_source', 'Market1501', 'DukeMTMC', 'MSMT17',
    'CUHK03', 'CUHK03Pair1', 'CUHK01', 'VIPeR', 'FolderSource', 'SyntheticMarket',
    'SyntheticDuke', 'SyntheticCUHK01', 'HeldOutValidation', 'ReIDDataset', 'reid_collate',
    'PairSampler', 'IdentitySampler', 'transforms',
]
