"""k-reciprocal re-ranking (Zhong et al., "Re-ranking Person Re-identification with k-reciprocal
Encoding", CVPR 2017), in bounded memory.

With ``d`` the original distance over all ``N = Q + G`` images (each row divided by its
maximum), ``N(p, k)`` the ``k + 1`` nearest images of ``p`` (itself included) and
``R(p, k) = {g in N(p, k) : p in N(g, k)}`` its k-reciprocal neighbours:

* ``R*(p, k1)`` adds ``R(c, k1/2)`` of every ``c in R(p, k1)`` for which more than 2/3 of
  ``R(c, k1/2)`` already lies in ``R(p, k1)`` (eq. 6, strict as in the authors' code);
* ``V_p[g] = exp(-d(p, g)) / Z`` on ``R*(p, k1)``, else 0 (eq. 7, normalised to sum 1);
* local query expansion: ``V_p <- mean of V_g over the k2 nearest g of p`` (eq. 12);
* Jaccard distance ``d_J(p, g) = 1 - sum min(V_p, V_g) / sum max(V_p, V_g)`` (eq. 11),
  computed as the authors' code does with ``sum max = 2 - sum min`` (exact when both rows sum
  to 1, i.e. unless duplicate images leave some image without reciprocal neighbours);
* final distance ``d*(p, g) = (1 - lambda) d_J(p, g) + lambda d(p, g)`` (eq. 14).

The authors' code holds several ``N x N`` matrices; here the distances are computed a block of
rows at a time and ``V`` is a sparse matrix (top-k: about ``1.5 k1`` entries a row).
:func:`k_reciprocal_rerank` returns the dense ``(Q, G)`` result (a Market-sized problem, ``N``
about 19k, needs well under a few GB); :func:`k_reciprocal_rerank_blocks` yields it a block of
queries at a time, so that nothing of size ``Q x G`` is ever held (MSMT17: 11,659 x 82,161)
— :func:`rerank_memory_bytes` estimates what that needs.
"""
from __future__ import annotations

import warnings

import torch

from .distance import compute_distance_matrix, compute_paired_distance

# Work on about this many entries at a time (distance rows, neighbour-set pairs).
_CHUNK_ENTRIES = 1 << 22


def k_reciprocal_rerank(query, gallery, k1: int = 20, k2: int = 6, lambda_value: float = 0.3,
                        metric: str = 'euclidean') -> torch.Tensor:
    """Re-ranked query-gallery distances: the blocks of :func:`k_reciprocal_rerank_blocks`
    in one ``(Q, G)`` matrix.

    Args:
        query: ``(Q, D)`` query embeddings (torch tensor or array).
        gallery: ``(G, D)`` gallery embeddings on the same device.
        k1, k2: sizes of the k-reciprocal neighbourhood and of the query expansion.
        lambda_value: weight ``lambda`` of the original distance in the result.
        metric: ``'euclidean'`` (the original distance is then the squared Euclidean distance,
            as in the authors' code) or ``'cosine'``. Computed in float32.

    Returns:
        ``(Q, G)`` float32 distances ``d*`` on the embeddings' device.
    """
    return torch.cat([block for _, block in k_reciprocal_rerank_blocks(
        query, gallery, k1, k2, lambda_value, metric)])


