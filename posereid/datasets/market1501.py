"""Market-1501 (Zheng et al., ICCV 2015): 1501 identities, 6 cameras, 32,668 boxes.

Images are named ``PPPP_cCsS_FFFFFF_NN.jpg`` (identity, 1-based camera, sequence, frame, box).
Protocol (as torchreid): identity ``-1`` (junk boxes) is dropped everywhere; identity ``0``
(distractors) is kept in the gallery only; cameras become 0-based. Training identities are
relabelled by :class:`~posereid.datasets.base.ReIDSource`.
"""
from __future__ import annotations

import re
from pathlib import Path

from .base import DatasetFormatError, ReIDRecord, ReIDSource

#: Identity and camera at the start of a Market-1501 / DukeMTMC-reID file name.
MARKET_NAME = re.compile(r'^(-?\d+)_c(\d+)')


class Market1501(ReIDSource):
    """Market-1501, or any dataset in its layout and naming (DukeMTMC-reID, the synthetic world).

    Args:
        root: the dataset folder (default ``data_root() / 'market1501'``); a release subfolder
            (``release_folder``) inside it is used when present.
        **kwargs: ``verify_images``, ``skip_bad_images`` of :class:`ReIDSource`.
    """

    name = 'market1501'
    default_folder = 'market1501'
    release_folder = 'Market-1501-v15.09.15'
    layout = """
market1501/                                  (or market1501/Market-1501-v15.09.15/)
  bounding_box_train/0002_c1s1_000451_03.jpg   PPPP_cCsS_FFFFFF_NN.jpg
  query/0001_c1s1_001051_00.jpg
  bounding_box_test/0001_c1s1_001051_03.jpg    0000_* distractors, -1_* junk
"""

    def __init__(self, root=None, **kwargs) -> None:
        root = self.resolve_root(root)
        if (root / self.release_folder).is_dir():
            root = root / self.release_folder
        self.root = root
        train_dir, query_dir, gallery_dir = (
            root / 'bounding_box_train', root / 'query', root / 'bounding_box_test')
        self.require(root, train_dir, query_dir, gallery_dir)
        super().__init__(self.read_folder(train_dir, keep_distractors=False),
                         self.read_folder(query_dir, keep_distractors=False),
                         self.read_folder(gallery_dir, keep_distractors=True), **kwargs)

    def read_folder(self, folder: Path, keep_distractors: bool) -> list[ReIDRecord]:
        """Records of the ``.jpg`` files of ``folder``, without junk (and distractors)."""
        records = []
        for path in sorted(folder.glob('*.jpg')):
            match = MARKET_NAME.match(path.name)
            if match is None:
                raise DatasetFormatError(
                    f'{self.name}: {path} is not named like PPPP_cC..., e.g. '
                    f'0002_c1s1_000451_03.jpg (identity, then 1-based camera)')
            pid, camera = int(match.group(1)), int(match.group(2))
            if pid == -1 or (pid == 0 and not keep_distractors):
                continue
            if camera < 1:
                raise DatasetFormatError(f'{self.name}: {path} has camera {camera}; '
                                         'cameras are numbered from c1')
            records.append(ReIDRecord(str(path), pid, camera - 1))
        return records
