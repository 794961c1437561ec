"""Tiny trees of the real datasets in their release layouts, for the loader tests and the test
that builds every config's datasets (``make_data_root``). Images are a few pixels; names,
folders, list files and ``.mat`` files are as released."""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
from PIL import Image
from scipy.io import savemat

from posereid.datasets.cuhk03 import image_name


def image(path, size=(8, 4)):
    """A tiny image file at ``path`` (format from its suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((*size, 3), 90, np.uint8)).save(path)
    return path


def market_tree(root):
    """The Market-1501 tree of the loader tests: two training identities, junk and a distractor."""
    for name in ('0002_c1s1_000451_03.jpg', '0002_c2s1_000551_01.jpg', '0007_c2s3_070952_01.jpg',
                 '0007_c4s3_071052_02.jpg', '0007_c4s3_071152_01.jpg', '-1_c1s1_000100_01.jpg'):
        image(root / 'bounding_box_train' / name)
    for name in ('0001_c1s1_001051_00.jpg', '0003_c2s1_000301_00.jpg'):
        image(root / 'query' / name)
    for name in ('0001_c2s1_001151_01.jpg', '0003_c1s1_000401_02.jpg', '0000_c3s1_000001_01.jpg',
                 '-1_c1s1_000002_01.jpg', '0001_c6s1_000003_01.jpg'):
        image(root / 'bounding_box_test' / name)


def cuhk01_tree(root, num_ids):
    """CUHK01's campus folder: four images of each identity, two per camera."""
    for pid in range(1, num_ids + 1):
        for number in range(1, 5):
            image(root / 'campus' / f'{pid:04d}{number:03d}.png')


# Identities per camera pair, and the images each one lacks (empty cells): pair 1 has 3 ids,
# pair 2 has 2.
PAIRS = (3, 2)
MISSING = {(0, 1): {3, 4, 9}, (1, 0): {5, 6, 7, 8, 9}}
TESTSETS = [[[1, 1], [2, 2]], [[1, 3], [2, 1]], [[1, 2], [1, 3]]]   # [pair, identity], 1-based


def write_raw_mat(path):
    """cuhk-03.mat as MATLAB v7.3 stores cell arrays: datasets of object references, arrays
    transposed (a MATLAB (H, W, 3) image is an HDF5 (3, W, H) dataset)."""
    path.parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    with h5py.File(path, 'w') as mat:
        refs = mat.create_group('#refs#')

        def store(array):
            return refs.create_dataset(f'r{len(refs)}', data=array).ref

        for image_type in ('detected', 'labeled'):
            pair_refs = []
            for pair, num_ids in enumerate(PAIRS):
                cells = np.empty((10, num_ids), dtype=h5py.ref_dtype)   # MATLAB (ids, 10)
                for identity in range(num_ids):
                    for column in range(10):
                        empty = column in MISSING.get((pair, identity), ())
                        pixels = (np.zeros(2, np.uint64) if empty else
                                  rng.integers(0, 255, (6 + column, 4, 3), np.uint8).T)
                        cells[column, identity] = store(pixels)
                pair_refs.append(store(cells))
            mat.create_dataset(image_type, data=np.array([pair_refs], dtype=h5py.ref_dtype))
        testsets = [store(np.array(t, dtype=np.float64).T) for t in TESTSETS]
        mat.create_dataset('testsets', data=np.array([testsets], dtype=h5py.ref_dtype))


def write_new_protocol(path):
    """A 767/700-style config: pair-1 ids 1, 2 train; the rest test, first view query."""
    files, labels = [], []
    for pair, num_ids in enumerate(PAIRS):
        for identity in range(num_ids):
            for column in sorted(set(range(10)) - MISSING.get((pair, identity), set())):
                files.append(image_name(pair, identity, column))
                labels.append(10 * (pair + 1) + identity + 1)
    rows = np.arange(1, len(files) + 1)
    train = [r for r, f in zip(rows, files) if f[:5] in ('1_001', '1_002')]
    test = [r for r in rows if r not in train]
    query = [r for r in test if files[r - 1].split('_')[2] == '1']
    gallery = [r for r in test if r not in query]
    filelist = np.empty((len(files), 1), dtype=object)
    filelist[:, 0] = files
    savemat(path, dict(filelist=filelist, labels=np.array(labels, float)[:, None],
                       train_idx=np.array(train, float)[:, None],
                       query_idx=np.array(query, float)[:, None],
                       gallery_idx=np.array(gallery, float)[:, None]))
    return len(train), len(query), len(gallery)


