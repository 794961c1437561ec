"""Pose precompute speed: the batched MMPoseBackend vs mmpose's ``inference_topdown`` per image,
same model and images in one run (goal: ``speedup`` >= 3), and heatmap-cache reads.

    python benchmarks/bench_precompute.py [--images 256] [--batch-size 64] [--json OUT.json]

Model: the shipped embedded-world checkpoint (``--config``/``--checkpoint`` for another).
Images: the default world's market gallery (``data_root()/synthetic``), else a small world
generated into a temporary folder. ``cache_read_ms_per_batch`` is the time to read 64 images'
heatmaps, keypoints and scores from a :class:`~posereid.pose.cache.HeatmapCache`.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from machine import describe_machine
from posereid.datasets.synthetic import generate_world, small_world
from posereid.utils.image_io import read_image
from posereid.pose.cache import HeatmapCache
from posereid.pose.cache_build import precompute_heatmaps
from posereid.pose.mmpose_backend import MMPoseBackend
from posereid.pose.training import synthetic_pose_backend_cfg
from posereid.utils.io import atomic_save_json
from posereid.utils.paths import data_root

CACHE_BATCH = 64


def benchmark_images(count: int, scratch: Path) -> list[Path]:
    """``count`` crops of the default world's market gallery (or of a fresh small world)."""
    gallery = data_root() / 'synthetic' / 'market' / 'bounding_box_test'
    if not gallery.is_dir():
        generate_world(small_world(), scratch / 'world', workers=1)
        gallery = scratch / 'world' / 'market' / 'bounding_box_test'
    paths = sorted(gallery.glob('*.jpg'))
    return [paths[i % len(paths)] for i in range(count)]


def images_per_second(run, images, repeats: int = 2) -> float:
    run(images[:8])                                                  # warm-up
    best = min(_seconds(run, images) for _ in range(repeats))
    return len(images) / best


def _seconds(run, images) -> float:
    start = time.perf_counter()
    run(images)
    return time.perf_counter() - start


def main() -> None:
    default = synthetic_pose_backend_cfg()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default=default['config'])
    parser.add_argument('--checkpoint', default=default['checkpoint'])
    parser.add_argument('--images', type=int, default=256)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--device', help='torch device (default CUDA if available)')
    parser.add_argument('--threads', type=int, help='torch CPU threads (default: torch default)')
    parser.add_argument('--json', help='write the figures here')
    args = parser.parse_args()

    from mmpose.apis import inference_topdown

    if args.threads:
        torch.set_num_threads(args.threads)

    backend = MMPoseBackend(args.config, args.checkpoint, device=args.device,
                            batch_size=args.batch_size)
    machine = describe_machine(backend.device)
    backend.model.test_cfg = dict(backend.model.test_cfg, flip_test=False)   # same work
    cfg = backend.model.cfg
    if 'pipeline' not in cfg.test_dataloader.dataset:   # inference_topdown reads it from there;
        cfg.test_dataloader.dataset.pipeline = cfg.val_pipeline   # ours concatenates domains
    with tempfile.TemporaryDirectory(prefix='posereid_bench_precompute_') as scratch:
        paths = benchmark_images(args.images, Path(scratch))
        rgb = [read_image(p) for p in paths]
        bgr = [np.ascontiguousarray(image[..., ::-1]) for image in rgb]
        batched = images_per_second(backend, rgb)
        per_image = images_per_second(
            lambda images: [inference_topdown(backend.model, image) for image in images], bgr)

        cache_dir = Path(scratch) / 'cache'
        unique = sorted(set(paths))
        precompute_heatmaps(unique, backend, cache_dir, heatmap_size=backend.heatmap_size,
                            batch_size=args.batch_size, progress=False)
        cache = HeatmapCache(cache_dir)
        batches = [unique[i:i + CACHE_BATCH] for i in range(0, len(unique), CACHE_BATCH)]
        start = time.perf_counter()
        for batch in batches:
            [cache.lookup(p) for p in batch]
        read_ms = (time.perf_counter() - start) * 1000 / len(batches)

    figures = dict(machine=machine, images=args.images, batch_size=args.batch_size,
                   device=str(backend.device), input_size=list(backend.input_size),
                   batched_img_s=batched, per_image_img_s=per_image, speedup=batched / per_image,
                   cache_read_ms_per_batch=read_ms, cache_read_batch=CACHE_BATCH)
    print(f'{"path":<28} {"images/s":>10}')
    print(f'{"batched MMPoseBackend":<28} {batched:>10.1f}')
    print(f'{"inference_topdown per image":<28} {per_image:>10.1f}')
    print(f'speedup {batched / per_image:.1f}x; '
          f'cache read {read_ms:.2f} ms per {CACHE_BATCH} images')
    if args.json:
        atomic_save_json(figures, args.json)


if __name__ == '__main__':
    main()
