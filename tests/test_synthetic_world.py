import dataclasses
import json
import math
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from posereid.datasets.synthetic import (ClothingStyle, SceneStyle, WorldConfig,
                                         generate_world, is_complete, render_view, sample_camera,
                                         sample_identity, sample_view, small_world)
from posereid.datasets.synthetic.config import MARKET_CLOTHING, MARKET_SCENE
from posereid.pose.keypoints import FLIP_INDICES, KEYPOINT_INDEX, KEYPOINT_NAMES, SKELETON
from posereid.visualization import draw_contact_sheet

MARKET_NAME = re.compile(r'^(\d{4}|-1)_c(\d)s([1-6])_(\d{6})_(\d{2})\.jpg$')
CUHK01_NAME = re.compile(r'^(\d{4})(00[1-4])\.png$')


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    """The small preset, generated in this process."""
    root = tmp_path_factory.mktemp('world')
    config = small_world()
    generate_world(config, root, workers=1)
    return root, config


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob('*'))
            if p.is_file()}


def _market_images(domain_root: Path) -> dict[str, list[tuple]]:
    """folder -> [(pid, camera, name)] parsed from official Market-1501 names."""
    out = {}
    for folder in ('bounding_box_train', 'bounding_box_test', 'query'):
        out[folder] = []
        for p in sorted((domain_root / folder).iterdir()):
            m = MARKET_NAME.match(p.name)
            assert m, p.name
            out[folder].append((int(m.group(1)), int(m.group(2)), p.name))
    return out


@pytest.mark.slow
def test_worker_count_does_not_change_a_single_byte(world, tmp_path):
    root, config = world
    generate_world(config, tmp_path, workers=2)
    assert _files(tmp_path) == _files(root)


def test_another_seed_gives_other_people(world, tmp_path):
    root, config = world
    generate_world(config.with_seed(1), tmp_path, workers=1)
    before = (root / 'cuhk01' / 'campus' / '0001001.png').read_bytes()
    assert (tmp_path / 'cuhk01' / 'campus' / '0001001.png').read_bytes() != before


def test_market_layout_names_splits_and_counts_follow_the_config(world):
    root, config = world
    domain = config.domains[0]
    images = _market_images(root / domain.name)
    num_train = domain.num_ids - domain.num_test_ids
    train_pids = {pid for pid, _, _ in images['bounding_box_train']}
    query_pids = {pid for pid, _, _ in images['query']}
    gallery_pids = {pid for pid, _, _ in images['bounding_box_test']}
    assert train_pids == set(range(1, num_train + 1))
    assert query_pids == set(range(num_train + 1, domain.num_ids + 1))
    assert gallery_pids == query_pids | {0, -1}
    strays = [pid for pid, _, _ in images['bounding_box_test'] if pid <= 0]
    assert strays.count(0) == domain.num_distractors and strays.count(-1) == domain.num_junk
    per_id_camera = defaultdict(int)
    for folder, entries in images.items():
        for pid, cam, _ in entries:
            assert 1 <= cam <= domain.num_cameras
            if pid > 0:
                per_id_camera[pid, cam] += 1
    cameras_of = defaultdict(set)
    for (pid, cam), count in per_id_camera.items():
        assert domain.images_per_camera[0] <= count <= domain.images_per_camera[1]
        cameras_of[pid].add(cam)
    assert all(domain.cameras_per_id[0] <= len(c) <= domain.cameras_per_id[1]
               for c in cameras_of.values())
    # Every query has a gallery image of its identity from another camera.
    for pid, cam, _ in images['query']:
        assert any(g == pid and c != cam for g, c, _ in images['bounding_box_test'])
    manifest = json.loads((root / 'manifest.json').read_text())
    counted = manifest['domains'][domain.name]['images']
    for folder, entries in images.items():
        assert sum(counted[folder].values()) == len(entries)


def test_cuhk01_layout_has_two_images_per_camera_for_every_identity(world):
    root, config = world
    domain = config.domains[1]
    names = sorted(p.name for p in (root / domain.name / 'campus').iterdir())
    by_pid = defaultdict(list)
    for name in names:
        m = CUHK01_NAME.match(name)
        assert m, name
        by_pid[int(m.group(1))].append(m.group(2))
    assert set(by_pid) == set(range(1, domain.num_ids + 1))
    assert all(v == ['001', '002', '003', '004'] for v in by_pid.values())


