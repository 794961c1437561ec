"""Split-repeating protocols end to end: train and test a config on every split of its dataset
(CUHK03 classic x 20, CUHK01 and VIPeR x 10, as :meth:`ReIDSource.protocol_splits` lists
them), then one table of mean ± standard deviation over the splits: what
``tools/train_test_splits.py`` does.

Split ``i`` is the config with ``split_id=i`` in the source of every dataloader, trained into
``<work_dir>/split<i>`` (a finished split is reused, an interrupted one resumed) and tested on
its last checkpoint. ``splits.json`` and ``splits.md`` in ``work_dir`` are rewritten after every
split, atomically, so an interrupted run still reports what finished.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from mmengine.config import Config

from posereid.datasets.sources import SOURCES
from posereid.utils.io import atomic_save_json, atomic_write

from .config import LOADERS, load_config, source_name
from .runner import train
from .tester import test
from .work_dir import checkpoint_epoch, last_checkpoint

#: (ranking, metric) pairs of the table
COLUMNS = tuple((ranking, metric) for ranking in ('embedding', 'two_stage')
                for metric in ('rank1', 'rank5', 'rank10', 'mAP'))


def source_options(source: str | dict) -> dict:
    """A ``ReIDDataset`` ``source`` as ``dict(name=..., **options)``."""
    return {'name': source} if isinstance(source, str) else dict(source)


def default_splits(cfg: Config) -> list[int]:
    """The split ids the test dataset's protocol averages over."""
    options = source_options(cfg.test_dataloader.dataset.source)
    return SOURCES[options.pop('name')].protocol_splits(**options)


def split_options(cfg: Config, split_id: int) -> dict:
    """cfg_options that put ``split_id`` in the source of every dataloader."""
    return {f'{loader}.dataset.source': dict(source_options(cfg[loader].dataset.source),
                                              split_id=split_id, _delete_=True)
            for loader in LOADERS if cfg.get(loader)}


def summarize_splits(results: dict[int, dict]) -> dict:
    """``{(ranking, metric): (mean, std)}`` over the splits (``std``: numpy's ``ddof=0``)."""
    return {column: (float(np.mean(values)), float(np.std(values)))
            for column in COLUMNS
            for values in [[r[column[0]][column[1]] for r in results.values()]]}


def format_splits_table(results: dict[int, dict], summary: dict) -> str:
    """Markdown: one row per split and the mean ± std row."""
    head = ' | '.join(f'{"two-stage" if r == "two_stage" else r} {m}' for r, m in COLUMNS)
    lines = [f'| split | {head} |', '|---' + '|---:' * len(COLUMNS) + '|']
    for split_id, r in results.items():
        lines.append(f'| {split_id} | ' + ' | '.join(f'{100 * r[a][b]:.1f}' for a, b in COLUMNS)
                     + ' |')
    lines.append(f'| **mean ± std ({len(results)} splits)** | ' + ' | '.join(
        f'{100 * summary[c][0]:.1f} ± {100 * summary[c][1]:.1f}' for c in COLUMNS) + ' |')
    return '\n'.join(lines)


def run_splits(config: str | os.PathLike | Config, work_dir: str | os.PathLike,
               split_ids: list[int] | None = None, cfg_options: dict | None = None,
               device: str | None = None) -> dict:
    """Train and test ``config`` on each of ``split_ids`` (default: the protocol's).

    Returns:
        ``{'dataset', 'splits': {id: test result}, 'summary', 'markdown', 'files'}``.
    """
    cfg = load_config(config, cfg_options)
    split_ids = list(split_ids) if split_ids is not None else default_splits(cfg)
    dataset = source_name(cfg.test_dataloader.dataset.source)
    work_dir = Path(work_dir)
    results: dict[int, dict] = {}
    report: dict = {}
    for split_id in split_ids:
        options = dict(cfg_options or {}, **split_options(cfg, split_id))
        split_dir = work_dir / f'split{split_id}'
        print(f'[splits] {dataset} split {split_id}: {split_dir}', flush=True)
        done = checkpoint_epoch(last_checkpoint(split_dir))
        if done != load_config(config, options).train_cfg.max_epochs:   # new, or interrupted
            train(config, split_dir, options, resume=done is not None, device=device)
        results[split_id] = test(config, split_dir, out_dir=split_dir / 'test', cfg_options=options,
                                 device=device, pictures=False)[dataset]
        summary = summarize_splits(results)
        markdown = format_splits_table(results, summary)
        files = {'json': work_dir / 'splits.json', 'md': work_dir / 'splits.md'}
        report = {'dataset': dataset, 'config': str(cfg.filename), 'splits': results,
                  'summary': {f'{r}/{m}': v for (r, m), v in summary.items()},
                  'markdown': markdown, 'files': {k: str(v) for k, v in files.items()}}
        atomic_save_json(report, files['json'])
        with atomic_write(files['md'], encoding='utf-8') as f:
            f.write(f'# {dataset}: {len(results)} splits of {cfg.filename}\n\n{markdown}\n\n'
                    'Each split trained from scratch and tested on its last checkpoint; mean ± '
                    'population standard deviation over the splits, in percent.\n')
    return report

