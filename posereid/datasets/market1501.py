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

#: Identity and camera in a Market-1501 / DukeMTMC-reID file name (``0002_c1s1_000451_03.jpg``),
#: as named groups; :class:`~posereid.datasets.folder.FolderSource` searches with it by default.
MARKET_NAME_PATTERN = r'(?P<pid>-?\d+)_c(?P<camid>\d+)'
_MARKET_NAME = re.compile('^' + MARKET_NAME_PATTERN)


def read_market_folder(folder: Path, keep_distractors: bool,
                       dataset: str = 'market1501') -> list[ReIDRecord]:
    """Records of the ``.jpg`` files of ``folder`` named as Market-1501's, sorted by name,
    without junk (identity ``-1``) and, unless ``keep_distractors``, without distractors
    (identity ``0``); cameras 0-based.

    Raises:
        DatasetFormatError: a file is named otherwise, or has camera ``c0`` (the message
            names the file and ``dataset``).
    """
    records = []
    for path in sorted(Path(folder).glob('*.jpg')):
        match = _MARKET_NAME.match(path.name)
        if match is None:
            raise DatasetFormatError(
                f'{dataset}: {path} is not a Market-1501 file name (PPPP_cC..., e.g. '
                f'0002_c1s1_000451_03.jpg: identity, then 1-based camera)')
        pid, camera = int(match['pid']), int(match['camid'])
        if pid == -1 or (pid == 0 and not keep_distractors):
            continue
        if camera < 1:
            raise DatasetFormatError(f'{dataset}: {path} has camera {camera}; cameras are '
                                     'numbered from c1')
        records.append(ReIDRecord(str(path), pid, camera - 1))
    return records


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
        super().__init__(read_market_folder(train_dir, False, self.name),
                         read_market_folder(query_dir, False, self.name),
                         read_market_folder(gallery_dir, True, self.name), **kwargs)
