"""Follow people across cameras: single-camera tracks, tracklet embeddings, global identities.

    python tools/track.py CONFIG [--checkpoint K] [--videos [NAME=]PATH ...] --out DIR
                          [--detections oracle|degraded|det|hog|mmdet|FOLDER] [--evaluate]
                          [--detector-config C --detector-checkpoint K]
                          [--per-camera-only] [--no-rescore] [--select pose|uniform]
                          [--threshold 0.03] [--min-transit 1.0] [--frame-stride 1]

Without --videos the embedded multi-camera video world is tracked (generated under
$POSEREID_DATA/synthetic_video the first time). A camera is a video file, a MOTChallenge
sequence or a folder of frames (--fps). --checkpoint defaults to work_dirs/<config name>, where
tools/train.py puts the model. Writes DIR/tracks/<camera>.txt (MOT rows with global ids),
DIR/frames/<camera>/, DIR/timeline.png and DIR/summary.json; --evaluate adds global IDF1 /
IDP / IDR / HOTA, per-camera MOTA and tracklet retrieval to the summary (of the cameras that
are sequences with gt/gt.txt). A camera that fails is named and the others finish (exit status 1).
"""
from __future__ import annotations

import argparse
import sys

from posereid.engine.cli import exit_on_user_error
from posereid.tracking import run_tracking
from posereid.tracking.cli import add_tracking_arguments, association_config, tracking_inputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    add_tracking_arguments(parser)
    parser.add_argument('--per-camera-only', action='store_true',
                        help='no cross-camera association: every track its own identity')
    parser.add_argument('--frame-stride', type=int, default=1,
                        help='write every n-th frame with its boxes (0: none)')
    args = parser.parse_args()
    with exit_on_user_error():
        config = association_config(args, cross_camera=not args.per_camera_only)
        videos, predictor, detections = tracking_inputs(args)
        summary = run_tracking(predictor, videos, args.out, config, detections, args.evaluate,
                               args.frame_stride, args.fps)
    print(f'{len(summary["cameras"])} cameras, {summary["num_global_identities"]} global '
          f'identities, {summary["frames_per_second"]:.1f} frames/s before writing; '
          f'{args.out / "summary.json"}')
    metrics = summary['metrics']
    if metrics:
        print('IDF1 {IDF1:.1%}  IDP {IDP:.1%}  IDR {IDR:.1%}  HOTA {HOTA:.1%}  MOTA {MOTA:.1%}'
              .format(**metrics))
    for camera, message in summary['notes'].items():
        print(f'note: camera {camera}: {message}', file=sys.stderr)
    for camera, message in summary['failures'].items():
        print(f'error: camera {camera}: {message}', file=sys.stderr)
    if summary['failures']:
        raise SystemExit(1)


if __name__ == '__main__':
    main()
