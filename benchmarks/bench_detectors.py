"""Recall and precision of the detectors that work here with no download, on real footage: the
first frames of the 7 MOT17 training sequences (``../shared/realdata/mot17_mini``) against their
scored ground truth, at IoU 0.5 (TrackEval's CLEAR matching).

    python benchmarks/bench_detectors.py [--mot17 DIR] [--json OUT.json]

``hog``: OpenCV's HOG people detector (``--detections hog``); ``det``: the sequences' public
Faster R-CNN detections (``det/det.txt``, MOT17's own), as the reference a trained detector
reaches. mmdet needs a checkpoint, which this machine does not download: not measured here.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from machine import describe_machine
from posereid.datasets.boxes import Boxes
from posereid.datasets.frames import open_frames
from posereid.datasets.mot import read_mot_truth
from posereid.tracking.detections import HogBoxes, MotFileBoxes
from posereid.tracking.metrics import detection_metrics
from posereid.utils.io import atomic_save_json

MOT17 = Path(__file__).resolve().parents[2] / 'shared' / 'realdata' / 'mot17_mini'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--mot17', type=Path, default=MOT17)
    parser.add_argument('--json', help='write the figures here')
    args = parser.parse_args()
    sequences = {path.name: path for path in sorted(args.mot17.iterdir()) if path.is_dir()}
    truth = {name: read_mot_truth(path / 'gt' / 'gt.txt') for name, path in sequences.items()}
    figures = {'machine': describe_machine()}
    for detector_name, detector in (('hog', HogBoxes()), ('det', MotFileBoxes())):
        found, seconds, frames = {}, 0.0, 0
        for name, path in sequences.items():
            source = open_frames(path)
            detect = detector.for_camera(name, source)
            parts = []
            for number, image in source:
                start = time.perf_counter()
                parts.append(detect(number, image))
                seconds += time.perf_counter() - start
                frames += 1
            found[name] = Boxes.concatenate(parts)
        figures[detector_name] = dict(detection_metrics(truth, found),
                                      seconds_per_frame=seconds / frames, frames=frames)
        print(f'{detector_name}: recall {figures[detector_name]["recall"]:.1%}, precision '
              f'{figures[detector_name]["precision"]:.1%}, '
              f'{figures[detector_name]["seconds_per_frame"]:.3f} s/frame over {frames} frames',
              flush=True)
    if args.json:
        atomic_save_json(figures, args.json, indent=1)


if __name__ == '__main__':
    main()
