"""Large CPU tensors backed by transparent huge pages, mapped before their first write.

The first write to a fresh multi-megabyte CPU tensor maps its memory from the OS one 4 KiB page
at a time; here that costs about 0.3 ms per MB, so allocating the 71 MB output of the NCC layer
(B = 32 pairs) took about as long as computing it. :func:`empty_huge_paged` asks Linux to back
the block with 2 MiB pages (``madvise(MADV_HUGEPAGE)``; honoured when
``/sys/kernel/mm/transparent_hugepage/enabled`` is ``always`` or ``madvise``) and then to map
all of it at once (``MADV_POPULATE_WRITE``, Linux ≥ 5.14) instead of page fault by page fault
inside the computation's threads.

Both matter (NCC forward, B = 32, ms per pair, medians of runs here; plain 4 KiB pages /
huge pages / huge pages mapped at once): called back to back 1.7–1.9 / 1.4–1.8 / 1.3–1.4; after a
pause of 2 s, 2.3–2.8 / 2.6–8.2 / 1.5–2.3. Huge pages alone turned every call that follows a pause
into a slow one, as the kernel assembled them fault by fault; mapped at once, an occasional call
still is. The NCC training step no longer has a slow start (it had 3 to 9 slow steps). PyTorch
can use huge pages for every allocation of a process (``THP_MEM_ALLOC_ENABLE=1``);
:func:`empty_huge_paged` does this only for the tensors that ask. Elsewhere (other systems, CUDA,
small tensors) it is ``new_empty``.
"""
from __future__ import annotations

import ctypes
import mmap
import sys

import torch

_PAGE = mmap.PAGESIZE
_HUGE_PAGE = 2 << 20
_MADV_HUGEPAGE = 14                      # <asm-generic/mman-common.h>
_MADV_POPULATE_WRITE = 23
_MIN_BYTES = 4 * _HUGE_PAGE


def _load_madvise():
    if not sys.platform.startswith('linux'):
        return None
    try:
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    madvise.restype = ctypes.c_int
    return madvise


_madvise = _load_madvise()


def _inner_pages(address: int, size: int, page: int) -> tuple[int, int]:
    """Start and length of the whole ``page``-sized pages inside ``[address, address + size)``."""
    start = -(-address // page) * page
    return start, max(0, (address + size) // page * page - start)


def empty_huge_paged(*shape: int, like: torch.Tensor) -> torch.Tensor:
    """``like.new_empty(shape)``; on Linux CPU, for ≥ 8 MiB, the whole 2 MiB-aligned pages inside
    it are marked for huge pages, then every whole page inside it is mapped, before anything
    touches it. The contents are left as they are; a failed ``madvise`` (another OS, an older
    kernel) is ignored: the tensor is the same, only its first write is slower."""
    tensor = like.new_empty(shape)
    size = tensor.numel() * tensor.element_size()
    if _madvise is None or tensor.device.type != 'cpu' or size < _MIN_BYTES:
        return tensor
    _madvise(*_inner_pages(tensor.data_ptr(), size, _HUGE_PAGE), _MADV_HUGEPAGE)
    _madvise(*_inner_pages(tensor.data_ptr(), size, _PAGE), _MADV_POPULATE_WRITE)
    return tensor
