"""The multi-camera video world: deterministic MOTChallenge sequences whose ground truth (global
ids, boxes, visibility, keypoints) matches what was drawn, and its storyboard."""
import json

import numpy as np
import pytest
from common import run_tool

from posereid.datasets.mot import read_mot_boxes, read_seqinfo
from posereid.datasets.synthetic import VideoWorldConfig, generate_video_world, render_frame
from posereid.datasets.synthetic.video import Visit, video_people
from posereid.pose.keypoints import KEYPOINT_INDEX
from posereid.utils.image_io import read_image
from posereid.visualization import identity_colour, video_storyboard

TINY = VideoWorldConfig(num_cameras=2, num_people=6, duration_s=12, fps=3, frame_height=96,
                        frame_width=160, visits=(2, 2), crossing_s=(3, 4), transit_s=(1, 2))


@pytest.fixture(scope='module')
def tiny_world(tmp_path_factory):
    root = tmp_path_factory.mktemp('video')
    return root, generate_video_world(TINY, root, workers=1)


def _sequence(root, camera):
    return read_seqinfo(root / f'c{camera}'), read_mot_boxes(root / f'c{camera}' / 'gt' / 'gt.txt')


def test_sequences_are_motchallenge_with_global_ids(tiny_world):
    root, manifest = tiny_world
    routes = json.loads((root / 'routes.json').read_text())
    cameras_of = {int(pid): {v['camera'] for v in visits} for pid, visits in routes.items()}
    seen_in = {}
    for camera in (1, 2):
        info, boxes = _sequence(root, camera)
        assert info == dict(name=f'c{camera}', imDir='img1', frameRate=3, seqLength=36,
                            imWidth=160, imHeight=96, imExt='.jpg')
        assert len(list((root / f'c{camera}' / 'img1').glob('*.jpg'))) == 36
        assert len(boxes) == manifest['boxes'][f'c{camera}'] > 0
        frames, pids = boxes.frame, boxes.ids
        x0, y0, x1, y1 = boxes.xyxy.T
        assert ((x0 >= 0) & (y0 >= 0) & (x1 <= 160) & (y1 <= 96) & (boxes.width > 0)).all()
        assert ((boxes.visibility >= 0) & (boxes.visibility <= 1)).all()
        for frame, pid in zip(frames, pids):
            t = (frame - 1) / TINY.fps       # the box is inside one of the person's visits here
            assert any(v['camera'] == camera and v['start_s'] <= t < v['end_s']
                       for v in routes[str(int(pid))])
            seen_in.setdefault(int(pid), set()).add(camera)
        assert len(np.unique(frames * 10_000 + pids)) == len(boxes)   # one box a person a frame
    # two visits each: everyone who is filmed twice crosses both cameras, under one id
    assert any(len(cams) == 2 for cams in seen_in.values())
    assert all(seen_in[pid] <= cameras_of[pid] for pid in seen_in)


def test_routes_walk_the_street_with_transit_times():
    for _, visits in video_people(TINY):
        for a, b in zip(visits, visits[1:]):
            assert abs(a.camera - b.camera) == 1                 # the neighbouring camera
            assert 1 <= b.start_s - a.end_s <= 2                  # transit_s
            assert a.rightwards == b.rightwards == (b.camera > a.camera)


def test_generation_is_deterministic_and_seeded(tiny_world, tmp_path):
    root, _ = tiny_world
    again = tmp_path / 'again'
    generate_video_world(TINY, again, workers=2)
    for name in ('c1/gt/gt.txt', 'c2/gt/keypoints.json', 'routes.json', 'c2/img1/000020.jpg'):
        assert (root / name).read_bytes() == (again / name).read_bytes(), name
    other = VideoWorldConfig(**{**TINY.__dict__, 'seed': 1})
    frame_a, _ = render_frame(TINY, 1, 20)
    frame_b, _ = render_frame(other, 1, 20)
    assert np.abs(frame_a.astype(int) - frame_b).mean() > 5


def test_a_complete_world_is_not_generated_again(tiny_world):
    root, manifest = tiny_world
    stamp = (root / 'c1' / 'gt' / 'gt.txt').stat().st_mtime_ns
    assert generate_video_world(TINY, root) == manifest
    assert (root / 'c1' / 'gt' / 'gt.txt').stat().st_mtime_ns == stamp


