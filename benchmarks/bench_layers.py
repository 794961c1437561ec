"""Speed and memory of the matching layers: against loop references written as public
implementations do, and the NCC layer's fused autograd function against its standard-operator
path.

    python benchmarks/bench_layers.py [--json PATH] [--repeats 9] [--warmup 3] [--threads 2]
                                      [--device cpu|cuda]

fp32, the paper's sizes: B = 32 pairs of (C, H, W) = (25, 37, 12) feature maps, k = 5, on the
CPU (the goals) or, with ``--device cuda``, a GPU (every call synchronised before the clock
stops; there the layers run whole batches, chunked only by free memory).

* ND: "neighborhood difference in both directions + patch-summary convolution (25 @ 5 × 5,
  stride 5)", forward + backward. Reference: the tiled 5H × 5W maps built by a Python loop over the
  H × W positions (batched over pairs), ReLU, then ``nn.Conv2d``. Ours:
  :class:`~posereid.models.layers.NeighborhoodDifferenceSummary`. ``nd_floor_ratio`` is our forward
  time over one memory copy of the full ND output size (2 × B × C × 5H × 5W floats).
* NCC against the loop: per-pair forward against a reference looping over channels, positions and
  search-window rows (one pair, it is slow); ours on the batch, forward and forward + backward.
* NCC, fused against standard operators: the layer's autograd function against
  :func:`~posereid.models.layers.normalized_cross_correlation.correlate_windows` (the same windows
  and statistics in standard operators, differentiated by autograd), forward and forward +
  backward, and the peak memory of one call of each (:func:`peak_mb`).

Every figure is the median of ``--repeats`` runs after ``--warmup`` seconds of untimed runs of the
same function. A figure and its baseline are timed in alternation (one call of each per round), so
that a slow stretch of the machine hits both, except the NCC loop (after its seconds of Python,
the layer's next call is slower, see :mod:`posereid.utils.memory`). Both sides use the same thread
count. The machine load (1-minute average) is recorded before and after, and the share of the
machine's CPU time that other processes took during the ND and the NCC figures
(``*_others_cpu_share``): numbers taken while other jobs run are noisy, and with as many threads
as cores OpenMP threads wait on each other at every parallel region (compare ``--threads 1``).
"""
from __future__ import annotations

import argparse
import ctypes
import math
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # this checkout's posereid

from machine import cpu_seconds, describe_machine, others_share, resident_mb  # noqa: E402
from posereid.models.layers import (NeighborhoodDifferenceSummary,  # noqa: E402
                                    normalized_cross_correlation)
from posereid.models.layers.normalized_cross_correlation import correlate_windows  # noqa: E402
from posereid.utils import atomic_save_json  # noqa: E402

B, C, H, W, K = 32, 25, 37, 12, 5
ROW_RADIUS, EPS = 2, 1e-2


DEVICE = torch.device('cpu')


def synchronize() -> None:
    if DEVICE.type == 'cuda':
        torch.cuda.synchronize(DEVICE)


def median_ms(functions: list, repeats: int, warmup: float) -> list[float]:
    """Median time of each function over ``repeats`` rounds that call every function once, in
    turn, so that a slow stretch of the machine hits a figure and its baseline alike. Each
    function first runs untimed for ``warmup`` seconds (at least once)."""
    for fn in functions:
        end = time.perf_counter() + warmup
        fn()
        while time.perf_counter() < end:
            fn()
        synchronize()
    times = [[] for _ in functions]
    for _ in range(repeats):
        for fn, fn_times in zip(functions, times):
            start = time.perf_counter()
            fn()
            synchronize()
            fn_times.append(time.perf_counter() - start)
    return [1e3 * statistics.median(fn_times) for fn_times in times]


def peak_mb(fn) -> float | None:
    """Memory one call of ``fn`` takes at its peak, in MB, beyond what was in use before: on
    CUDA, ``torch.cuda.max_memory_allocated`` over ``memory_allocated``; on a Linux CPU, the
    resident set's high-water mark over the resident set, once freed heap memory has been
    returned to the OS (``malloc_trim``) and the mark reset (``/proc/self/clear_refs``). None
    elsewhere."""
    if DEVICE.type == 'cuda':
        synchronize()
        torch.cuda.reset_peak_memory_stats(DEVICE)
        before = torch.cuda.memory_allocated(DEVICE)
        fn()
        synchronize()
        return (torch.cuda.max_memory_allocated(DEVICE) - before) / 2 ** 20
    if not sys.platform.startswith('linux'):
        return None
    ctypes.CDLL(None).malloc_trim(0)
    with open('/proc/self/clear_refs', 'w', encoding='ascii') as clear_refs:
        clear_refs.write('5')                             # VmHWM := VmRSS
    before = resident_mb('VmRSS')
    fn()
    return resident_mb('VmHWM') - before


