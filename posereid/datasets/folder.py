"""A dataset of your own in a folder: identities and cameras from file names or from a CSV.

* Names: ``root/<train|query|gallery>/...`` (folder names set by ``folders``); every image's path
  relative to its split folder is searched with ``pattern``, a regex with the named groups
  ``pid`` and ``camid`` (default: Market-1501 names, ``0002_c1s1_000451_03.jpg``). A pattern can
  read sub-folders too, e.g. ``r'(?P<pid>\\d+)/cam(?P<camid>\\w+)_'``.
* CSV: ``csv='list.csv'`` (relative to ``root``) with the header ``path,pid,camid,split``, one
  image a row, ``path`` relative to ``root`` and ``split`` one of train / query / gallery.

Identities must be integers; a negative identity marks a junk image, which is dropped (as
Market-1501's ``-1``). Cameras may be any text and are numbered ``0, 1, ...`` in sorted order
(numerically when they are all integers) over the whole dataset.
"""
from __future__ import annotations

import csv as csv_module
import re
from pathlib import Path

from posereid.evaluation.rank import canonical_protocol

from .base import DatasetFormatError, ReIDRecord, ReIDSource
from .market1501 import MARKET_NAME_PATTERN

SPLITS = ('train', 'query', 'gallery')
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def _camera_order(camera: str) -> tuple:
    """Sort key: integer camera labels numerically, before any other labels."""
    return (0, int(camera), '') if camera.lstrip('-').isdigit() else (1, 0, camera)


class FolderSource(ReIDSource):
    """Images in a folder tree, labelled by their names (``pattern``) or by a CSV file.

    Args:
        root: the dataset folder (required).
        pattern: regex with groups ``pid`` and ``camid``, searched in each relative path.
        csv: a CSV file (relative to ``root``) to read instead of the names.
        folders: split → sub-folder of ``root``; leave out ``'train'`` for a test-only dataset.
        extensions: image file suffixes to collect (case-insensitive).
        protocol: ``'market'`` or ``'single_gallery_shot'`` evaluation (alias ``'cuhk03'``).
        **kwargs: ``verify_images``, ``skip_bad_images`` of :class:`ReIDSource`.
    """

    name = 'folder'
    layout = """
<root>/                      names labelled by `pattern` (groups pid, camid):
  train/0001_c1_000.jpg
  query/0101_c1_000.jpg
  gallery/0101_c2_000.jpg
<root>/                      or labelled by a CSV (csv='list.csv'):
  list.csv                   header path,pid,camid,split
  any/path/img.jpg
"""

    @classmethod
    def cache_name(cls, root=None, **options) -> str:
        """``folder_<the folder's name>``: two folders never share a cache."""
        return f'{cls.name}_{Path(root).name}' if root else cls.name

    def __init__(self, root, pattern: str = MARKET_NAME_PATTERN, csv: str | None = None,
                 folders: dict[str, str] | None = None,
                 extensions: tuple[str, ...] = IMAGE_EXTENSIONS, protocol: str = 'market',
                 **kwargs) -> None:
        if root is None:
            raise ValueError("the 'folder' dataset needs root=<its folder>")
        self.root, self.protocol = Path(root).expanduser(), canonical_protocol(protocol)
        self.require(self.root)
        if csv is not None:
            rows = self.read_csv(self.root / csv)
        else:
            folders = dict(zip(SPLITS, SPLITS)) if folders is None else folders
            unknown = set(folders) - set(SPLITS)
            if unknown:
                raise ValueError(f'folders keys must be among {SPLITS}; got {sorted(unknown)}')
            rows = self.read_names(re.compile(pattern), folders, extensions)
        cameras = sorted({camera for *_, camera in rows}, key=_camera_order)
        camid = {camera: i for i, camera in enumerate(cameras)}
        lists = {split: [] for split in SPLITS}
        for split, path, pid, camera in rows:
            if pid >= 0:
                lists[split].append(ReIDRecord(path, pid, camid[camera]))
        super().__init__(lists['train'], lists['query'], lists['gallery'], **kwargs)

    def read_names(self, pattern: re.Pattern, folders: dict[str, str],
                   extensions: tuple[str, ...]) -> list[tuple[str, str, int, str]]:
        """``(split, path, pid, camera)`` of the images under each split folder."""
        if missing := {'pid', 'camid'} - set(pattern.groupindex):
            raise ValueError(f'pattern {pattern.pattern!r} lacks the named groups '
                             f'{sorted(missing)}, e.g. {MARKET_NAME_PATTERN!r}')
        rows = []
        for split, folder in folders.items():
            self.require(self.root / folder)
            for path in sorted((self.root / folder).rglob('*')):
                if path.suffix.lower() not in extensions:
                    continue
                relative = path.relative_to(self.root / folder).as_posix()
                match = pattern.search(relative)
                if match is None or not match['pid'].lstrip('-').isdigit():
                    raise DatasetFormatError(
                        f'{self.name}: {path}: pattern {pattern.pattern!r} does not find an '
                        'integer pid and a camid in its path relative to the split folder')
                rows.append((split, str(path), int(match['pid']), match['camid']))
        return rows

    def read_csv(self, csv_file: Path) -> list[tuple[str, str, int, str]]:
        """``(split, path, pid, camera)`` of the rows of ``csv_file``."""
        self.require(csv_file)
        rows = []
        with open(csv_file, newline='') as f:
            reader = csv_module.DictReader(f)
            if not {'path', 'pid', 'camid', 'split'} <= set(reader.fieldnames or ()):
                raise DatasetFormatError(f'{self.name}: {csv_file} must start with the header '
                                         f'path,pid,camid,split; got {reader.fieldnames}')
            for row in reader:
                try:
                    if row['split'] not in SPLITS:
                        raise ValueError(f'split must be one of {SPLITS}')
                    rows.append((row['split'], str(self.root / row['path']), int(row['pid']),
                                 row['camid'].strip()))
                except (ValueError, TypeError) as error:
                    raise DatasetFormatError(f'{self.name}: {csv_file}:{reader.line_num}: '
                                             f'{error}; got {row}') from None
        return rows
