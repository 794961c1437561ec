"""Dataset loaders on tiny fixture trees in each official layout (CUHK03: test_datasets_cuhk03)."""
import numpy as np
import pytest
from dataset_trees import cuhk01_tree, image, market_tree
from PIL import Image

from posereid.datasets import (BadImageError, DatasetFormatError, DatasetLayoutError, SOURCES,
                               build_source)


def _ids(records):
    return sorted({r.pid for r in records})


def _cams(records):
    return sorted({r.camid for r in records})


def test_market1501_drops_junk_keeps_distractors_in_gallery_and_relabels_train(tmp_path):
    root = tmp_path / 'market1501' / 'Market-1501-v15.09.15'          # release folder found
    market_tree(root)
    source = build_source('market1501', root=tmp_path / 'market1501')
    assert source.protocol == 'market' and source.name == 'market1501'
    assert _ids(source.train) == [0, 1] and len(source.train) == 5 and source.num_train_pids == 2
    assert _cams(source.train) == [0, 1, 3]
    assert _ids(source.query) == [1, 3] and _cams(source.query) == [0, 1]
    assert _ids(source.gallery) == [0, 1, 3] and len(source.gallery) == 4
    assert _cams(source.gallery) == [0, 1, 2, 5]
    assert source.statistics()['gallery'] == dict(num_pids=3, num_images=4, num_cams=4)


def test_market1501_default_root_is_under_the_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv('POSEREID_DATA', str(tmp_path))
    market_tree(tmp_path / 'market1501')
    assert len(build_source('market1501').query) == 2
    market_tree(tmp_path / 'dukemtmc-reid' / 'DukeMTMC-reID')
    assert build_source('dukemtmc').name == 'dukemtmc'


def test_missing_folder_names_the_path_and_shows_the_layout(tmp_path):
    (tmp_path / 'market1501' / 'bounding_box_train').mkdir(parents=True)
    with pytest.raises(DatasetLayoutError) as error:
        build_source('market1501', root=tmp_path / 'market1501')
    message = str(error.value)
    assert str(tmp_path / 'market1501' / 'query') in message
    assert 'bounding_box_test/' in message and 'Expected layout' in message


def test_badly_named_file_is_reported_with_its_path(tmp_path):
    market_tree(tmp_path)
    image(tmp_path / 'query' / 'holiday.jpg')
    with pytest.raises(DatasetFormatError, match='holiday.jpg'):
        build_source('market1501', root=tmp_path)


def test_corrupt_image_raises_naming_it_or_is_skipped_and_counted(tmp_path):
    market_tree(tmp_path)
    broken = tmp_path / 'query' / '0003_c3s1_000302_00.jpg'
    broken.write_bytes(b'garbage')
    with pytest.raises(BadImageError, match='0003_c3s1_000302_00.jpg'):
        build_source('market1501', root=tmp_path)
    source = build_source('market1501', root=tmp_path, skip_bad_images=True)
    assert source.skipped_images == [str(broken)] and len(source.query) == 2
    assert 'skipped 1' in repr(source)
    # Without verification the loader only lists files.
    assert len(build_source('market1501', root=tmp_path, verify_images='none').query) == 3


def test_truncated_image_is_caught_by_full_decoding(tmp_path):
    market_tree(tmp_path)
    path = tmp_path / 'query' / '0003_c3s1_000303_00.jpg'
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 32, 3), np.uint8)).save(path)
    path.write_bytes(path.read_bytes()[:-1000])
    assert len(build_source('market1501', root=tmp_path).query) == 3        # header is fine
    with pytest.raises(BadImageError, match='0003_c3s1_000303_00.jpg'):
        build_source('market1501', root=tmp_path, verify_images='decode')


def test_msmt17_reads_the_list_files(tmp_path):
    root = tmp_path / 'msmt17' / 'MSMT17_V1'
    lists = dict(train=['0000/0000_000_01_0303morning_0015_0.jpg 0',
                        '0000/0000_001_05_0303morning_0016_0.jpg 0',
                        '0001/0001_000_02_0303noon_0001_0.jpg 1'],
                 val=['0002/0002_000_03_0303noon_0002_0.jpg 2'],
                 query=['0000/0000_000_14_0304morning_0001_0.jpg 0'],
                 gallery=['0000/0000_001_15_0304morning_0002_0.jpg 0',
                          '0001/0001_000_01_0304noon_0002_0.jpg 1'])
    for split, lines in lists.items():
        folder = root / ('test' if split in ('query', 'gallery') else 'train')
        for line in lines:
            image(folder / line.split()[0])
        (root / f'list_{split}.txt').write_text('\n'.join(lines) + '\n')
    source = build_source('msmt17', root=tmp_path / 'msmt17')
    assert len(source.train) == 3 and source.num_train_pids == 2
    assert _cams(source.train) == [0, 1, 4]
    assert _cams(source.query) == [13] and _cams(source.gallery) == [0, 14]
    assert build_source('msmt17', root=tmp_path / 'msmt17', include_val=True).num_train_pids == 3
    (root / 'list_query.txt').write_text('0000/0000_000_14_0304morning_0001_0.jpg\n')
    with pytest.raises(DatasetFormatError, match='list_query.txt:1'):
        build_source('msmt17', root=tmp_path / 'msmt17')