# ---------------------------------------------------------------- ND reference (public style)
def tiled_neighborhood_difference_loop(f, g, k=K):
    """K = f(x, y)·1(k, k) − N[g(x, y)], block by block in a Python loop, as (B, C, kH, kW)."""
    p = k // 2
    g_padded = F.pad(g, (p, p, p, p))
    rows = []
    for x in range(f.shape[2]):
        blocks = [f[:, :, x:x + 1, y:y + 1].expand(-1, -1, k, k) - g_padded[:, :, x:x + k, y:y + k]
                  for y in range(f.shape[3])]
        rows.append(torch.cat(blocks, dim=3))
    return torch.cat(rows, dim=2)


class LoopNeighborhoodDifferenceSummary(nn.Module):
    def __init__(self):
        super().__init__()
        self.summary_fg = nn.Conv2d(C, C, K, stride=K)
        self.summary_gf = nn.Conv2d(C, C, K, stride=K)

    def forward(self, f, g):
        return torch.cat([self.summary_fg(tiled_neighborhood_difference_loop(f, g).relu()),
                          self.summary_gf(tiled_neighborhood_difference_loop(g, f).relu())], 1)


# ---------------------------------------------------------------- NCC reference (public style)
def _normalize(patches, eps=EPS):
    centred = patches - patches.mean(-1, keepdim=True)
    n = patches.shape[-1]
    sigma = torch.sqrt(centred.square().sum(-1, keepdim=True) / (n - 1) + eps * eps)
    return centred / (math.sqrt(n - 1) * sigma)


def ncc_loop_one_pair(f, g, k=K, r=ROW_RADIUS):
    """(C, H, W) pair -> (C, H, W, 2r + 1, W), looping over channels, positions and window rows."""
    p = k // 2
    c, h, w = f.shape
    f_padded = F.pad(f, (p, p, p, p))
    g_padded = F.pad(g, (p, p, p + r, p + r))
    out = f.new_zeros(c, h, w, 2 * r + 1, w)
    for channel in range(c):
        for x in range(h):
            for y in range(w):
                patch = _normalize(f_padded[channel, x:x + k, y:y + k].reshape(-1))
                for i in range(2 * r + 1):
                    row = g_padded[channel, x + i:x + i + k]                    # (k, W + 2p)
                    candidates = row.unfold(1, k, 1).permute(1, 0, 2).reshape(w, -1)
                    out[channel, x, y, i] = _normalize(candidates) @ patch
    return out


def bench_nd(repeats: int, warmup: float) -> dict:
    torch.manual_seed(0)
    f = torch.randn(B, C, H, W, device=DEVICE, requires_grad=True)
    g = torch.randn(B, C, H, W, device=DEVICE, requires_grad=True)
    reference = LoopNeighborhoodDifferenceSummary().to(DEVICE)
    ours = NeighborhoodDifferenceSummary(C, C, K).to(DEVICE)
    with torch.no_grad():
        ours.weight.copy_(torch.stack([reference.summary_fg.weight, reference.summary_gf.weight]))
        ours.bias.copy_(torch.stack([reference.summary_fg.bias, reference.summary_gf.bias]))
        max_abs_diff = (ours(f, g) - reference(f, g)).abs().max().item()
    grad = torch.randn(B, 2 * C, H, W, device=DEVICE)

    def train_step(module):
        def step():
            f.grad = g.grad = None
            module.zero_grad(set_to_none=True)
            module(f, g).backward(grad)
        return step

    reference_ms, ours_ms = median_ms([train_step(reference), train_step(ours)], repeats, warmup)
    output = torch.randn(2 * B * C * K * H * K * W, device=DEVICE)
    with torch.no_grad():
        forward_ms, copy_ms = median_ms([lambda: ours(f, g),
                                         lambda: torch.empty_like(output).copy_(output)],
                                        repeats, warmup)
    return dict(nd_reference_train_ms=reference_ms, nd_train_ms=ours_ms,
                nd_speedup=reference_ms / ours_ms, nd_ms_per_pair=ours_ms / B,
                nd_forward_ms=forward_ms, nd_copy_floor_ms=copy_ms,
                nd_floor_ratio=forward_ms / copy_ms, nd_max_abs_diff=max_abs_diff)