def test_keypoint_table_covers_every_image_and_labelled_joints_lie_inside(world):
    root, config = world
    for domain in config.domains:
        table = json.loads((root / domain.name / 'keypoints.json').read_text())
        on_disk = {str(p.relative_to(root / domain.name)) for p in (root / domain.name).rglob('*')
                   if p.suffix in ('.jpg', '.png')}
        assert set(table) == on_disk
        kpts = np.array(list(table.values()), dtype=float)           # (N, 14, 3)
        assert kpts.shape[1:] == (14, 3)
        labelled = kpts[..., 2] > 0
        assert labelled.mean() > 0.7
        assert (kpts[labelled][:, 0] >= 0).all() and (kpts[labelled][:, 0] < domain.width).all()
        assert (kpts[labelled][:, 1] >= 0).all() and (kpts[labelled][:, 1] < domain.height).all()
        assert (kpts[~labelled][:, :2] == 0).all()
        assert set(np.unique(kpts[..., 2])) <= {0, 1, 2}


def test_coco_files_carry_aic_metainfo_and_split_identities(world):
    root, config = world
    for domain in config.domains:
        splits = {}
        for split in ('train', 'val'):
            path = root / domain.name / 'annotations' / f'person_keypoints_{split}.json'
            coco = json.loads(path.read_text())
            category, = coco['categories']
            assert category['keypoints'] == list(KEYPOINT_NAMES)
            assert category['skeleton'] == [[a + 1, b + 1] for a, b in SKELETON]
            images = {im['id']: im for im in coco['images']}
            for ann in coco['annotations']:
                image = images[ann['image_id']]
                assert (root / domain.name / image['file_name']).is_file()
                assert ann['bbox'] == [0, 0, domain.width, domain.height]
                assert ann['area'] == domain.width * domain.height
                assert len(ann['keypoints']) == 42
                assert ann['num_keypoints'] == sum(v > 0 for v in ann['keypoints'][2::3])
            splits[split] = {ann['pid'] for ann in coco['annotations']}
            if split == 'train':
                xtcoco = pytest.importorskip('xtcocotools.coco')
                assert len(xtcoco.COCO(str(path)).getImgIds()) == len(images)
        assert splits['train'] and splits['val'] and not splits['train'] & splits['val']
        assert min(splits['val']) == domain.num_ids - domain.num_test_ids + 1


def test_mmpose_reads_the_coco_files_as_a_top_down_dataset(world):
    mmpose_datasets = pytest.importorskip('mmpose.datasets')
    from posereid.pose.keypoints import dataset_metainfo
    root, config = world
    domain = config.domains[0]
    dataset = mmpose_datasets.CocoDataset(
        ann_file='annotations/person_keypoints_train.json', data_root=str(root / domain.name),
        data_prefix=dict(img=''), metainfo=dataset_metainfo(), pipeline=[])
    table = json.loads((root / domain.name / 'keypoints.json').read_text())
    train_images = list((root / domain.name / 'bounding_box_train').iterdir())
    assert len(dataset) == len(train_images)
    item = dataset[0]
    path = str(Path(item['img_path']).relative_to(root / domain.name))
    expected = np.array(table[path], dtype=np.float32)
    np.testing.assert_allclose(item['keypoints'][0], expected[:, :2])
    np.testing.assert_array_equal(item['keypoints_visible'][0], expected[:, 2] > 0)
    assert (item['bbox'][0] >= [0, 0, domain.width - 1, domain.height - 1]).all()  # whole crop


def test_complete_world_is_skipped_and_a_missing_image_is_noticed(world, tmp_path):
    _, config = world
    config = WorldConfig(domains=(config.domains[1],))
    generate_world(config, tmp_path, workers=1)
    image = tmp_path / 'cuhk01' / 'campus' / '0001001.png'
    stamp = image.stat().st_mtime_ns
    generate_world(config, tmp_path, workers=1)
    assert image.stat().st_mtime_ns == stamp
    image.unlink()
    assert not is_complete(tmp_path, config)
    generate_world(config, tmp_path, workers=1)
    assert image.is_file() and is_complete(tmp_path, config)
    assert not is_complete(tmp_path, config.with_seed(3))


def test_config_round_trips_and_its_hash_tracks_changes():
    config = small_world()
    assert WorldConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    assert config.config_hash() == small_world().config_hash()
    assert config.with_seed(1).config_hash() != config.config_hash()
    resized = config.with_num_ids(40)
    assert [d.num_ids for d in resized.domains] == [40, 40]
    assert resized.config_hash() != config.config_hash()


