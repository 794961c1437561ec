"""Ablation of multi-camera tracking on the embedded video world, over seeds (worlds).

    python experiments/track_ablation.py [--config configs/spindle_fusion_synthetic.py]
                                         [--checkpoint work_dirs/spindle_fusion_synthetic]
                                         [--seeds 0 1 2] [--out work_dirs/track_ablation]

Each seed is its own video world (people, routes, looks). On each, with ground-truth and with
degraded detections (:data:`posereid.tracking.detections.DEGRADED`), ByteTrack tracks every camera
and the model embeds each track's candidate crops once; then four variants give the global
identities (:data:`VARIANTS`). Global IDF1 / IDP / IDR / HOTA, MOTA over all cameras and
cross-camera tracklet-retrieval mAP are averaged over seeds (mean ± sample std) into
``track_ablation.json`` and ``track_ablation.md``, rewritten after every world.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ''):   # run as a script: its siblings are importable as experiments.*
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posereid.apis import Predictor, init_predictor
from posereid.datasets.frames import open_frames
from posereid.datasets.mot import read_mot_boxes
from posereid.datasets.synthetic import VideoWorldConfig, generate_video_world
from posereid.engine.cli import exit_on_user_error
from posereid.tracking import MultiCameraConfig, evaluate_tracks, relabel, track_cameras
from posereid.tracking.detections import DEGRADED, GroundTruthBoxes
from posereid.utils.io import atomic_save_json, atomic_write
from posereid.utils.paths import data_root

from experiments.results_page import write_section

#: The demo's fusion config, beside this folder in the checkout.
_FUSION = Path(__file__).resolve().parents[1] / 'configs' / 'spindle_fusion_synthetic.py'
#: name → association settings; each adds one thing to the one before.
VARIANTS = {
    'per-camera ids only': MultiCameraConfig(cross_camera=False),
    'embedding only': MultiCameraConfig(rescore=False, select='uniform'),
    '+ pair re-scoring': MultiCameraConfig(rescore=True, select='uniform'),
    '+ pose-quality frames': MultiCameraConfig(rescore=True, select='pose'),
}
DETECTIONS = {'ground truth': None, 'degraded': DEGRADED}
METRICS = ('IDF1', 'IDP', 'IDR', 'HOTA', 'MOTA', 'retrieval_mAP')


def evaluate_world(predictor: Predictor, world_dir: Path, cameras: list[str], seed: int) -> dict:
    """``{detections: {variant: metrics}}`` on one video world."""
    sources = {camera: open_frames(world_dir / camera) for camera in cameras}
    truth = {camera: read_mot_boxes(world_dir / camera / 'gt' / 'gt.txt') for camera in cameras}
    out = {}
    for name, degrade in DETECTIONS.items():
        start = time.perf_counter()
        tracked = track_cameras(predictor, sources, GroundTruthBoxes(degrade, seed),
                                VARIANTS['+ pose-quality frames'])
        out[name] = {}
        for variant, config in VARIANTS.items():
            metrics = evaluate_tracks(relabel(tracked, predictor, config), truth)
            retrieval = metrics.pop('tracklet_retrieval', {})
            # per-camera ids rank nothing across cameras
            metrics['retrieval_mAP'] = retrieval.get('mAP') if config.cross_camera else None
            out[name][variant] = {key: metrics[key] for key in METRICS}
        print(f'  seed {seed}, {name} detections: {time.perf_counter() - start:.0f} s; '
              + ', '.join(f'{v}: IDF1 {m["IDF1"]:.1%}' for v, m in out[name].items()),
              flush=True)
    return out


def table(results: dict[int, dict]) -> tuple[dict, str]:
    """Mean and sample std over seeds of every metric, and the markdown table."""
    seeds = sorted(results)
    summary = {}
    lines = [f'# Multi-camera tracking ablation ({len(seeds)} seeds: {seeds})', '',
             '| detections | variant | ' + ' | '.join(m.replace('_', ' ') for m in METRICS)
             + ' |', '|---|---|' + '---:|' * len(METRICS)]
    for name in DETECTIONS:
        for variant in VARIANTS:
            cells = []
            for metric in METRICS:
                values = [results[s][name][variant][metric] for s in seeds]
                if None in values:
                    cells.append('—')
                    continue
                values = np.array(values)
                mean = float(np.mean(values))
                std = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
                summary.setdefault(name, {}).setdefault(variant, {})[metric] = {
                    'mean': mean, 'std': std, 'values': values.tolist()}
                cells.append(f'{100 * mean:.1f} ± {100 * std:.1f}')
            lines.append(f'| {name} | {variant} | ' + ' | '.join(cells) + ' |')
    return summary, '\n'.join(lines) + '\n'


def run_ablation(config: Path, checkpoint: Path, seeds: list[int], out_dir: Path) -> dict:
    predictor = init_predictor(config, checkpoint)
    results = {}
    for seed in seeds:
        world = VideoWorldConfig(seed=seed)
        world_dir = data_root() / f'synthetic_video_seed{seed}'
        manifest = generate_video_world(world, world_dir)
        results[seed] = evaluate_world(predictor, world_dir, list(manifest['boxes']), seed)
        summary, markdown = table(results)
        atomic_save_json({'config': str(config), 'checkpoint': str(checkpoint),
                          'seeds': sorted(results), 'per_seed': results, 'summary': summary},
                         out_dir / 'track_ablation.json', indent=1)
        with atomic_write(out_dir / 'track_ablation.md') as f:
            f.write(markdown)
    print(markdown)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', type=Path, default=_FUSION)
    parser.add_argument('--checkpoint', type=Path,
                        default=Path('work_dirs/spindle_fusion_synthetic'))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--out', type=Path, default=Path('work_dirs/track_ablation'))
    parser.add_argument('--no-results', action='store_true',
                        help='leave docs/results/track_ablation.md (the committed figures) alone')
    args = parser.parse_args()
    with exit_on_user_error():
        run_ablation(args.config, args.checkpoint, args.seeds, args.out)
    if not args.no_results:
        write_section('track_ablation.md',
                      (args.out / 'track_ablation.md').read_text(encoding='utf-8'))


if __name__ == '__main__':
    main()
