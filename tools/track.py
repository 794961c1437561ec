"""Follow people across cameras: single-camera tracks, tracklet embeddings, global identities.

    python tools/track.py CONFIG [--checkpoint K] [--videos [NAME=]PATH ...] --out DIR
                          [--detections oracle|degraded|det|mmdet|FOLDER] [--evaluate]
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
from pathlib import Path

from posereid.apis import init_predictor
from posereid.datasets.synthetic import VideoWorldConfig, generate_video_world
from posereid.engine.cli import add_cfg_options, exit_on_user_error
from posereid.engine.config import DEVICES
from posereid.tracking import MultiCameraConfig, camera_names, run_tracking
from posereid.tracking.detections import detection_source
from posereid.utils.paths import data_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('config', help='a re-id config (the model and its pose backend)')
    parser.add_argument('--checkpoint', help='a .pth file or a work dir')
    parser.add_argument('--videos', nargs='+', help='[NAME=]PATH of each camera')
    parser.add_argument('--out', required=True, type=Path, help='output folder')
    parser.add_argument('--detections', default='oracle',
                        help="'oracle' / 'degraded' (a sequence's ground truth: the default, "
                             "for MOTChallenge sequences), 'det' (each sequence's det/det.txt), "
                             "'mmdet', or a folder of <camera>.txt MOT detection files")
    parser.add_argument('--detector-config', help='mmdet config (with --detections mmdet)')
    parser.add_argument('--detector-checkpoint', help='mmdet checkpoint (weights only)')
    parser.add_argument('--evaluate', action='store_true')
    parser.add_argument('--per-camera-only', action='store_true',
                        help='no cross-camera association: every track its own identity')
    parser.add_argument('--no-rescore', action='store_true', help='embeddings only')
    parser.add_argument('--select', choices=('pose', 'uniform'), default='pose')
    parser.add_argument('--threshold', type=float, default=MultiCameraConfig.threshold)
    parser.add_argument('--min-transit', type=float, default=MultiCameraConfig.min_transit_s,
                        help='seconds a person needs to reach another camera')
    parser.add_argument('--frame-stride', type=int, default=1,
                        help='write every n-th frame with its boxes (0: none)')
    parser.add_argument('--fps', type=float, help='frame rate of plain frame folders')
    parser.add_argument('--seed', type=int, default=0, help='of --detections degraded')
    parser.add_argument('--device', choices=DEVICES)
    add_cfg_options(parser)
    args = parser.parse_args()
    with exit_on_user_error():
        config = MultiCameraConfig(cross_camera=not args.per_camera_only,
                                   rescore=not args.no_rescore, select=args.select,
                                   threshold=args.threshold, min_transit_s=args.min_transit)
        if args.videos:
            videos = camera_names(args.videos)
        else:
            root = data_root() / 'synthetic_video'
            manifest = generate_video_world(VideoWorldConfig(), root)
            videos = {camera: root / camera for camera in manifest['boxes']}
        predictor = init_predictor(args.config, args.checkpoint or Path('work_dirs') /
                                   Path(args.config).stem, args.device, args.cfg_options)
        detections = detection_source(args.detections, args.seed, args.detector_config,
                                      args.detector_checkpoint, predictor.device.type)
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
