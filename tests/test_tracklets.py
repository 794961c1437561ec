"""Tracklet embeddings on the tiny video world: tracks grouped from MOT rows, crops chosen by
pose quality, one unit-length mean embedding per track, named errors."""
from __future__ import annotations

import numpy as np
import pytest
from test_train_fixtures import (  # noqa: F401  (world: a fixture)
    CONFIGS, REPO, save_untrained_checkpoint, tiny_options, world)

from posereid.apis import extract, init_model
from posereid.tracking.tracklets import (Tracklet, select_frames, tracklet_embeddings,
                                     tracklets_from_mot)
from posereid.datasets.frames import open_frames
from posereid.datasets.mot import read_mot_boxes
from posereid.datasets.synthetic import VideoWorldConfig, generate_video_world

SHIPPED_POSE = dict(type='mmpose', config=str(REPO / 'configs/pose/res18w16_synthetic_64x32.py'),
                    checkpoint=str(REPO / 'checkpoints/pose_synthetic_res18w16_64x32.pth'))
VIDEO = VideoWorldConfig(num_cameras=2, num_people=5, duration_s=10, fps=3, frame_height=144,
                         frame_width=256, visits=(1, 2), crossing_s=(3, 4), transit_s=(1, 2))


@pytest.fixture(scope='module')
def camera(tmp_path_factory):
    root = tmp_path_factory.mktemp('video')
    generate_video_world(VIDEO, root, workers=1)
    return root / 'c1'


@pytest.fixture(scope='module')
def fusion(world, tmp_path_factory):
    options = tiny_options(world, 'SpindleFusion')
    checkpoint = save_untrained_checkpoint(CONFIGS['SpindleFusion'], options,
                                           tmp_path_factory.mktemp('model') / 'fusion.pth')
    return init_model(CONFIGS['SpindleFusion'], checkpoint, 'cpu', options, pose=SHIPPED_POSE)


def test_tracklets_group_mot_rows_by_id_in_frame_order(camera):
    rows = read_mot_boxes(camera / 'gt' / 'gt.txt')
    shuffled = rows[np.random.default_rng(0).permutation(len(rows))]
    tracklets = tracklets_from_mot(shuffled)
    assert [t.track_id for t in tracklets] == sorted(set(rows[:, 1].astype(int)))
    assert sum(len(t.frames) for t in tracklets) == len(rows)
    for t in tracklets:
        assert (np.diff(t.frames) > 0).all()
        mine = rows[rows[:, 1] == t.track_id]
        np.testing.assert_array_equal(t.boxes, mine[np.argsort(mine[:, 0])][:, 2:6])


def test_frame_selection():
    quality = np.array([0.1, 0.9, 0.5, 0.9, 0.2, 0.7])
    np.testing.assert_array_equal(select_frames(quality, 3, 'pose'), [1, 3, 5])
    np.testing.assert_array_equal(select_frames(quality, 3, 'uniform'), [0, 2, 5])
    np.testing.assert_array_equal(select_frames(np.ones(6), 3, 'pose'), [0, 2, 5])
    np.testing.assert_array_equal(select_frames(quality, 10, 'pose'), np.arange(6))
    with pytest.raises(ValueError, match='select must be one of'):
        select_frames(quality, 2, 'best')


def test_a_tracklet_embedding_is_the_mean_of_its_best_crops(camera, fusion):
    source = open_frames(camera)
    tracklets = tracklets_from_mot(read_mot_boxes(camera / 'gt' / 'gt.txt'))
    by_pose = tracklet_embeddings(fusion, source, tracklets, frames_per_tracklet=3,
                                  candidates=8)
    uniform = tracklet_embeddings(fusion, source, tracklets, frames_per_tracklet=3,
                                  candidates=8, select='uniform')
    assert by_pose.embeddings.shape == (len(tracklets), uniform.embeddings.shape[1])
    np.testing.assert_allclose(np.linalg.norm(by_pose.embeddings, axis=1), 1, atol=1e-5)
    # the best 3 of the same 8 candidates score at least as well as any other 3
    assert (by_pose.quality >= uniform.quality - 1e-6).all()
    assert (by_pose.quality > uniform.quality + 1e-4).any()
    # recompute one tracklet by hand from its chosen frames' crops
    frames = dict(iter(source))
    t, chosen = by_pose.tracklets[0], by_pose.chosen[0]
    crops = []
    for frame in chosen:
        x, y, w, h = t.boxes[np.searchsorted(t.frames, frame)].astype(int)
        crops.append(frames[frame][y:y + h, x:x + w])
    mean = extract(fusion, crops).embeddings.mean(axis=0)
    np.testing.assert_allclose(by_pose.embeddings[0], mean / np.linalg.norm(mean), atol=1e-5)


def test_a_tracklet_with_no_usable_box_is_named(camera, fusion):
    tiny = Tracklet(77, np.array([1, 2]), np.array([[10, 10, 4, 30], [10, 10, 30, 5]], float))
    with pytest.raises(ValueError, match=r'c1: track 77 has no box of at least 8 x 8'):
        tracklet_embeddings(fusion, open_frames(camera), [tiny])
