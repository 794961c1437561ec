"""Large CPU tensors backed by transparent huge pages.

The first write to a fresh multi-megabyte CPU tensor maps its memory from the OS one 4 KiB page
at a time; here that costs about 0.3 ms per MB, so allocating the 71 MB output of the NCC layer
(B = 32 pairs) took about as long as computing it. Asking Linux to back the block with 2 MiB
pages (``madvise(MADV_HUGEPAGE)``; honoured when ``/sys/kernel/mm/transparent_hugepage/enabled``
is ``always`` or ``madvise``) halves it (79 MB: 27 → 14 ms here). Until the kernel has assembled
enough huge pages, the first allocations of a process cost more, not less: here the first 3 to 9
training steps of the NCC layer spend about 0.2 s each in the kernel, then settle. PyTorch can
do this for every allocation of a process (``THP_MEM_ALLOC_ENABLE=1``); :func:`empty_huge_paged`
does it only for the tensors that ask. Elsewhere (other systems, CUDA, small tensors) it is
``new_empty``.
"""
from __future__ import annotations

import ctypes
import sys

import torch

_HUGE_PAGE = 2 << 20
_MADV_HUGEPAGE = 14                      # <asm-generic/mman-common.h>
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


def empty_huge_paged(*shape: int, like: torch.Tensor) -> torch.Tensor:
    """``like.new_empty(shape)``; on Linux CPU, for ≥ 8 MiB, the whole 2 MiB-aligned pages inside
    it are marked for huge pages before anything touches them (a failed ``madvise`` is ignored:
    the tensor is the same, only its first write is slower)."""
    tensor = like.new_empty(shape)
    size = tensor.numel() * tensor.element_size()
    if _madvise is None or tensor.device.type != 'cpu' or size < _MIN_BYTES:
        return tensor
    start = -(-tensor.data_ptr() // _HUGE_PAGE) * _HUGE_PAGE
    end = (tensor.data_ptr() + size) // _HUGE_PAGE * _HUGE_PAGE
    _madvise(start, end - start, _MADV_HUGEPAGE)
    return tensor
