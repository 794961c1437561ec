"""CUHK01 (Li et al., ACCV 2012): 971 identities, 2 camera views, 4 images each.

Images are ``campus/PPPPCCC.png``: 4-digit identity, image ``001``/``002`` from camera A and
``003``/``004`` from camera B (camid 0 and 1). Evaluated single-gallery-shot
(``'single_gallery_shot'``): one camera is the query, the other the gallery. Pair metrics pair
each test identity's four images in every way (six positive pairs, two of them from one
camera), each pair with one random negative (``'balanced_all_pairs'``).

Splits (selected by ``split_id``, see :func:`~posereid.datasets.two_view.split_two_views`):
10 random 485/486 train/test splits, each in both query directions (ids 0..19); with
``num_train_ids=0`` all 971 identities are test identities (the test set of models trained
elsewhere); with ``test_pids`` a fixed set of identities is held out.
"""
from __future__ import annotations

import re
from typing import Sequence

from .base import DatasetFormatError, ReIDRecord, ReIDSource
from .two_view import TEN_RANDOM_SPLITS, split_two_views

CUHK01_NAME = re.compile(r'^(\d{4})(\d{3})\.png$')


class CUHK01(ReIDSource):
    """CUHK01 from ``root/campus`` (default root ``data_root() / 'cuhk01'``).

    Args:
        split_id: which split (see the module docstring).
        num_train_ids: training identities of the random splits (default: half, 485).
        test_pids: fixed held-out identities (as in the file names) instead of random splits.
        seed: seed of the random splits.
        **kwargs: ``verify_images``, ``skip_bad_images`` of :class:`ReIDSource`.
    """

    name = 'cuhk01'
    protocol = 'single_gallery_shot'
    pair_protocol = 'balanced_all_pairs'
    default_folder = 'cuhk01'
    layout = """
cuhk01/
  campus/0001001.png     PPPPCCC.png: CCC 001, 002 camera A; 003, 004 camera B
"""

    @classmethod
    def protocol_splits(cls, test_pids: Sequence[int] | None = None, **options) -> list[int]:
        """10 random splits, camera A querying camera B (``TEN_RANDOM_SPLITS``); with fixed
        ``test_pids``, those identities queried both ways."""
        return [0, 1] if test_pids is not None else list(TEN_RANDOM_SPLITS)

    def __init__(self, root=None, split_id: int = 0, num_train_ids: int | None = None,
                 test_pids: Sequence[int] | None = None, seed: int = 0, **kwargs) -> None:
        self.root = self.resolve_root(root)
        campus = self.root / 'campus'
        self.require(self.root, campus)
        records = []
        for path in sorted(campus.glob('*.png')):
            match = CUHK01_NAME.match(path.name)
            if match is None:
                raise DatasetFormatError(f'{self.name}: {path} is not named PPPPCCC.png '
                                         '(4-digit identity, 3-digit image number)')
            image = int(match.group(2))
            records.append(ReIDRecord(str(path), int(match.group(1)), int(image > 2)))
        if not records:
            raise DatasetFormatError(f'{self.name}: no PPPPCCC.png images in {campus}')
        super().__init__(*split_two_views(records, split_id, num_train_ids, seed=seed,
                                          test_pids=test_pids), **kwargs)
