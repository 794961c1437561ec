"""CUHK03 from a tiny ``cuhk-03.mat`` (MATLAB v7.3 = HDF5, written with h5py) and new-protocol
``.mat`` files (written with scipy), in the release structures."""
import h5py
import numpy as np
import pytest
from scipy.io import savemat

from posereid.datasets import DatasetFormatError, DatasetLayoutError, build_source
from posereid.datasets.cuhk03 import image_name

# Identities per camera pair, and the images each one lacks (empty cells): pair 1 has 3 ids,
# pair 2 has 2.
PAIRS = (3, 2)
MISSING = {(0, 1): {3, 4, 9}, (1, 0): {5, 6, 7, 8, 9}}
TESTSETS = [[[1, 1], [2, 2]], [[1, 3], [2, 1]], [[1, 2], [1, 3]]]   # [pair, identity], 1-based


def _write_raw_mat(path):
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
                    for image in range(10):
                        empty = image in MISSING.get((pair, identity), ())
                        pixels = (np.zeros(2, np.uint64) if empty else
                                  rng.integers(0, 255, (6 + image, 4, 3), np.uint8).T)
                        cells[image, identity] = store(pixels)
                pair_refs.append(store(cells))
            mat.create_dataset(image_type, data=np.array([pair_refs], dtype=h5py.ref_dtype))
        testsets = [store(np.array(t, dtype=np.float64).T) for t in TESTSETS]
        mat.create_dataset('testsets', data=np.array([testsets], dtype=h5py.ref_dtype))


def _write_new_protocol(path):
    """A 767/700-style config: pair-1 ids 1, 2 train; the rest test, first view query."""
    files, labels = [], []
    for pair, num_ids in enumerate(PAIRS):
        for identity in range(num_ids):
            for image in sorted(set(range(10)) - MISSING.get((pair, identity), set())):
                files.append(image_name(pair, identity, image))
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


@pytest.fixture
def cuhk03_root(tmp_path):
    root = tmp_path / 'cuhk03'
    _write_raw_mat(root / 'cuhk03_release' / 'cuhk-03.mat')
    return root


def test_new_protocol_extracts_images_once_and_caches_the_split(cuhk03_root):
    counts = _write_new_protocol(cuhk03_root / 'cuhk03_new_protocol_config_detected.mat')
    source = build_source('cuhk03', root=cuhk03_root)
    assert source.protocol == 'market'
    assert (len(source.train), len(source.query), len(source.gallery)) == counts
    assert source.num_train_pids == 2 and sorted({r.pid for r in source.train}) == [0, 1]
    assert sorted({r.pid for r in source.query}) == [13, 21, 22]
    assert {r.camid for r in source.query} == {0} and {r.camid for r in source.gallery} == {1}
    # 50 cells, 8 of them empty: 42 PNGs of the detected boxes, none of the labeled ones.
    assert len(list((cuhk03_root / 'images_detected').glob('*.png'))) == 42
    assert not (cuhk03_root / 'images_labeled').exists()
    assert (cuhk03_root / 'splits_new_detected.json').is_file()
    # Second use: the cached split and images are enough.
    (cuhk03_root / 'cuhk03_release' / 'cuhk-03.mat').unlink()
    (cuhk03_root / 'cuhk03_new_protocol_config_detected.mat').unlink()
    assert build_source('cuhk03', root=cuhk03_root).query == source.query


def test_extracted_image_keeps_the_matlab_pixels(cuhk03_root):
    _write_new_protocol(cuhk03_root / 'cuhk03_new_protocol_config_labeled.mat')
    source = build_source('cuhk03', root=cuhk03_root, labeled=True)
    with h5py.File(cuhk03_root / 'cuhk03_release' / 'cuhk-03.mat', 'r') as mat:
        cells = mat[mat['labeled'][0][1]][:].T
        expected = mat[cells[1, 2]][:].T                               # pair 2, id 2, image 3
    from posereid.utils.image_io import read_image
    path = next(r.img_path for r in source.query + source.gallery + source.train
                if r.img_path.endswith('2_002_1_03.png'))
    np.testing.assert_array_equal(read_image(path), expected)


def test_classic_splits_select_the_mat_testsets_by_index(cuhk03_root):
    for split_id, testset in enumerate(TESTSETS):
        source = build_source('cuhk03', root=cuhk03_root, classic_split=True, split_id=split_id)
        assert source.protocol == 'single_gallery_shot'
        assert source.query == source.gallery
        assert len({r.pid for r in source.query}) == 2 and source.num_train_pids == 3
        names = {r.img_path.rsplit('/', 1)[1][:5] for r in source.query}
        assert names == {f'{pair}_{identity:03d}' for pair, identity in testset}
        assert {r.camid for r in source.query} == {0, 1}
    with pytest.raises(ValueError, match=r'split_id must be in \[0, 2\]'):
        build_source('cuhk03', root=cuhk03_root, classic_split=True, split_id=3)


def test_missing_protocol_file_and_a_non_hdf5_mat_are_named(cuhk03_root):
    with pytest.raises(DatasetLayoutError, match='cuhk03_new_protocol_config_detected.mat'):
        build_source('cuhk03', root=cuhk03_root)
    with h5py.File(cuhk03_root / 'cuhk03_release' / 'cuhk-03.mat', 'a') as mat:
        del mat['testsets']
    with pytest.raises(DatasetFormatError, match=r"lacks the cell arrays \['testsets'\]"):
        build_source('cuhk03', root=cuhk03_root, classic_split=True)
    (cuhk03_root / 'cuhk03_release' / 'cuhk-03.mat').write_bytes(b'MATLAB 5.0 MAT-file')
    with pytest.raises(DatasetFormatError, match='cuhk-03.mat is not a MATLAB v7.3'):
        build_source('cuhk03', root=cuhk03_root, classic_split=True)
