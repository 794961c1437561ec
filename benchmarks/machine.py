"""The machine a benchmark ran on: printed at the top of every ``benchmarks/bench_*.py`` and stored
in its JSON under ``machine``, since its figures do not travel between processors."""
from __future__ import annotations

import os
import platform

import torch


def cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo``; elsewhere what :mod:`platform` knows)."""
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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

