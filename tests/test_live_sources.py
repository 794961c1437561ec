"""Live inputs: footage played at its own rate, stream URLs, a stream that breaks and comes
back, cut MOTChallenge sequences and their detection files, OpenCV's HOG people detector,
detection recall / precision, and whole appended lines."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posereid.datasets.boxes import Boxes
from posereid.datasets.frames import (FootageError, FrameSource, StreamSource, is_stream_url,
                                      open_frames, open_live, paced)
from posereid.datasets.mot import read_mot_truth
from posereid.tracking.detections import HOG_PERSON, HogBoxes, MotFileBoxes, detection_source
from posereid.tracking.events import EventLog, read_events
from posereid.tracking.feeds import CameraFeed, ticks
from posereid.tracking.metrics import detection_metrics
from posereid.utils.io import append_lines

MOT17 = Path(__file__).resolve().parents[2] / 'shared' / 'realdata' / 'mot17_mini'
needs_mot17 = pytest.mark.skipif(
    not MOT17.is_dir(), reason=f'{MOT17} is absent: the real MOT17 frames live beside the '
    'checkout, in ../shared (shared/realdata/README.md), and are never copied into it')


class FakeClock:
    """A clock that moves only when slept on."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_paced_footage_comes_at_its_own_rate_from_its_first_frame():
    clock = FakeClock()
    frames = [(n, None) for n in (3, 4, 5, 7)]
    times = [clock() for _ in paced(frames, fps=4, speed=2, clock=clock, sleep=clock.sleep)]
    assert times == pytest.approx([100, 100.125, 100.25, 100.5])
    late = FakeClock()
    slow = ((n, late.sleep(1)) for n in (1, 2))     # decoding takes 1 s a frame: no waiting
    assert [n for n, _ in paced(slow, fps=5, clock=late, sleep=late.sleep)] == [1, 2]
    assert late.sleeps == [1, 1]
    with pytest.raises(ValueError, match='fps > 0'):
        list(paced(frames, fps=0))


def test_a_stream_url_is_live_only_and_named_when_it_cannot_open(tmp_path):
    assert is_stream_url('rtsp://cam/1') and is_stream_url('HTTP://x') and not is_stream_url(
        tmp_path / 'a.mp4')
    with pytest.raises(FootageError, match='a stream has no end to read to'):
        open_frames('rtsp://127.0.0.1:9/none')
    with pytest.raises(FootageError, match='http://127.0.0.1:9/none: the stream cannot be'):
        open_live('http://127.0.0.1:9/none', fps=5)
    stream = StreamSource('rtsp://127.0.0.1:9/none', 5.0)
    with pytest.raises(FootageError, match='rtsp://127.0.0.1:9/none: the stream cannot be'):
        next(iter(stream))
    # files of boxes need footage of known frames; a stream needs a detector
    with pytest.raises(FootageError, match='camera door: .* is a stream'):
        MotFileBoxes(tmp_path).for_camera('door', stream)


@needs_mot17
def test_a_cut_sequence_reads_its_frames_and_its_public_detections():
    sequence = open_frames(MOT17 / 'MOT17-02-FRCNN')
    assert (sequence.num_frames, sequence.declared_frames, sequence.fps) == (4, 600, 30.0)
    detect = MotFileBoxes().for_camera('c', sequence)       # det.txt covers all 600 frames
    found = Boxes.concatenate(detect(n, None) for n in range(1, 5))
    assert set(found.frame) == {1, 2, 3, 4} and len(found) > 20
    # boxes past the declared length are still an error naming the camera
    folder = FrameSource(sequence.path, 30.0, 4, sequence.images)
    with pytest.raises(ValueError, match='camera c: detections fall on frames 1 .. 600'):
        MotFileBoxes().for_camera('c', folder)


