import ctypes
import mmap
import platform
import re
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


def linux_at_least(major: int, minor: int) -> bool:
    version = re.match(r'(\d+)\.(\d+)', platform.release())
    return (sys.platform.startswith('linux') and version is not None
            and tuple(map(int, version.groups())) >= (major, minor))


def resident_fraction(tensor: torch.Tensor) -> float:
    """Share of the whole pages inside ``tensor`` that are resident (``mincore``)."""
    page = mmap.PAGESIZE
    first = -(-tensor.data_ptr() // page) * page
    pages = (tensor.data_ptr() + tensor.numel() * tensor.element_size() - first) // page
    mincore = ctypes.CDLL(None, use_errno=True).mincore
    mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
    residency = ctypes.create_string_buffer(pages)
    assert mincore(first, pages * page, residency) == 0, ctypes.get_errno()
    return sum(byte & 1 for byte in residency.raw) / pages


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


def test_whole_huge_pages_are_advised_then_every_whole_page_is_populated(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, '_madvise', lambda start, size, advice: calls.append(
        (start, size, advice)) or 0)
    empty_huge_paged(1 << 10, like=torch.zeros(1))                   # 4 KiB: left alone
    assert calls == []
    large = empty_huge_paged(3, 5 << 20, like=torch.zeros(1))        # 60 MiB
    end = large.data_ptr() + 60 * (1 << 20)
    [(start, size, advice), (first, length, populate)] = calls
    for page, (begin, span) in [(2 << 20, (start, size)), (mmap.PAGESIZE, (first, length))]:
        assert begin % page == 0 and span % page == 0
        assert large.data_ptr() <= begin < large.data_ptr() + page
        assert begin + span <= end < begin + span + page
    assert (advice, populate) == (14, 23)


@pytest.mark.skipif(not linux_at_least(5, 14), reason='MADV_POPULATE_WRITE needs Linux 5.14')
def test_a_large_tensor_is_resident_before_its_first_write():
    size = 48 << 20                                  # above glibc's default largest mmap threshold
    plain = torch.empty(size // 4)
    if resident_fraction(plain) > 0.1:               # the allocator reused memory already mapped
        pytest.skip('large allocations here reuse resident memory: nothing to populate')
    populated = empty_huge_paged(size // 4, like=torch.zeros(1))
    assert resident_fraction(populated) == 1
