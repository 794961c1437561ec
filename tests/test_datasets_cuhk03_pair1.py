"""The CUHK03 camera-pair-1 loader (the talk's 743/100 layout) on a tiny fixture tree."""
import pytest
from dataset_trees import cuhk03_pair1_tree, image

from posereid.datasets import (SOURCES, CUHK03Pair1, DatasetFormatError, DatasetLayoutError,
                               build_source)
from posereid.datasets.cuhk03_pair1 import VAL_PID_OFFSET
from posereid.datasets.sources import source_cache_name


def _images(records):
    return {(r.img_path.rsplit('/', 1)[1], r.pid, r.camid) for r in records}


def test_train_is_the_train_folder_and_the_test_set_the_val_folder_with_offset_pids(tmp_path):
    cuhk03_pair1_tree(tmp_path, num_train_ids=4, num_val_ids=3)
    source = build_source('cuhk03_pair1', root=tmp_path)
    assert isinstance(source, CUHK03Pair1) and SOURCES['cuhk03_pair1'] is CUHK03Pair1
    assert source.protocol == 'single_gallery_shot' and source.pair_protocol == 'balanced_all_pairs'
    # 3 identities of 5 images and one of 2 (00 and 07); cameras from the image number
    assert len(source.train) == 17 and source.num_train_pids == 4
    assert {(r.pid, r.camid) for r in source.train if '/0003_' in r.img_path} == {(3, 0), (3, 1)}
    assert _images(source.query) == {(f'{p:04d}_{i:02d}.jpg', VAL_PID_OFFSET + p, 0)
                                     for p in range(3) for i in ((0, 1) if p < 2 else (0,))}
    assert _images(source.gallery) == {(f'{p:04d}_{i:02d}.jpg', VAL_PID_OFFSET + p, 1)
                                       for p in range(3) for i in ((5, 6, 7) if p < 2 else (7,))}
    # validation identity 0000 is not training identity 0000
    assert {r.pid for r in source.train}.isdisjoint(r.pid for r in source.query + source.gallery)


def test_split_1_queries_camera_2_against_camera_1(tmp_path):
    cuhk03_pair1_tree(tmp_path)
    forward = build_source('cuhk03_pair1', root=tmp_path, split_id=0)
    backward = build_source('cuhk03_pair1', root=tmp_path, split_id=1)
    assert backward.query == forward.gallery and backward.gallery == forward.query
    assert backward.train == forward.train
    assert CUHK03Pair1.protocol_splits() == [0, 1]
    with pytest.raises(ValueError, match='split_id must be 0 .* or 1'):
        build_source('cuhk03_pair1', root=tmp_path, split_id=2)


def test_both_splits_share_one_heatmap_cache():
    assert source_cache_name(dict(name='cuhk03_pair1', split_id=1)) == 'cuhk03_pair1'


def test_default_root_is_under_the_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv('POSEREID_DATA', str(tmp_path))
    cuhk03_pair1_tree(tmp_path / 'cuhk03_pair1')
    assert len(build_source('cuhk03_pair1').query) == 5


@pytest.mark.parametrize('name', ['0001_10.jpg', '001_05.jpg', '0001_5.jpg', '0001-05.jpg'])
def test_a_badly_named_image_is_named_with_the_expected_scheme(tmp_path, name):
    cuhk03_pair1_tree(tmp_path)
    image(tmp_path / 'labeled' / 'val' / name)
    with pytest.raises(DatasetFormatError, match=rf'{name} is not named PPPP_II\.jpg'):
        build_source('cuhk03_pair1', root=tmp_path)


def test_a_missing_or_empty_folder_is_named(tmp_path):
    cuhk03_pair1_tree(tmp_path)
    for path in (tmp_path / 'labeled' / 'val').iterdir():
        path.unlink()
    with pytest.raises(DatasetFormatError, match=r'no PPPP_II\.jpg images in .*labeled/val'):
        build_source('cuhk03_pair1', root=tmp_path)
    (tmp_path / 'labeled' / 'val').rmdir()
    with pytest.raises(DatasetLayoutError, match=r'missing .*labeled/val(.|\n)*PPPP_II\.jpg'):
        build_source('cuhk03_pair1', root=tmp_path)
