"""Real footage through both pipelines: the first frames of the 7 MOT17 training sequences of
``../shared/realdata/mot17_mini`` (read in place, never copied), with their public detections
(``det/det.txt``), tracked offline and live and scored by TrackEval against their ground
truth."""
from __future__ import annotations

import numpy as np
import pytest
from test_live_sources import MOT17
from common import CHEAP

from posereid.datasets.mot import read_mot_boxes
from posereid.tracking import run_tracking
from posereid.tracking.detections import MotFileBoxes
from posereid.tracking.live_run import LiveConfig, run_live

if not MOT17.is_dir():
    pytest.skip(f'{MOT17} is absent: the real MOT17 frames live beside the checkout, in '
                '../shared (shared/realdata/README.md), and are never copied into it',
                allow_module_level=True)

SEQUENCES = {path.name.split('-')[1]: path for path in sorted(MOT17.iterdir())}


def test_mot17_goes_through_the_offline_and_the_live_pipelines(fusion, tmp_path):
    assert len(SEQUENCES) == 7
    offline = run_tracking(fusion, SEQUENCES, tmp_path / 'offline', CHEAP, MotFileBoxes(),
                           evaluate=True, frame_stride=0)
    live = run_live(fusion, SEQUENCES, tmp_path / 'live', LiveConfig(CHEAP, min_crops=2),
                    MotFileBoxes(), evaluate=True)
    for summary in (offline, live):
        assert not summary['failures'] and set(summary['cameras']) == set(SEQUENCES)
        metrics = summary['metrics']
        assert metrics['num_true_identities'] == 79
        # the public detections find most people: boxes are scored, identities are ours
        assert 0.2 < metrics['MOTA'] <= 1 and 0 < metrics['IDF1'] <= 1
        assert 0 < metrics['HOTA'] <= 1
    # both run the same tracker on the same detections: the same boxes, written by each
    for name in SEQUENCES:
        live_boxes = read_mot_boxes(tmp_path / 'live' / 'tracks' / f'{name}.txt')
        offline_boxes = read_mot_boxes(tmp_path / 'offline' / 'tracks' / f'{name}.txt')
        assert len(live_boxes) == len(offline_boxes) > 0
        assert np.allclose(np.sort(live_boxes.xywh, axis=0), np.sort(offline_boxes.xywh, axis=0))
    assert live['metrics']['MOTA'] == pytest.approx(offline['metrics']['MOTA'], abs=0.01)
