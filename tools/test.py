"""Evaluate trained re-id models.

    python tools/test.py CONFIG CHECKPOINT [--best] [--rerank] [--dataset NAME ...] [--out DIR]
                         [--top-k K] [--cfg-options k=v ...] [--device cpu|cuda] [--no-pictures]
    python tools/test.py --cross-dataset [MATRIX_CONFIG] [--out DIR]

CHECKPOINT is a .pth file or a work dir (its last checkpoint; with --best, the checkpoint that
scored best on the validation identities). The first form
prints ranking (embedding and two-stage) and pair metrics and writes results.json with ranked
lists and pair galleries; the second runs the train-on-A x test-on-B matrix (default:
configs/cross_dataset/synthetic.py, the embedded world's domains).
"""
from __future__ import annotations

import argparse

from posereid.engine import cross_dataset, test
from posereid.engine.cli import add_cfg_options, exit_on_user_error
from posereid.engine.config import DEVICES
from posereid.engine.tester import format_results_table

DEFAULT_MATRIX = 'configs/cross_dataset/synthetic.py'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 1)[1])
    parser.add_argument('config', nargs='?', help='config of the trained model')
    parser.add_argument('checkpoint', nargs='?', help='checkpoint file or work dir')
    parser.add_argument('--cross-dataset', nargs='?', const=DEFAULT_MATRIX, metavar='MATRIX',
                        help=f'run a cross-dataset matrix config (default {DEFAULT_MATRIX})')
    parser.add_argument('--dataset', nargs='+', help='dataset names (default: the config\'s)')
    parser.add_argument('--out', help='output folder (default: <work_dir>/test, or '
                                      'work_dirs/cross_dataset)')
    parser.add_argument('--best', action='store_const', const='best', default='last',
                        dest='which', help="a work dir's best checkpoint instead of its last")
    parser.add_argument('--rerank', action='store_true',
                        help='also k-reciprocal re-ranking of the embedding ranking (memory-'
                             'bounded: it prints its estimate first)')
    parser.add_argument('--top-k', type=int, help='two-stage shortlist (default: config, 100)')
    parser.add_argument('--device', choices=DEVICES)
    parser.add_argument('--no-pictures', action='store_true')
    add_cfg_options(parser)
    args = parser.parse_args()
    with exit_on_user_error(args.config, args.cfg_options):
        if args.cross_dataset:
            result = cross_dataset(args.cross_dataset, args.out or 'work_dirs/cross_dataset')
            print(result['markdown'])
            print('\n'.join(f'{kind}: {path}' for kind, path in result['files'].items()))
            return
        if not (args.config and args.checkpoint):
            parser.error('CONFIG and CHECKPOINT are required unless --cross-dataset is given')
        results = test(args.config, args.checkpoint, datasets=args.dataset, out_dir=args.out,
                       top_k=args.top_k, cfg_options=args.cfg_options, device=args.device,
                       pictures=not args.no_pictures, which=args.which, rerank=args.rerank)
    used = {r['checkpoint'] for r in results.values()}
    print(f'checkpoint: {", ".join(sorted(used))}'
          + ('' if args.checkpoint.endswith('.pth') else f' ({args.which} of the work dir)'))
    print(format_results_table(results))


if __name__ == '__main__':
    main()
