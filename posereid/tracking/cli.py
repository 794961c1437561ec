"""The command line that ``tools/track.py`` and ``tools/live.py`` share: the model, the
cameras and their detections, and the association's settings."""
from __future__ import annotations

import argparse
from pathlib import Path

from posereid.apis import init_predictor
from posereid.apis.predictor import Predictor
from posereid.datasets.synthetic import VideoWorldConfig, generate_video_world
from posereid.engine.cli import add_cfg_options
from posereid.engine.config import DEVICES
from posereid.utils.paths import data_root

from .detections import DetectionSource, detection_source
from .pipeline import MultiCameraConfig
from .run import camera_names


def add_tracking_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments both tools take (see their docs)."""
    parser.add_argument('config', help='a re-id config (the model and its pose backend)')
    parser.add_argument('--checkpoint', help='a .pth file or a work dir')
    parser.add_argument('--videos', nargs='+', help='[NAME=]SOURCE of each camera')
    parser.add_argument('--out', required=True, type=Path, help='output folder')
    parser.add_argument('--detections', default='oracle',
                        help="'oracle' / 'degraded' (a sequence's ground truth: the default, "
                             "for MOTChallenge sequences), 'det' (each sequence's det/det.txt), "
                             "'hog' (OpenCV's HOG people detector), 'mmdet', or a folder of "
                             "<camera>.txt MOT detection files")
    parser.add_argument('--detector-config', help='mmdet config (with --detections mmdet)')
    parser.add_argument('--detector-checkpoint', help='mmdet checkpoint (weights only)')
    parser.add_argument('--evaluate', action='store_true')
    parser.add_argument('--no-rescore', action='store_true', help='embeddings only')
    parser.add_argument('--select', choices=('pose', 'uniform'), default='pose')
    parser.add_argument('--threshold', type=float, default=MultiCameraConfig.threshold)
    parser.add_argument('--min-transit', type=float, default=MultiCameraConfig.min_transit_s,
                        help='seconds a person needs to reach another camera')
    parser.add_argument('--fps', type=float, help='frame rate of plain frame folders')
    parser.add_argument('--seed', type=int, default=0, help='of --detections degraded')
    parser.add_argument('--device', choices=DEVICES)
    add_cfg_options(parser)


def association_config(args: argparse.Namespace, **settings) -> MultiCameraConfig:
    """The :class:`MultiCameraConfig` of the arguments, with other ``settings``."""
    return MultiCameraConfig(rescore=not args.no_rescore, select=args.select,
                             threshold=args.threshold, min_transit_s=args.min_transit,
                             **settings)


def tracking_inputs(args: argparse.Namespace) -> tuple[dict, Predictor, DetectionSource]:
    """The cameras (camera name → footage; without ``--videos`` the embedded video world,
    generated under ``$POSEREID_DATA/synthetic_video`` the first time), the predictor
    (``--checkpoint`` defaults to ``work_dirs/<config name>``) and the detections."""
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
    return videos, predictor, detections
