"""Run every ``benchmarks/bench_*.py`` and print one table of its figures against the goals.

    python benchmarks/run_all.py [--out work_dirs/bench] [--only bench_eval bench_layers]

Each benchmark is run in its own process with ``--json OUT/<name>.json`` (each prints and stores
the machine it ran on, :mod:`machine`); the goals below are the project's targets (from the
issues). A benchmark that fails is reported and the rest still run.
"""
from __future__ import annotations

import argparse
import operator
import subprocess
import sys
import time
from pathlib import Path

from machine import describe_machine
from posereid.utils.io import read_json

HERE = Path(__file__).resolve().parent

# benchmark -> {key: (comparison, target)}
GOALS = {
    'bench_eval': {'vectorized_s': ('<=', 2.5), 'peak_rss_mb': ('<', 1500),
                   'max_abs_diff': ('<=', 1e-6), 'speedup': ('>', 1)},
    'bench_live': {'idf1_gap': ('<=', 0.03), 'frames_per_s': ('>=', 20),
                   'p99_decision_s': ('<', 1), 'rss_growth': ('<', 0.1),
                   'identities_lost': ('<=', 0)},
    'bench_layers': {'nd_speedup': ('>=', 10), 'nd_floor_ratio': ('<=', 3),
                     'ncc_ms_per_pair': ('<', 2), 'ncc_train_ms_per_pair': ('<', 6),
                     'ncc_speedup': ('>=', 100)},
    'bench_export': {'embedding_max_abs_diff': ('<=', 1e-4),
                     'probability_max_abs_diff': ('<=', 1e-4)},
    'bench_index': {'flat_vs_torch_speedup': ('>=', 1), 'ivf_vs_flat_speedup': ('>=', 10),
                    'ivf_recall_at_100': ('>=', 0.95), 'peak_rss_mb': ('<', 3000)},
    'bench_precompute': {'speedup': ('>=', 3)},
    'bench_retrieval': {'pair_passes_ratio': ('>=', 100)},
    'bench_scale': {'msmt_peak_mb': ('<', 4000)},
    'bench_world': {'default_world_s': ('<', 60)},
}
COMPARE = {'<': operator.lt, '<=': operator.le, '>': operator.gt, '>=': operator.ge}


def run_benchmark(script: Path, out_dir: Path) -> tuple[dict | None, float, str]:
    """Run one benchmark script; return (its JSON or None, seconds, error text)."""
    json_path = out_dir / f'{script.stem}.json'
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script), '--json', str(json_path)],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    sys.stdout.write(proc.stdout)
    if proc.returncode != 0:
        tail = (proc.stderr.strip().splitlines() or ['(no output)'])[-1]
        return None, seconds, f'exit {proc.returncode}: {tail}'
    return read_json(json_path), seconds, ''


def format_rows(name: str, figures: dict | None, error: str) -> list[tuple[str, ...]]:
    if figures is None:
        return [(name, '-', 'FAILED', '-', error)]
    goals = GOALS.get(name, {})
    rows = []
    for key, value in figures.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        if key in goals:
            op, target = goals[key]
            verdict = 'ok' if COMPARE[op](value, target) else 'MISSED'
            rows.append((name, key, f'{value:.4g}', f'{op} {target:g}', verdict))
        else:
            rows.append((name, key, f'{value:.4g}', '', ''))
    missing = [key for key in goals if key not in figures]
    rows += [(name, key, 'absent', f'{goals[key][0]} {goals[key][1]:g}', 'MISSED')
             for key in missing]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', type=Path, default=Path('work_dirs/bench'))
    parser.add_argument('--only', nargs='*', help='benchmark names (file stems) to run')
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    scripts = sorted(HERE.glob('bench_*.py'))
    if args.only:
        scripts = [s for s in scripts if s.stem in args.only]
    rows = []
    for script in scripts:
        print(f'== {script.stem}', flush=True)
        figures, seconds, error = run_benchmark(script, args.out)
        rows += format_rows(script.stem, figures, error)
        print(f'   ({seconds:.0f} s)', flush=True)
    header = ('benchmark', 'figure', 'measured', 'goal', 'verdict')
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    print()
    describe_machine()
    for row in [header, tuple('-' * w for w in widths)] + rows:
        print('  '.join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 1 if any(r[4] in ('MISSED', 'FAILED') for r in rows) else 0


if __name__ == '__main__':
    sys.exit(main())
