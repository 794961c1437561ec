"""CUHK03 (Li et al., CVPR 2014): 1467 identities from 5 camera pairs, 2 views each.

The release keeps its images inside ``cuhk-03.mat`` (MATLAB v7.3, i.e. HDF5): cell arrays
``labeled`` and ``detected`` (hand-drawn and DPM boxes) of one ``identities × 10`` cell array per
camera pair, images 1-5 from the first view and 6-10 from the second (empty cells for missing
images), and ``testsets``, the 20 classic test sets of 100 ``[camera pair, identity]`` rows.

On first use the chosen image type is extracted once into ``images_<type>/`` as
``<pair>_<identity:03d>_<view>_<image:02d>.png`` (torchreid's names) and the split lists are
cached in ``posereid_splits_<classic|new>_<type>.json``, each file written atomically (torchreid
writes ``splits_<classic|new>_<type>.json`` in another format: neither overwrites the other).
A folder that torchreid prepared loads as it is: without ``cuhk-03.mat``, its extracted images
and split files are read. The camera of a record is its view (0 or 1).

Protocols:

* new (Zhong et al., CVPR 2017), the default: 767 training / 700 test identities, query and
  gallery given by ``cuhk03_new_protocol_config_<type>.mat`` (``train_idx``, ``query_idx``,
  ``gallery_idx``: 1-based rows of ``filelist`` / ``labels``); evaluated like Market-1501.
* classic (``classic_split=True``): 1367 training / 100 test identities (the release's 20
  ``testsets``), ``split_id`` in 0..19, single-gallery-shot (``'single_gallery_shot'``)
  evaluation. By default every test image is both query and gallery (torchreid's convention:
  queries of both views, each against the other view); ``cross_view=True`` queries the first
  view (camera A) against a gallery of the second (camera B), as Li et al. (CVPR 2014) and
  Ahmed et al. (CVPR 2015) evaluate. Those papers also hold 100 of their 1,260 remaining
  identities out for validation (use ``ReIDDataset(validation=dict(num_ids=100))``); their
  figures compare with posereid's only under ``cross_view=True``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from posereid.utils.io import atomic_save_json, atomic_write, read_json

from .base import DatasetFormatError, ReIDRecord, ReIDSource

IMAGE_TYPES = ('detected', 'labeled')
#: Images 1..IMAGES_PER_VIEW of an identity's row come from its first view.
IMAGES_PER_VIEW = 5


def image_name(pair: int, identity: int, image: int) -> str:
    """torchreid's file name of image ``image`` (0-based column) of 0-based ``identity`` of
    0-based camera ``pair``."""
    view = 1 if image < IMAGES_PER_VIEW else 2
    return f'{pair + 1}_{identity + 1:03d}_{view}_{image + 1:02d}.png'


def camid_of(name: str) -> int:
    """0-based view of an extracted image, from its name."""
    return int(name.split('_')[2]) - 1


class CUHK03(ReIDSource):
    """CUHK03 detected or labeled boxes under the new (767/700) or classic (1367/100) protocol.

    Args:
        root: dataset folder (default ``data_root() / 'cuhk03'``).
        labeled: use the hand-labelled boxes instead of the detected ones.
        classic_split: the classic protocol (20 splits) instead of the new one.
        split_id: which classic split (0..19); the new protocol has only split 0.
        cross_view: classic protocol: camera-A queries against a camera-B gallery (the papers'
            protocol) instead of every test image as query and gallery (torchreid's).
        **kwargs: ``verify_images``, ``skip_bad_images`` of :class:`ReIDSource`.
    """

    name = 'cuhk03'
    default_folder = 'cuhk03'
    layout = """
cuhk03/
  cuhk03_release/cuhk-03.mat                   MATLAB v7.3: labeled, detected, testsets
  cuhk03_new_protocol_config_detected.mat      new protocol (not needed with classic_split)
  cuhk03_new_protocol_config_labeled.mat
  images_detected/, images_labeled/            written on first use
  posereid_splits_{new,classic}_{type}.json    written on first use
  (or, prepared by torchreid, without cuhk03_release/: images_{type}/ and
   splits_{new,classic}_{type}.json)
"""

    @classmethod
    def protocol_splits(cls, classic_split: bool = False, **options) -> list[int]:
        """The classic protocol's 20 splits (Li et al.); the new protocol has one."""
        return list(range(20)) if classic_split else [0]

    @classmethod
    def cache_name(cls, labeled: bool = False, classic_split: bool = False, **options) -> str:
        """``cuhk03_labeled``, ``cuhk03_detected``, ``cuhk03_labeled_classic``, ...: the boxes
        and the protocol."""
        return f'{cls.name}_{IMAGE_TYPES[int(labeled)]}' + ('_classic' if classic_split else '')

    def __init__(self, root=None, labeled: bool = False, classic_split: bool = False,
                 split_id: int = 0, cross_view: bool = False, **kwargs) -> None:
        if cross_view and not classic_split:
            raise ValueError(f'{self.name}: cross_view is an option of the classic protocol '
                             '(classic_split=True)')
        self.root = self.resolve_root(root)
        self.image_type = IMAGE_TYPES[int(labeled)]
        self.raw_mat = self.root / 'cuhk03_release' / 'cuhk-03.mat'
        self.image_dir = self.root / f'images_{self.image_type}'
        self.protocol = 'single_gallery_shot' if classic_split else 'market'
        kind = 'classic' if classic_split else 'new'
        split_file = self.root / f'posereid_splits_{kind}_{self.image_type}.json'
        torchreid_file = self.root / f'splits_{kind}_{self.image_type}.json'
        if split_file.is_file():
            splits = read_json(split_file)
        elif not self.raw_mat.is_file() and torchreid_file.is_file() and self.image_dir.is_dir():
            splits = self.torchreid_splits(torchreid_file)
            atomic_save_json(splits, split_file, indent=None)
        else:
            self.require(self.root, self.raw_mat)
            splits = self.classic_splits() if classic_split else [self.new_protocol_split()]
            atomic_save_json(splits, split_file, indent=None)
        if not 0 <= split_id < len(splits):
            raise ValueError(f'{self.name}: split_id must be in [0, {len(splits) - 1}] for the '
                             f'{kind} protocol; got {split_id}')
        train, query, gallery = ([ReIDRecord(str(self.image_dir / name), pid, camid_of(name))
                                  for name, pid in splits[split_id][part]]
                                 for part in ('train', 'query', 'gallery'))
        if cross_view:
            query = [r for r in query if r.camid == 0]
            gallery = [r for r in gallery if r.camid == 1]
        super().__init__(train, query, gallery, **kwargs)

    def torchreid_splits(self, path: Path) -> list[dict]:
        """The splits of torchreid's ``splits_<kind>_<type>.json`` (entries ``[image path,
        pid, camid]``, paths of the machine that wrote it) on this folder's images."""
        try:
            splits = [{part: [(Path(entry[0]).name, int(entry[1])) for entry in split[part]]
                       for part in ('train', 'query', 'gallery')}
                      for split in read_json(path)]
        except (ValueError, KeyError, TypeError, IndexError) as error:
            raise DatasetFormatError(f'{self.name}: {path} is not a torchreid split file '
                                     f'(a list of {{train, query, gallery}} lists of [path, pid, '
                                     f'camid]): {error!r}') from None
        missing = [name for split in splits for part in split.values() for name, _ in part
                   if not (self.image_dir / name).is_file()]
        if missing:
            raise DatasetFormatError(f'{self.name}: {path} names {len(missing)} images that are '
                                     f'not in {self.image_dir}, e.g. {missing[0]}')
        return splits

    def open_raw_mat(self):
        """``cuhk-03.mat`` opened with h5py (a MATLAB v7.3 file is HDF5)."""
        import h5py

        try:
            mat = h5py.File(self.raw_mat, 'r')
        except OSError as error:
            raise DatasetFormatError(f'{self.name}: {self.raw_mat} is not a MATLAB v7.3 (HDF5) '
                                     f'file as released ({error})') from None
        missing = {'detected', 'labeled', 'testsets'} - set(mat)
        if missing:
            mat.close()
            raise DatasetFormatError(f'{self.name}: {self.raw_mat} lacks the cell arrays '
                                     f'{sorted(missing)} of the release')
        return mat

    def extract_images(self, mat) -> list[tuple[int, int, list[str]]]:
        """Write the images of ``self.image_type`` from the open ``cuhk-03.mat`` as PNGs.

        Returns:
            ``(camera pair, identity, file names)`` of every identity (1-based numbers).
        """
        people = []
        for pair, pair_ref in enumerate(mat[self.image_type][0]):
            cells = mat[pair_ref][:].T                         # (identities, 10) references
            for identity, row in enumerate(cells):
                names = []
                for image, ref in enumerate(row):
                    pixels = mat[ref][:].T                      # (H, W, 3), or empty
                    if pixels.ndim != 3 or pixels.size == 0:
                        continue
                    names.append(image_name(pair, identity, image))
                    if not (self.image_dir / names[-1]).is_file():   # written atomically
                        with atomic_write(self.image_dir / names[-1], 'wb') as f:
                            Image.fromarray(np.ascontiguousarray(pixels, np.uint8)).save(f, 'PNG')
                if not names:
                    raise DatasetFormatError(f'{self.name}: {self.raw_mat}: camera pair '
                                             f'{pair + 1}, identity {identity + 1} has no image')
                people.append((pair + 1, identity + 1, names))
        return people

    def classic_splits(self) -> list[dict]:
        """The 20 classic splits; identities are numbered in (camera pair, identity) order."""
        with self.open_raw_mat() as mat:
            people = self.extract_images(mat)
            testsets = [{tuple(row) for row in mat[ref][:].T.astype(int).tolist()}
                        for ref in mat['testsets'][0]]              # {(pair, identity)} x 100
        splits = []
        for testset in testsets:
            train, test = [], []
            for pid, (pair, identity, names) in enumerate(people):
                (test if (pair, identity) in testset else train).extend((n, pid) for n in names)
            splits.append(dict(train=train, query=test, gallery=test))
        return splits

    def new_protocol_split(self) -> dict:
        """The 767/700 split of ``cuhk03_new_protocol_config_<type>.mat``."""
        from scipy.io import loadmat

        config_file = self.root / f'cuhk03_new_protocol_config_{self.image_type}.mat'
        self.require(config_file)
        with self.open_raw_mat() as mat:
            self.extract_images(mat)
        try:
            config = loadmat(config_file)
            files = [str(np.asarray(entry).ravel()[0]) for entry in config['filelist'].ravel()]
            labels = config['labels'].ravel().astype(int)
            return {part: [(files[i], int(labels[i]))
                           for i in config[f'{part}_idx'].ravel().astype(int) - 1]
                    for part in ('train', 'query', 'gallery')}
        except (KeyError, IndexError, ValueError, OSError) as error:
            raise DatasetFormatError(
                f'{self.name}: {config_file} must hold filelist, labels, train_idx, query_idx '
                f'and gallery_idx (1-based rows); could not read {error}') from None

