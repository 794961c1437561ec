"""The embedded synthetic world's domains, read by the real loaders of their layouts.

``generate_world`` writes ``<world>/market`` and ``<world>/duke`` in the Market-1501 layout and
``<world>/cuhk01`` in the CUHK01 one (see docs/synthetic_world.md). The default root of each is
``data_root() / 'synthetic' / <domain>``. The CUHK01-layout domain has a fixed held-out split:
its test identities are those of the world's keypoint ``val`` split
(``annotations/person_keypoints_val.json``).
"""
from __future__ import annotations

from posereid.utils.io import read_json

from .base import DatasetFormatError
from .cuhk01 import CUHK01
from .market1501 import Market1501

WORLD_HINT = 'written by `python tools/generate_world.py` (docs/synthetic_world.md)'


class SyntheticMarket(Market1501):
    """The world's ``market`` domain (Market-1501 layout, names and protocol)."""

    name = 'synthetic_market'
    default_folder = 'synthetic/market'
    layout = f"""
synthetic/market/                            {WORLD_HINT}
  bounding_box_train/0001_c1s3_123450_01.jpg
  query/0151_c1s1_800740_03.jpg
  bounding_box_test/0151_c2s1_812340_01.jpg    0000_* distractors, -1_* junk
"""


class SyntheticDuke(Market1501):
    """The world's ``duke`` domain (DukeMTMC-styled, Market-1501 layout and names)."""

    name = 'synthetic_duke'
    default_folder = 'synthetic/duke'
    layout = SyntheticMarket.layout.replace('synthetic/market/', 'synthetic/duke/  ')


class SyntheticCUHK01(CUHK01):
    """The world's ``cuhk01`` domain, its held-out identities as the test set.

    Args:
        split_id: 0 queries camera A against camera B, 1 the other way round.
        **kwargs: ``verify_images``, ``skip_bad_images`` of
            :class:`~posereid.datasets.base.ReIDSource`.
    """

    name = 'synthetic_cuhk01'
    # the embedded world's pair metrics stay the sampled cross-camera pairs of make demo
    pair_protocol = 'cross_camera_sample'
    default_folder = 'synthetic/cuhk01'
    layout = f"""
synthetic/cuhk01/                            {WORLD_HINT}
  campus/0001001.png                           PPPPCCC.png
  annotations/person_keypoints_val.json        held-out identities (field 'pid')
"""

    @classmethod
    def protocol_splits(cls, **options) -> list[int]:
        """The fixed held-out identities queried both ways: camera A, then camera B."""
        return [0, 1]

    def __init__(self, root=None, split_id: int = 0, **kwargs) -> None:
        root = self.resolve_root(root)
        val_file = root / 'annotations' / 'person_keypoints_val.json'
        self.require(root, val_file)
        try:
            test_pids = sorted({ann['pid'] for ann in read_json(val_file)['annotations']})
        except (ValueError, KeyError, TypeError) as error:
            raise DatasetFormatError(f'{self.name}: {val_file} is not a COCO keypoint file '
                                     f"whose annotations carry 'pid' ({error!r})") from None
        super().__init__(root, split_id=split_id, test_pids=test_pids, **kwargs)
