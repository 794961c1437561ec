"""The machine a benchmark ran on: printed at the top of every ``benchmarks/bench_*.py`` and stored
in its JSON under ``machine``, since its figures do not travel between processors; and how much
of it other processes took meanwhile."""
from __future__ import annotations

import os
import resource

import torch

from posereid.utils.machine import cpu_model


def resident_mb(key: str = 'VmRSS') -> float:
    """``VmRSS`` (now) or ``VmHWM`` (its high-water mark) of this process, in MB (Linux)."""
    with open('/proc/self/status', encoding='ascii') as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith(key + ':'))
    return kb / 1024


def describe_machine(device: str | torch.device = 'cpu') -> dict:
    """Print one line describing the machine and return it as ``{cpu, cores, torch_threads,
    torch}``, plus ``cuda_device`` (its name) when ``device`` is a CUDA device. Call it after
    setting the thread count."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    machine = dict(cpu=cpu_model(), cores=cores, torch_threads=torch.get_num_threads(),
                   torch=torch.__version__)
    if torch.device(device).type == 'cuda':
        machine['cuda_device'] = torch.cuda.get_device_name(device)
    print(f'machine: {machine["cpu"]}, {cores} cores, {machine["torch_threads"]} torch threads, '
          f'torch {machine["torch"]}'
          + (f', {machine["cuda_device"]}' if 'cuda_device' in machine else ''), flush=True)
    return machine


def cpu_seconds() -> tuple[float, float, float] | None:
    """``(busy, total, own)``: CPU seconds the whole machine spent busy and in all, and this
    process's own (all its threads), so far; None without ``/proc/stat`` (not Linux)."""
    try:
        with open('/proc/stat', encoding='ascii') as stat:
            jiffies = [int(v) for v in stat.readline().split()[1:8]]
    except OSError:
        return None
    usage = resource.getrusage(resource.RUSAGE_SELF)
    tick = os.sysconf('SC_CLK_TCK')
    idle = jiffies[3] + jiffies[4]                                     # idle, iowait
    return (sum(jiffies) - idle) / tick, sum(jiffies) / tick, usage.ru_utime + usage.ru_stime


def others_share(since: tuple[float, float, float] | None) -> float | None:
    """Share of the machine's CPU time that other processes took since ``since``
    (:func:`cpu_seconds`): a burst of another job shows here where the 1-minute load average
    hides it, and with as many threads as cores it slows every parallel region."""
    now = cpu_seconds()
    if since is None or now is None or now[1] <= since[1]:
        return None
    busy, total, own = (b - a for a, b in zip(since, now))
    return max(0.0, busy - own) / total
