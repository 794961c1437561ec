"""Time and peak memory of the whole test path at Market-1501 and MSMT17 sizes: embedding
ranking metrics, verification pair sampling and scoring, two-stage shortlist and re-scoring
(K = 100), streamed a block of queries at a time as ``tools/test.py`` does, against the
all-in-memory path (whole query x gallery matrices, pairs listed by ``np.argwhere``) in the
same run where that fits in memory.

    python benchmarks/bench_scale.py [--json PATH] [--only market msmt]

Random identity-clustered 256-d embeddings (seeded) and a tiny pair model (a linear layer on
|a - b| of 16-d pair features), so that the figures are the test path's own, not a network's.
Each path runs in its own process, whose peak RSS is reported. Goal (issue #13):
``msmt_peak_mb`` < 4000 on a 2-core, 24 GB machine.
"""
from __future__ import annotations

import argparse
import multiprocessing
import resource
import time

import numpy as np
import torch
from torch import nn

from machine import describe_machine
from posereid.engine.features import ExtractedFeatures
from posereid.retrieval.two_stage import (streamed_rank_metrics, two_stage_ranking,
                                       verification_log_odds)
from posereid.evaluation import (compute_distance_matrix, evaluate_pairs, rank_summary,
                                 sample_verification_pairs)
from posereid.utils import atomic_save_json

#: name -> (queries, gallery images, identities, cameras)
SHAPES = {'market': (3368, 15913, 751, 6), 'msmt': (11659, 82161, 3060, 15)}
DIM, PAIR_DIM, TOP_K, PAIR_BATCH = 256, 16, 100, 4096


