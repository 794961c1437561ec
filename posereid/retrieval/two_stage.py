"""Scalable ranking with a pairwise model: embeddings shortlist, verification re-scores.

Scoring every (query, gallery) pair with the verification head costs ``Q · G`` pair passes
(53.6 million at Market-1501 scale, 3368 × 15913). Two-stage ranking costs ``Q · K``:

1. rank the whole gallery by embedding distance ``d(q, g)``;
2. re-score the top ``K`` of each query with the verification head on per-image features
   computed once (``model.extract_pair_features``), in batches of pairs;
3. merge: the shortlist is ordered by the verification log-odds of 'same'
   ``s(q, g) = z_same - z_different`` (final distance ``-s``) and placed ahead of every
   non-shortlisted item, which keep their embedding order behind it (final distance
   ``max_shortlist(-s) + 1 + d(q, g)``, strictly larger than any shortlisted distance).

:func:`two_stage_ranking` returns the ``(Q, G)`` distance matrix for
:func:`posereid.evaluation.evaluate_rank`. :func:`streamed_rank_metrics` gives the metrics of
both rankings without ever holding a ``(Q, G)`` matrix: it ranks a block of queries at a time
(:func:`two_stage_rows`) into :class:`~posereid.evaluation.RankAccumulator` objects, so memory
grows with the gallery, not with query × gallery (MSMT17's 11,659 × 82,161 float32 matrix
alone would be 3.8 GB).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from posereid.evaluation import RANKS, RankAccumulator, compute_distance_matrix, summarize

#: Pairs per ``verify`` call. The NCC matching layer holds 2.2 MB of correlations per pair of
#: 25 × 37 × 12 maps; on a 2-core CPU 128 pairs (280 MB) run 2.4 × faster per pair than 1024.
PAIR_BATCH_SIZE = 128
#: Distance entries (query × gallery) of one block of queries in the streamed rankings: 16 Mi
#: float32, 64 MB.
BLOCK_ENTRIES = 1 << 24


@dataclass
class Ranking:
    """A ``(Q, G)`` distance matrix (smaller is closer) and the pair passes it cost."""

    distmat: torch.Tensor
    num_pair_passes: int


def verification_log_odds(model, query_feats: dict, gallery_feats: dict,
                          q_index: torch.Tensor, g_index: torch.Tensor,
                          batch_size: int = PAIR_BATCH_SIZE) -> torch.Tensor:
    """``s = z_same - z_different`` of ``model.verify`` for the pairs ``(q_index[p], g_index[p])``.

    Args:
        query_feats, gallery_feats: per-image pair features, each tensor ``(N, ...)``.
        q_index, g_index: ``(P,)`` rows into them.
    Returns:
        ``(P,)`` float32 on the CPU.
    """
    device = next(model.parameters()).device
    scores = []
    with torch.no_grad():
        for start in range(0, len(q_index), batch_size):
            qi, gi = q_index[start:start + batch_size], g_index[start:start + batch_size]
            logits = model.verify({k: v[qi].to(device) for k, v in query_feats.items()},
                                  {k: v[gi].to(device) for k, v in gallery_feats.items()})
            scores.append((logits[:, 1] - logits[:, 0]).float().cpu())
    return torch.cat(scores) if scores else torch.empty(0)


def shortlist_log_odds(model, query_feats: dict, gallery_feats: dict, shortlist: torch.Tensor,
                       batch_size: int = PAIR_BATCH_SIZE) -> torch.Tensor:
    """``(B, K)`` :func:`verification_log_odds` of query ``b`` against gallery images
    ``shortlist[b, k]`` (``(B, K)`` int64 rows into ``gallery_feats``)."""
    num_query, k = shortlist.shape
    q_index = torch.arange(num_query).repeat_interleave(k)
    return verification_log_odds(model, query_feats, gallery_feats, q_index,
                                 shortlist.reshape(-1), batch_size).view(num_query, k)


def two_stage_rows(model, distmat: torch.Tensor, query_feats: dict, gallery_feats: dict,
                   top_k: int = 100, batch_size: int = PAIR_BATCH_SIZE) -> torch.Tensor:
    """Two-stage distances ``(B, G)`` of ``B`` queries from their embedding distances
    ``distmat`` ``(B, G)`` (module doc); ``query_feats`` are those queries' pair features."""
    if top_k < 1:
        raise ValueError(f'top_k must be at least 1, got {top_k}')
    num_query, num_gallery = distmat.shape
    k = min(top_k, num_gallery)
    shortlist = distmat.topk(k, dim=1, largest=False).indices            # (B, K)
    scores = shortlist_log_odds(model, query_feats, gallery_feats, shortlist, batch_size)
    behind = (-scores).max(dim=1, keepdim=True).values + 1
    final = distmat + behind
    final.scatter_(1, shortlist, -scores)
    return final


