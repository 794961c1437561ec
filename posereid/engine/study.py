"""A study: variants of a model trained on one dataset with several seeds, each tested on
several test sets, reported as mean ± sample standard deviation over the seeds.

Each (variant, seed) run is trained into ``<out_dir>/<variant>/seed<k>`` and its last
checkpoint is tested (:func:`~posereid.engine.tester.test`) on every test set: the config's
own test dataset, or another source given by name or as ``dict(name=..., **options)`` (a
cross-dataset test). A finished run is reused, an interrupted one is finished, and a reused
run's test results are reused when they were made with the same config. After every run the
report is rewritten (JSON, Markdown and CSV), so an interrupted study still reports what
finished. ``experiments/ablation.py`` and ``experiments/real_benchmark.py`` are studies.
"""
from __future__ import annotations

import copy
import csv
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from mmengine.config import Config

from posereid.utils.io import atomic_save_json, atomic_write, read_json

from .config import load_config
from .runner import train
from .tester import test
from .work_dir import checkpoint_epoch, last_checkpoint

#: The metrics a study reports by default: name → where they are in a test result.
METRICS = {'rank1': ('two_stage', 'rank1'), 'mAP': ('two_stage', 'mAP'),
           'pair_accuracy': ('pairs', 'accuracy')}
RUN_FILE = 'study_run.json'


@dataclass(frozen=True)
class Variant:
    """A config and the ``cfg_options`` that make this variant of it."""

    config: str | os.PathLike | Config
    cfg_options: dict = field(default_factory=dict)


def variant_config(variant: Variant, shared_options: dict | None = None,
                   seed_options: dict | None = None) -> Config:
    """The variant's config, read once with ``shared_options`` (the budget, data roots...),
    then the variant's own options, then a seed's (e.g. its split) merged in that order, so
    that everything resolved when a config is read (its heatmap caches) sees all of them."""
    options = {**(shared_options or {}), **variant.cfg_options, **(seed_options or {})}
    return load_config(variant.config, copy.deepcopy(options))   # merging changes the values


def test_config(cfg: Config, source: str | dict | None) -> Config:
    """``cfg`` tested on ``source`` (None: its own test dataset). The config was resolved for
    its own test source, so another source's heatmap cache is resolved again."""
    if source is None:
        return cfg
    options = {'test_dataloader.dataset.source':
               dict(source, _delete_=True) if isinstance(source, dict) else source}
    if cfg.test_dataloader.dataset.get('heatmap_cache'):
        options['test_dataloader.dataset.heatmap_cache'] = 'auto'
    return load_config(cfg, options)


def config_hash(cfg: Config) -> str:
    return hashlib.sha256(cfg.pretty_text.encode()).hexdigest()[:16]


def run_one(cfg: Config, work_dir: Path, seed: int, test_sets: dict[str, str | dict | None],
            resume: bool = True, device: str | None = None, top_k: int | None = None,
            pictures: bool = False) -> dict:
    """Train one (variant, seed) run, or reuse it (its last checkpoint is of the final epoch),
    or finish it (of an earlier epoch), and test its last checkpoint on every test set (with
    ``pictures``: the test pictures of the first, in ``<work_dir>/test/<test set>``).

    Returns:
        ``{'seed', 'checkpoint', 'config_hash', 'train_seconds', 'test_seconds', 'results':
        {test set: test result}}``, also kept in ``<work_dir>/study_run.json``.
    """
    checkpoint = last_checkpoint(work_dir) if resume else None
    done, max_epochs = checkpoint_epoch(checkpoint), cfg.train_cfg.max_epochs
    digest = config_hash(cfg)
    record = read_json(work_dir / RUN_FILE) if (work_dir / RUN_FILE).is_file() else None
    train_seconds = record['train_seconds'] if record else 0.0
    if done != max_epochs:
        start = time.perf_counter()
        train(cfg, work_dir, resume=done is not None and done < max_epochs, seed=seed,
              device=device)
        train_seconds = time.perf_counter() - start
        checkpoint, record = last_checkpoint(work_dir), None
    if not (record and record['checkpoint'] == str(checkpoint)
            and record['config_hash'] == digest):
        record = {'seed': seed, 'checkpoint': str(checkpoint), 'config_hash': digest,
                  'train_seconds': train_seconds, 'test_seconds': 0.0, 'results': {}}
    for k, (name, source) in enumerate(test_sets.items()):
        if name in record['results']:
            continue
        start = time.perf_counter()
        result = test(test_config(cfg, source), checkpoint, out_dir=work_dir / 'test' / name,
                      pictures=pictures and k == 0, device=device, top_k=top_k)
        record['test_seconds'] += time.perf_counter() - start
        record['results'][name] = next(iter(result.values()))
        atomic_save_json(record, work_dir / RUN_FILE)
    return record


def metric(result: dict, path: tuple[str, ...]) -> float:
    """The value at ``path`` in a test result."""
    value = result
    for key in path:
        value = value[key]
    return float(value)


