"""Nearest gallery embeddings of each query: the embedding shortlist of two-stage ranking.

:class:`EmbeddingIndex` answers "the ``k`` gallery embeddings nearest each query" by brute
force with torch for a small gallery, and through faiss for a large one — exact search
(``IndexFlatL2`` / ``IndexFlatIP``) by default, an inverted file (``IndexIVFFlat``: k-means
cells, ``nprobe`` of them searched) on request. Exact faiss and torch give the same neighbours
(ties aside) and distances to float32 rounding. Distances are Euclidean, as ranking's
(:func:`posereid.evaluation.compute_distance_matrix`); ``metric='inner_product'`` ranks by
similarity (cosine for L2-normalised embeddings) and returns similarities.
"""
from __future__ import annotations

import numpy as np
import torch

from posereid.evaluation import compute_distance_matrix

METRICS = ('euclidean', 'inner_product')
KINDS = ('auto', 'torch', 'flat', 'ivf')
#: Gallery size from which ``kind='auto'`` searches through faiss instead of torch.
FAISS_FROM = 50_000
#: Distance entries (query × gallery) a block of the torch search holds: 64 MB of float32.
TORCH_BLOCK_ENTRIES = 1 << 24


class EmbeddingIndex:
    """An index of ``(G, D)`` gallery embeddings.

    Args:
        gallery: ``(G, D)`` embeddings (tensor or array; kept as float32 on the CPU for faiss).
        metric: ``'euclidean'`` (smallest distances first) or ``'inner_product'`` (largest
            similarities first).
        kind: ``'torch'`` (brute force, any device), ``'flat'`` (faiss, exact), ``'ivf'``
            (faiss inverted file, approximate) or ``'auto'``: torch below :data:`FAISS_FROM`
            gallery embeddings, exact faiss from there.
        nlist, nprobe: cells of the inverted file (default ``4·sqrt(G)``) and cells searched.
        train_size: gallery embeddings the inverted file's k-means is trained on.
    """

    def __init__(self, gallery, metric: str = 'euclidean', kind: str = 'auto',
                 nlist: int | None = None, nprobe: int = 32, train_size: int = 100_000,
                 seed: int = 0) -> None:
        if metric not in METRICS:
            raise ValueError(f'metric must be one of {METRICS}; got {metric!r}')
        if kind not in KINDS:
            raise ValueError(f'kind must be one of {KINDS}; got {kind!r}')
        gallery = torch.as_tensor(gallery)
        if gallery.ndim != 2 or len(gallery) == 0:
            raise ValueError(f'gallery embeddings must be a non-empty (G, D) matrix; got '
                             f'{tuple(gallery.shape)}')
        self.metric, self.size, self.dim = metric, len(gallery), gallery.shape[1]
        self.kind = ('flat' if len(gallery) >= FAISS_FROM else 'torch') if kind == 'auto' \
            else kind
        if self.kind == 'torch':
            self.gallery = gallery.float()
            return
        import faiss

        vectors = np.ascontiguousarray(gallery.detach().cpu().numpy(), dtype=np.float32)
        faiss_metric = faiss.METRIC_L2 if metric == 'euclidean' else faiss.METRIC_INNER_PRODUCT
        if self.kind == 'flat':
            self.index = faiss.IndexFlat(self.dim, faiss_metric)
        else:
            nlist = nlist or max(1, int(4 * np.sqrt(len(vectors))))
            quantizer = faiss.IndexFlat(self.dim, faiss_metric)
            self.index = faiss.IndexIVFFlat(quantizer, self.dim, nlist, faiss_metric)
            rng = np.random.default_rng(seed)
            sample = vectors if len(vectors) <= train_size else vectors[
                np.sort(rng.choice(len(vectors), train_size, replace=False))]
            self.index.train(sample)
            self.index.nprobe = min(nprobe, nlist)
            self.quantizer = quantizer               # faiss keeps no Python reference to it
        self.index.add(vectors)

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(Q, k)`` distances (or similarities) and ``(Q, k)`` int64 gallery indices of each
        query's ``k`` nearest gallery embeddings, nearest first (``k`` clipped to the
        gallery)."""
        queries = torch.as_tensor(queries)
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise ValueError(f'queries must be (Q, {self.dim}); got {tuple(queries.shape)}')
        if k < 1:
            raise ValueError(f'k must be at least 1; got {k}')
        k = min(k, self.size)
        if self.kind != 'torch':
            values, indices = self.index.search(
                np.ascontiguousarray(queries.detach().cpu().numpy(), dtype=np.float32), k)
            if self.metric == 'euclidean':
                values = np.sqrt(np.maximum(values, 0))       # faiss returns squared L2
            return values.astype(np.float32), indices.astype(np.int64)
        queries = queries.to(self.gallery.device, torch.float32)
        values, indices = [], []
        block = max(1, TORCH_BLOCK_ENTRIES // self.size)
        for start in range(0, len(queries), block):
            rows = queries[start:start + block]
            if self.metric == 'euclidean':
                top = compute_distance_matrix(rows, self.gallery).topk(k, dim=1, largest=False)
            else:
                top = (rows @ self.gallery.T).topk(k, dim=1)
            values.append(top.values.cpu())
            indices.append(top.indices.cpu())
        return torch.cat(values).numpy(), torch.cat(indices).numpy().astype(np.int64)
