"""Tracking inputs: frames from video files, MOTChallenge sequences and frame folders, with
named errors; oracle detections from the ground truth, degraded as asked; MOT box files and
the typed boxes they hold."""
import cv2
import numpy as np
import pytest

from posereid.datasets.frames import FootageError, open_frames
from posereid.datasets.boxes import Boxes
from posereid.datasets.mot import read_mot_boxes, read_mot_truth, write_mot_boxes
from posereid.datasets.synthetic import VideoWorldConfig, generate_video_world
from posereid.tracking.detections import oracle_detections

TINY = VideoWorldConfig(num_cameras=2, num_people=4, duration_s=6, fps=2, frame_height=64,
                        frame_width=96, visits=(1, 2), crossing_s=(2, 3), transit_s=(0, 1))


def _frames(n=5, h=48, w=64):
    """``n`` frames whose colour says their number (frame k is k * 40 grey)."""
    return [np.full((h, w, 3), 40 * (k + 1), np.uint8) for k in range(n)]


def test_a_video_file_gives_its_frames_in_order(tmp_path):
    path = tmp_path / 'cam.avi'
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 7, (64, 48))
    for frame in _frames():
        writer.write(frame)
    writer.release()
    source = open_frames(path)
    assert (source.fps, source.num_frames) == (7.0, 5)
    frames = list(source)
    assert [n for n, _ in frames] == [1, 2, 3, 4, 5]
    assert all(f.shape == (48, 64, 3) and abs(f.mean() - 40 * n) < 4 for n, f in frames)


def test_a_motchallenge_sequence_and_a_frame_folder(tmp_path):
    generate_video_world(TINY, tmp_path / 'world', workers=1)
    sequence = open_frames(tmp_path / 'world' / 'c1')
    assert (sequence.fps, sequence.num_frames) == (2.0, 12)
    folder = tmp_path / 'frames'
    folder.mkdir()
    for k, frame in enumerate(_frames(3)):
        cv2.imwrite(str(folder / f'{k:04d}.png'), frame)
    with pytest.raises(FootageError, match='has no frame rate; pass fps'):
        open_frames(folder)
    frames = list(open_frames(folder, fps=10))
    assert [int(f.mean()) for _, f in frames] == [40, 80, 120]


@pytest.mark.parametrize('make, message', [
    (lambda d: d / 'missing.mp4', 'no such video file or frame folder'),
    (lambda d: (d / 'bad.mp4').write_bytes(b'not a video') and d / 'bad.mp4',
     'not a video that OpenCV can open'),
    (lambda d: (d / 'empty').mkdir() or d / 'empty', r'no frames \(expected'),
])
def test_bad_footage_is_named(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(FootageError, match=message) as error:
        open_frames(path)
    assert path.name in str(error.value)


def _truth() -> Boxes:
    rng = np.random.default_rng(0)
    xywh = np.column_stack([rng.uniform(0, 200, 300), rng.uniform(0, 100, 300),
                            np.full(300, 30.0), np.full(300, 70.0)])
    return Boxes.create(np.repeat(np.arange(1, 101), 3), xywh, ids=np.tile([1, 2, 3], 100),
                        visibility=np.tile([1.0, 0.8, 0.1], 100))


def test_undegraded_oracle_detections_are_the_ground_truth():
    truth = _truth()
    detections = oracle_detections(truth, (180, 320), 100)
    np.testing.assert_array_equal(detections.frame, truth.frame)
    np.testing.assert_allclose(detections.xywh, np.column_stack([
        truth.xywh[:, :2], np.minimum(truth.xyxy[:, 2:], (320, 180)) - truth.xywh[:, :2]]))
    assert (detections.ids == -1).all() and (detections.confidence == 1).all()


def test_degraded_detections_miss_jitter_and_invent_boxes():
    truth = _truth()
    kept = oracle_detections(truth, (180, 320), 100, min_visibility=0.5)
    assert len(kept) == 200                                  # the mostly hidden are missed
    missed = oracle_detections(truth, (180, 320), 100, miss_rate=0.3, seed=1)
    assert 0.6 < len(missed) / len(truth) < 0.8
    jittered = oracle_detections(truth, (180, 320), 100, jitter=0.05, seed=2)
    shift = np.abs(jittered.xywh[:, :2] - truth.xywh[:, :2])
    assert 0.5 < shift.mean() < 4 and (jittered.confidence < 1).all()
    noisy = oracle_detections(truth, (180, 320), 100, false_positives=2.0, seed=3)
    assert 100 < len(noisy) - len(truth) < 300              # about 2 a frame over 100 frames
    for d in (missed, jittered, noisy):
        assert (d.xywh[:, 0] >= 0).all() and (d.xyxy[:, 2] <= 320 + 1e-9).all()
        assert (np.diff(d.frame) >= 0).all()
    with pytest.raises(ValueError, match=r'miss_rate must be in \[0, 1\]'):
        oracle_detections(truth, (180, 320), 100, miss_rate=1.5)


def test_mot_boxes_round_trip(tmp_path):
    truth = _truth()
    for as_truth in (False, True):
        path = tmp_path / f'boxes_{as_truth}.txt'
        write_mot_boxes(truth, path, truth=as_truth)
        back = read_mot_boxes(path)
        np.testing.assert_array_equal(back.frame, truth.frame)
        np.testing.assert_array_equal(back.ids, truth.ids)
        np.testing.assert_allclose(back.xywh, truth.xywh, atol=5e-3)
        if as_truth:                # the scored pedestrians, with their visibility
            np.testing.assert_allclose(back.visibility, truth.visibility, atol=5e-4)
            np.testing.assert_array_equal(read_mot_truth(path).ids, truth.ids)
    with pytest.raises(TypeError, match='write_mot_boxes writes Boxes'):
        write_mot_boxes(np.ones((3, 7)), path)
    with pytest.raises(ValueError, match=r'xywh of shape \(N, 4\)'):
        Boxes.create([1, 2], np.ones((2, 3)))


def test_boxes_select_sort_and_clip():
    boxes = Boxes.create([3, 1, 2, 1], [[0, 0, 10, 10], [5, 5, 10, 10], [-5, 0, 10, 10],
                                        [95, 0, 10, 10]], ids=[7, 8, 7, 9])
    assert boxes.by_frame().frame.tolist() == [1, 1, 2, 3]
    assert boxes.by_frame().ids.tolist() == [8, 9, 7, 7]        # stable within a frame
    assert boxes.on_frame(1).ids.tolist() == [8, 9]
    assert boxes.of_id(7).frame.tolist() == [2, 3]
    np.testing.assert_array_equal(boxes.xyxy[1], [5, 5, 15, 15])
    clipped = boxes.clipped(height=50, width=100)
    np.testing.assert_array_equal(clipped.xywh[2:], [[0, 0, 5, 10], [95, 0, 5, 10]])
    assert len(Boxes.concatenate([boxes, boxes[boxes.ids == 7]])) == 6
    assert len(Boxes.empty()) == 0 and boxes.unique_ids().tolist() == [7, 8, 9]
