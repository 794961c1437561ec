"""The train-on-A × test-on-B matrix: what ``tools/test.py --cross-dataset`` does.

A matrix config (a python config, e.g. ``configs/cross_dataset/synthetic.py``) lists
``sources``: per training dataset, ``name``, ``config`` (the trained model's config),
``checkpoint`` (file or work dir), optional ``cfg_options``, optional ``model`` (a row label
such as ``'SiameseND'``, when several models trained on one dataset share the matrix), and
``targets`` (dataset names).
Paths are relative to the working directory, as mmengine's.

Every cell is evaluated by :func:`posereid.engine.tester.evaluate_dataset`. A cell whose
checkpoint, data or heatmap cache is missing is kept as ``status: missing`` with the reason,
and the rest of the matrix still runs. Outputs in ``out_dir`` (all written atomically):
``cross_dataset.md`` (table), ``.csv``, ``.json`` (with each cell's confusion matrix),
``cross_dataset_rank1.png`` (heat map) and each cell's pictures under ``<source>__<target>/``.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
from mmengine.config import Config
from tqdm import tqdm

from posereid.utils.io import atomic_save_json, atomic_write
from posereid.visualization.matrix import draw_matrix_heatmap

from posereid.utils.errors import USER_ERRORS

from .config import load_config
from .tester import evaluate_dataset, load_model

CSV_FIELDS = ('model', 'source', 'target', 'phase', 'status', 'num_identities', 'pair_accuracy',
              'rank1', 'mAP', 'embedding_rank1', 'num_pair_passes', 'reason')


def load_matrix_config(matrix_cfg: str | os.PathLike | Config | dict) -> list[dict]:
    """The ``sources`` of a matrix config, checked: each needs name, config, checkpoint,
    targets."""
    if isinstance(matrix_cfg, (str, os.PathLike)):
        if not Path(matrix_cfg).is_file():
            raise FileNotFoundError(f'matrix config {matrix_cfg} not found')
        matrix_cfg = Config.fromfile(str(matrix_cfg))
    sources = matrix_cfg.get('sources')
    if not sources:
        raise ValueError('a matrix config needs a non-empty list `sources`')
    for i, source in enumerate(sources):
        missing = {'name', 'config', 'checkpoint', 'targets'} - set(source)
        if missing:
            raise ValueError(f'matrix config sources[{i}] lacks {sorted(missing)}')
    return [dict(source) for source in sources]


def _missing(model: str, source: str, target: str, reason: str) -> dict:
    return {'model': model, 'source': source, 'target': target,
            'phase': _phase(source, target), 'status': 'missing', 'reason': reason}


def _phase(source: str, target: str) -> str:
    return 'same dataset' if source == target else 'cross-dataset'


def evaluate_cell(model, cfg: Config, model_name: str, source: str, target: str,
                  out_dir: Path) -> dict:
    """One cell: ``model`` (trained on ``source`` with ``cfg``) tested on ``target``."""
    top_k = (cfg.get('retrieval') or {}).get('top_k', 100)
    try:
        pictures = out_dir / '__'.join(filter(None, (model_name, source, target)))
        r = evaluate_dataset(model, cfg, target, top_k, pictures)
    except USER_ERRORS as error:
        return _missing(model_name, source, target, str(error))
    return {'model': model_name, 'source': source, 'target': target,
            'phase': _phase(source, target), 'status': 'ok', 'reason': '',
            'num_identities': r['num_identities'], 'pair_accuracy': r['pairs']['accuracy'],
            'rank1': r['two_stage']['rank1'], 'mAP': r['two_stage']['mAP'],
            'embedding_rank1': r['embedding']['rank1'],
            'num_pair_passes': r['two_stage']['num_pair_passes'],
            'confusion_matrix': r['pairs']['confusion_matrix']}


def evaluate_matrix(sources: list[dict], out_dir: Path, progress: bool = True) -> list[dict]:
    """Evaluate every (source, target) cell; missing pieces become ``missing`` cells. A tqdm bar
    counts the cells (``progress``)."""
    cells = []
    with tqdm(total=sum(len(source['targets']) for source in sources), unit='cell',
              disable=not progress, dynamic_ncols=True) as bar:
        for source in sources:
            name, model_name = source['name'], source.get('model', '')
            try:
                cfg = load_config(source['config'], source.get('cfg_options'))
                model = load_model(cfg, source['checkpoint'])
            except USER_ERRORS as error:
                cells += [_missing(model_name, name, target, str(error))
                          for target in source['targets']]
                bar.update(len(source['targets']))
                continue
            for target in source['targets']:
                bar.set_description(f'{_row_label(dict(model=model_name, source=name))} -> '
                                    f'{target}')
                cells.append(evaluate_cell(model, cfg, model_name, name, target, out_dir))
                bar.update()
    return cells


def format_matrix_table(cells: list[dict]) -> str:
    """Markdown: one row per cell (phase, dataset / identities, pair accuracy, rank-1, mAP)."""
    lines = ['| train on | phase | test dataset / identities | pair accuracy | rank-1 | mAP |',
             '|---|---|---|---|---|---|']
    for c in cells:
        if c['status'] == 'ok':
            lines.append(f'| {_row_label(c)} | {c["phase"]} | {c["target"]} / '
                         f'{c["num_identities"]} | {c["pair_accuracy"]:.1%} | {c["rank1"]:.1%} '
                         f'| {c["mAP"]:.1%} |')
        else:
            reason = c['reason'].splitlines()[0].replace('|', '\\|')  # full text in the JSON
            lines.append(f'| {_row_label(c)} | {c["phase"]} | {c["target"]} | missing: {reason} '
                         f'| – | – |')
    return '\n'.join(lines)


def _row_label(cell: dict) -> str:
    return f'{cell["model"]} on {cell["source"]}' if cell.get('model') else cell['source']


def _rank1_grid(cells: list[dict]) -> tuple[np.ndarray, list[str], list[str]]:
    rows = list(dict.fromkeys(_row_label(c) for c in cells))
    columns = list(dict.fromkeys(c['target'] for c in cells))
    grid = np.full((len(rows), len(columns)), np.nan)
    for c in cells:
        if c['status'] == 'ok':
            grid[rows.index(_row_label(c)), columns.index(c['target'])] = c['rank1']
    return grid, rows, columns


def cross_dataset(matrix_cfg, out_dir: str | os.PathLike, progress: bool = True) -> dict:
    """Run the matrix of ``matrix_cfg`` (path, Config or dict with ``sources``); ``progress``
    shows a bar over its cells.

    Returns:
        ``{'cells': [...], 'markdown': str, 'files': {kind: path}}``.
    """
    out_dir = Path(out_dir)
    cells = evaluate_matrix(load_matrix_config(matrix_cfg), out_dir, progress)
    markdown = format_matrix_table(cells)
    files = {kind: out_dir / f'cross_dataset.{kind}' for kind in ('md', 'csv', 'json')}
    files['png'] = out_dir / 'cross_dataset_rank1.png'
    with atomic_write(files['md'], encoding='utf-8') as f:
        f.write(markdown + '\n')
    table = io.StringIO()
    writer = csv.DictWriter(table, CSV_FIELDS, extrasaction='ignore', lineterminator='\n')
    writer.writeheader()
    writer.writerows(cells)
    with atomic_write(files['csv'], encoding='utf-8', newline='') as f:
        f.write(table.getvalue())
    atomic_save_json({'cells': cells}, files['json'])
    grid, rows, columns = _rank1_grid(cells)
    with atomic_write(files['png'], 'wb') as f:
        f.write(draw_matrix_heatmap(grid, rows, columns, title='rank-1 (two-stage)'))
    return {'cells': cells, 'markdown': markdown, 'files': {k: str(v) for k, v in files.items()}}