def summarize(runs: dict[str, dict[int, dict]], metrics: dict = METRICS) -> list[dict]:
    """One row per (variant, test set): the seeds, and mean and sample std (0 for one seed) of
    every metric over them."""
    rows = []
    for variant, by_seed in runs.items():
        test_sets = dict.fromkeys(name for record in by_seed.values()
                                  for name in record['results'])
        for name in test_sets:
            seeds = [seed for seed, record in by_seed.items() if name in record['results']]
            row = {'variant': variant, 'test_set': name, 'num_seeds': len(seeds),
                   'seeds': ' '.join(map(str, seeds))}
            for key, path in metrics.items():
                values = [metric(by_seed[seed]['results'][name], path) for seed in seeds]
                row[f'{key}_mean'] = float(np.mean(values))
                row[f'{key}_std'] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            rows.append(row)
    return rows


def mean_std(mean: float, std: float, num_seeds: int, digits: int = 1) -> str:
    """``mean ± std``, or the single run's figure alone when there is one seed."""
    if num_seeds < 2:
        return f'{mean:.{digits}f} (one run)'
    return f'{mean:.{digits}f} ± {std:.{digits}f}'


def format_table(rows: list[dict], metrics: dict[str, str]) -> str:
    """Markdown table of :func:`summarize` rows: mean ± std in percent of ``metrics`` (name →
    column header); a row of one seed shows its single run's figure, with no spread."""
    lines = ['| variant | test set | seeds | ' + ' | '.join(metrics.values()) + ' |',
             '|---|---|---|' + '---:|' * len(metrics)]
    for r in rows:
        cells = ' | '.join(mean_std(100 * r[f'{m}_mean'], 100 * r[f'{m}_std'], r['num_seeds'])
                           for m in metrics)
        lines.append(f'| {r["variant"]} | {r["test_set"]} | {r["seeds"]} | {cells} |')
    return '\n'.join(lines)


def write_report(out_dir: Path, name: str, report: dict, markdown: str) -> dict[str, str]:
    """``<name>.json``, ``.md`` and ``.csv`` (the summary rows) in ``out_dir``, atomically."""
    files = {kind: out_dir / f'{name}.{kind}' for kind in ('json', 'md', 'csv')}
    atomic_save_json(report, files['json'])
    with atomic_write(files['md'], encoding='utf-8') as f:
        f.write(markdown)
    with atomic_write(files['csv'], encoding='utf-8', newline='') as f:
        writer = csv.DictWriter(f, list(report['summary'][0]) if report['summary'] else [],
                                lineterminator='\n')
        writer.writeheader()
        writer.writerows(report['summary'])
    return {kind: str(path) for kind, path in files.items()}


def run_study(out_dir: str | os.PathLike, variants: dict[str, Variant], seeds=(0, 1, 2),
              test_sets: dict[str, str | dict | None] | None = None,
              shared_options: dict | None = None, metrics: dict = METRICS,
              resume: bool = True, device: str | None = None, top_k: int | None = None,
              seed_options: Callable[[int], dict] | None = None, pictures_seed: int | None = None,
              finished_only: bool = False, on_run: Callable[[dict], None] | None = None) -> dict:
    """Train and test every (variant, seed), seeds outermost (module doc).

    Args:
        test_sets: name → source (None: the config's own test dataset); default: that alone.
        shared_options: cfg_options of every variant (the budget, data roots...).
        metrics: name → path in a test result, averaged over seeds.
        seed_options: seed → cfg_options of that seed's runs (e.g. its split of the data).
        pictures_seed: the seed whose runs draw the test pictures of the first test set.
        finished_only: train and test nothing: report the runs already tested (e.g. by
            several processes, each running some of the seeds).
        on_run: called with the report after every run (to write it).

    Returns:
        ``{'seeds', 'test_sets', 'shared_options', 'variants', 'runs', 'summary'}``.
    """
    out_dir, test_sets = Path(out_dir), test_sets or {'test': None}
    runs: dict[str, dict[int, dict]] = {name: {} for name in variants}

    def report() -> dict:
        return {'seeds': list(seeds), 'test_sets': test_sets,
                'shared_options': dict(shared_options or {}),
                'variants': {n: {'config': str(v.config), 'cfg_options': v.cfg_options}
                             for n, v in variants.items()},
                'runs': runs, 'summary': summarize(runs, metrics)}

    for seed in seeds:
        for name, variant in variants.items():
            print(f'[study] {name}, seed {seed}', flush=True)
            record = out_dir / name / f'seed{seed}' / RUN_FILE
            if finished_only:
                if record.is_file():
                    runs[name][seed] = read_json(record)
                continue
            cfg = variant_config(variant, shared_options,
                                 seed_options(seed) if seed_options is not None else None)
            runs[name][seed] = run_one(cfg, out_dir / name / f'seed{seed}', seed, test_sets,
                                       resume, device, top_k, seed == pictures_seed)
            if on_run is not None:
                on_run(report())
    return report()
