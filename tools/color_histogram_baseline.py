"""Colour-histogram re-identification baseline on a Market-1501-layout folder.

    python tools/color_histogram_baseline.py [--root DIR] [--json OUT.json]

Default root: the default synthetic world's market domain (generated first if missing).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from posereid.baselines import evaluate_market_folder
from posereid.datasets.synthetic import default_world, generate_world
from posereid.utils.io import atomic_save_json
from posereid.utils.paths import data_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--root', type=Path,
                        help='folder holding query/ and bounding_box_test/ '
                             '(default: <data>/synthetic/market)')
    parser.add_argument('--stripes', type=int, default=3)
    parser.add_argument('--bins', type=int, nargs=3, default=(8, 8, 8), metavar=('H', 'S', 'V'))
    parser.add_argument('--json', type=Path, help='write the figures here')
    args = parser.parse_args()

    root = args.root
    if root is None:
        world = data_root() / 'synthetic'
        generate_world(default_world(), world)  # no-op when the world is complete
        root = world / 'market'
    result = evaluate_market_folder(root, args.stripes, tuple(args.bins))
    print(f'{root}: {result["num_query"]} queries, {result["num_gallery"]} gallery images')
    print(f'rank-1 {result["rank1"]:.1%}  rank-5 {result["rank5"]:.1%}  '
          f'rank-10 {result["rank10"]:.1%}  mAP {result["mAP"]:.1%}  mINP {result["mINP"]:.1%}')
    if args.json:
        atomic_save_json(dict(root=str(root), stripes=args.stripes, bins=list(args.bins),
                              **result), args.json)


if __name__ == '__main__':
    main()
