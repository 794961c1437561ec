"""Ablation of the mission's models on one training set, several seeds, in- and cross-domain.

    python experiments/ablation.py [--out work_dirs/ablation] [--seeds 0 1 2] [--variants NAME ...]
                                   [--cfg-options k=v ...]

Every variant (a config and its ``cfg_options``, :data:`VARIANTS`) is trained with the same
data and budget for every seed into ``<out_dir>/<variant>/seed<k>`` and its last checkpoint is
tested (:func:`posereid.engine.test`, no pictures) on every test set. Per variant and test set
the mean and sample standard deviation over seeds of two-stage rank-1, two-stage mAP and pair
accuracy are written to ``ablation.json``, ``ablation.md`` and ``ablation.csv`` after every run,
so an interrupted ablation still reports what finished; a finished run is reused (see
docs/ablation.md).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
from mmengine.config import Config

from posereid.engine import load_config, test, train
from posereid.engine.cli import add_cfg_options, exit_on_user_error
from posereid.engine.work_dir import checkpoint_epoch, last_checkpoint
from posereid.utils.io import atomic_save_json, atomic_write

#: The shipped configs, beside this folder in the checkout.
_CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
_FUSION = _CONFIGS / 'spindle_fusion_synthetic.py'
#: name → (config, cfg_options): the single branches, the fusion (ND + NCC matching, hard-negative
#: mining), the fusion without mining, and the fusion with ND or NCC matching alone.
VARIANTS: dict[str, tuple[Path, dict]] = {
    'SiameseND': (_CONFIGS / 'siamese_nd_synthetic.py', {}),
    'Spindle': (_CONFIGS / 'spindle_synthetic.py', {}),
    'SpindleFusion': (_FUSION, {}),
    'SpindleFusion-noHNM': (_FUSION, {'train_dataloader.sampler.hard_negative_ratio': 0.0}),
    'SpindleFusion-ND': (_FUSION, {'model.siamese.matching': 'nd'}),
    'SpindleFusion-NCC': (_FUSION, {'model.siamese.matching': 'ncc'}),
}
FUSION, SINGLE_BRANCHES = 'SpindleFusion', ('SiameseND', 'Spindle')
#: reported metric → where it is in a :func:`posereid.engine.test` result
METRICS = {'rank1': ('two_stage', 'rank1'), 'mAP': ('two_stage', 'mAP'),
           'pair_accuracy': ('pairs', 'accuracy')}
_RUN_FILE = 'ablation_run.json'


def select_variants(variants=None) -> dict[str, tuple[Path, dict]]:
    """``None``: every :data:`VARIANTS` entry; names: those entries; a dict: taken as given."""
    if variants is None:
        return dict(VARIANTS)
    if isinstance(variants, dict):
        return {name: (Path(config), dict(options or {}))
                for name, (config, options) in variants.items()}
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        raise ValueError(f'unknown ablation variants {unknown}; known: {list(VARIANTS)}')
    return {name: VARIANTS[name] for name in variants}


def variant_config(config, variant_options: dict, cfg_options: dict | None = None,
                   train_source: str = 'synthetic_market') -> Config:
    """``config`` trained and validated on ``train_source``, with the shared ``cfg_options``
    (the budget) and then the variant's own options merged in."""
    shared = dict(cfg_options or {})
    shared.update({'train_dataloader.dataset.source': train_source,
                   'val_dataloader.dataset.source': train_source})
    return load_config(load_config(config, shared), variant_options)


def _read_run(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f'{path} is not valid JSON ({error}); delete it to re-test the run'
                         ) from None