@pytest.mark.parametrize('changes, field', [
    (dict(height=8), 'height'),
    (dict(num_test_ids=12), 'num_test_ids'),
    (dict(num_cameras=12), 'num_cameras'),
    (dict(cameras_per_id=(1, 3)), 'cameras_per_id'),
    (dict(images_per_camera=(3, 1)), 'images_per_camera'),
    (dict(layout='viper'), 'layout'),
    (dict(name='a/b'), 'name'),
    (dict(layout='cuhk01', num_cameras=3), 'num_cameras'),
    (dict(num_junk=-1), 'num_junk'),
])
def test_impossible_domain_config_raises_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=field):
        dataclasses.replace(small_world().domains[0], **changes)


def test_impossible_world_and_style_raise():
    domain = small_world().domains[0]
    with pytest.raises(ValueError, match='distinct'):
        WorldConfig(domains=(domain, domain))
    with pytest.raises(ValueError, match='domains'):
        WorldConfig(domains=())
    with pytest.raises(ValueError, match='walls'):
        SceneStyle(walls=('moon',))
    with pytest.raises(ValueError, match='shorts'):
        ClothingStyle(shorts=0.7, skirt=0.5)
    with pytest.raises(ValueError, match='workers'):
        generate_world(small_world(), '/nonexistent', workers=0)


# ---- single views, rendered in memory ----

def _clear_view(rng, yaw: float, **changes):
    camera = sample_camera(rng, MARKET_SCENE, 1)
    view = sample_view(rng, camera, MARKET_CLOTHING)
    view = dataclasses.replace(view, yaw=yaw, occluder=None, dx=0.0, dy=0.0, scale=0.85,
                               **changes)
    return camera, view


def _render(person, camera, view):
    return render_view(person, camera, view, 128, 64)


@pytest.mark.parametrize('seed', range(4))
def test_front_and_back_views_mirror_the_body_and_side_views_hide_the_far_side(seed):
    rng = np.random.default_rng(seed)
    person = sample_identity(rng, MARKET_CLOTHING)
    i = KEYPOINT_INDEX
    camera, front = _clear_view(rng, 0.0)
    _, kp_front = _render(person, camera, front)
    _, kp_back = _render(person, camera, dataclasses.replace(front, yaw=math.pi))
    _, kp_left = _render(person, camera, dataclasses.replace(front, yaw=math.pi / 2))
    for a, b in (('right_shoulder', 'left_shoulder'), ('right_hip', 'left_hip')):
        assert kp_front[i[a], 0] < kp_front[i[b], 0]      # facing us: their right is our left
        assert kp_back[i[a], 0] > kp_back[i[b], 0]
        assert kp_front[i[a], 2] == kp_front[i[b], 2] == 2
        assert kp_left[i[a], 2] == 1                       # the far (right) side is hidden
    assert kp_left[i['left_shoulder'], 2] == 2             # (the near hip may be behind the arm)


@pytest.mark.parametrize('seed', range(4))
def test_mirrored_yaw_and_half_cycle_give_flipped_keypoints(seed):
    rng = np.random.default_rng(seed)
    person = sample_identity(rng, MARKET_CLOTHING)
    camera, view = _clear_view(rng, 0.9)
    _, kp = _render(person, camera, view)
    _, kp_mirror = _render(person, camera, dataclasses.replace(
        view, yaw=-view.yaw, phase=view.phase + math.pi))
    flipped = kp_mirror[list(FLIP_INDICES)]
    labelled = (kp[:, 2] > 0) & (flipped[:, 2] > 0)
    assert labelled.sum() >= 12
    np.testing.assert_allclose(kp[labelled, 0], 64 - flipped[labelled, 0], atol=0.05)
    np.testing.assert_allclose(kp[labelled, 1], flipped[labelled, 1], atol=0.05)


def test_joints_out_of_frame_are_unlabelled_and_behind_a_pole_hidden():
    rng = np.random.default_rng(7)
    person = sample_identity(rng, MARKET_CLOTHING)
    camera, view = _clear_view(rng, 0.0)
    _, low = _render(person, camera, dataclasses.replace(view, dy=0.3))
    ankles = [KEYPOINT_INDEX['right_ankle'], KEYPOINT_INDEX['left_ankle']]
    assert (low[ankles] == 0).all()
    assert low[KEYPOINT_INDEX['head_top'], 2] == 2
    _, poled = _render(person, camera, dataclasses.replace(
        view, occluder='pole', occluder_x=0.5, occluder_size=1.0))
    for name in ('head_top', 'neck'):
        assert poled[KEYPOINT_INDEX[name], 2] == 1
    assert poled[KEYPOINT_INDEX['right_wrist'], 2] == 2


