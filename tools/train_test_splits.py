"""Train and test a config on every split of its dataset's protocol, then one table of mean ±
std (CUHK03 classic x 20, CUHK01 and VIPeR x 10).

    python tools/train_test_splits.py CONFIG [--work-dir DIR] [--splits 0 2 4 ...]
                                      [--cfg-options k=v ...] [--device cpu|cuda]

Each split trains into <work-dir>/split<i> (a finished one is reused, an interrupted one
resumed) and is tested on its last checkpoint; <work-dir>/splits.md and splits.json hold the
table, rewritten after every split.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from posereid.engine.cli import add_cfg_options, exit_on_user_error
from posereid.engine.config import DEVICES
from posereid.engine.splits import run_splits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split('\n', 2)[2])
    parser.add_argument('config')
    parser.add_argument('--work-dir', help='default: work_dirs/<config name>_splits')
    parser.add_argument('--splits', nargs='+', type=int,
                        help="split ids (default: the protocol's, e.g. 0..19 for CUHK03)")
    parser.add_argument('--device', choices=DEVICES)
    add_cfg_options(parser)
    args = parser.parse_args()
    work_dir = args.work_dir or Path('work_dirs') / f'{Path(args.config).stem}_splits'
    with exit_on_user_error(args.config, args.cfg_options):
        report = run_splits(args.config, work_dir, args.splits, args.cfg_options, args.device)
    print(report['markdown'])
    print('\n'.join(f'{kind}: {path}' for kind, path in report['files'].items()))


if __name__ == '__main__':
    main()
