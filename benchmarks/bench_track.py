"""Speed of multi-camera tracking on the embedded video world: frames/s of the whole pipeline
and the share of each stage, against the per-camera tracker alone in the same run.

    python benchmarks/bench_track.py [--config C] [--checkpoint K] [--frame-stride 1]
                                     [--json OUT.json]

The default video world (4 cameras × 300 frames) with oracle detections, tracked by
:func:`posereid.tracking.run.run_tracking` twice into temporary folders: with
cross-camera association (pose-quality crops, pair re-scoring) and with per-camera ids only
(the baseline: no model pass). The model's weights do not change its speed: where the
checkpoint is missing (a fresh checkout), a freshly initialised model is used, and said so.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import torch
from mmengine.registry import DefaultScope

from machine import describe_machine
from posereid.apis import init_predictor
from posereid.datasets.synthetic import VideoWorldConfig, generate_video_world
from posereid.engine.config import load_config
from posereid.engine.work_dir import resolve_checkpoint
from posereid.registry import MODELS
from posereid.tracking import MultiCameraConfig, run_tracking
from posereid.utils.io import atomic_save_json
from posereid.utils.paths import data_root

STAGES = ('decode', 'detect', 'track', 'embed', 'associate', 'write')


def predictor_for(config: str, checkpoint: str, scratch: Path):
    """The predictor of ``checkpoint``, or of ``config`` freshly initialised when it is missing;
    and what it is."""
    try:
        resolve_checkpoint(checkpoint)
        return init_predictor(config, checkpoint), checkpoint
    except FileNotFoundError:
        with DefaultScope.overwrite_default_scope('posereid'):
            model = MODELS.build(load_config(config).model)
        path = scratch / 'untrained.pth'
        torch.save({'state_dict': model.state_dict()}, path)
        print(f'no checkpoint in {checkpoint}: timing a freshly initialised model', flush=True)
        return init_predictor(config, path), 'untrained (same speed)'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/spindle_fusion_synthetic.py')
    parser.add_argument('--checkpoint', default='work_dirs/spindle_fusion_synthetic')
    parser.add_argument('--frame-stride', type=int, default=1)
    parser.add_argument('--json', help='write the figures here')
    args = parser.parse_args()
    machine = describe_machine()
    root = data_root() / 'synthetic_video'
    manifest = generate_video_world(VideoWorldConfig(), root)
    videos = {camera: root / camera for camera in manifest['boxes']}
    figures = {'machine': machine, 'cameras': len(videos),
               'frames': len(videos) * manifest['num_frames']}
    with tempfile.TemporaryDirectory(prefix='posereid_bench_track_') as scratch:
        predictor, figures['model'] = predictor_for(args.config, args.checkpoint,
                                                    Path(scratch))
        runs = {'full': MultiCameraConfig(),
                'per-camera only': MultiCameraConfig(cross_camera=False)}
        for name, config in runs.items():
            summary = run_tracking(predictor, videos, Path(scratch) / name, config,
                                   frame_stride=args.frame_stride)
            seconds = summary['seconds']
            figures[name] = {'seconds': seconds, 'total_s': sum(seconds.values()),
                             'frames_per_s': figures['frames'] / sum(seconds.values()),
                             'global_identities': summary['num_global_identities']}
    full, base = figures['full'], figures['per-camera only']
    figures['frames_per_s'] = full['frames_per_s']
    figures['per_camera_frames_per_s'] = base['frames_per_s']
    figures['slowdown_vs_per_camera'] = base['frames_per_s'] / full['frames_per_s']
    for stage in STAGES:
        figures[f'{stage}_share'] = full['seconds'].get(stage, 0) / full['total_s']
    print(f'{figures["cameras"]} cameras, {figures["frames"]} frames, model: {figures["model"]}')
    print(f'{"stage":<11} {"full s":>8} {"share":>6} {"per-camera s":>13}')
    for stage in STAGES:
        print(f'{stage:<11} {full["seconds"].get(stage, 0):>8.1f} '
              f'{figures[f"{stage}_share"]:>6.1%} '
              f'{base["seconds"].get(stage, 0):>13.1f}')
    print(f'{"total":<11} {full["total_s"]:>8.1f} {"":>6} {base["total_s"]:>13.1f}')
    print(f'frames/s: full {full["frames_per_s"]:.1f}, per-camera only '
          f'{base["frames_per_s"]:.1f} (full is {figures["slowdown_vs_per_camera"]:.1f}x '
          f'slower)')
    if args.json:
        atomic_save_json(figures, args.json, indent=1)


if __name__ == '__main__':
    main()
