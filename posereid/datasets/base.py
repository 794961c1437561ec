"""What every re-id dataset loader gives: train / query / gallery lists of :class:`ReIDRecord`.

A loader (a :class:`ReIDSource` subclass, one module per dataset) reads a dataset in the layout
users already have on disk, applies its official protocol (junk and distractor identities, the
split selected by index) and hands the three lists to :class:`ReIDSource`, which

* relabels the training identities to ``0 .. num_train_pids - 1`` (query and gallery keep the
  dataset's own identities, so they still match each other),
* checks that every image is there and readable (``verify_images``), raising
  :class:`BadImageError` naming the first bad file, or, with ``skip_bad_images``, dropping the bad
  files and listing them in ``skipped_images``.

Nothing here downloads: a missing folder or file raises :class:`DatasetLayoutError`, whose
message names the missing path and shows the expected layout.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import NamedTuple, Sequence

from posereid.utils.image_io import BadImageError, check_image
from posereid.utils.paths import data_root

logger = logging.getLogger(__name__)

#: How thoroughly a loader checks its images: not at all, by opening each one and parsing its
#: header (catches missing, empty and non-image files; cheap), or by decoding every pixel.
VERIFY_LEVELS = ('none', 'header', 'decode')


class ReIDRecord(NamedTuple):
    """One image: its path, identity and 0-based camera."""

    img_path: str
    pid: int
    camid: int


class DatasetLayoutError(FileNotFoundError):
    """A dataset folder or file is missing; the message shows the expected layout."""


class DatasetFormatError(ValueError):
    """A dataset file is named or written other than its layout says; the message names it."""


def relabel(records: Sequence[ReIDRecord]) -> list[ReIDRecord]:
    """Map the identities of ``records`` to ``0 .. N-1`` in ascending order of the old ids."""
    label = {pid: i for i, pid in enumerate(sorted({r.pid for r in records}))}
    return [r._replace(pid=label[r.pid]) for r in records]


class ReIDSource:
    """Train, query and gallery lists of one dataset under its protocol.

    Subclasses find the dataset's files and build the three lists; they set ``name`` (the
    ``build_source`` name), ``protocol`` (``'market'`` or ``'single_gallery_shot'``, see
    :func:`posereid.evaluation.evaluate_rank`), ``pair_protocol`` (the test pairs of the pair
    metrics, see :data:`posereid.evaluation.PAIR_PROTOCOLS`), ``default_folder`` (under
    ``data_root()``) and ``layout`` (the expected tree, shown when something is missing).

    Args:
        train, query, gallery: the records; training identities are relabelled here.
        verify_images: ``'none'``, ``'header'`` or ``'decode'`` (see ``VERIFY_LEVELS``).
        skip_bad_images: drop bad images (counted in ``skipped_images`` and logged) instead of
            raising :class:`BadImageError`.
    """

    name = 'reid'
    protocol = 'market'
    pair_protocol = 'cross_camera_sample'
    default_folder = ''
    layout = ''

    def __init__(self, train: Sequence[ReIDRecord], query: Sequence[ReIDRecord],
                 gallery: Sequence[ReIDRecord], verify_images: str = 'header',
                 skip_bad_images: bool = False) -> None:
        if verify_images not in VERIFY_LEVELS:
            raise ValueError(f'verify_images must be one of {VERIFY_LEVELS}; got {verify_images!r}')
        self.skipped_images: list[str] = []
        if verify_images != 'none':
            train, query, gallery = (self._verified(records, verify_images, skip_bad_images)
                                     for records in (train, query, gallery))
        self.train = relabel(train)
        self.query = list(query)
        self.gallery = list(gallery)

    @classmethod
    def protocol_splits(cls, **options) -> list[int]:
        """The split ids that the dataset's protocol averages over (one, ``[0]``, for a
        dataset with a single split)."""
        return [0]

    @classmethod
    def cache_name(cls, **options) -> str:
        """The name of this source's heatmap cache folder for the loader ``options``: one per
        set of images, so that variants with other images (CUHK03 labeled or detected boxes)
        never share a cache, and splits of the same images (a CUHK01 split) do."""
        return cls.name

    @classmethod
    def resolve_root(cls, root: str | os.PathLike | None) -> Path:
        """``root`` as a path, by default ``data_root() / default_folder``."""
        return Path(root).expanduser() if root is not None else data_root() / cls.default_folder

    def require(self, *paths: Path) -> None:
        """Raise :class:`DatasetLayoutError` for the first of ``paths`` that does not exist."""
        for path in paths:
            if not path.exists():
                raise DatasetLayoutError(
                    f'{self.name}: missing {path}\nExpected layout (nothing is '
                    f'downloaded; see docs/datasets.md):\n{self.layout.strip(chr(10))}')

    def _verified(self, records, level, skip):
        kept = []
        for record in records:
            try:
                check_image(record.img_path, level)
            except BadImageError as error:
                if not skip:
                    raise
                logger.warning('%s: skipping %s', self.name, error)
                self.skipped_images.append(record.img_path)
            else:
                kept.append(record)
        return kept

    @property
    def num_train_pids(self) -> int:
        return len({r.pid for r in self.train})

    def statistics(self) -> dict[str, dict[str, int]]:
        """Number of identities, images and cameras of each list."""
        return {split: dict(num_pids=len({r.pid for r in records}), num_images=len(records),
                            num_cams=len({r.camid for r in records}))
                for split, records in (('train', self.train), ('query', self.query),
                                       ('gallery', self.gallery))}

    def __repr__(self) -> str:
        lines = [f'{type(self).__name__} {self.name!r} (protocol {self.protocol!r})',
                 f'  {"split":<8}{"ids":>8}{"images":>9}{"cameras":>9}']
        for split, s in self.statistics().items():
            lines.append(f'  {split:<8}{s["num_pids"]:>8}{s["num_images"]:>9}{s["num_cams"]:>9}')
        if self.skipped_images:
            lines.append(f'  skipped {len(self.skipped_images)} unreadable images')
        return '\n'.join(lines)
