"""Ablation of the mission's models on one training set, several seeds, in- and cross-domain.

    python experiments/ablation.py [--out work_dirs/ablation] [--seeds 0 1 2] [--variants NAME ...]
                                   [--cfg-options k=v ...]

A study (:mod:`posereid.engine.study`): every variant (a config and its ``cfg_options``,
:data:`VARIANTS`) is trained with the same data and budget for every seed into
``<out_dir>/<variant>/seed<k>`` and its last checkpoint is tested on every test set. Per variant
and test set the mean and sample standard deviation over seeds of two-stage rank-1, two-stage
mAP and pair accuracy are written to ``ablation.json``, ``ablation.md`` and ``ablation.csv``
after every run, so an interrupted ablation still reports what finished; a finished run is
reused (see docs/ablation.md).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if __package__ in (None, ''):   # run as a script: its siblings are importable as experiments.*
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posereid.engine.cli import add_cfg_options, exit_on_user_error
from posereid.engine.study import METRICS, Variant, format_table, run_study, write_report

from experiments.results_page import write_section

#: The shipped configs, beside this folder in the checkout.
_CONFIGS = Path(__file__).resolve().parents[1] / 'configs'
_FUSION = _CONFIGS / 'spindle_fusion_synthetic.py'
#: name → variant: the single branches, the fusion (ND + NCC matching, hard-negative mining),
#: the fusion without mining, and the fusion with ND or NCC matching alone.
VARIANTS: dict[str, Variant] = {
    'SiameseND': Variant(_CONFIGS / 'siamese_nd_synthetic.py'),
    'Spindle': Variant(_CONFIGS / 'spindle_synthetic.py'),
    'SpindleFusion': Variant(_FUSION),
    'SpindleFusion-noHNM': Variant(_FUSION, {'train_dataloader.sampler.hard_negative_ratio': 0.0}),
    'SpindleFusion-ND': Variant(_FUSION, {'model.siamese.matching': 'nd'}),
    'SpindleFusion-NCC': Variant(_FUSION, {'model.siamese.matching': 'ncc'}),
}
FUSION, SINGLE_BRANCHES = 'SpindleFusion', ('SiameseND', 'Spindle')
COLUMNS = {'rank1': 'rank-1 (two-stage)', 'mAP': 'mAP (two-stage)',
           'pair_accuracy': 'pair accuracy'}


def select_variants(variants=None) -> dict[str, Variant]:
    """``None``: every :data:`VARIANTS` entry; names: those entries; a dict of variants: taken
    as given."""
    if variants is None:
        return dict(VARIANTS)
    if isinstance(variants, dict):
        return dict(variants)
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        raise ValueError(f'unknown ablation variants {unknown}; known: {list(VARIANTS)}')
    return {name: VARIANTS[name] for name in variants}


def shared_options(cfg_options: dict | None = None,
                   train_source: str = 'synthetic_market') -> dict:
    """The options every variant shares: ``cfg_options`` (the budget), trained and validated on
    ``train_source``."""
    return {**(cfg_options or {}), 'train_dataloader.dataset.source': train_source,
            'val_dataloader.dataset.source': train_source}


def fusion_verdict(rows: list[dict], train_source: str) -> dict:
    """Whether :data:`FUSION` beats both :data:`SINGLE_BRANCHES` in-domain (on
    ``train_source``) on the mean rank-1 and the mean mAP: ``{'beats_both': bool or None (not
    all three ran), 'sentence': str}``."""
    in_domain = {r['variant']: r for r in rows if r['test_set'] == train_source}
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
                        f'({fusion["test_set"]}, mean over seeds) on rank-1 and mAP: '
                        + '; '.join(comparisons) + '.'}


def run_ablation(out_dir: str | os.PathLike, seeds=(0, 1, 2), variants=None,
                 train_source: str = 'synthetic_market',
                 test_sources=('synthetic_market', 'synthetic_duke'),
                 cfg_options: dict | None = None, resume: bool = True) -> dict:
    """The study (:func:`~posereid.engine.study.run_study`) of ``variants`` (names of
    :data:`VARIANTS`, a dict of variants, or ``None`` for all) trained on ``train_source`` and
    tested on ``test_sources``, with ``cfg_options`` shared by every variant (the budget,
    ``heatmap_root``...); ``ablation.json``, ``.md`` and ``.csv`` are rewritten after every
    run.

    Returns:
        the ``ablation.json`` content plus ``'files'`` (kind → path).
    """
    out_dir = Path(out_dir)
    chosen = select_variants(variants)
    finished: dict = {}

    def write(report: dict) -> None:
        report.update(train_source=train_source, markdown=format_table(report['summary'],
                                                                       COLUMNS),
                      fusion_verdict=fusion_verdict(report['summary'], train_source))
        report['files'] = write_report(out_dir, 'ablation', report, (
            f'# Ablation: trained on {train_source}\n\n{report["markdown"]}\n\n'
            f'{report["fusion_verdict"]["sentence"]}\n\nmean ± sample standard deviation over '
            f'seeds, in percent; the last checkpoint of every run; cfg_options shared by '
            f'every variant: `{report["shared_options"]}`.\n'))
        finished.update(report)

    run_study(out_dir, chosen, seeds, {source: source for source in test_sources},
              shared_options(cfg_options, train_source), METRICS, resume, on_run=write)
    return finished


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('--out', default='work_dirs/ablation', help='output folder')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS), metavar='NAME',
                        help=f'default: all of {", ".join(VARIANTS)}')
    parser.add_argument('--no-results', action='store_true',
                        help='leave docs/results/ablation.md (the committed figures) alone')
    add_cfg_options(parser)
    args = parser.parse_args(argv)
    with exit_on_user_error():
        report = run_ablation(args.out, seeds=args.seeds, variants=args.variants,
                              cfg_options=args.cfg_options)
    if not args.no_results:
        write_section('ablation.md', Path(report['files']['md']).read_text(encoding='utf-8'))
    print(report['markdown'] + '\n\n' + report['fusion_verdict']['sentence'])
    print('\n'.join(f'{kind}: {path}' for kind, path in report['files'].items()))


if __name__ == '__main__':
    main()
