"""Generation speed of the synthetic world: the default world (goal: < 60 s) and, with
``--market``, a world the size of Market-1501 (1501 identities, ~32k images).

    python benchmarks/bench_world.py [--workers N] [--market] [--json OUT.json]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from machine import describe_machine
from posereid.datasets.synthetic import default_world, generate_world, market_scale_world
from posereid.utils.io import atomic_save_json


def time_generation(config, workers: int) -> tuple[float, int]:
    """Seconds to generate ``config`` into a temporary folder, and its number of images."""
    with tempfile.TemporaryDirectory(prefix='posereid_bench_world_') as out:
        start = time.perf_counter()
        manifest = generate_world(config, out, workers=workers)
        seconds = time.perf_counter() - start
    return seconds, sum(d['num_images'] for d in manifest['domains'].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1)
    parser.add_argument('--market', action='store_true', help='also time the Market-scale world')
    parser.add_argument('--json', help='write the figures here')
    args = parser.parse_args()

    worlds = {'default_world': default_world()}
    if args.market:
        worlds['market_world'] = market_scale_world()
    figures = {'machine': describe_machine(), 'workers': args.workers}
    print(f'{"world":<14} {"images":>7} {"seconds":>8} {"images/s":>9}')
    for name, config in worlds.items():
        seconds, images = time_generation(config, args.workers)
        figures.update({f'{name}_s': seconds, f'{name}_images': images,
                        f'{name}_images_per_s': images / seconds})
        print(f'{name:<14} {images:>7} {seconds:>8.1f} {images / seconds:>9.0f}')
    if args.json:
        atomic_save_json(figures, args.json)


if __name__ == '__main__':
    main()