def run_one(cfg: Config, work_dir: Path, seed: int, test_sources, resume: bool = True) -> dict:
    """Train one (variant, seed) run, or reuse it (its last checkpoint is of the final epoch),
    or finish it (of an earlier epoch), and test its last checkpoint; a reused run's test
    results are reused when they were made with the same config.

    Returns:
        ``{'seed', 'checkpoint', 'config_hash', 'train_seconds', 'test_seconds', 'metrics':
        {test source: {metric: value}}}``, also kept in ``<work_dir>/ablation_run.json``.
    """
    checkpoint = last_checkpoint(work_dir) if resume else None
    done, max_epochs = checkpoint_epoch(checkpoint), cfg.train_cfg.max_epochs
    config_hash = hashlib.sha256(cfg.pretty_text.encode()).hexdigest()[:16]
    train_seconds = 0.0
    if done != max_epochs:
        start = time.perf_counter()
        train(cfg, work_dir, resume=done is not None and done < max_epochs, seed=seed)
        train_seconds = time.perf_counter() - start
        checkpoint = last_checkpoint(work_dir)
    else:
        record = _read_run(work_dir / _RUN_FILE)
        if (record and record['checkpoint'] == str(checkpoint)
                and record['config_hash'] == config_hash
                and set(test_sources) <= set(record['metrics'])):
            return record
    start = time.perf_counter()
    results = test(cfg, checkpoint, datasets=list(test_sources), out_dir=work_dir / 'test',
                   pictures=False)
    record = {'seed': seed, 'checkpoint': str(checkpoint), 'config_hash': config_hash,
              'train_seconds': train_seconds, 'test_seconds': time.perf_counter() - start,
              'metrics': {name: {metric: r[group][key] for metric, (group, key) in METRICS.items()}
                          for name, r in results.items()}}
    atomic_save_json(record, work_dir / _RUN_FILE)
    return record


def summarize(runs: dict[str, dict[int, dict]], train_source: str) -> list[dict]:
    """One row per (variant, test source): seeds, and mean and sample std (0 for one seed) of
    every metric over the seeds; rows of the training source first."""
    rows = []
    for variant, by_seed in runs.items():
        sources = dict.fromkeys(s for record in by_seed.values() for s in record['metrics'])
        for source in sources:
            seeds = [seed for seed, record in by_seed.items() if source in record['metrics']]
            row = {'variant': variant, 'test_source': source,
                   'domain': 'in-domain' if source == train_source else 'cross-domain',
                   'num_seeds': len(seeds), 'seeds': ' '.join(map(str, seeds))}
            for metric in METRICS:
                values = [by_seed[seed]['metrics'][source][metric] for seed in seeds]
                row[f'{metric}_mean'] = float(np.mean(values))
                row[f'{metric}_std'] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            rows.append(row)
    return sorted(rows, key=lambda r: r['domain'] != 'in-domain')


def fusion_verdict(rows: list[dict]) -> dict:
    """Whether :data:`FUSION` beats both :data:`SINGLE_BRANCHES` in-domain on the mean rank-1
    and the mean mAP: ``{'beats_both': bool or None (not all three ran), 'sentence': str}``."""
    in_domain = {r['variant']: r for r in rows if r['domain'] == 'in-domain'}
    needed = (FUSION, *SINGLE_BRANCHES)
    if not all(name in in_domain for name in needed):
        missing = [name for name in needed if name not in in_domain]
        return {'beats_both': None, 'sentence': f'The fusion cannot be compared with both single '
                                                f'branches in-domain: {missing} did not run.'}
    fusion = in_domain[FUSION]
    comparisons, beats = [], True
    for metric, label in (('rank1', 'rank-1'), ('mAP', 'mAP')):
        others = ', '.join(f'{name} {in_domain[name][f"{metric}_mean"]:.1%}'
                           for name in SINGLE_BRANCHES)
        comparisons.append(f'{label} {fusion[f"{metric}_mean"]:.1%} vs {others}')
        beats &= all(fusion[f'{metric}_mean'] > in_domain[name][f'{metric}_mean']
                     for name in SINGLE_BRANCHES)
    verb = 'beats' if beats else 'does not beat'
    return {'beats_both': beats,
            'sentence': f'{FUSION} {verb} both single branches in-domain '
                        f'({fusion["test_source"]}, mean over seeds) on rank-1 and mAP: '
                        + '; '.join(comparisons) + '.'}


