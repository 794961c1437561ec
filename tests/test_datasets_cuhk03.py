"""CUHK03 from a tiny ``cuhk-03.mat`` (MATLAB v7.3 = HDF5, written with h5py) and new-protocol
``.mat`` files (written with scipy), in the release structures."""
from pathlib import Path

import h5py
import numpy as np
import pytest
from dataset_trees import TESTSETS, write_new_protocol, write_raw_mat

from posereid.datasets import DatasetFormatError, DatasetLayoutError, build_source

@pytest.fixture
def cuhk03_root(tmp_path):
    root = tmp_path / 'cuhk03'
    write_raw_mat(root / 'cuhk03_release' / 'cuhk-03.mat')
    return root


def test_new_protocol_extracts_images_once_and_caches_the_split(cuhk03_root):
    counts = write_new_protocol(cuhk03_root / 'cuhk03_new_protocol_config_detected.mat')
    source = build_source('cuhk03', root=cuhk03_root)
    assert source.protocol == 'market'
    assert (len(source.train), len(source.query), len(source.gallery)) == counts
    assert source.num_train_pids == 2 and sorted({r.pid for r in source.train}) == [0, 1]
    assert sorted({r.pid for r in source.query}) == [13, 21, 22]
    assert {r.camid for r in source.query} == {0} and {r.camid for r in source.gallery} == {1}
    # 50 cells, 8 of them empty: 42 PNGs of the detected boxes, none of the labeled ones.
    assert len(list((cuhk03_root / 'images_detected').glob('*.png'))) == 42
    assert not (cuhk03_root / 'images_labeled').exists()
    assert (cuhk03_root / 'posereid_splits_new_detected.json').is_file()   # not torchreid's name
    # Second use: the cached split and images are enough.
    (cuhk03_root / 'cuhk03_release' / 'cuhk-03.mat').unlink()
    (cuhk03_root / 'cuhk03_new_protocol_config_detected.mat').unlink()
    assert build_source('cuhk03', root=cuhk03_root).query == source.query


def test_extracted_image_keeps_the_matlab_pixels(cuhk03_root):
    write_new_protocol(cuhk03_root / 'cuhk03_new_protocol_config_labeled.mat')
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
    papers = build_source('cuhk03', root=cuhk03_root, classic_split=True, cross_view=True)
    assert {r.camid for r in papers.query} == {0} and {r.camid for r in papers.gallery} == {1}
    assert {r.pid for r in papers.query} == {r.pid for r in papers.gallery}
    with pytest.raises(ValueError, match='cross_view'):
        build_source('cuhk03', root=cuhk03_root, cross_view=True)


def test_a_folder_that_torchreid_prepared_loads_and_its_files_are_left_alone(cuhk03_root):
    import json

    write_new_protocol(cuhk03_root / 'cuhk03_new_protocol_config_detected.mat')
    ours = build_source('cuhk03', root=cuhk03_root)
    # torchreid's split file: [path on its machine, pid, camid] triples, under the name it uses
    torchreid = [{part: [[f'/elsewhere/cuhk03/images_detected/{Path(r.img_path).name}', r.pid,
                          r.camid] for r in getattr(ours, part)]
                  for part in ('train', 'query', 'gallery')}]
    torchreid_file = cuhk03_root / 'splits_new_detected.json'
    torchreid_file.write_text(json.dumps(torchreid))
    (cuhk03_root / 'posereid_splits_new_detected.json').unlink()
    assert build_source('cuhk03', root=cuhk03_root).query == ours.query     # from the .mat
    assert json.loads(torchreid_file.read_text()) == torchreid              # untouched
    (cuhk03_root / 'posereid_splits_new_detected.json').unlink()
    (cuhk03_root / 'cuhk03_release' / 'cuhk-03.mat').unlink()
    prepared = build_source('cuhk03', root=cuhk03_root)                     # torchreid's files
    assert (prepared.train, prepared.query, prepared.gallery) == (ours.train, ours.query,
                                                                  ours.gallery)
    torchreid[0]['query'][0][0] = '/elsewhere/cuhk03/images_detected/9_999_1_01.png'
    torchreid_file.write_text(json.dumps(torchreid))
    (cuhk03_root / 'posereid_splits_new_detected.json').unlink()
    with pytest.raises(DatasetFormatError, match='9_999_1_01.png'):
        build_source('cuhk03', root=cuhk03_root)


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
