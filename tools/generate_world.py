"""Generate the synthetic pedestrian world (posereid's default data) and its contact sheet.

    python tools/generate_world.py [--out DIR] [--config small|default|market] [--num-ids N]
                                   [--workers N] [--seed S] [--force]

Skips the work when DIR already holds a complete world of the same config (manifest hash).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from posereid.datasets.synthetic import PRESETS, generate_world, is_complete
from posereid.utils.paths import data_root
from posereid.visualization import save_world_contact_sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', type=Path, default=data_root() / 'synthetic')
    parser.add_argument('--config', choices=sorted(PRESETS), default='default')
    parser.add_argument('--num-ids', type=int, help='identities per domain (default: preset)')
    parser.add_argument('--workers', type=int, help='processes (default: all CPUs)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--force', action='store_true', help='regenerate even if complete')
    args = parser.parse_args()

    config = PRESETS[args.config](args.seed)
    if args.num_ids is not None:
        config = config.with_num_ids(args.num_ids)
    if not args.force and is_complete(args.out, config):
        print(f'{args.out}: complete world {config.config_hash()} already there, nothing to do')
        return
    start = time.perf_counter()
    manifest = generate_world(config, args.out, workers=args.workers, force=args.force)
    sheet = save_world_contact_sheet(args.out, manifest)
    seconds = time.perf_counter() - start
    total = sum(d['num_images'] for d in manifest['domains'].values())
    print(f'{args.out}: world {manifest["config_hash"]}, {total} images in {seconds:.1f} s')
    for name, domain in manifest['domains'].items():
        folders = ', '.join(f'{folder} {sum(counts.values())}'
                            for folder, counts in domain['images'].items())
        print(f'  {name}/ ({domain["layout"]}, {domain["height"]}x{domain["width"]}, '
              f'{domain["num_ids"]} ids): {folders}; keypoints.json, annotations/')
    print(f'  {sheet.name}, manifest.json')


if __name__ == '__main__':
    main()
