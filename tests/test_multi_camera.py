"""Multi-camera tracking on the tiny video world: ByteTrack tracks, TrackEval metrics checked
against what the definitions give, the whole pipeline's outputs and its bad-input handling."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_tracklets import VIDEO, fusion  # noqa: F401  (a fixture)
from test_train_fixtures import world  # noqa: F401  (a fixture)

from posereid.tracking.detections import DEGRADED, sequence_detections
from posereid.tracking.pipeline import MultiCameraConfig, relabel, track_cameras
from posereid.tracking.single_camera import TrackerConfig, track_detections
from posereid.tracking.run import camera_names, run_tracking
from posereid.datasets.frames import FootageError, open_frames
from posereid.datasets.mot import read_mot_boxes, read_mot_truth, write_mot_boxes
from posereid.datasets.synthetic import generate_video_world
from posereid.tracking.metrics import track_identities, tracking_metrics, tracklet_retrieval
from posereid.utils.io import read_json
from posereid.visualization.storyboard import identity_colour

CHEAP = MultiCameraConfig(frames_per_tracklet=2, candidates=3)
# frames close enough in time for a box to overlap its next one (IoU tracking)
TRACKED = dataclasses.replace(VIDEO, fps=8)


@pytest.fixture(scope='module')
def camera(tmp_path_factory):
    root = tmp_path_factory.mktemp('tracked_video')
    generate_video_world(TRACKED, root, workers=1)
    return root / 'c1'


def _truth(camera_dir):
    return read_mot_boxes(camera_dir / 'gt' / 'gt.txt')


def test_bytetrack_follows_each_person_of_the_oracle_boxes(camera):
    truth = _truth(camera)
    source = open_frames(camera)
    rows = track_detections(sequence_detections(camera), source.fps, source.num_frames)
    owner = track_identities(rows, truth)
    assert -1 not in owner.values()
    # each track is one person: its boxes are that person's true boxes
    for track, pid in owner.items():
        mine = rows[rows[:, 1] == track]
        theirs = truth[truth[:, 1] == pid]
        matched = [np.abs(theirs[theirs[:, 0] == f, 2:6] - box).max() < 1e-6
                   for f, box in zip(mine[:, 0], mine[:, 2:6]) if (theirs[:, 0] == f).any()]
        assert np.mean(matched) >= 0.9
    # and most true boxes are tracked
    assert len(rows) >= 0.8 * len(truth)
    assert len(track_detections(np.zeros((0, 7)), source.fps, source.num_frames)) == 0
    with pytest.raises(ValueError, match='footage has frames 1 .. 30'):
        track_detections(np.array([[31, -1, 0, 0, 10, 20, 1]]), 3, 30)
    with pytest.raises(ValueError, match=r'must be \(M, >= 7\)'):
        track_detections(np.ones((2, 6)), 3, 30)
    short = TrackerConfig(min_track_frames=10 ** 6)
    assert len(track_detections(sequence_detections(camera), source.fps, source.num_frames,
                                short)) == 0


def test_perfect_tracks_score_one_and_per_camera_ids_lose_the_other_cameras(camera):
    truth = {name: _truth(camera.parent / name) for name in ('c1', 'c2')}
    perfect = tracking_metrics(truth, truth)
    for key in ('IDF1', 'IDP', 'IDR', 'HOTA', 'MOTA'):
        assert perfect[key] == pytest.approx(1.0)
    # per-camera ids: the same person gets a new id in each camera
    per_camera = {name: rows.copy() for name, rows in truth.items()}
    per_camera['c2'][:, 1] += 1000
    metrics = tracking_metrics(truth, per_camera)
    # definition: each person's best one-to-one match is its camera with the most boxes
    counts = {}
    for name, rows in truth.items():
        for pid in np.unique(rows[:, 1]):
            counts.setdefault(pid, []).append(int((rows[:, 1] == pid).sum()))
    expected = sum(max(c) for c in counts.values()) / sum(map(len, truth.values()))
    assert any(len(c) == 2 for c in counts.values())
    assert metrics['IDF1'] == pytest.approx(expected)
    assert metrics['IDF1'] < 1 and metrics['HOTA'] < 1
    for name in truth:                       # each camera on its own is still perfect
        assert metrics['per_camera'][name]['MOTA'] == pytest.approx(1.0)
        assert metrics['per_camera'][name]['IDF1'] == pytest.approx(1.0)
    # a camera with no tracks: all its boxes are misses
    missing = tracking_metrics(truth, {'c1': truth['c1']})
    assert missing['per_camera']['c2']['MOTA'] == pytest.approx(0.0)
    assert missing['IDR'] == pytest.approx(len(truth['c1']) / sum(map(len, truth.values())))


def test_track_identities_and_tracklet_retrieval():
    truth = np.array([[1, 7, 0, 0, 10, 20], [2, 7, 1, 0, 10, 20], [1, 9, 50, 0, 10, 20]], float)
    tracks = truth.copy()
    tracks[:, 1] = [3, 3, 4]
    extra = np.array([[1, 5, 200, 200, 10, 20]], float)
    assert track_identities(np.concatenate([tracks, extra]), truth) == {3: 7, 4: 9, 5: -1}
    ids = np.array([0, 1, 2, 0, 1, 2, -1])
    cameras = np.array(['a', 'a', 'a', 'b', 'b', 'b', 'b'])
    revealing = np.eye(4)[ids + 1]
    perfect = tracklet_retrieval(revealing, ids, cameras)
    assert perfect['mAP'] == pytest.approx(1.0) and perfect['num_queries'] == 6
    # tracklets 0 and 1 swap looks: their queries, and those of their true matches in camera
    # b, find the wrong person first; only identity 2's two queries stay right
    swapped = revealing[[1, 0, 2, 3, 4, 5, 6]]
    worse = tracklet_retrieval(swapped, ids, cameras)
    assert worse['rank1'] == pytest.approx(2 / 6)
    with pytest.raises(ValueError, match='no tracklet has a true match'):
        tracklet_retrieval(revealing[:3], ids[:3], cameras[:3])


def test_the_pipeline_gives_consistent_global_ids(camera, fusion):
    names = ('c1', 'c2')
    sources = {name: open_frames(camera.parent / name) for name in names}
    detections = {name: sequence_detections(camera.parent / name) for name in names}
    result = track_cameras(fusion, sources, detections, CHEAP)
    assert set(result.tracks) == set(names) and not result.failures
    for name in names:
        np.testing.assert_array_equal(result.tracks[name][:, [0, 2, 3, 4, 5]],
                                      result.local[name][:, [0, 2, 3, 4, 5]])
        # one track, one global id
        for track in np.unique(result.local[name][:, 1]):
            assert len(np.unique(result.tracks[name][result.local[name][:, 1] == track, 1])) == 1
    # per-camera ids: as many identities as tracks, none shared between cameras
    alone = relabel(result, fusion, MultiCameraConfig(cross_camera=False))
    num_tracks = sum(len(np.unique(r[:, 1])) for r in result.local.values())
    assert len({s['global_id'] for s in alone.segments()}) == num_tracks
    with pytest.raises(ValueError, match='needs each camera.s candidate crops'):
        relabel(dataclasses.replace(result, crops={}), fusion, CHEAP)
    # a threshold that merges everything that may be merged: fewer identities, never two
    # tracks of one camera that overlap in time
    merged = relabel(result, fusion, MultiCameraConfig(threshold=1.0, rescore=False,
                                                       frames_per_tracklet=2, candidates=3))
    segments = merged.segments()
    assert len({s['global_id'] for s in segments}) < num_tracks
    for a in segments:
        for b in segments:
            if a is not b and a['global_id'] == b['global_id'] and a['camera'] == b['camera']:
                assert a['end_s'] < b['start_s'] or b['end_s'] < a['start_s']


def test_run_tracking_writes_everything_and_names_a_failing_camera(camera, fusion, tmp_path):
    root = camera.parent
    empty = tmp_path / 'detections'
    write_mot_boxes(np.zeros((0, 7)), empty / 'c2.txt')
    # c1: degraded boxes, and a track outside the frames (no crop to embed)
    outside = np.array([[f, -1, 2000, 10, 20, 40, 0.9] for f in range(1, 11)], float)
    write_mot_boxes(np.concatenate([sequence_detections(root / 'c1', DEGRADED, seed=1),
                                    outside]), empty / 'c1.txt')
    videos = camera_names([f'c1={root / "c1"}', f'c2={root / "c2"}',
                           f'lost={tmp_path / "nowhere.mp4"}'])
    out = tmp_path / 'out'
    summary = run_tracking(fusion, videos, out, CHEAP, detections=str(empty), evaluate=True,
                           frame_stride=5)
    assert set(summary['failures']) == {'c2', 'lost'}
    assert 'no detections' in summary['failures']['c2']
    assert 'nowhere.mp4' in summary['failures']['lost']
    assert read_json(out / 'summary.json') == summary
    rows = read_mot_boxes(out / 'tracks' / 'c1.txt')
    assert sorted(set(rows[:, 1].astype(int))) == summary['cameras']['c1']['global_ids']
    assert '1 track(s) left out' in summary['notes']['c1'] and (rows[:, 2] < 2000).all()
    assert not (out / 'tracks' / 'c2.txt').exists()
    frames = sorted((out / 'frames' / 'c1').iterdir())
    assert [f.name for f in frames] == [f'{n:06d}.jpg' for n in range(1, TRACKED.num_frames + 1, 5)]
    assert (out / 'timeline.png').stat().st_size > 1000
    assert not list(out.rglob('*.tmp'))
    metrics = summary['metrics']
    assert 0 < metrics['per_camera']['c1']['MOTA'] <= 1
    assert metrics['per_camera']['c2']['num_tracked_boxes'] == 0
    assert metrics['cameras_without_ground_truth'] == []
    # a tracked box is drawn in its global identity's colour
    number = next(n for n in range(1, TRACKED.num_frames + 1, 5) if (rows[:, 0] == n).any())
    image = cv2.cvtColor(cv2.imread(str(out / 'frames' / 'c1' / f'{number:06d}.jpg')),
                         cv2.COLOR_BGR2RGB).astype(int)
    _, gid, x, y, w, h = rows[rows[:, 0] == number][0, :6].astype(int)
    edge = image[y + h // 2, max(x, 0)]
    assert np.abs(edge - identity_colour(gid)).max() < 60
    # a second run into the same folder leaves nothing of the first behind
    again = run_tracking(fusion, {'c2': root / 'c2'}, out, CHEAP, frame_stride=0)
    assert set(again['cameras']) == {'c2'}
    assert [p.name for p in (out / 'tracks').iterdir()] == ['c2.txt']
    assert not (out / 'frames').exists()


def test_bad_inputs_are_named(camera, fusion, tmp_path):
    with pytest.raises(FootageError, match='mismatched frame rates'):
        open_frames(camera, fps=25)
    with pytest.raises(ValueError, match="two cameras are named 'c1'"):
        camera_names([str(camera), f'c1={camera}'])
    assert camera_names(['hall=/videos/a=b.mp4', '/videos/door.mp4']) == {
        'hall': Path('/videos/a=b.mp4'), 'door': Path('/videos/door.mp4')}
    with pytest.raises(ValueError, match='a camera name must be a plain file name'):
        camera_names(['../up=/videos/a.mp4'])
    with pytest.raises(ValueError, match='frame_stride must be >= 0'):
        run_tracking(fusion, {'c1': camera}, tmp_path / 'out', CHEAP, frame_stride=-1)
    with pytest.raises(ValueError, match='frames_per_tracklet <= candidates'):
        MultiCameraConfig(frames_per_tracklet=9, candidates=8)
    with pytest.raises(ValueError, match='no camera could be read'):
        run_tracking(fusion, {'x': tmp_path / 'missing'}, tmp_path / 'out', CHEAP)
    assert not (tmp_path / 'out').exists()
    # an earlier run's summary does not outlive a run that fails
    (tmp_path / 'old').mkdir()
    (tmp_path / 'old' / 'summary.json').write_text('{}')
    with pytest.raises(ValueError, match='no camera could be read'):
        run_tracking(fusion, {'x': tmp_path / 'missing'}, tmp_path / 'old', CHEAP)
    assert not (tmp_path / 'old' / 'summary.json').exists()
    # a folder that no run wrote is left alone
    (tmp_path / 'mine' / 'frames').mkdir(parents=True)
    (tmp_path / 'mine' / 'frames' / 'keep.jpg').write_bytes(b'mine')
    with pytest.raises(ValueError, match='no camera could be read'):
        run_tracking(fusion, {'x': tmp_path / 'missing'}, tmp_path / 'mine', CHEAP)
    assert (tmp_path / 'mine' / 'frames' / 'keep.jpg').read_bytes() == b'mine'
    with pytest.raises(ValueError, match="detections must be one of oracle, degraded, mmdet"):
        run_tracking(fusion, {'c1': camera}, tmp_path / 'out', CHEAP, detections='oracel')
    with pytest.raises(ValueError, match='evaluation needs ground truth'):
        run_tracking(fusion, {'x': tmp_path / 'missing.mp4'}, tmp_path / 'out', CHEAP,
                     evaluate=True)
    with pytest.raises(ValueError, match='needs a detector'):
        run_tracking(fusion, {'c1': camera}, tmp_path / 'out', CHEAP, detections='mmdet')


def test_only_the_scored_ground_truth_rows_are_read(tmp_path):
    rows = np.array([[1, 1, 0, 0, 10, 20, 1, 1, 1.0],      # a pedestrian
                     [1, 2, 0, 0, 10, 20, 0, 1, 1.0],      # marked to ignore
                     [1, 3, 0, 0, 10, 20, 1, 7, 1.0]])     # a static person
    write_mot_boxes(rows, tmp_path / 'gt.txt')
    np.testing.assert_array_equal(read_mot_truth(tmp_path / 'gt.txt')[:, 1], [1])
