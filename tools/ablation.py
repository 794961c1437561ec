"""Ablation of the re-id models: same data and budget, several seeds, in- and cross-domain.

    python tools/ablation.py [--out work_dirs/ablation] [--seeds 0 1 2] [--variants NAME ...]
                             [--cfg-options k=v ...]

Writes ablation.json, ablation.md and ablation.csv in --out (see docs/ablation.md); finished
runs in --out are reused.
"""
from __future__ import annotations

import argparse

from posereid.ablation import VARIANTS, run_ablation
from posereid.engine.cli import add_cfg_options, exit_on_user_error


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('--out', default='work_dirs/ablation', help='output folder')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS), metavar='NAME',
                        help=f'default: all of {", ".join(VARIANTS)}')
    add_cfg_options(parser)
    args = parser.parse_args()
    with exit_on_user_error():
        report = run_ablation(args.out, seeds=args.seeds, variants=args.variants,
                              cfg_options=args.cfg_options)
    print(report['markdown'] + '\n\n' + report['fusion_verdict']['sentence'])
    print('\n'.join(f'{kind}: {path}' for kind, path in report['files'].items()))


if __name__ == '__main__':
    main()