def two_stage_ranking(model, query_emb: torch.Tensor, gallery_emb: torch.Tensor,
                      query_feats: dict, gallery_feats: dict, top_k: int = 100,
                      batch_size: int = PAIR_BATCH_SIZE, metric: str = 'euclidean') -> Ranking:
    """Embedding shortlist of ``top_k`` per query re-scored by ``model.verify`` (see module doc).

    Args:
        query_emb, gallery_emb: ``(Q, D)``, ``(G, D)`` embeddings.
        query_feats, gallery_feats: pair features, ``(Q, ...)`` and ``(G, ...)`` tensors.
        top_k: shortlist length ``K`` (clipped to ``G``); ``Q · K`` pair passes.
    """
    distmat = compute_distance_matrix(query_emb, gallery_emb, metric=metric).float()
    final = two_stage_rows(model, distmat, query_feats, gallery_feats, top_k, batch_size)
    return Ranking(final, len(query_emb) * min(top_k, len(gallery_emb)))


def streamed_rank_metrics(model, query, gallery, protocol: str, top_k: int = 100,
                          batch_size: int = PAIR_BATCH_SIZE, metric: str = 'euclidean',
                          ranks=RANKS, max_rank: int = 20) -> dict:
    """Rank metrics of the embedding ranking and of the two-stage ranking, a block of queries
    at a time (module doc).

    Args:
        query, gallery: :class:`~posereid.engine.features.ExtractedFeatures` with pair features.
        protocol: the evaluation protocol (the source's).
    Returns:
        ``{'embedding': summary, 'two_stage': summary, 'num_pair_passes': int}``, each summary
        as :func:`~posereid.evaluation.rank_summary`.
    """
    accumulators = {name: RankAccumulator(gallery.pids, gallery.camids, max(max_rank, *ranks),
                                          protocol) for name in ('embedding', 'two_stage')}
    block = max(1, BLOCK_ENTRIES // len(gallery.pids))
    for start in range(0, len(query.pids), block):
        rows = slice(start, start + block)
        distmat = compute_distance_matrix(query.embeddings[rows], gallery.embeddings,
                                          metric=metric).float()
        accumulators['embedding'].add(distmat, query.pids[rows], query.camids[rows])
        final = two_stage_rows(model, distmat, {k: v[rows] for k, v in query.pair_features.items()},
                               gallery.pair_features, top_k, batch_size)
        accumulators['two_stage'].add(final, query.pids[rows], query.camids[rows])
    result = {name: summarize(acc.result(), ranks) for name, acc in accumulators.items()}
    result['num_pair_passes'] = len(query.pids) * min(top_k, len(gallery.pids))
    return result


def all_pairs_ranking(model, query_feats: dict, gallery_feats: dict,
                      batch_size: int = PAIR_BATCH_SIZE) -> Ranking:
    """Every (query, gallery) pair scored by ``model.verify``: distance ``-s``; ``Q · G``
    pair passes."""
    num_query = len(next(iter(query_feats.values())))
    num_gallery = len(next(iter(gallery_feats.values())))
    q_index = torch.arange(num_query).repeat_interleave(num_gallery)
    g_index = torch.arange(num_gallery).repeat(num_query)
    scores = verification_log_odds(model, query_feats, gallery_feats, q_index, g_index,
                                   batch_size)
    return Ranking(-scores.view(num_query, num_gallery), num_query * num_gallery)
