"""MSMT17 (Wei et al., CVPR 2018): 4101 identities, 15 cameras, 126,441 boxes.

The release lists its splits in ``list_{train,val,query,gallery}.txt``, one
``<relative path> <pid>`` line an image; the camera is the third ``_``-separated field of the
file name (``0000_000_01_0303morning_0015_0.jpg`` → camera 1 → camid 0). ``list_val`` images are
training identities held out for validation; ``include_val`` adds them to the training set
(torchreid's ``combineall``; not the conventional setting).
"""
from __future__ import annotations

from pathlib import Path

from .base import DatasetFormatError, ReIDRecord, ReIDSource

#: Release folder → (training image folder, test image folder).
VERSIONS = {'MSMT17_V1': ('train', 'test'), 'MSMT17_V2': ('mask_train_v2', 'mask_test_v2')}


class MSMT17(ReIDSource):
    """MSMT17 V1 or V2 (faces blurred), found under ``root`` (default ``data_root()/'msmt17'``).

    Args:
        include_val: add the ``list_val.txt`` images to the training set.
        **kwargs: ``verify_images``, ``skip_bad_images`` of :class:`ReIDSource`.
    """

    name = 'msmt17'
    default_folder = 'msmt17'
    layout = """
msmt17/
  MSMT17_V1/                     (or MSMT17_V2/ with mask_train_v2/ and mask_test_v2/)
    train/0000/0000_000_01_0303morning_0015_0.jpg
    test/0000/0000_000_01_0303morning_0008_0.jpg
    list_train.txt               lines '0000/0000_000_01_0303morning_0015_0.jpg 0'
    list_val.txt
    list_query.txt
    list_gallery.txt
"""

    @classmethod
    def cache_name(cls, include_val: bool = False, **options) -> str:
        """``msmt17``, or ``msmt17_with_val`` when the validation images train too."""
        return cls.name + ('_with_val' if include_val else '')

    def __init__(self, root=None, include_val: bool = False, **kwargs) -> None:
        root = self.resolve_root(root)
        self.require(root)
        version = next((v for v in VERSIONS if (root / v).is_dir()), 'MSMT17_V1')
        self.root = root / version
        train_dir, test_dir = (self.root / folder for folder in VERSIONS[version])
        lists = {split: self.root / f'list_{split}.txt'
                 for split in ('train', 'val', 'query', 'gallery')}
        self.require(self.root, train_dir, test_dir, *lists.values())
        train = self.read_list(lists['train'], train_dir)
        if include_val:
            train += self.read_list(lists['val'], train_dir)
        super().__init__(train, self.read_list(lists['query'], test_dir),
                         self.read_list(lists['gallery'], test_dir), **kwargs)

    def read_list(self, list_file: Path, image_dir: Path) -> list[ReIDRecord]:
        """Records of the ``<path> <pid>`` lines of ``list_file`` (paths under ``image_dir``)."""
        records = []
        for number, line in enumerate(list_file.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                relative, pid = line.split()
                camera = int(Path(relative).name.split('_')[2])
                records.append(ReIDRecord(str(image_dir / relative), int(pid), camera - 1))
            except (ValueError, IndexError):
                raise DatasetFormatError(
                    f'{self.name}: {list_file}:{number}: expected "<path> <pid>" with a file '
                    f'named like 0000_000_01_0303morning_0015_0.jpg; got {line!r}') from None
        return records
