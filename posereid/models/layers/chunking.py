"""Split a batch into slices whose temporaries stay cache-sized.

The matching layers build per-pair temporaries (patch matrices, difference volumes) that are
several megabytes per pair. Computing them a few pairs at a time keeps each temporary in cache
and lets the allocator reuse the same block instead of asking the OS for fresh pages on every
call (page faults dominate large CPU allocations). On GPUs it only costs a few extra launches.
"""
from __future__ import annotations

#: Elements (not bytes) one chunk's largest temporary may hold: 1 Mi floats = 4 MB in fp32 (fits
#: in L3; smaller chunks cost more thread synchronisations than they save in cache misses).
CHUNK_ELEMENTS = 1 << 20


def batch_chunks(batch_size: int, elements_per_item: int,
                 budget: int = CHUNK_ELEMENTS) -> list[slice]:
    """Consecutive slices of ``range(batch_size)``, each of ``budget // elements_per_item`` items
    (at least one)."""
    step = max(1, budget // max(1, elements_per_item))
    return [slice(start, min(batch_size, start + step)) for start in range(0, batch_size, step)]
