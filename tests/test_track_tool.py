"""tools/track.py end to end on the tiny video world, and the mmdet detector path (a real mmdet
model from its shipped config, weights from a local checkpoint)."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import mmdet
import numpy as np
import pytest
import torch
from mmdet.apis import inference_detector

from common import TRACKED, run_tool

from posereid.apis import init_predictor
from posereid.datasets.boxes import Boxes
from posereid.tracking.detections import MMDetBoxes
from posereid.datasets.frames import open_frames

RTMDET_TINY = Path(mmdet.__file__).parent / '.mim/configs/rtmdet/rtmdet_tiny_8xb32-300e_coco.py'


@pytest.mark.slow
def test_the_tool_tracks_evaluates_and_names_a_missing_camera(tracked_video, tiny_fusion,
                                                             tmp_path):
    camera = tracked_video / 'c1'
    config, checkpoint = tiny_fusion
    out = tmp_path / 'out'
    run = run_tool('tools/track.py', str(config), '--checkpoint', str(checkpoint), '--videos',
                   str(camera), f'c2={camera.parent / "c2"}', f'lost={tmp_path / "lost.mp4"}',
                   '--out', str(out), '--evaluate', '--frame-stride', '0', cwd=tmp_path)
    assert run.returncode == 1, run.stderr[-2000:]
    assert 'Traceback' not in run.stderr and 'camera lost' in run.stderr
    assert 'lost.mp4' in run.stderr
    summary = json.loads((out / 'summary.json').read_text())
    assert set(summary['cameras']) == {'c1', 'c2'} and set(summary['failures']) == {'lost'}
    assert f'IDF1 {summary["metrics"]["IDF1"]:.1%}' in run.stdout
    for name in ('c1', 'c2'):
        rows = np.loadtxt(out / 'tracks' / f'{name}.txt', delimiter=',', ndmin=2)
        assert rows.shape[1] == 10 and len(rows) == summary['cameras'][name]['num_boxes']
    assert not (out / 'frames').exists()
    seconds = summary['seconds']
    assert set(seconds) == {'decode', 'detect', 'track', 'embed', 'associate', 'write'}
    assert summary['frames_per_second'] == pytest.approx(
        2 * TRACKED.num_frames / sum(v for k, v in seconds.items() if k != 'write'))


def test_an_mmdet_detector_from_config_and_local_checkpoint(tracked_video, tiny_fusion,
                                                           tmp_path):
    camera = tracked_video / 'c1'
    torch.manual_seed(0)               # an initialisation whose scores pass mmdet's 0.001
    built = MMDetBoxes(RTMDET_TINY, None, score_threshold=0.0)
    checkpoint = tmp_path / 'rtmdet.pth'
    torch.save({'state_dict': built.model.state_dict()}, checkpoint)
    detector = MMDetBoxes(RTMDET_TINY, checkpoint, score_threshold=0.0)
    folder = tmp_path / 'frames'
    folder.mkdir()
    for name in sorted((camera / 'img1').iterdir())[:2]:
        (folder / name.name).write_bytes(name.read_bytes())
    source = open_frames(folder, fps=TRACKED.fps)
    # untrained, it calls everything one class: keep that one as "person"
    first = next(iter(source))[1]
    raw = inference_detector(detector.model, cv2.cvtColor(first, cv2.COLOR_RGB2BGR))
    raw = raw.pred_instances.cpu().numpy()
    detector.person_class = int(np.bincount(raw.labels).argmax())
    detect = detector.for_camera('c1', source)
    found = Boxes.concatenate(detect(number, image) for number, image in source)
    assert set(found.frame) == {1, 2} and (found.ids == -1).all()
    mine = raw.bboxes[raw.labels == detector.person_class]
    np.testing.assert_allclose(found.on_frame(1).xywh,
                               np.concatenate([mine[:, :2], mine[:, 2:] - mine[:, :2]], 1),
                               rtol=1e-5)
    strict = MMDetBoxes(RTMDET_TINY, checkpoint,
                        score_threshold=float(found.confidence.max()) + 1e-6)
    assert len(strict.detect(1, first)) == 0
    with pytest.raises(ValueError, match='tiny.pth'):
        MMDetBoxes(RTMDET_TINY, tiny_fusion[1])
    # mmdet's default scope does not leak into posereid's builders
    config, weights = tiny_fusion
    assert init_predictor(config, weights, 'cpu').model.training is False
