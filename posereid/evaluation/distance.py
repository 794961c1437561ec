"""Distances between embeddings, computed on the embeddings' device.

=============  ============================================
metric         distance between ``q`` and ``g``
=============  ============================================
euclidean      ``||q - g||_2``
sqeuclidean    ``||q - g||_2^2``
cosine         ``1 - q.g / (||q|| ||g||)``  (in ``[0, 2]``)
=============  ============================================
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

DISTANCE_METRICS = ('euclidean', 'sqeuclidean', 'cosine')


def compute_distance_matrix(query, gallery, metric: str = 'euclidean',
                            chunk_size: int = 4096) -> torch.Tensor:
    """Distances between every query and every gallery embedding.

    Args:
        query: ``(Q, D)`` embeddings (torch tensor or array).
        gallery: ``(G, D)`` embeddings on the same device.
        metric: ``'euclidean'``, ``'sqeuclidean'`` or ``'cosine'``.
        chunk_size: query rows computed at a time, bounding the temporaries.

    Returns:
        ``(Q, G)`` distances in the embeddings' floating dtype.
    """
    query, gallery = _check_embeddings(query, gallery, metric)
    out = torch.empty(len(query), len(gallery), dtype=query.dtype, device=query.device)
    if metric == 'cosine':
        gallery = F.normalize(gallery, dim=1)
    for start in range(0, len(query), chunk_size):
        rows = query[start:start + chunk_size]
        if metric == 'cosine':
            torch.mm(F.normalize(rows, dim=1), gallery.T, out=out[start:start + chunk_size])
            out[start:start + chunk_size].neg_().add_(1)
        else:
            block = torch.cdist(rows, gallery)
            out[start:start + chunk_size] = block.square_() if metric == 'sqeuclidean' else block
    return out


def compute_paired_distance(a, b, metric: str = 'euclidean') -> torch.Tensor:
    """Distances between matching rows: ``(N, D), (N, D) -> (N,)``."""
    a, b = _check_embeddings(a, b, metric)
    if a.shape != b.shape:
        raise ValueError(f'paired embeddings must have the same shape, got {tuple(a.shape)} '
                         f'and {tuple(b.shape)}')
    if metric == 'cosine':
        return 1 - F.cosine_similarity(a, b, dim=1)
    squared = (a - b).square_().sum(1)
    return squared if metric == 'sqeuclidean' else squared.sqrt_()


def _check_embeddings(query, gallery, metric: str) -> tuple[torch.Tensor, torch.Tensor]:
    if metric not in DISTANCE_METRICS:
        raise ValueError(f'metric must be one of {DISTANCE_METRICS}, got {metric!r}')
    query, gallery = torch.as_tensor(query), torch.as_tensor(gallery)
    for name, x in (('query', query), ('gallery', gallery)):
        if x.ndim != 2:
            raise ValueError(f'{name} embeddings must be a 2-D (N, D) matrix, '
                             f'got shape {tuple(x.shape)}')
    if query.shape[1] != gallery.shape[1]:
        raise ValueError(f'query and gallery embeddings differ in width: {query.shape[1]} vs '
                         f'{gallery.shape[1]}')
    if query.device != gallery.device:
        raise ValueError(f'query and gallery embeddings are on different devices: '
                         f'{query.device} vs {gallery.device}')
    if not query.is_floating_point():
        query = query.double()
    return query, gallery.to(query.dtype)
