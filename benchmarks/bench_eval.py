"""Speed and memory of ``evaluate_rank`` on a Market-1501-shaped problem, against the
per-query reference loop in the same run; optionally k-reciprocal re-ranking at that size.

    python benchmarks/bench_eval.py [--json PATH] [--repeats 3] [--no-rerank]

The problem: 3368 queries x 15913 gallery images, 751 identities, 6 cameras, random
identity-clustered features (seeded), Euclidean distances. Goals (issue #3): ``vectorized_s``
<= 2.5 s on 2 cores, peak RSS < 1.5 GB, results equal to the reference within 1e-6.
Re-ranking runs in a child process so its peak memory is measured on its own.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import time

import numpy as np
import torch

from posereid.evaluation import (compute_distance_matrix, evaluate_rank,
                                 evaluate_rank_reference, k_reciprocal_rerank)
from machine import describe_machine
from posereid.utils import atomic_save_json

NUM_QUERY, NUM_GALLERY, NUM_IDS, NUM_CAMS, FEATURE_DIM = 3368, 15913, 751, 6, 256


def market_shaped_problem(seed: int = 0):
    """Features and labels: each identity a random centre, each image centre + noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(NUM_IDS, FEATURE_DIM)).astype(np.float32)
    q_pids, g_pids = rng.integers(0, NUM_IDS, NUM_QUERY), rng.integers(0, NUM_IDS, NUM_GALLERY)
    q_cams, g_cams = rng.integers(0, NUM_CAMS, NUM_QUERY), rng.integers(0, NUM_CAMS, NUM_GALLERY)
    noise = 1.6  # rank-1 and mAP well below 1, as for a real model

    def images(pids):
        return torch.from_numpy(centres[pids] + noise * rng.normal(
            size=(len(pids), FEATURE_DIM)).astype(np.float32))

    return images(q_pids), images(g_pids), q_pids, g_pids, q_cams, g_cams


def max_abs_diff(a: dict, b: dict) -> float:
    return float(max(np.abs(a['cmc'] - b['cmc']).max(), abs(a['mAP'] - b['mAP']),
                     abs(a['mINP'] - b['mINP'])))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def time_rerank(query, gallery) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one re-ranking; run in a child process."""
    start = time.perf_counter()
    k_reciprocal_rerank(query, gallery)
    return time.perf_counter() - start, peak_rss_mb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', help='write the figures to this JSON file')
    parser.add_argument('--repeats', type=int, default=3, help='timed runs of evaluate_rank')
    parser.add_argument('--no-rerank', action='store_true', help='skip re-ranking')
    args = parser.parse_args()
    machine = describe_machine()

    query, gallery, q_pids, g_pids, q_cams, g_cams = market_shaped_problem()
    distmat = compute_distance_matrix(query, gallery)
    labels = (q_pids, g_pids, q_cams, g_cams)

    times = []
    for _ in range(max(3, args.repeats)):
        start = time.perf_counter()
        fast = evaluate_rank(distmat, *labels)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    reference = evaluate_rank_reference(distmat, *labels)
    reference_s = time.perf_counter() - start

    figures = {
        'machine': machine,
        'vectorized_s': statistics.median(times),
        'reference_s': reference_s,
        'speedup': reference_s / statistics.median(times),
        'max_abs_diff': max_abs_diff(fast, reference),
        'peak_rss_mb': peak_rss_mb(),
        'mAP': fast['mAP'], 'rank1': float(fast['cmc'][0]),
    }
    if not args.no_rerank:
        with multiprocessing.get_context('spawn').Pool(1) as pool:
            figures['rerank_s'], figures['rerank_peak_rss_mb'] = pool.apply(
                time_rerank, (query, gallery))
    figures['load_avg_1min'] = os.getloadavg()[0]

    print(f'Market-shaped problem: {NUM_QUERY} queries x {NUM_GALLERY} gallery, {NUM_IDS} ids, '
          f'{NUM_CAMS} cameras; evaluate_rank runs: '
          + ', '.join(f'{t:.2f}' for t in times) + ' s')
    for key, value in figures.items():
        print(f'  {key:<20} {value:.4g}' if isinstance(value, float) else f'  {key:<20} {value}')
    if args.json:
        atomic_save_json(figures, args.json)


if __name__ == '__main__':
    main()