def test_people_are_drawn_in_their_boxes_and_keypoints_inside(tiny_world):
    root, _ = tiny_world
    background = _empty_frame(root)
    checked = 0
    for frame in range(1, 37):
        image, truth = render_frame(TINY, 1, frame)
        for person in truth:
            x, y, w, h = person['box']
            if person['visibility'] < 0.9 or x == 0 or x + w == TINY.frame_width:
                continue                                    # hidden, or partly out of frame
            inside = np.abs(image[y:y + h, x:x + w].astype(int) - background[y:y + h, x:x + w])
            assert inside.mean() > 10                               # a person, not the street
            kp = person['keypoints']
            seen = kp[:, 2] == 2
            assert seen.sum() >= 5
            assert ((kp[seen, 0] >= x - 1) & (kp[seen, 0] <= x + w + 1)
                    & (kp[seen, 1] >= y - 1) & (kp[seen, 1] <= y + h + 1)).all()
            head_top, ankles = kp[KEYPOINT_INDEX['head_top']], kp[[
                KEYPOINT_INDEX['right_ankle'], KEYPOINT_INDEX['left_ankle']]]
            assert head_top[1] < ankles[:, 1].min()
            checked += 1
    assert checked >= 5


def _empty_frame(root):
    """A frame of camera 1 in which nobody is in view (the street alone)."""
    _, boxes = _sequence(root, 1)
    empty = sorted(set(range(1, 37)) - set(boxes.frame.tolist()))
    assert empty, 'the tiny world needs a frame of camera 1 with nobody in it'
    return read_image(root / 'c1' / 'img1' / f'{empty[0]:06d}.jpg').astype(int)


def test_a_nearer_person_hides_a_farther_one():
    """Two people at the same place and time: the one lower in the frame is in front."""
    (near, _), (far, _) = video_people(TINY)[:2]
    shared = dict(camera=1, start_s=0.0, end_s=4.0, rightwards=True)
    crowd = ((near, (Visit(depth=1.0, **shared),)), (far, (Visit(depth=0.6, **shared),)))
    _, truth = render_frame(TINY, 1, 7, people=crowd)
    front, behind = sorted(truth, key=lambda p: p['pid'])
    assert front['visibility'] == 1.0 and behind['visibility'] < 0.8
    assert (front['keypoints'][:, 2] == 2).sum() >= 5
    assert (behind['keypoints'][:, 2] == 1).sum() >= 1         # hidden joints are labelled


def test_storyboard_draws_each_camera_with_coloured_boxes(tiny_world):
    root, _ = tiny_world
    board = video_storyboard([root / 'c1', root / 'c2'], frames_per_camera=3)
    assert board.shape == (2 * 96 + 4, 3 * 160 + 2 * 4, 3)
    colours = {identity_colour(int(pid)) for camera in (1, 2)
               for pid in _sequence(root, camera)[1].ids}
    drawn = {tuple(c) for c in board.reshape(-1, 3)}
    assert colours & drawn                      # some boxes of the picked frames are drawn


@pytest.mark.parametrize('field, value, message', [
    ('num_cameras', 1, r'num_cameras must be in \[2, 9\]'),
    ('visits', (1, 5), 'visits must be'),
    ('fps', 0, r'fps must be in \[1, 60\]'),
])
def test_bad_config_names_the_field(field, value, message):
    with pytest.raises(ValueError, match=message):
        VideoWorldConfig(**{**TINY.__dict__, field: value})


def test_mot_reader_names_the_file_and_line(tmp_path):
    bad = tmp_path / 'gt.txt'
    bad.write_text('1,2,3,4,5,6,1,1,1\n2,x,3\n')
    with pytest.raises(ValueError, match=r'gt.txt, line 2: expected frame,id,x,y,w,h'):
        read_mot_boxes(bad)
    with pytest.raises(FileNotFoundError, match='no seqinfo.ini'):
        read_seqinfo(tmp_path)


@pytest.mark.slow
def test_the_tool_writes_a_world_and_its_storyboard(tmp_path):
    out = tmp_path / 'world'
    result = run_tool('tools/generate_video_world.py', '--out', out, '--cameras', '2',
                      '--people', '3', '--seconds', '4', '--fps', '2', cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    info = read_seqinfo(out / 'c1')              # a row of four frames for each of 2 cameras
    board = read_image(str(out / 'storyboard.png'))
    assert 'storyboard' in result.stdout
    assert board.shape[0] > 2 * info['imHeight'] and board.shape[1] > 4 * info['imWidth']
    assert read_seqinfo(out / 'c2')['seqLength'] == 8
    bad = run_tool('tools/generate_video_world.py', '--out', out, '--cameras', '1',
                   cwd=tmp_path)
    assert bad.returncode == 2 and 'num_cameras must be in [2, 9]' in bad.stderr
