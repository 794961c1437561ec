"""Multi-camera tracking on the tiny video world: ByteTrack tracks, TrackEval metrics checked
against what the definitions give, the whole pipeline's outputs and its bad-input handling."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from common import CHEAP, TRACKED

from posereid.datasets.boxes import Boxes
from posereid.datasets.frames import FootageError, open_frames
from posereid.datasets.mot import read_mot_boxes, read_mot_truth, write_mot_boxes
from posereid.tracking import MultiCameraConfig, camera_names, relabel, run_tracking, track_cameras
from posereid.tracking.detections import (DEGRADED, GroundTruthBoxes, MotFileBoxes,
                                          detection_source)
from posereid.tracking.metrics import track_identities, tracking_metrics, tracklet_retrieval
from posereid.tracking.single_camera import TrackerConfig, track_detections
from posereid.utils.image_io import read_image
from posereid.utils.io import read_json
from posereid.visualization.storyboard import identity_colour

def _truth(camera_dir):
    return read_mot_boxes(camera_dir / 'gt' / 'gt.txt')


def _oracle(camera_dir):
    source = open_frames(camera_dir)
    detect = GroundTruthBoxes().for_camera(camera_dir.name, source)
    return Boxes.concatenate(detect(f, None) for f in range(1, source.num_frames + 1))


def test_bytetrack_follows_each_person_of_the_oracle_boxes(tracked_video):
    camera = tracked_video / 'c1'
    truth = _truth(camera)
    source = open_frames(camera)
    tracks = track_detections(_oracle(camera), source.fps, source.num_frames)
    owner = track_identities(tracks, truth)
    assert -1 not in owner.values()
    # each track is one person: its boxes are that person's true boxes
    for track, pid in owner.items():
        mine, theirs = tracks.of_id(track), truth.of_id(pid)
        matched = [np.abs(theirs.on_frame(f).xywh - box).max() < 1e-6
                   for f, box in zip(mine.frame, mine.xywh) if (theirs.frame == f).any()]
        assert np.mean(matched) >= 0.9
    # and most true boxes are tracked
    assert len(tracks) >= 0.8 * len(truth)
    assert len(track_detections(Boxes.empty(), source.fps, source.num_frames)) == 0
    with pytest.raises(ValueError, match='footage has frames 1 .. 30'):
        track_detections(Boxes.create([31], [[0, 0, 10, 20]]), 3, 30)
    short = TrackerConfig(min_track_frames=10 ** 6)
    assert len(track_detections(_oracle(camera), source.fps, source.num_frames, short)) == 0
    with pytest.raises(ValueError, match='min_track_frames >= 1'):
        TrackerConfig(min_track_frames=0)


def test_perfect_tracks_score_one_and_per_camera_ids_lose_the_other_cameras(tracked_video):
    camera = tracked_video / 'c1'
    truth = {name: _truth(camera.parent / name) for name in ('c1', 'c2')}
    perfect = tracking_metrics(truth, truth)
    for key in ('IDF1', 'IDP', 'IDR', 'HOTA', 'MOTA'):
        assert perfect[key] == pytest.approx(1.0)
    # per-camera ids: the same person gets a new id in each camera
    per_camera = dict(truth, c2=truth['c2'].with_ids(truth['c2'].ids + 1000))
    metrics = tracking_metrics(truth, per_camera)
    # definition: each person's best one-to-one match is its camera with the most boxes
    counts = {}
    for name, boxes in truth.items():
        for pid in boxes.unique_ids():
            counts.setdefault(pid, []).append(int((boxes.ids == pid).sum()))
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
    truth = Boxes.create([1, 2, 1], [[0, 0, 10, 20], [1, 0, 10, 20], [50, 0, 10, 20]],
                         ids=[7, 7, 9])
    tracks = Boxes.concatenate([truth.with_ids([3, 3, 4]),
                                Boxes.create([1], [[200, 200, 10, 20]], ids=[5])])
    assert track_identities(tracks, truth) == {3: 7, 4: 9, 5: -1}
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


def test_the_pipeline_gives_consistent_global_ids(tracked_video, fusion):
    camera = tracked_video / 'c1'
    names = ('c1', 'c2')
    sources = {name: open_frames(camera.parent / name) for name in names}
    seen = []
    result = track_cameras(fusion, sources, GroundTruthBoxes(), CHEAP,
                           on_frame=lambda c, n, image: seen.append((c, n)))
    # the footage is read once: every frame of every camera, in order
    assert seen == [(c, n) for c in names for n in range(1, TRACKED.num_frames + 1)]
    assert set(result.tracks) == set(names) and not result.failures
    assert set(result.seconds) == {'decode', 'detect', 'track', 'embed', 'associate'}
    for name in names:
        np.testing.assert_array_equal(result.tracks[name].frame, result.local[name].frame)
        np.testing.assert_array_equal(result.tracks[name].xywh, result.local[name].xywh)
        # one track, one global id
        for track in result.local[name].unique_ids():
            assert len(np.unique(result.tracks[name].ids[result.local[name].ids == track])) == 1
        # the association keeps the embeddings of the tracklets it clustered
        kept = result.association.tracklets[name]
        assert [t.track_id for t in kept.tracklets] == result.local[name].unique_ids().tolist()
    # per-camera ids: as many identities as tracks, none shared between cameras
    alone = relabel(result, fusion, MultiCameraConfig(cross_camera=False))
    num_tracks = sum(len(r.unique_ids()) for r in result.local.values())
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


def test_run_tracking_writes_everything_and_names_a_failing_camera(tracked_video, fusion,
                                                                   tmp_path):
    camera = tracked_video / 'c1'
    root = camera.parent
    empty = tmp_path / 'detections'
    write_mot_boxes(Boxes.empty(), empty / 'c2.txt')
    # c1: degraded boxes, and a track outside the frames (no crop to embed)
    outside = Boxes.create(np.arange(1, 11), np.tile([2000, 10, 20, 40], (10, 1)),
                           np.full(10, 0.9))
    degraded = GroundTruthBoxes(DEGRADED, seed=1).read('c1', open_frames(root / 'c1'))
    write_mot_boxes(Boxes.concatenate([degraded, outside]), empty / 'c1.txt')
    videos = camera_names([f'c1={root / "c1"}', f'c2={root / "c2"}',
                           f'lost={tmp_path / "nowhere.mp4"}'])
    out = tmp_path / 'out'
    summary = run_tracking(fusion, videos, out, CHEAP, detections=detection_source(str(empty)),
                           evaluate=True, frame_stride=5)
    assert set(summary['failures']) == {'c2', 'lost'}
    assert 'no detections' in summary['failures']['c2']
    assert 'nowhere.mp4' in summary['failures']['lost']
    assert read_json(out / 'summary.json') == summary
    tracks = read_mot_boxes(out / 'tracks' / 'c1.txt')
    assert tracks.unique_ids().tolist() == summary['cameras']['c1']['global_ids']
    assert '1 track(s) left out' in summary['notes']['c1'] and (tracks.xywh[:, 0] < 2000).all()
    assert not (out / 'tracks' / 'c2.txt').exists()
    frames = sorted((out / 'frames' / 'c1').iterdir())
    assert [f.name for f in frames] == [f'{n:06d}.jpg' for n in range(1, TRACKED.num_frames + 1, 5)]
    timeline = read_image(str(out / 'timeline.png')).reshape(-1, 3).astype(int)
    for gid in summary['cameras']['c1']['global_ids']:      # a bar in each identity's colour
        assert (np.abs(timeline - identity_colour(gid)).max(axis=1) <= 2).any(), gid
    assert not list(out.rglob('*.tmp')) and not (out / '.frames-to-draw').exists()
    metrics = summary['metrics']
    assert 0 < metrics['per_camera']['c1']['MOTA'] <= 1
    assert metrics['per_camera']['c2']['num_tracked_boxes'] == 0
    assert metrics['cameras_without_ground_truth'] == []
    # a tracked box is drawn in its global identity's colour
    number = next(n for n in range(1, TRACKED.num_frames + 1, 5) if (tracks.frame == n).any())
    image = cv2.cvtColor(cv2.imread(str(out / 'frames' / 'c1' / f'{number:06d}.jpg')),
                         cv2.COLOR_BGR2RGB).astype(int)
    drawn = tracks.on_frame(number)[0]
    gid, (x, y, _, h) = int(drawn.ids[0]), drawn.xywh[0].astype(int)
    edge = image[y + h // 2, max(x, 0)]
    assert np.abs(edge - identity_colour(gid)).max() < 60
    # a second run into the same folder leaves nothing of the first behind
    again = run_tracking(fusion, {'c2': root / 'c2'}, out, CHEAP, frame_stride=0)
    assert set(again['cameras']) == {'c2'}
    assert [p.name for p in (out / 'tracks').iterdir()] == ['c2.txt']
    assert not (out / 'frames').exists()


def test_bad_inputs_are_named(tracked_video, fusion, tmp_path):
    camera = tracked_video / 'c1'
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
    with pytest.raises(ValueError, match="detections must be one of oracle, degraded, det, mmdet"):
        detection_source('oracel')
    with pytest.raises(ValueError, match='evaluation needs ground truth'):
        run_tracking(fusion, {'x': tmp_path / 'missing.mp4'}, tmp_path / 'out', CHEAP,
                     evaluate=True)
    with pytest.raises(ValueError, match="'mmdet' need a detector config"):
        detection_source('mmdet')
    with pytest.raises(ValueError, match='pair_weight must be in'):
        MultiCameraConfig(pair_weight=2)
    # detections beyond the footage's frames, and a sequence without det/det.txt
    late = tmp_path / 'late'
    write_mot_boxes(Boxes.create([999], [[0, 0, 20, 40]]), late / 'c1.txt')
    with pytest.raises(ValueError, match='camera c1: detections fall on frames 999 .. 999'):
        MotFileBoxes(late).for_camera('c1', open_frames(camera))
    with pytest.raises(FootageError, match=r'camera c1: no detection file .*det/det.txt'):
        MotFileBoxes().for_camera('c1', open_frames(camera))


def test_only_the_scored_ground_truth_rows_are_read(tmp_path):
    (tmp_path / 'gt.txt').write_text('1,1,0,0,10,20,1,1,1.0\n'      # a pedestrian
                                     '1,2,0,0,10,20,0,1,1.0\n'      # marked to ignore
                                     '1,3,0,0,10,20,1,7,1.0\n')     # a static person
    np.testing.assert_array_equal(read_mot_truth(tmp_path / 'gt.txt').ids, [1])
    assert len(read_mot_boxes(tmp_path / 'gt.txt')) == 3
