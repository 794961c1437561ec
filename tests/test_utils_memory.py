import sys
from pathlib import Path

import pytest
import torch

from posereid.utils import memory
from posereid.utils.memory import empty_huge_paged

THP = Path('/sys/kernel/mm/transparent_hugepage/enabled')


def vm_flags_at(address: int) -> list[str]:
    """VmFlags of the mapping of this process that holds ``address`` (Linux /proc/self/smaps)."""
    inside = False
    for line in Path('/proc/self/smaps').read_text().splitlines():
        head = line.split()[0]
        if '-' in head and not head.endswith(':'):
            start, end = (int(part, 16) for part in head.split('-'))
            inside = start <= address < end
        elif inside and head == 'VmFlags:':
            return line.split()[1:]
    raise AssertionError(f'no mapping holds {address:#x}')


@pytest.mark.parametrize('shape', [(3, 5), (4, 1024, 1024)])
def test_it_is_an_empty_tensor_like_new_empty(shape):
    like = torch.zeros(1, dtype=torch.float64)
    tensor = empty_huge_paged(*shape, like=like)
    assert tensor.shape == shape and tensor.dtype == torch.float64 and tensor.device == like.device
    tensor.fill_(2.5)
    assert tensor.sum().item() == 2.5 * tensor.numel()


@pytest.mark.skipif(not sys.platform.startswith('linux') or not THP.exists(),
                    reason='transparent huge pages are a Linux feature')
def test_large_cpu_tensors_are_advised_for_huge_pages():
    large = empty_huge_paged(8 << 20, like=torch.zeros(1))          # 32 MiB
    assert 'hg' in vm_flags_at(large.data_ptr() + (16 << 20))


def test_only_whole_huge_pages_inside_large_cpu_tensors_are_advised(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, '_madvise', lambda start, size, advice: calls.append(
        (start, size, advice)) or 0)
    empty_huge_paged(1 << 10, like=torch.zeros(1))                   # 4 KiB: left alone
    assert calls == []
    large = empty_huge_paged(3, 5 << 20, like=torch.zeros(1))        # 60 MiB
    [(start, size, advice)] = calls
    huge = 2 << 20
    assert advice == 14 and start % huge == 0 and size % huge == 0
    assert large.data_ptr() <= start < large.data_ptr() + huge
    assert start + size <= large.data_ptr() + 60 * (1 << 20) < start + size + huge
