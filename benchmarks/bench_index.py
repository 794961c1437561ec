"""The embedding shortlist at a million gallery images: torch brute force against faiss exact
and faiss IVF, in one run.

    python benchmarks/bench_index.py [--json PATH] [--gallery 1000000] [--queries 1000]
                                     [--dim 256] [--top-k 100] [--nlist 1024] [--nprobe 4]

The gallery: ``--gallery`` L2-normalised float32 vectors of ``--dim`` dimensions, drawn as a
re-id gallery is: ``--images-per-id`` images of each identity around its direction, and the
identities themselves in groups of ``--ids-per-group`` around a group direction (people who
look alike: the same clothes, the same camera), all directions random; the queries:
``--queries`` more images of random gallery identities. (``--structure uniform`` draws every
vector uniformly on the sphere instead: no neighbours, the worst case for an inverted file.)
Inner-product search (cosine), top ``--top-k``. Each path runs in its own process (peak RSS
per path; the gallery is generated in every one, deterministically): the torch path
(``EmbeddingIndex`` ``kind='torch'``: blocks of queries × the whole gallery, ``topk``), faiss
``IndexFlatIP`` (exact) and faiss ``IndexIVFFlat`` (``--nlist`` k-means cells trained on
100,000 gallery vectors, ``--nprobe`` searched). ``ivf_recall_at_100`` is the share of the
exact top 100 that IVF returns. Goals (issue #14): faiss exact at least as fast as torch, IVF
≥ 10× faster than exact with recall@100 ≥ 0.95, peak RSS < 3 GB.
"""
from __future__ import annotations

import argparse
import multiprocessing
import resource
import time

import numpy as np

from machine import describe_machine
from posereid.utils import atomic_save_json


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def noise(rng: np.random.Generator, count: int, dim: int, scale: float) -> np.ndarray:
    """Gaussian noise of about ``scale`` norm per row."""
    return scale * rng.standard_normal((count, dim), np.float32) / np.sqrt(dim)


def images(centres: np.ndarray, identity: np.ndarray, rng: np.random.Generator,
           scale: float) -> np.ndarray:
    """Unit vectors: each row its identity's centre plus noise, in float32 blocks."""
    out = np.empty((len(identity), centres.shape[1]), np.float32)
    for start in range(0, len(identity), 65536):
        rows = slice(start, start + 65536)
        out[rows] = unit(centres[identity[rows]] + noise(rng, len(out[rows]), out.shape[1],
                                                         scale))
    return out


def problem(args) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    if args.structure == 'uniform':
        return (images(np.zeros((1, args.dim), np.float32), np.zeros(args.gallery, int), rng, 1),
                images(np.zeros((1, args.dim), np.float32), np.zeros(args.queries, int), rng, 1))
    num_ids = -(-args.gallery // args.images_per_id)
    groups = unit(rng.standard_normal((-(-num_ids // args.ids_per_group), args.dim),
                                      np.float32))
    identities = images(groups, np.arange(num_ids) // args.ids_per_group, rng, 0.8)
    gallery = images(identities, np.arange(args.gallery) // args.images_per_id, rng, 0.35)
    return gallery, images(identities, rng.integers(0, num_ids, args.queries), rng, 0.35)


def run(kind: str, args) -> dict:
    from posereid.retrieval.index import EmbeddingIndex

    gallery, queries = problem(args)
    start = time.perf_counter()
    index = EmbeddingIndex(gallery, 'inner_product', kind, nlist=args.nlist, nprobe=args.nprobe)
    build_s = time.perf_counter() - start
    del gallery
    start = time.perf_counter()
    _, indices = index.search(queries, args.top_k)
    search_s = time.perf_counter() - start
    return dict(build_s=build_s, search_s=search_s, indices=indices,
                peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', help='write the figures to this JSON file')
    parser.add_argument('--gallery', type=int, default=1_000_000)
    parser.add_argument('--queries', type=int, default=1000)
    parser.add_argument('--dim', type=int, default=256)
    parser.add_argument('--images-per-id', type=int, default=10)
    parser.add_argument('--ids-per-group', type=int, default=100)
    parser.add_argument('--structure', choices=('reid', 'uniform'), default='reid')
    parser.add_argument('--top-k', type=int, default=100)
    parser.add_argument('--nlist', type=int, default=1024)
    parser.add_argument('--nprobe', type=int, default=4)
    args = parser.parse_args()
    machine = describe_machine()
    results = {}
    for kind in ('torch', 'flat', 'ivf'):
        with multiprocessing.get_context('spawn').Pool(1) as pool:
            results[kind] = pool.apply(run, (kind, args))
        print(f'{kind:<6} build {results[kind]["build_s"]:6.1f} s  search '
              f'{results[kind]["search_s"]:6.2f} s  peak {results[kind]["peak_mb"]:6.0f} MB',
              flush=True)
    exact = results['flat']['indices']
    recall = np.mean([len(np.intersect1d(a, b)) / len(a)
                      for a, b in zip(exact, results['ivf']['indices'])])
    same = np.mean([len(np.intersect1d(a, b)) / len(a)
                    for a, b in zip(exact, results['torch']['indices'])])
    figures = {
        'machine': machine,
        'gallery': args.gallery, 'queries': args.queries, 'dim': args.dim, 'top_k': args.top_k,
        'torch_s': results['torch']['search_s'], 'faiss_flat_s': results['flat']['search_s'],
        'faiss_ivf_s': results['ivf']['search_s'],
        'faiss_ivf_build_s': results['ivf']['build_s'],
        'flat_vs_torch_speedup': results['torch']['search_s'] / results['flat']['search_s'],
        'ivf_vs_flat_speedup': results['flat']['search_s'] / results['ivf']['search_s'],
        'ivf_recall_at_100': float(recall), 'flat_torch_overlap': float(same),
        'peak_rss_mb': max(r['peak_mb'] for r in results.values()),
        'nlist': args.nlist, 'nprobe': args.nprobe, 'structure': args.structure,
    }
    for key, value in figures.items():
        print(f'  {key:<24} {value:.4g}' if isinstance(value, float) else f'  {key:<24} {value}')
    if args.json:
        atomic_save_json(figures, args.json)


if __name__ == '__main__':
    main()