def k_reciprocal_rerank_blocks(query, gallery, k1: int = 20, k2: int = 6,
                               lambda_value: float = 0.3, metric: str = 'euclidean',
                               block_entries: int = 1 << 24):
    """:func:`k_reciprocal_rerank`, yielded as ``(rows, (B, G) distances)`` for consecutive
    blocks of ``B`` queries (about ``block_entries`` distances each): the original distances of
    a block are computed again as it is yielded, and its Jaccard distances come from the sparse
    ``V``, so memory holds ``V`` and one block, never ``Q x G``."""
    if metric not in ('euclidean', 'cosine'):
        raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}")
    base_metric = 'sqeuclidean' if metric == 'euclidean' else 'cosine'
    features = torch.cat([torch.as_tensor(query), torch.as_tensor(gallery)]).float()
    if not torch.isfinite(features).all():
        raise ValueError('query and gallery embeddings must be finite (found NaN or inf)')
    num_query, num_all = len(query), len(features)
    if not (isinstance(k1, int) and isinstance(k2, int) and 1 <= k1 < num_all and k2 >= 1):
        raise ValueError(f'k1 and k2 must be positive integers with k1 < number of images '
                         f'({num_all}), got k1={k1!r}, k2={k2!r}')
    if not 0 <= lambda_value <= 1:
        raise ValueError(f'lambda_value must lie in [0, 1], got {lambda_value!r}')

    row_max, neighbours = _scan_distances(features, max(k1 + 1, k2), base_metric)
    weights = _reciprocal_weights(features, row_max, neighbours, k1, base_metric)
    if k2 != 1:
        weights = _expand_queries(weights, neighbours[:, :k2])
    jaccard_rows = _jaccard_rows(weights, num_query)
    block = max(1, block_entries // (num_all - num_query))
    for start in range(0, num_query, block):
        rows = slice(start, min(start + block, num_query))
        original = compute_distance_matrix(features[rows], features[num_query:], base_metric)
        original.div_(row_max[rows, None]).mul_(lambda_value)
        yield rows, original.add_(jaccard_rows(rows), alpha=1 - lambda_value)


def rerank_memory_bytes(num_query: int, num_gallery: int, k1: int = 20,
                        block_entries: int = 1 << 24) -> int:
    """About the memory :func:`k_reciprocal_rerank_blocks` needs besides the embeddings: the
    neighbour lists, the sparse ``V`` (about ``1.5 k1`` entries a row, before and after query
    expansion, with their COO indices) and one block of float32 distances with its
    temporaries."""
    num_all = num_query + num_gallery
    neighbour_lists = num_all * (k1 + 1) * 8
    sparse = 2 * num_all * int(1.5 * k1) * (8 + 8 + 4) * 3
    block = 4 * block_entries * 4 + 4 * _CHUNK_ENTRIES * 8
    return neighbour_lists + sparse + block


def _scan_distances(features: torch.Tensor, k: int,
                    metric: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One pass over ``(B, N)`` blocks of the distance matrix.

    Returns every row's maximum ``(N,)`` and its ``k`` nearest images ``(N, k)`` (ties broken
    by index).
    """
    num_all = len(features)
    row_max = torch.empty(num_all, device=features.device)
    neighbours = torch.empty(num_all, k, dtype=torch.long, device=features.device)
    index = torch.arange(num_all, device=features.device)
    rows_per_block = max(1, _CHUNK_ENTRIES // num_all)
    for start in range(0, num_all, rows_per_block):
        rows = slice(start, min(start + rows_per_block, num_all))
        dist = compute_distance_matrix(features[rows], features, metric)
        row_max[rows] = dist.max(1).values
        # Unique int64 keys ordered by (distance, index): float32 bits made monotonic.
        bits = (dist + 0.0).view(torch.int32)
        bits = torch.where(bits < 0, bits ^ 0x7FFFFFFF, bits).long()
        keys = bits * num_all + index
        neighbours[rows] = keys.topk(k, dim=1, largest=False).values.remainder(num_all)
    return row_max, neighbours


def _reciprocal_sets(neighbours: torch.Tensor, rows: torch.Tensor, k: int) -> torch.Tensor:
    """``R(p, k)`` of the images ``rows``: ``(B, k + 1)`` indices, -1 where not reciprocal."""
    forward = neighbours[rows, :k + 1]
    backward = neighbours[forward, :k + 1]
    is_reciprocal = (backward == rows[:, None, None]).any(2)
    return torch.where(is_reciprocal, forward, -1)


def _reciprocal_weights(features: torch.Tensor, row_max: torch.Tensor,
                        neighbours: torch.Tensor, k1: int, metric: str) -> torch.Tensor:
    """The sparse ``(N, N)`` matrix ``V`` of eq. 7 on the expanded sets ``R*(p, k1)``."""
    num_all, device = len(features), features.device
    half = round(k1 / 2)  # round half to even, as numpy's ``around`` in the authors' code
    all_rows = torch.arange(num_all, device=device)
    half_sets = _reciprocal_sets(neighbours, all_rows, half)
    half_sizes = (half_sets >= 0).sum(1)
    rows_per_block = max(1, _CHUNK_ENTRIES // ((k1 + 1) ** 2 * (half + 1)))
    row_parts, col_parts = [], []
    for start in range(0, num_all, rows_per_block):
        rows = all_rows[start:start + rows_per_block]
        sets = _reciprocal_sets(neighbours, rows, k1)                      # (B, k1 + 1)
        candidates = half_sets[sets.clamp(min=0)]                          # (B, k1 + 1, h + 1)
        overlap = ((candidates[..., None] == sets[:, None, None, :]) &
                   (candidates >= 0)[..., None]).any(3).sum(2)
        accept = (sets >= 0) & (overlap > 2 / 3 * half_sizes[sets.clamp(min=0)])
        expanded = torch.cat([sets, torch.where(accept[..., None], candidates, -1).flatten(1)],
                             dim=1).sort(dim=1).values
        keep = expanded >= 0
        keep[:, 1:] &= expanded[:, 1:] != expanded[:, :-1]
        row_parts.append(rows[:, None].expand_as(expanded)[keep])
        col_parts.append(expanded[keep])
    row_index, col_index = torch.cat(row_parts), torch.cat(col_parts)
    pairs_per_piece = max(1, _CHUNK_ENTRIES // features.shape[1])
    values = torch.cat([
        compute_paired_distance(features[row_index[start:start + pairs_per_piece]],
                                features[col_index[start:start + pairs_per_piece]], metric)
        for start in range(0, len(row_index), pairs_per_piece)])
    values = torch.exp(-values / row_max[row_index])
    row_sums = torch.zeros(num_all, device=device).index_add_(0, row_index, values)
    return torch.sparse_coo_tensor(torch.stack([row_index, col_index]),
                                   values / row_sums[row_index], (num_all, num_all),
                                   check_invariants=False).coalesce()


def _expand_queries(weights: torch.Tensor, nearest: torch.Tensor) -> torch.Tensor:
    """Local query expansion: row ``p`` becomes the mean of the rows of its ``k2`` nearest."""
    num_all, k2 = nearest.shape
    rows = torch.arange(num_all, device=nearest.device).repeat_interleave(k2)
    averaging = torch.sparse_coo_tensor(
        torch.stack([rows, nearest.flatten()]),
        torch.full((num_all * k2,), 1.0 / k2, device=nearest.device), (num_all, num_all),
        check_invariants=False)
    with warnings.catch_warnings():
        # torch multiplies sparse COO matrices through its CSR kernels and says they are beta.
        warnings.filterwarnings('ignore', message='Sparse CSR tensor support is in beta')
        return torch.sparse.mm(averaging.coalesce(), weights).coalesce()


def _jaccard_rows(weights: torch.Tensor, num_query: int):
    """A function ``rows -> (B, G)`` Jaccard distances ``d_J`` between the query rows ``rows``
    and every gallery row of the row-stochastic sparse ``V``.

    ``sum_j min(V_p[j], V_g[j])`` only has terms where both are non-zero: every query entry
    ``(p, j)`` is paired with the gallery entries of column ``j``. As in the authors' code,
    ``sum max`` is taken as ``2 - sum min`` (rows sum to 1).
    """
    device = weights.device
    num_all = weights.shape[0]
    num_gallery = num_all - num_query
    rows, cols = weights.indices()
    values = weights.values()
    # Gallery entries grouped by column.
    in_gallery = rows >= num_query
    g_rows, g_cols, g_values = rows[in_gallery] - num_query, cols[in_gallery], values[in_gallery]
    order = torch.argsort(g_cols, stable=True)
    g_rows, g_values = g_rows[order], g_values[order]
    col_counts = torch.bincount(g_cols, minlength=num_all)
    col_starts = col_counts.cumsum(0) - col_counts
    # Query entries (coalesced, so sorted by row) and their number of gallery partners.
    in_query = rows < num_query
    q_rows, q_cols, q_values = rows[in_query], cols[in_query], values[in_query]
    partners = col_counts[q_cols]
    ends = partners.cumsum(0)

    def block(query_rows: slice) -> torch.Tensor:
        first, stop = (int(v) for v in torch.searchsorted(
            q_rows, torch.tensor([query_rows.start, query_rows.stop], device=device)))
        overlap = torch.zeros((query_rows.stop - query_rows.start) * num_gallery, device=device)
        while first < stop:
            done = int(ends[first - 1]) if first else 0
            last = min(stop, max(first + 1, int(torch.searchsorted(
                ends, done + _CHUNK_ENTRIES, right=True))))
            counts = partners[first:last]
            entry = torch.arange(first, last, device=device).repeat_interleave(counts)
            offset = (torch.arange(int(counts.sum()), device=device) + done
                      - (ends[entry] - partners[entry]))
            partner = col_starts[q_cols[entry]] + offset
            overlap.index_add_(0, (q_rows[entry] - query_rows.start) * num_gallery
                               + g_rows[partner],
                               torch.minimum(q_values[entry], g_values[partner]))
            first = last
        overlap = overlap.view(-1, num_gallery)
        return overlap.div_(2 - overlap).neg_().add_(1)

    return block