def bench_ncc(repeats: int, warmup: float) -> dict:
    torch.manual_seed(0)
    f = torch.randn(B, C, H, W, device=DEVICE, requires_grad=True)
    g = torch.randn(B, C, H, W, device=DEVICE, requires_grad=True)
    with torch.no_grad():
        ours = normalized_cross_correlation(f, g, K, ROW_RADIUS)
        max_abs_diff = (ours[0] - ncc_loop_one_pair(f[0], g[0])).abs().max().item()
        # not in alternation: a call after seconds of the loop would time the pause's after-effect
        reference_ms, = median_ms([lambda: ncc_loop_one_pair(f[0], g[0])], repeats, warmup)
    grad = torch.randn_like(ours)
    paths = {'fused': normalized_cross_correlation,
             'standard': lambda *inputs: correlate_windows(*inputs, per_channel=True, eps=EPS)}

    def forward(layer):
        def call():
            with torch.no_grad():
                layer(f, g, K, ROW_RADIUS)
        return call

    def train_step(layer):
        def step():
            f.grad = g.grad = None
            layer(f, g, K, ROW_RADIUS).backward(grad)
        return step

    figures = {}
    for step, make in (('forward', forward), ('train', train_step)):
        calls = [make(layer) for layer in paths.values()]
        for path, ms, call in zip(paths, median_ms(calls, repeats, warmup), calls):
            figures[f'ncc_{path}_{step}_ms_per_pair'] = ms / B
            figures[f'ncc_{path}_{step}_peak_mb'] = peak_mb(call)
        figures[f'ncc_standard_over_fused_{step}'] = (figures[f'ncc_standard_{step}_ms_per_pair']
                                                      / figures[f'ncc_fused_{step}_ms_per_pair'])
    with torch.no_grad():
        standard_max_abs_diff = (paths['standard'](f, g, K, ROW_RADIUS) - ours).abs().max().item()
    forward_ms = figures['ncc_fused_forward_ms_per_pair']
    return dict(ncc_reference_ms_per_pair=reference_ms, ncc_ms_per_pair=forward_ms,
                ncc_train_ms_per_pair=figures['ncc_fused_train_ms_per_pair'],
                ncc_speedup=reference_ms / forward_ms, ncc_max_abs_diff=max_abs_diff,
                ncc_standard_max_abs_diff=standard_max_abs_diff, **figures)


def print_ncc_paths(figures: dict) -> None:
    """The NCC table: fused and standard-operator paths, time per pair and peak memory."""
    columns = {'forward_ms_per_pair': 'fwd ms/pair', 'train_ms_per_pair': 'fwd+bwd ms/pair',
               'forward_peak_mb': 'fwd peak MB', 'train_peak_mb': 'fwd+bwd peak MB'}

    def row(title: str, cells: list, suffix: str = '') -> None:
        print(title.ljust(20) + ''.join(('-' if v is None else f'{v:.2f}{suffix}').rjust(17)
                                        for v in cells))

    print(f'NCC, {B} pairs'.ljust(20) + ''.join(title.rjust(17) for title in columns.values()))
    cells = {path: [figures[f'ncc_{path}_{key}'] for key in columns]
             for path in ('fused', 'standard')}
    for path, values in cells.items():
        row(path, values)
    row('standard / fused', [None if None in (s, f) else s / f
                             for s, f in zip(cells['standard'], cells['fused'])], 'x')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', type=Path, help='write the figures here')
    parser.add_argument('--repeats', type=int, default=9)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--warmup', type=float, default=3.0,
                        help='seconds each timed function runs before it is timed')
    parser.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    args = parser.parse_args()
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: no CUDA device here')
    global DEVICE
    DEVICE = torch.device(args.device)
    if args.repeats < 1:
        parser.error('--repeats must be >= 1')
    if args.warmup < 0:
        parser.error('--warmup must be >= 0 seconds')
    torch.set_num_threads(args.threads)
    figures = dict(machine=describe_machine(DEVICE), device=args.device, repeats=args.repeats,
                   warmup_seconds=args.warmup, load_before=os.getloadavg()[0])
    for name, bench in (('nd', bench_nd), ('ncc', bench_ncc)):
        start = cpu_seconds()
        figures.update(bench(args.repeats, args.warmup))
        figures[f'{name}_others_cpu_share'] = others_share(start)
    figures['load_after'] = os.getloadavg()[0]
    print_ncc_paths(figures)
    scalars = {key: value for key, value in figures.items() if key != 'machine'}
    width = max(map(len, scalars))
    for key, value in scalars.items():
        print(f'{key.ljust(width)}  {value:.4g}' if isinstance(value, float) else
              f'{key.ljust(width)}  {value}')
    if args.json:
        atomic_save_json(figures, args.json)
    return 0

if __name__ == '__main__':
    sys.exit(main())