def market_like_tree(root: Path, num_train_ids: int = 8, num_test_ids: int = 4,
                     cameras: int = 3) -> None:
    """A Market-1501 / DukeMTMC-reID tree: every identity seen by every camera, two images
    each (training and gallery), one query per camera, distractors and junk."""
    for pid in range(1, num_train_ids + num_test_ids + 1):
        train = pid <= num_train_ids
        for cam in range(1, cameras + 1):
            for frame in range(2):
                folder = 'bounding_box_train' if train else 'bounding_box_test'
                image(root / folder / f'{pid:04d}_c{cam}s1_{100 * cam + frame:06d}_01.jpg')
            if not train:
                image(root / 'query' / f'{pid:04d}_c{cam}s1_{100 * cam + 50:06d}_00.jpg')
    image(root / 'bounding_box_test' / '0000_c1s1_000001_01.jpg')
    image(root / 'bounding_box_test' / '-1_c1s1_000002_01.jpg')


def msmt17_tree(root: Path, num_train_ids: int = 8, num_test_ids: int = 4) -> None:
    """An MSMT17_V1 tree with its four list files."""
    lists = {split: [] for split in ('train', 'val', 'query', 'gallery')}
    for pid in range(num_train_ids + num_test_ids):
        train = pid < num_train_ids
        for cam in (1, 2, 3):
            for shot in range(2):
                name = f'{pid:04d}/{pid:04d}_{shot:03d}_{cam:02d}_0303morning_{shot:04d}_0.jpg'
                split = ('train' if shot == 0 or pid % 4 else 'val') if train else (
                    'query' if shot == 0 else 'gallery')
                image(root / ('train' if train else 'test') / name)
                lists[split].append(f'{name} {pid if train else pid - num_train_ids}')
    for split, lines in lists.items():
        (root / f'list_{split}.txt').write_text('\n'.join(lines) + '\n')


def viper_tree(root: Path, num_ids: int = 10) -> None:
    """VIPeR's cam_a / cam_b folders, one image of each identity in each."""
    for pid in range(num_ids):
        image(root / 'cam_a' / f'{pid:03d}_45.bmp')
        image(root / 'cam_b' / f'{pid:03d}_90.bmp')


#: Images of the identities of :func:`cuhk03_pair1_tree` (00-04 camera 1, 05-09 camera 2); its
#: last identity of each folder has only the first and the last of them.
CUHK03_PAIR1_IMAGES = (0, 1, 5, 6, 7)


def cuhk03_pair1_tree(root: Path, num_train_ids: int = 4, num_val_ids: int = 3) -> None:
    """CUHK03 camera pair 1 in the talk's layout: ``labeled/train`` and ``labeled/val``, each
    numbered from 0000, ``PPPP_II.jpg``."""
    for split, num_ids in (('train', num_train_ids), ('val', num_val_ids)):
        for pid in range(num_ids):
            images = CUHK03_PAIR1_IMAGES if pid < num_ids - 1 else CUHK03_PAIR1_IMAGES[::4]
            for number in images:
                image(root / 'labeled' / split / f'{pid:04d}_{number:02d}.jpg')


def make_data_root(root: Path) -> Path:
    """Every real dataset under ``root`` in its default folder (``build_source(name,
    data_root=root)`` finds it): Market-1501 (in its release subfolder), DukeMTMC-reID,
    MSMT17, CUHK03 (raw ``.mat`` and both new-protocol files), CUHK03 camera pair 1, CUHK01
    and VIPeR."""
    market_like_tree(root / 'market1501' / 'Market-1501-v15.09.15')
    market_like_tree(root / 'dukemtmc-reid' / 'DukeMTMC-reID', cameras=4)
    msmt17_tree(root / 'msmt17' / 'MSMT17_V1')
    write_raw_mat(root / 'cuhk03' / 'cuhk03_release' / 'cuhk-03.mat')
    for image_type in ('detected', 'labeled'):
        write_new_protocol(root / 'cuhk03' / f'cuhk03_new_protocol_config_{image_type}.mat')
    cuhk03_pair1_tree(root / 'cuhk03_pair1')
    cuhk01_tree(root / 'cuhk01', 12)
    viper_tree(root / 'viper' / 'VIPeR')
    return root