def test_cuhk01_random_splits_by_index_and_the_all_ids_test_set(tmp_path):
    cuhk01_tree(tmp_path, 9)
    source = build_source('cuhk01', root=tmp_path)
    assert source.protocol == 'single_gallery_shot'
    assert source.num_train_pids == 4 and len(source.train) == 16
    assert len(_ids(source.query)) == 5 and len(source.query) == 10
    assert _cams(source.query) == [0] and _cams(source.gallery) == [1]
    assert _ids(source.query) == _ids(source.gallery)
    train_ids = {int(r.img_path[-11:-7]) for r in source.train}
    assert train_ids.isdisjoint(_ids(source.query))
    reverse = build_source('cuhk01', root=tmp_path, split_id=1)     # same split, other way round
    assert reverse.query == [r for r in reverse.query if r.camid == 1]
    assert _ids(reverse.query) == _ids(source.query)
    other = build_source('cuhk01', root=tmp_path, split_id=2)
    assert _ids(other.query) != _ids(source.query)
    all_test = build_source('cuhk01', root=tmp_path, num_train_ids=0)
    assert all_test.train == [] and len(_ids(all_test.query)) == 9 and len(all_test.gallery) == 18
    with pytest.raises(ValueError, match=r'split_id must be in \[0, 19\]'):
        build_source('cuhk01', root=tmp_path, split_id=20)


def test_viper_pairs_cameras_by_identity_and_splits_in_half(tmp_path):
    for pid in range(10):
        image(tmp_path / 'VIPeR' / 'cam_a' / f'{pid:03d}_45.bmp')
        image(tmp_path / 'VIPeR' / 'cam_b' / f'{pid:03d}_90.bmp')
    source = build_source('viper', root=tmp_path)
    assert source.protocol == 'single_gallery_shot' and source.num_train_pids == 5
    assert len(source.train) == 10 and _cams(source.train) == [0, 1]
    assert len(source.query) == len(source.gallery) == 5
    assert _cams(source.query) == [0] and _ids(source.query) == _ids(source.gallery)
    (tmp_path / 'VIPeR' / 'cam_b' / '003_90.bmp').unlink()
    with pytest.raises(DatasetFormatError, match=r'one camera only: \[3\]'):
        build_source('viper', root=tmp_path)


def test_folder_dataset_from_names_with_a_custom_pattern(tmp_path):
    for split, names in dict(train=['7/camA_1.jpg', '7/camB_2.jpg', '9/camA_3.png'],
                             query=['4/camB_1.jpg', '-1/camA_1.jpg'],
                             gallery=['4/camA_2.jpg', '5/cam_front_1.jpg']).items():
        for name in names:
            image(tmp_path / split / name)
    pattern = r'^(?P<pid>-?\d+)/cam_?(?P<camid>[A-Za-z]+)_'
    source = build_source('folder', root=tmp_path, pattern=pattern)
    assert source.num_train_pids == 2 and len(source.train) == 3
    assert _ids(source.query) == [4]                                  # -1 (junk) dropped
    assert _cams(source.train) == [0, 1] and _cams(source.gallery) == [0, 2]  # A, B, front
    with pytest.raises(DatasetFormatError, match='camA_1.jpg'):
        build_source('folder', root=tmp_path)                          # Market pattern: no match


def test_folder_dataset_from_a_csv(tmp_path):
    for i in range(4):
        image(tmp_path / 'imgs' / f'{i}.jpg')
    (tmp_path / 'list.csv').write_text(
        'path,pid,camid,split\nimgs/0.jpg,10,1,train\nimgs/1.jpg,11,2,train\n'
        'imgs/2.jpg,3,1,query\nimgs/3.jpg,3,2,gallery\n')
    source = build_source('folder', root=tmp_path, csv='list.csv', protocol='cuhk03')
    assert source.protocol == 'single_gallery_shot' and source.num_train_pids == 2
    assert source.query[0].pid == 3 and source.query[0].camid == 0
    assert source.gallery[0].camid == 1
    (tmp_path / 'list.csv').write_text('path,pid,camid,split\nimgs/0.jpg,ten,1,train\n')
    with pytest.raises(DatasetFormatError, match='list.csv:2'):
        build_source('folder', root=tmp_path, csv='list.csv')


def test_synthetic_domains_load_through_the_market_and_cuhk01_loaders(tmp_path):
    import json

    from posereid.datasets.synthetic import generate_world, small_world

    manifest = generate_world(small_world(), tmp_path, workers=1)
    market = build_source('synthetic_market', root=tmp_path / 'market')
    counts = manifest['domains']['market']
    assert market.num_train_pids == counts['num_ids'] - counts['num_held_out_ids']
    assert len(_ids(market.query)) == counts['num_held_out_ids']
    assert not {r.pid for r in market.query} & {-1}
    cuhk01 = build_source('synthetic_cuhk01', root=tmp_path / 'cuhk01')
    val = json.loads((tmp_path / 'cuhk01' / 'annotations' / 'person_keypoints_val.json')
                     .read_text())
    held_out = sorted({ann['pid'] for ann in val['annotations']})
    assert _ids(cuhk01.query) == _ids(cuhk01.gallery) == held_out
    assert cuhk01.num_train_pids == manifest['domains']['cuhk01']['num_ids'] - len(held_out)
    assert _cams(cuhk01.query) == [0] and _cams(cuhk01.gallery) == [1]


def test_unknown_name_lists_the_known_names():
    with pytest.raises(ValueError) as error:
        build_source('market1502')
    for name in ('market1501', 'dukemtmc', 'msmt17', 'cuhk03', 'cuhk01', 'viper', 'folder',
                 'synthetic_market', 'synthetic_duke', 'synthetic_cuhk01'):
        assert name in SOURCES and name in str(error.value)