def format_table(rows: list[dict]) -> str:
    """Markdown table of :func:`summarize` rows, mean ± std in percent."""
    lines = ['| variant | test set | domain | seeds | rank-1 (two-stage) | mAP (two-stage) '
             '| pair accuracy |', '|---|---|---|---|---:|---:|---:|']
    for r in rows:
        cells = ' | '.join(f'{100 * r[f"{m}_mean"]:.1f} ± {100 * r[f"{m}_std"]:.1f}'
                           for m in METRICS)
        lines.append(f'| {r["variant"]} | {r["test_source"]} | {r["domain"]} | {r["seeds"]} '
                     f'| {cells} |')
    return '\n'.join(lines)


def write_report(out_dir: Path, report: dict) -> dict[str, str]:
    """``ablation.json``, ``.md`` and ``.csv`` of ``report`` in ``out_dir``, atomically."""
    files = {kind: out_dir / f'ablation.{kind}' for kind in ('json', 'md', 'csv')}
    atomic_save_json(report, files['json'])
    with atomic_write(files['md'], encoding='utf-8') as f:
        f.write(f'# Ablation: trained on {report["train_source"]}\n\n{report["markdown"]}\n\n'
                f'{report["fusion_verdict"]["sentence"]}\n\nmean ± sample standard deviation over '
                f'seeds, in percent; the last checkpoint of every run; cfg_options shared by '
                f'every variant: `{report["cfg_options"]}`.\n')
    with atomic_write(files['csv'], encoding='utf-8', newline='') as f:
        writer = csv.DictWriter(f, list(report['summary'][0]), lineterminator='\n')
        writer.writeheader()
        writer.writerows(report['summary'])
    return {kind: str(path) for kind, path in files.items()}


def run_ablation(out_dir: str | os.PathLike, seeds=(0, 1, 2), variants=None,
                 train_source: str = 'synthetic_market',
                 test_sources=('synthetic_market', 'synthetic_duke'),
                 cfg_options: dict | None = None, resume: bool = True) -> dict:
    """Train and test every (variant, seed), seeds outermost, and report after each run.

    Args:
        variants: names of :data:`VARIANTS`, a dict ``{name: (config, cfg_options)}``, or
            ``None`` for all of :data:`VARIANTS`.
        cfg_options: overrides shared by every variant (the budget, ``heatmap_root``...).
        resume: reuse finished runs (and their test results), finish interrupted ones.

    Returns:
        the ``ablation.json`` content plus ``'files'`` (kind → path).
    """
    out_dir, chosen = Path(out_dir), select_variants(variants)
    configs = {name: variant_config(config, options, cfg_options, train_source)
               for name, (config, options) in chosen.items()}
    runs: dict[str, dict[int, dict]] = {name: {} for name in chosen}
    report: dict = {}
    for seed in seeds:
        for name, cfg in configs.items():
            print(f'[ablation] {name}, seed {seed}', flush=True)
            runs[name][seed] = run_one(cfg, out_dir / name / f'seed{seed}', seed, test_sources,
                                       resume)
            summary = summarize(runs, train_source)
            report = {'train_source': train_source, 'test_sources': list(test_sources),
                      'seeds': list(seeds), 'cfg_options': dict(cfg_options or {}),
                      'variants': {n: {'config': str(c), 'cfg_options': o}
                                   for n, (c, o) in chosen.items()},
                      'runs': runs, 'summary': summary, 'markdown': format_table(summary),
                      'fusion_verdict': fusion_verdict(summary)}
            report['files'] = write_report(out_dir, report)
    return report


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('--out', default='work_dirs/ablation', help='output folder')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS), metavar='NAME',
                        help=f'default: all of {", ".join(VARIANTS)}')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    with exit_on_user_error():
        report = run_ablation(args.out, seeds=args.seeds, variants=args.variants,
                              cfg_options=args.cfg_options)
    print(report['markdown'] + '\n\n' + report['fusion_verdict']['sentence'])
    print('\n'.join(f'{kind}: {path}' for kind, path in report['files'].items()))


if __name__ == '__main__':
    main()
