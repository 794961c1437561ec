"""Two-stage ranking against scoring every (query, gallery) pair with the verification head,
in one run on one small problem.

    python benchmarks/bench_retrieval.py [--config C] [--checkpoint CKPT] [--dataset NAME]
                                         [--num-queries 50] [--top-k 100] [--json PATH]
                                         [--cfg-options heatmap_root=DIR ...]

Default model: SpindleFusion trained by ``make demo`` (``configs/spindle_fusion_synthetic.py``,
``work_dirs/spindle_fusion_synthetic``) on the default world's ``synthetic_market`` test split;
the small problem is its first ``--num-queries`` queries against the whole gallery. Where that
checkpoint is missing (a fresh checkout), the benchmark first trains the same config for two
epochs on the small embedded world, with ground-truth heatmaps, in ``work_dirs/bench/retrieval``
(about a minute), and says so.

Figures: ``pair_passes_ratio`` = all-pairs / two-stage pair passes at Market-1501 scale
(3368 × 15913, shortlist ``--top-k``; goal >= 100); ``rank1_all_pairs`` and
``rank1_two_stage`` on the small problem with the same ``--top-k`` (goal: at most 1 point
apart), and ``rank1_two_stage_same_fraction`` with the shortlist cut to the same fraction of
the gallery as at Market scale (``ceil(G · top_k / 15913)``), the harder comparison.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

from pathlib import Path

from machine import describe_machine
from posereid.datasets.synthetic import generate_world, small_world
from posereid.engine import build_cache_for_source, train
from posereid.engine.cli import add_cfg_options
from posereid.engine.features import extract_features
from posereid.retrieval.two_stage import all_pairs_ranking, two_stage_ranking
from posereid.engine.config import load_config
from posereid.engine.tester import build_test_dataloader, load_model
from posereid.engine.work_dir import last_checkpoint, resolve_checkpoint
from posereid.evaluation import compute_distance_matrix, rank_summary
from posereid.utils import atomic_save_json

MARKET_QUERY, MARKET_GALLERY = 3368, 15913
FALLBACK = Path('work_dirs/bench/retrieval')


def train_fallback(config: str) -> tuple[str, dict]:
    """A checkpoint of ``config`` trained for two epochs on the small world (ground-truth
    heatmaps) under :data:`FALLBACK`, and the cfg_options that test it there."""
    world = FALLBACK / 'data' / 'synthetic'
    generate_world(small_world(), world, workers=1)
    options = {'data_root': str(FALLBACK / 'data'), 'heatmap_root': str(FALLBACK / 'heatmaps')}
    for domain in ('synthetic_market', 'synthetic_cuhk01'):
        build_cache_for_source(domain, world / domain.split('_')[1], {'type': 'ground_truth'},
                               FALLBACK / 'heatmaps' / domain, progress=False)
    work_dir = FALLBACK / 'model'
    if last_checkpoint(work_dir) is None:
        train(config, work_dir, dict(options, **{'train_cfg.max_epochs': 2,
                                                 'train_cfg.val_begin': 10 ** 9,
                                                 'console_log_level': 'WARNING'}))
    return str(work_dir), options


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/spindle_fusion_synthetic.py')
    parser.add_argument('--checkpoint', default='work_dirs/spindle_fusion_synthetic')
    parser.add_argument('--dataset', default='synthetic_market')
    parser.add_argument('--num-queries', type=int, default=50)
    parser.add_argument('--top-k', type=int, default=100)
    parser.add_argument('--json', help='write the figures to this JSON file')
    add_cfg_options(parser)
    args = parser.parse_args()
    machine = describe_machine()

    checkpoint, options = args.checkpoint, dict(args.cfg_options)
    try:
        resolve_checkpoint(checkpoint)
        trained_here = False
    except FileNotFoundError:
        print(f'no checkpoint in {checkpoint} (make demo trains it): training {args.config} for '
              f'two epochs on the small world in {FALLBACK} first', flush=True)
        checkpoint, fallback_options = train_fallback(args.config)
        options = dict(fallback_options, **options)
        trained_here = True
    cfg = load_config(args.config, options)
    model = load_model(cfg, checkpoint)
    loader = build_test_dataloader(cfg, args.dataset)
    features = extract_features(model, loader, pair_features=True)
    protocol = loader.dataset.source.protocol
    all_queries = features.select('query')
    query = all_queries.subset(np.arange(min(args.num_queries, len(all_queries.pids))))
    gallery = features.select('gallery')
    num_gallery = len(gallery.pids)
    same_fraction_k = math.ceil(num_gallery * args.top_k / MARKET_GALLERY)

    def timed(rank, *rank_args, **kwargs):
        start = time.perf_counter()
        ranking = rank(model, *rank_args, **kwargs)
        return ranking, time.perf_counter() - start

    all_pairs, all_pairs_s = timed(all_pairs_ranking, query.pair_features,
                                   gallery.pair_features)
    two_stage, two_stage_s = timed(two_stage_ranking, query.embeddings, gallery.embeddings,
                                   query.pair_features, gallery.pair_features, args.top_k)
    same_fraction, _ = timed(two_stage_ranking, query.embeddings, gallery.embeddings,
                             query.pair_features, gallery.pair_features, same_fraction_k)
    embedding = compute_distance_matrix(query.embeddings, gallery.embeddings)
    rank1 = {name: rank_summary(distmat, query.pids, gallery.pids, query.camids, gallery.camids,
                                protocol)['rank1'] for name, distmat in
             (('all_pairs', all_pairs.distmat), ('two_stage', two_stage.distmat),
              ('same_fraction', same_fraction.distmat), ('embedding', embedding))}
    figures = {
        'machine': machine,
        'num_query': len(query.pids), 'num_gallery': num_gallery, 'top_k': args.top_k,
        'pair_passes_ratio': MARKET_GALLERY / args.top_k,
        'pair_passes_ratio_small_problem': all_pairs.num_pair_passes / two_stage.num_pair_passes,
        'pair_passes_all_pairs': all_pairs.num_pair_passes,
        'pair_passes_two_stage': two_stage.num_pair_passes,
        'rank1_all_pairs': rank1['all_pairs'], 'rank1_two_stage': rank1['two_stage'],
        'rank1_gap_points': 100 * (rank1['all_pairs'] - rank1['two_stage']),
        'top_k_same_fraction': same_fraction_k,
        'rank1_two_stage_same_fraction': rank1['same_fraction'],
        'rank1_embedding_only': rank1['embedding'],
        'all_pairs_s': all_pairs_s, 'two_stage_s': two_stage_s,
        'model': 'trained here, small world, 2 epochs' if trained_here else checkpoint,
    }
    print(f'{len(query.pids)} queries x {num_gallery} gallery ({args.dataset}), '
          f'shortlist K={args.top_k}')
    print(f'{"ranking":<28}{"pair passes":>12}{"rank-1":>9}{"seconds":>9}')
    print(f'{"all pairs":<28}{all_pairs.num_pair_passes:>12}{rank1["all_pairs"]:>9.1%}'
          f'{all_pairs_s:>9.2f}')
    print(f'{f"two-stage (K={args.top_k})":<28}{two_stage.num_pair_passes:>12}'
          f'{rank1["two_stage"]:>9.1%}{two_stage_s:>9.2f}')
    print(f'{f"two-stage (K={same_fraction_k}, same fraction)":<28}'
          f'{same_fraction.num_pair_passes:>12}{rank1["same_fraction"]:>9.1%}')
    print(f'{"embedding only":<28}{0:>12}{rank1["embedding"]:>9.1%}')
    print(f'pair passes ratio at Market scale ({MARKET_QUERY} x {MARKET_GALLERY}, '
          f'K={args.top_k}): {figures["pair_passes_ratio"]:.0f}')
    if args.json:
        atomic_save_json(figures, args.json)


if __name__ == '__main__':
    main()