def test_detection_recall_and_precision_by_their_definitions():
    truth = {'a': Boxes.create([1, 1, 2], [[0, 0, 10, 20], [50, 0, 10, 20], [0, 0, 10, 20]],
                               ids=[1, 2, 1])}
    found = {'a': Boxes.create([1, 2, 2], [[1, 0, 10, 20], [0, 1, 10, 20], [80, 80, 5, 5]])}
    metrics = detection_metrics(truth, found)
    assert metrics['recall'] == pytest.approx(2 / 3) and metrics['precision'] == pytest.approx(
        2 / 3)
    assert (metrics['num_true_boxes'], metrics['num_detections'], metrics['num_matched']) == (
        3, 3, 2)
    assert detection_metrics(truth, {})['recall'] == 0


def test_hog_boxes_are_the_person_inside_the_window(monkeypatch):
    hog = detection_source('hog')
    assert isinstance(hog, HogBoxes) and hog.needs_pixels
    # a 2560-wide frame is searched at 1280: boxes come back in the frame's pixels, shrunk
    class OneWindow:
        def detectMultiScale(self, image, **options):
            assert image.shape == (360, 1280)
            return np.array([[100, 40, 64, 128]]), np.array([[0.0]])

    monkeypatch.setattr(hog, 'hog', OneWindow())
    found = hog.for_camera('c', None)(7, np.zeros((720, 2560, 3), np.uint8))
    mx, my = HOG_PERSON
    assert found.frame.tolist() == [7] and found.confidence == pytest.approx([0.5])
    assert found.xywh[0] == pytest.approx([200 + 128 * mx, 80 + 256 * my, 128 * (1 - 2 * mx),
                                           256 * (1 - 2 * my)])
    with pytest.raises(ValueError, match='width >= 64'):
        HogBoxes(width=10)


@needs_mot17
def test_hog_finds_people_on_real_footage():
    sequence = open_frames(MOT17 / 'MOT17-09-FRCNN')
    number, image = next(iter(sequence))
    found = HogBoxes().detect(number, image)
    truth = read_mot_truth(MOT17 / 'MOT17-09-FRCNN' / 'gt' / 'gt.txt').on_frame(1)
    metrics = detection_metrics({'c': truth}, {'c': found})
    assert metrics['num_matched'] >= 1 and metrics['precision'] >= 0.3


class Flaky:
    """A stream whose first connection breaks after 3 frames; the next one works."""

    fps, num_frames, path = 10.0, 0, 'rtsp://cam/flaky'

    def __init__(self):
        self.connections = 0

    def frames(self, corrupt_as_none=False):
        self.connections += 1
        for number in range(1, 4 if self.connections > 1 else 100):
            if self.connections == 1 and number == 4:
                raise FootageError(f'{self.path}: the stream stopped after frame 3')
            yield number, np.zeros((8, 8, 3), np.uint8)


def test_a_stream_that_breaks_is_reopened_and_its_frames_go_on(tmp_path):
    feed = CameraFeed('hall', Flaky(), reconnect_s=0.05, loops=1)
    events = EventLog(tmp_path / 'events.jsonl')
    frames = [frame for tick in ticks({'hall': feed.start()}, events, stall_s=5)
              for frame in tick]
    feed.stop()
    assert [f.number for f in frames] == [1, 2, 3, 4, 5, 6]          # numbers go on
    assert [f.time_s for f in frames] == pytest.approx([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    kinds = [e['event'] for e in read_events(tmp_path / 'events.jsonl')]
    assert kinds == ['disconnected', 'reconnected', 'ended']
    assert all(e['message'].startswith('camera hall: ') for e in read_events(
        tmp_path / 'events.jsonl'))


def test_appended_lines_are_whole(tmp_path):
    path = tmp_path / 'sub' / 'a.txt'
    append_lines(path, 'one\n')
    append_lines(path, 'two\nthree\n')
    append_lines(path, '')
    assert path.read_text() == 'one\ntwo\nthree\n'
    with pytest.raises(ValueError, match='whole lines'):
        append_lines(path, 'half')
    assert path.read_text() == 'one\ntwo\nthree\n'