class TinyPairModel(nn.Module):
    """``verify``: logits ``W |a - b| + b`` of 16-d pair features (a stand-in pair head)."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.head = nn.Linear(PAIR_DIM, 2)

    @torch.no_grad()
    def verify(self, feats_a: dict, feats_b: dict) -> torch.Tensor:
        return self.head((feats_a['code'] - feats_b['code']).abs())


def problem(shape: str, seed: int = 0) -> tuple[ExtractedFeatures, ExtractedFeatures]:
    num_query, num_gallery, num_ids, num_cams = SHAPES[shape]
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(num_ids, DIM)).astype(np.float32)
    codes = rng.normal(size=(num_ids, PAIR_DIM)).astype(np.float32)

    def images(count: int) -> ExtractedFeatures:
        pids, cams = rng.integers(0, num_ids, count), rng.integers(0, num_cams, count)
        embeddings = centres[pids] + 1.6 * rng.normal(size=(count, DIM)).astype(np.float32)
        code = codes[pids] + rng.normal(size=(count, PAIR_DIM)).astype(np.float32)
        return ExtractedFeatures(torch.from_numpy(embeddings), pids, cams, [''] * count,
                                 [''] * count, {'code': torch.from_numpy(code)})

    return images(num_query), images(num_gallery)


def pair_metrics(model, query, gallery, q_index, g_index, labels) -> dict:
    scores = torch.sigmoid(verification_log_odds(
        model, query.pair_features, gallery.pair_features, torch.from_numpy(q_index),
        torch.from_numpy(g_index), PAIR_BATCH)).numpy()
    return evaluate_pairs(scores, labels)


def streamed_path(shape: str) -> dict:
    """What tools/test.py does now: rankings by blocks of queries, pairs sampled."""
    query, gallery = problem(shape)
    model = TinyPairModel()
    start = time.perf_counter()
    rankings = streamed_rank_metrics(model, query, gallery, 'market', TOP_K, PAIR_BATCH)
    pairs = pair_metrics(model, query, gallery, *sample_verification_pairs(
        query.pids, query.camids, gallery.pids, gallery.camids))
    seconds = time.perf_counter() - start
    return dict(seconds=seconds, peak_mb=peak_rss_mb(),
                metrics=[rankings[name][key] for name in ('embedding', 'two_stage')
                         for key in ('rank1', 'mAP')] + [pairs['accuracy']])


def all_in_memory_path(shape: str) -> dict:
    """The path before: whole (Q, G) matrices, pairs by np.argwhere over query x gallery."""
    query, gallery = problem(shape)
    model = TinyPairModel()
    start = time.perf_counter()
    labels = (query.pids, gallery.pids, query.camids, gallery.camids)
    embedding = rank_summary(compute_distance_matrix(query.embeddings, gallery.embeddings),
                             *labels, 'market')
    ranking = two_stage_ranking(model, query.embeddings, gallery.embeddings,
                                query.pair_features, gallery.pair_features, TOP_K, PAIR_BATCH)
    two_stage = rank_summary(ranking.distmat, *labels, 'market')
    rng = np.random.default_rng(0)
    same = query.pids[:, None] == gallery.pids[None, :]
    positives = np.argwhere(same & (query.camids[:, None] != gallery.camids[None, :]))
    positives = positives[rng.choice(len(positives), min(1000, len(positives)), replace=False)]
    negatives = np.argwhere(~same)
    negatives = negatives[rng.choice(len(negatives), len(positives), replace=False)]
    pairs = np.concatenate([positives, negatives])
    labels = np.r_[np.ones(len(positives), np.int64), np.zeros(len(negatives), np.int64)]
    accuracy = pair_metrics(model, query, gallery, pairs[:, 0], pairs[:, 1], labels)['accuracy']
    seconds = time.perf_counter() - start
    return dict(seconds=seconds, peak_mb=peak_rss_mb(),
                metrics=[embedding['rank1'], embedding['mAP'], two_stage['rank1'],
                         two_stage['mAP'], accuracy])


def all_in_memory_gb(shape: str) -> float:
    """Rough peak of the all-in-memory path: three float32 (Q, G) matrices, a bool one, and
    np.argwhere's int64 pairs of the negatives."""
    num_query, num_gallery, num_ids, _ = SHAPES[shape]
    entries = num_query * num_gallery
    return entries * (3 * 4 + 1 + 16 * (1 - 1 / num_ids)) / 1e9


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def in_child(function, shape: str) -> dict:
    with multiprocessing.get_context('spawn').Pool(1) as pool:
        return pool.apply(function, (shape,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', help='write the figures to this JSON file')
    parser.add_argument('--only', nargs='+', choices=list(SHAPES), default=list(SHAPES))
    parser.add_argument('--memory-gb', type=float, default=16,
                        help='run the all-in-memory path only where it needs less than this')
    args = parser.parse_args()
    figures = {'machine': describe_machine()}
    for shape in args.only:
        num_query, num_gallery = SHAPES[shape][:2]
        streamed = in_child(streamed_path, shape)
        figures.update({f'{shape}_s': streamed['seconds'], f'{shape}_peak_mb': streamed['peak_mb']})
        line = (f'{shape} ({num_query} x {num_gallery}): streamed {streamed["seconds"]:.1f} s, '
                f'peak {streamed["peak_mb"]:.0f} MB')
        needed = all_in_memory_gb(shape)
        if needed < args.memory_gb:
            before = in_child(all_in_memory_path, shape)
            figures.update({
                f'{shape}_all_in_memory_s': before['seconds'],
                f'{shape}_all_in_memory_peak_mb': before['peak_mb'],
                f'{shape}_memory_ratio': before['peak_mb'] / streamed['peak_mb'],
                f'{shape}_max_metric_diff': float(np.max(np.abs(
                    np.subtract(before['metrics'][:4], streamed['metrics'][:4]))))})
            line += (f'; all in memory {before["seconds"]:.1f} s, peak {before["peak_mb"]:.0f} '
                     f'MB ({before["peak_mb"] / streamed["peak_mb"]:.1f}x); rank metrics '
                     f'differ by {figures[f"{shape}_max_metric_diff"]:.2g}')
        else:
            figures[f'{shape}_all_in_memory_gb_needed'] = needed
            line += f'; all in memory not run (needs about {needed:.0f} GB)'
        print(line, flush=True)
    for key, value in figures.items():
        print(f'  {key:<32} {value:.4g}' if isinstance(value, float) else f'  {key:<32} {value}')
    if args.json:
        atomic_save_json(figures, args.json)


if __name__ == '__main__':
    main()
