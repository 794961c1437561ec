"""Draw pose heatmaps, their peaks with the skeleton and the 7 Spindle Net regions as a PNG grid.

    python tools/visualize_heatmaps.py --dataset synthetic_market --num 6 --out heatmaps.png
    python tools/visualize_heatmaps.py a.jpg b.jpg --cache work_dirs/heatmaps/market --out h.png
    python tools/visualize_heatmaps.py --dataset market1501 --pose mmpose --pose-config C.py \\
        --pose-checkpoint W.pth --per-joint --out h.png

Heatmaps come from a heatmap cache (--cache) or are computed with a pose backend (--pose,
default: the embedded world's ground truth).
"""
from __future__ import annotations

import argparse
import sys

from posereid.engine.cli import exit_on_user_error
from posereid.pose.backends import POSE_BACKENDS
from posereid.visualization.heatmaps import dataset_images, visualize_heatmaps


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('images', nargs='*', help='image files (or use --dataset)')
    parser.add_argument('--dataset', help='dataset name: draw --num of its query/gallery images')
    parser.add_argument('--root', help='dataset folder (default: its folder under data_root())')
    parser.add_argument('--num', type=int, default=6)
    parser.add_argument('--cache', help='heatmap cache folder (tools/precompute_heatmaps.py)')
    parser.add_argument('--pose', choices=sorted(POSE_BACKENDS), default='ground_truth')
    parser.add_argument('--pose-config')
    parser.add_argument('--pose-checkpoint')
    parser.add_argument('--device')
    parser.add_argument('--heatmap-size', nargs=2, type=int, default=(32, 16), metavar=('H', 'W'))
    parser.add_argument('--per-joint', action='store_true', help='add one panel per joint')
    parser.add_argument('--scale', type=int, default=3, help='enlargement of each crop')
    parser.add_argument('--score-threshold', type=float, default=0.1)
    parser.add_argument('--colors', type=int, help='save with a palette of this many colours '
                                                   '(2..256): a much smaller PNG')
    parser.add_argument('--out', required=True, help='output PNG')
    args = parser.parse_args(argv)
    if bool(args.images) == bool(args.dataset):
        parser.error('give image files or --dataset (not both)')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    pose_cfg = dict(type=args.pose)
    if args.pose == 'mmpose':
        pose_cfg.update(config=args.pose_config, checkpoint=args.pose_checkpoint,
                        device=args.device)
    try:
        with exit_on_user_error():
            paths = args.images or dataset_images(args.dataset, args.root, args.num)
            sheet = visualize_heatmaps(paths, args.out, cache_dir=args.cache,
                                       pose_cfg=pose_cfg, heatmap_size=tuple(args.heatmap_size),
                                       scale=args.scale, score_threshold=args.score_threshold,
                                       per_joint=args.per_joint, colors=args.colors)
    except SystemExit as exit_:
        return int(exit_.code)
    print(f'wrote {args.out} ({sheet.shape[1]}x{sheet.shape[0]}, {len(paths)} images)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
