"""Live tracking on the tiny video world: online identities (decide, cannot-link, merge,
forget), the pipeline's outputs against the offline tool's, crops of all cameras embedded
together, bad input named by camera, Ctrl-C, and tools/live.py."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest
from common import CHEAP, run_tool

from posereid.datasets.frames import FootageError, open_frames
from posereid.datasets.mot import read_mot_boxes
from posereid.tracking import run_tracking
from posereid.tracking import live_run
from posereid.tracking.events import read_events
from posereid.tracking.live import OnlineIdentities
from posereid.tracking.live_run import LiveConfig, percentiles, run_live

LIVE = LiveConfig(CHEAP, min_crops=2)


def unit(*values):
    v = np.array(values, np.float32)
    return v / np.linalg.norm(v)


def test_online_identities_decide_match_refuse_merge_and_forget(tmp_path):
    gallery = OnlineIdentities(None, tmp_path / 'gallery', threshold=0.05, min_transit_s=1.0,
                               forget_after_s=10)
    row1, first = gallery.decide('a', 1, [0, 2], unit(1, 0, 0), {})
    assert (first.identity, first.kind, first.distance) == (1, 'appeared', None)
    # the same look in another camera, after the transit time: matched
    row2, second = gallery.decide('b', 1, [4, 5], unit(1, 0.1, 0), {})
    assert (second.identity, second.kind) == (1, 'matched')
    assert second.distance == pytest.approx((1 - unit(1, 0, 0) @ unit(1, 0.1, 0)) / 2)
    # the same look in a third camera while identity 1 is still in view: cannot be them
    row3, third = gallery.decide('c', 1, [5, 6], unit(1, 0.05, 0), {})
    assert third.kind == 'appeared' and third.identity == 2
    # a look unlike any other: new
    row4, fourth = gallery.decide('a', 2, [3, 4], unit(0, 0, 1), {})
    assert fourth.identity == 3
    # its final look is identity 2's, at a time that allows it: merged into the older
    assert gallery.finish(row3, unit(1, 0.05, 0), {}) is None    # still cannot-link with 1
    merge = gallery.finish(row4, unit(0.99, 0.06, 0.01), {})
    assert (merge.identity, merge.absorbed) == (2, 3)
    assert gallery.identities[2].rows == {row3, row4} and 3 not in gallery.identities
    # identity 1 last seen at 5 s: gone after 15 s, to disk, once its tracklets ended
    gallery.seen(row2, 5.0)
    assert gallery.forget(100.0) == [2]                     # 1's row 2 still grows
    gallery.finish(row1, unit(1, 0, 0), {})
    gallery.finish(row2, unit(1, 0.1, 0), {})
    assert gallery.forget(14.0) == [] and gallery.forget(16.0) == [1]
    saved = np.load(tmp_path / 'gallery' / '1.npz')
    assert saved['cameras'].tolist() == ['a', 'b'] and saved['spans'].tolist() == [[0, 2],
                                                                                   [4, 5]]
    assert gallery.archived == [2, 1] and not gallery.identities and not gallery.rescored


def test_live_writes_what_the_offline_tool_tracks_and_decides_as_it_goes(tracked_video,
                                                                          fusion,
                                                                          tmp_path, monkeypatch):
    camera = tracked_video / 'c1'
    videos = {name: camera.parent / name for name in ('c1', 'c2')}
    calls = []
    real_extract = live_run.extract
    monkeypatch.setattr(live_run, 'extract',
                        lambda predictor, crops, **kw: calls.append(len(crops)) or real_extract(
                            predictor, crops, **kw))
    summary = run_live(fusion, videos, tmp_path / 'live', LIVE, evaluate=True)
    offline = run_tracking(fusion, videos, tmp_path / 'offline', CHEAP, evaluate=True,
                           frame_stride=0)
    # the same keys as the offline tool's summary, and the live figures
    assert set(offline) <= set(summary)
    assert {'latency_s', 'events', 'merges', 'camera_events', 'wall_s'} <= set(summary)
    events = read_events(tmp_path / 'live' / 'events.jsonl')
    decided = [e for e in events if e['event'] in ('appeared', 'matched')]
    assert len(decided) == sum(c['num_tracks'] for c in summary['cameras'].values()) > 0
    assert summary['num_global_identities'] == len({e['global_id'] for e in decided})
    assert all(e['camera'] in videos and e['wall_s'] >= 0 for e in decided)
    # every tracked box is written once, under the identity its track was given
    for name in videos:
        written = read_mot_boxes(tmp_path / 'live' / 'tracks' / f'{name}.txt')
        tracked = read_mot_boxes(tmp_path / 'offline' / 'tracks' / f'{name}.txt')
        assert len(written) == summary['cameras'][name]['num_boxes'] == len(tracked)
        assert sorted(map(tuple, np.c_[written.frame, written.xywh].round(2))) == sorted(
            map(tuple, np.c_[tracked.frame, tracked.xywh].round(2)))
        given = {(e['track_id'], e['global_id']) for e in decided if e['camera'] == name}
        assert set(written.ids) == {gid for _, gid in given}
    # decisions came while the footage went on, not at its end
    assert min(e['time_s'] for e in decided) < 5
    # crops of both cameras went through the model together: fewer calls than camera-frames
    assert 0 < len(calls) < sum(c['num_frames'] for c in summary['cameras'].values()) / 2
    assert summary['latency_s']['decision']['count'] == len(decided)
    assert 0 <= summary['metrics']['IDF1'] <= 1 and 'with_merges' in summary['metrics']


class Scripted:
    """A camera's footage whose frames follow a script: ``('frame', n)``, ``('corrupt', n)``,
    ``('sleep', s)``, ``('break', message)``, with the pixels of ``source``."""

    def __init__(self, source, script):
        self.source, self.script = source, script
        self.fps, self.num_frames, self.path = source.fps, source.num_frames, source.path
        self.declared_frames = source.declared_frames
        self.images = dict(source)

    def frames(self, corrupt_as_none=False):
        for kind, value in self.script:
            if kind == 'sleep':
                time.sleep(value)
            elif kind == 'break':
                raise FootageError(f'{self.path}: {value}')
            else:
                yield value, None if kind == 'corrupt' else self.images[value]


def test_bad_input_is_named_by_camera_and_the_others_go_on(tracked_video, fusion,
                                                           tmp_path):
    camera = tracked_video / 'c1'
    source = open_frames(camera.parent / 'c2')
    script = ([('frame', n) for n in range(1, 11)] + [('corrupt', 11), ('frame', 12),
              ('frame', 5), ('sleep', 1.0), ('frame', 13), ('break', 'connection reset')])
    summary = run_live(fusion, {'c1': camera, 'lost': tmp_path / 'lost.mp4'},
                       tmp_path / 'out', LiveConfig(CHEAP, min_crops=2, stall_s=0.4),
                       footage={'c2': Scripted(source, script)})
    assert 'camera lost' in summary['failures']['lost'] and 'lost.mp4' in summary['failures'][
        'lost']
    problems = {e['event']: e['message'] for e in summary['camera_events']['c2']}
    assert {'corrupt_frame', 'out_of_order', 'stalled', 'resumed', 'ended'} <= set(problems)
    assert all(message.startswith('camera c2') for message in problems.values())
    assert 'frame 11' in problems['corrupt_frame'] and 'frame 5' in problems['out_of_order']
    assert 'connection reset' in problems['ended']
    assert summary['cameras']['c2']['num_frames'] == 12            # 1-10, 12, 13
    assert summary['cameras']['c1']['num_frames'] == open_frames(camera).num_frames
    events = read_events(tmp_path / 'out' / 'events.jsonl')
    assert [e['event'] for e in events if e.get('camera') == 'c2' and e['event'] in (
        'corrupt_frame', 'out_of_order', 'stalled', 'resumed')] == [
        'corrupt_frame', 'out_of_order', 'stalled', 'resumed']
    files = sorted((tmp_path / 'out' / 'tracks').iterdir())
    assert files[0].name == 'c1.txt'
    for file in files:
        lines = file.read_text().splitlines()
        assert lines and all(len(line.split(',')) == 10 for line in lines)


def test_a_stopped_run_still_writes_its_summary_and_whole_lines(tracked_video, fusion,
                                                                tmp_path,
                                                                 monkeypatch):
    camera = tracked_video / 'c1'
    steps = []
    real_step = live_run.LiveTracker.step

    def step(self, tick):
        steps.append(len(tick))
        if len(steps) == 30:
            raise KeyboardInterrupt
        real_step(self, tick)

    monkeypatch.setattr(live_run.LiveTracker, 'step', step)
    summary = run_live(fusion, {'c1': camera}, tmp_path / 'out', LIVE)
    saved = json.loads((tmp_path / 'out' / 'summary.json').read_text())
    assert saved['interrupted'] and summary['cameras']['c1']['num_frames'] == 29
    written = read_mot_boxes(tmp_path / 'out' / 'tracks' / 'c1.txt')
    assert len(written) == saved['cameras']['c1']['num_boxes'] > 0
    assert written.frame.max() <= 29


def test_percentiles():
    assert percentiles([]) == {'p50': None, 'p99': None, 'max': None, 'count': 0}
    figures = percentiles(list(np.arange(1, 101, dtype=float)))
    assert figures['p50'] == pytest.approx(50.5) and figures['p99'] == pytest.approx(99.01)
    assert figures['max'] == 100 and figures['count'] == 100


@pytest.mark.slow
def test_the_tool_follows_the_cameras_and_names_a_missing_one(tracked_video, tiny_fusion,
                                                              tmp_path):
    camera = tracked_video / 'c1'
    config, checkpoint = tiny_fusion
    out = tmp_path / 'out'
    run = run_tool('tools/live.py', str(config), '--checkpoint', str(checkpoint), '--videos',
                   str(camera), f'c2={camera.parent / "c2"}', f'lost={tmp_path / "lost.mp4"}',
                   '--out', str(out), '--evaluate', '--min-crops', '2', cwd=tmp_path)
    assert run.returncode == 1, run.stderr[-2000:]
    assert 'Traceback' not in run.stderr and 'error: camera lost' in run.stderr
    summary = json.loads((out / 'summary.json').read_text())
    assert set(summary['cameras']) == {'c1', 'c2'} and set(summary['failures']) == {'lost'}
    assert f'IDF1 {summary["metrics"]["IDF1"]:.1%}' in run.stdout
    assert 'frames/s, decisions p99' in run.stdout
    # a second run replaces the first's outputs; a killed run's files are never appended to
    killed = tmp_path / 'killed'
    (killed / 'tracks').mkdir(parents=True)
    refused = run_tool('tools/live.py', str(config), '--checkpoint', str(checkpoint), '--videos',
                       str(camera), '--out', str(killed), cwd=tmp_path)
    assert refused.returncode == 1 and 'did not finish (no summary.json)' in refused.stderr
    again = run_tool('tools/live.py', str(config), '--checkpoint', str(checkpoint), '--videos',
                     str(camera), '--out', str(out), '--min-crops', '2', cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert not (out / 'tracks' / 'c2.txt').exists()
    assert len(read_events(out / 'events.jsonl')) == sum(
        json.loads((out / 'summary.json').read_text())['events'].values())
