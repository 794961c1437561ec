"""Run the whole pipeline on the embedded synthetic world and write a report (``make demo``).

The world goes to ``$POSEREID_DATA/synthetic`` (default ``data/synthetic``); models, caches
and the report to ``work_dirs/``.

    python tools/demo.py [--out work_dirs/demo] [--workers N]
"""
import argparse
from pathlib import Path

from posereid.demo import run_demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', type=Path, default=Path('work_dirs/demo'))
    parser.add_argument('--workers', type=int, help='world generation processes (default: all)')
    args = parser.parse_args()
    run_demo(args.out, args.workers)


if __name__ == '__main__':
    main()