def test_views_of_one_identity_share_garment_colours_more_than_different_people():
    """Chest colour (median RGB between the shoulders and hips), compared across cameras: a
    person's garment survives the cameras' light, cast, viewpoint and occluders."""
    rng = np.random.default_rng(0)
    cameras = [sample_camera(rng, MARKET_SCENE, c) for c in range(1, 5)]
    chest = [KEYPOINT_INDEX[n] for n in ('right_shoulder', 'left_shoulder', 'right_hip',
                                         'left_hip')]
    colours = []                                   # (pid, camera, RGB)
    for pid in range(16):
        person = sample_identity(rng, MARKET_CLOTHING)
        for c, camera in enumerate(cameras):
            image, kp = render_view(person, camera, sample_view(rng, camera, MARKET_CLOTHING),
                                    128, 64)
            if (kp[chest, 2] > 0).all():
                x, y = kp[chest, :2].mean(axis=0).astype(int)
                patch = image[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3)
                colours.append((pid, c, np.median(patch, axis=0)))
    same, different = [], []
    for a in range(len(colours)):
        for b in range(a + 1, len(colours)):
            (pa, ca, xa), (pb, cb, xb) = colours[a], colours[b]
            if ca != cb:
                (same if pa == pb else different).append(np.linalg.norm(xa - xb))
    assert len(same) > 50
    assert np.median(same) < 0.75 * np.median(different)


def test_identities_are_distinct_and_render_differently():
    rng = np.random.default_rng(1)
    people = [sample_identity(rng, MARKET_CLOTHING) for _ in range(100)]
    assert len(set(people)) == 100
    camera, view = _clear_view(rng, 0.0)
    a, _ = _render(people[0], camera, view)
    b, _ = _render(people[1], camera, view)
    again, _ = _render(people[0], camera, view)
    assert (a == again).all() and not (a == b).all()


def test_background_crops_have_no_keypoints():
    rng = np.random.default_rng(2)
    camera = sample_camera(rng, MARKET_SCENE, 1)
    view = sample_view(rng, camera, MARKET_CLOTHING, framing='background')
    _, kp = render_view(sample_identity(rng, MARKET_CLOTHING), camera, view, 128, 64)
    assert (kp == 0).all()
    with pytest.raises(ValueError, match='framing'):
        sample_view(rng, camera, MARKET_CLOTHING, framing='portrait')


# ---- contact sheet ----

def test_contact_sheet_places_enlarged_crops_in_a_grid():
    crops = [[np.full((8, 4, 3), 10 * (3 * r + c), np.uint8) for c in range(3)]
             for r in range(2)]
    crops[1][2] = None
    sheet = draw_contact_sheet(crops, scale=2)
    gap = 4
    assert sheet.shape == (2 * (16 + gap) + gap, 3 * (8 + gap) + gap, 3)
    for r in range(2):
        for c in range(3):
            y, x = gap + r * (16 + gap), gap + c * (8 + gap)
            cell = sheet[y:y + 16, x:x + 8]
            assert (cell == (255 if crops[r][c] is None else 10 * (3 * r + c))).all()


def test_contact_sheet_draws_keypoints_only_where_labelled():
    crop = np.zeros((32, 16, 3), np.uint8)
    keypoints = np.zeros((14, 3), np.float32)
    plain = draw_contact_sheet([[crop]], [[keypoints]])
    keypoints[KEYPOINT_INDEX['neck']] = (8, 8, 2)
    keypoints[KEYPOINT_INDEX['head_top']] = (8, 2, 2)
    drawn = draw_contact_sheet([[crop]], [[keypoints]])
    assert (plain == draw_contact_sheet([[crop]])).all()
    changed = np.nonzero((drawn != plain).any(axis=2))
    assert changed[0].size > 0
    with pytest.raises(ValueError, match='keypoints'):
        draw_contact_sheet([[crop]], [[keypoints, keypoints]])
    with pytest.raises(ValueError, match='cells'):
        draw_contact_sheet([[None]])
