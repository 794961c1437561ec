"""CUHK03 labeled, camera pair 1, in the 743/100 split of the talk "Person Re-Identification"
(M. Kolla), whose Siamese neighborhood-difference network (Ahmed et al., CVPR 2015) trains on
all 743 training identities and reports pair accuracy on the 100 validation identities.

Images are ``labeled/train/PPPP_II.jpg`` and ``labeled/val/PPPP_II.jpg``: identity ``PPPP``,
image ``II``, ``00``-``04`` from camera 1 (camid 0) and ``05``-``09`` from camera 2 (camid 1);
some identities have fewer images. The validation identities, numbered from ``0000`` on their
own, are the test set: their pids are ``VAL_PID_OFFSET + PPPP``, so they never collide with a
training pid. Evaluated single-gallery-shot (``'single_gallery_shot'``): ``split_id`` 0 queries
camera 1 against a camera-2 gallery, 1 the other way round. Pair metrics are the talk's: every
positive pair of the test images and one random negative each (``'balanced_all_pairs'``).
"""
from __future__ import annotations

import re
from pathlib import Path

from .base import DatasetFormatError, ReIDRecord, ReIDSource

CUHK03_PAIR1_NAME = re.compile(r'^(\d{4})_(\d{2})\.jpg$')
#: Images ``00`` .. ``04`` of an identity are from camera 1, ``05`` .. ``09`` from camera 2.
IMAGES_PER_CAMERA = 5
#: Added to a validation identity's number: above every 4-digit training identity.
VAL_PID_OFFSET = 10000


class CUHK03Pair1(ReIDSource):
    """CUHK03 labeled, camera pair 1, from ``root/labeled/{train,val}`` (default root
    ``data_root() / 'cuhk03_pair1'``).

    Args:
        split_id: 0 queries camera 1 against camera 2, 1 the other way round.
        **kwargs: ``verify_images``, ``skip_bad_images`` of :class:`ReIDSource`.
    """

    name = 'cuhk03_pair1'
    protocol = 'single_gallery_shot'
    pair_protocol = 'balanced_all_pairs'
    default_folder = 'cuhk03_pair1'
    layout = """
cuhk03_pair1/
  labeled/
    train/0000_00.jpg    PPPP_II.jpg: identity PPPP; image II 00-04 camera 1, 05-09 camera 2
    val/0000_00.jpg      the test identities, numbered from 0000 on their own
"""

    @classmethod
    def protocol_splits(cls, **options) -> list[int]:
        """The test identities queried both ways: camera 1, then camera 2."""
        return [0, 1]

    def __init__(self, root=None, split_id: int = 0, **kwargs) -> None:
        if split_id not in (0, 1):
            raise ValueError(f'{self.name}: split_id must be 0 (camera 1 queries) or 1 '
                             f'(camera 2 queries); got {split_id}')
        self.root = self.resolve_root(root)
        train_dir, val_dir = self.root / 'labeled' / 'train', self.root / 'labeled' / 'val'
        self.require(self.root, train_dir, val_dir)
        test = self.read_folder(val_dir, VAL_PID_OFFSET)
        query = [r for r in test if r.camid == split_id]
        gallery = [r for r in test if r.camid != split_id]
        super().__init__(self.read_folder(train_dir), query, gallery, **kwargs)

    def read_folder(self, folder: Path, pid_offset: int = 0) -> list[ReIDRecord]:
        """Records of the ``PPPP_II.jpg`` images of ``folder``, pids ``pid_offset + PPPP``."""
        records = []
        for path in sorted(folder.glob('*.jpg')):
            match = CUHK03_PAIR1_NAME.match(path.name)
            if match is None or int(match.group(2)) >= 2 * IMAGES_PER_CAMERA:
                raise DatasetFormatError(
                    f'{self.name}: {path} is not named PPPP_II.jpg (4-digit identity, image '
                    f'00-04 from camera 1, 05-09 from camera 2)')
            camid = int(int(match.group(2)) >= IMAGES_PER_CAMERA)
            records.append(ReIDRecord(str(path), pid_offset + int(match.group(1)), camid))
        if not records:
            raise DatasetFormatError(f'{self.name}: no PPPP_II.jpg images in {folder}')
        return records
