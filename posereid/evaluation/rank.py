"""Ranking metrics for re-identification: CMC, mAP and mINP under each dataset's protocol.

Every query is ranked against the gallery by distance (smaller is closer). Ties in distance are
broken by gallery index: of two gallery items at the same distance, the one listed first ranks
first (a stable sort). Gallery items of the query's identity seen by the query's camera are
*junk*: they are removed from that query's ranking, as in torchreid and fast-reid. A query
whose identity has no gallery item left is skipped and counted.

For the ranks ``r_1 < ... < r_R`` (1-based, among the query's non-junk gallery items) of its
``R`` true matches:

* CMC at rank ``k``: the fraction of queries with ``r_1 <= k``;
* AP (non-interpolated average precision): ``AP = (1/R) * sum_j j / r_j``;
* INP (inverse negative penalty, Ye et al., TPAMI 2021): ``INP = R / r_R``;

``mAP`` and ``mINP`` are their means over the evaluated queries.

Protocols:

* ``'market'`` -- Market-1501, DukeMTMC-reID, MSMT17 and CUHK03's new 767/700 split.
* ``'single_gallery_shot'`` (alias ``'cuhk03'``, its earlier name here) -- the protocol of
  classic CUHK03 (1367/100), CUHK01 and VIPeR: the CMC is averaged over ``num_repeats``
  random galleries of one image per identity (one draw per query and repeat, from a generator
  seeded with ``seed``); mAP and mINP use the whole gallery, as torchreid does. Its
  split-repeating evaluation (20 or 10 splits) is summarised by :func:`aggregate_splits`.

:func:`evaluate_rank` is the fast, vectorised implementation; :func:`evaluate_rank_reference`
is the readable per-query loop it is checked against. Both give torchreid's and fast-reid's
numbers (``eval_market1501``, ``eval_cuhk03``; mINP as fast-reid), except that those sort with
an unstable ``np.argsort`` and so may order tied distances differently, and that the CUHK03
samplings here come from a seeded generator instead of numpy's global one.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Sequence

import numpy as np
import torch

PROTOCOLS = ('market', 'single_gallery_shot')
#: Other accepted names of the protocols.
PROTOCOL_ALIASES = {'cuhk03': 'single_gallery_shot'}
#: CMC ranks that test and validation summaries report.
RANKS = (1, 5, 10)



def canonical_protocol(protocol: str) -> str:
    """The :data:`PROTOCOLS` name of ``protocol`` (an alias is translated)."""
    protocol = PROTOCOL_ALIASES.get(protocol, protocol)
    if protocol not in PROTOCOLS:
        raise ValueError(f'protocol must be one of {PROTOCOLS} (or an alias: '
                         f'{", ".join(PROTOCOL_ALIASES)}), got {protocol!r}')
    return protocol


# Chunks of queries are sized to hold about this many (query, gallery) entries.
_CHUNK_ENTRIES = 1 << 20


def evaluate_rank(distmat, q_pids, g_pids, q_camids, g_camids, max_rank: int = 50,
                  protocol: str = 'market', *, num_repeats: int = 10, seed: int = 0) -> dict:
    """CMC, mAP and mINP of a query-gallery distance matrix under a dataset's protocol.

    Args:
        distmat: ``(Q, G)`` distances, numpy array or torch tensor (kept on its device).
        q_pids, g_pids: ``(Q,)`` and ``(G,)`` integer identities.
        q_camids, g_camids: ``(Q,)`` and ``(G,)`` integer camera ids.
        max_rank: length of the returned CMC curve.
        protocol: ``'market'`` or ``'single_gallery_shot'`` (see the module docstring).
        num_repeats, seed: gallery samplings of the ``'single_gallery_shot'`` protocol and
            their seed.

    Returns:
        ``{'cmc': (max_rank,) float64 array, 'mAP': float, 'mINP': float,
        'num_valid_queries': int, 'num_queries': int}``; all metrics are fractions in
        ``[0, 1]``. ``cmc[k]`` is the fraction of queries matched within the first ``k + 1``
        ranks (1 beyond the gallery size).

    Raises:
        ValueError: on mismatched lengths, NaN distances, an empty query set or gallery, an
            unknown protocol, or when no query has a valid match.
    """
    protocol = canonical_protocol(protocol)
    dist, q_pids, g_pids, q_camids, g_camids = _validate(
        distmat, q_pids, g_pids, q_camids, g_camids, max_rank, protocol, num_repeats)
    ranking = RankAccumulator(g_pids, g_camids, max_rank, protocol, num_repeats=num_repeats,
                              seed=seed, device=dist.device)
    for start in range(0, len(q_pids), ranking.rows_per_chunk):
        rows = slice(start, start + ranking.rows_per_chunk)
        ranking.add(dist[rows], q_pids[rows], q_camids[rows])
    return ranking.result()


class RankAccumulator:
    """:func:`evaluate_rank` fed a few queries at a time, so that the whole ``(Q, G)`` distance
    matrix never has to exist: :meth:`add` the distance rows of consecutive queries (in query
    order, any number at a time), then :meth:`result`. Chunks of any size give the same
    result as one ``evaluate_rank`` of the whole matrix.

    Args:
        g_pids, g_camids: ``(G,)`` gallery identities and cameras.
        max_rank, protocol, num_repeats, seed: as :func:`evaluate_rank`.
        device: where the distance rows will be.
    """

    def __init__(self, g_pids, g_camids, max_rank: int = 50, protocol: str = 'market', *,
                 num_repeats: int = 10, seed: int = 0, device='cpu') -> None:
        self.protocol = canonical_protocol(protocol)
        self.g_pids, self.g_camids = (np.asarray(v, np.int64) for v in (g_pids, g_camids))
        self.gallery_ids, g_codes = np.unique(self.g_pids, return_inverse=True)
        self.identity_items = _gallery_items_by_identity(g_codes)
        self.g_codes = torch.from_numpy(g_codes).to(device)
        self.g_cams = torch.from_numpy(self.g_camids).to(device)
        self.max_rank, self.num_repeats, self.device = max_rank, num_repeats, device
        self.samplings = num_repeats if self.protocol == 'single_gallery_shot' else 1
        #: queries per chunk that keep each chunk's temporaries about _CHUNK_ENTRIES entries
        self.rows_per_chunk = max(1, _CHUNK_ENTRIES // (len(self.g_pids) * self.samplings))
        self.rng = np.random.default_rng(seed)
        self.first_rank_counts = torch.zeros(max_rank + 2, dtype=torch.int64, device=device)
        self.ap_sum = self.inp_sum = 0.0
        self.num_valid = self.num_queries = 0

    def codes(self, q_pids: np.ndarray) -> np.ndarray:
        """Query identities as gallery identity codes (-1: no gallery item)."""
        index = np.searchsorted(self.gallery_ids, q_pids).clip(max=len(self.gallery_ids) - 1)
        return np.where(self.gallery_ids[index] == q_pids, index, -1)

    def add(self, dist: torch.Tensor, q_pids, q_camids) -> None:
        """The ``(B, G)`` distances of the next ``B`` queries, their identities and cameras;
        large ``B`` is cut into chunks of :attr:`rows_per_chunk`."""
        dist = torch.as_tensor(dist)
        q_pids, q_camids = (np.asarray(v, np.int64) for v in (q_pids, q_camids))
        if dist.ndim != 2 or dist.shape[1] != len(self.g_pids) or len(q_pids) != len(dist):
            raise ValueError(f'expected ({len(q_pids)}, {len(self.g_pids)}) distances for '
                             f'{len(q_pids)} queries; got {tuple(dist.shape)}')
        for start in range(0, len(q_pids), self.rows_per_chunk):
            rows = slice(start, start + self.rows_per_chunk)
            self._add_chunk(dist[rows], q_pids[rows], q_camids[rows])

    def _add_chunk(self, dist: torch.Tensor, q_pids: np.ndarray, q_camids: np.ndarray) -> None:
        device = dist.device
        q_codes = self.codes(q_pids)
        q_codes_t = torch.from_numpy(q_codes).to(device)
        q_cams_t = torch.from_numpy(q_camids).to(device)
        items, is_real = (t.to(device) for t in self.identity_items(q_codes))
        is_match = is_real & (self.g_cams[items] != q_cams_t[:, None])
        ranks, num_matches = _match_ranks(dist, items, is_match)

        valid = num_matches > 0
        ranks, num_matches = ranks[valid].double(), num_matches[valid]
        self.num_valid += len(num_matches)
        self.num_queries += len(q_pids)
        positions = torch.arange(1, ranks.shape[1] + 1, device=device, dtype=torch.float64)
        precisions = torch.where(positions <= num_matches[:, None], positions / ranks, 0.0)
        self.ap_sum += float((precisions.sum(1) / num_matches).sum())
        last_rank = ranks.gather(1, (num_matches - 1)[:, None]).squeeze(1)
        self.inp_sum += float((num_matches / last_rank).sum())

        if self.protocol == 'market':
            first_ranks = ranks[:, 0]
        else:
            keys = torch.from_numpy(self.rng.random(
                (len(valid), self.num_repeats, len(self.g_pids)))).to(device)
            first_ranks = _single_shot_ranks(dist, q_codes_t, q_cams_t, self.g_codes,
                                             self.g_cams, keys)[valid].flatten()
        self.first_rank_counts += torch.bincount(
            first_ranks.long().clamp(max=self.max_rank + 1), minlength=self.max_rank + 2)

    def result(self) -> dict:
        """The :func:`evaluate_rank` result of every query added so far."""
        if self.num_valid == 0:
            raise ValueError('no query has a valid match in the gallery (a gallery item of its '
                             'identity from another camera)')
        cmc = (self.first_rank_counts.cumsum(0)[1:self.max_rank + 1].double()
               / (self.num_valid * self.samplings))
        return _result(cmc.cpu().numpy(), self.ap_sum / self.num_valid,
                       self.inp_sum / self.num_valid, self.num_valid, self.num_queries)


def evaluate_rank_reference(distmat, q_pids, g_pids, q_camids, g_camids, max_rank: int = 50,
                            protocol: str = 'market', *, num_repeats: int = 10,
                            seed: int = 0) -> dict:
    """The readable per-query loop that :func:`evaluate_rank` is checked against.

    Same arguments and result; the ``'single_gallery_shot'`` protocol draws the same random
    numbers, so the two agree exactly. Slow (about a minute on a Market-sized problem); for
    tests and benchmarks.
    """
    protocol = canonical_protocol(protocol)
    dist, q_pids, g_pids, q_camids, g_camids = _validate(
        distmat, q_pids, g_pids, q_camids, g_camids, max_rank, protocol, num_repeats)
    dist = dist.cpu().numpy()
    rng = np.random.default_rng(seed)
    cmcs, aps, inps = [], [], []
    for q in range(dist.shape[0]):
        keys = (rng.random((num_repeats, dist.shape[1])) if protocol == 'single_gallery_shot'
                else None)
        order = np.argsort(dist[q], kind='stable')
        junk = (g_pids[order] == q_pids[q]) & (g_camids[order] == q_camids[q])
        order = order[~junk]
        is_match = g_pids[order] == q_pids[q]
        if not is_match.any():
            continue
        num_matches = is_match.sum()
        hits = np.cumsum(is_match)
        match_ranks = np.flatnonzero(is_match) + 1
        aps.append(np.mean(hits[is_match] / match_ranks))
        inps.append(num_matches / match_ranks[-1])
        if protocol == 'market':
            first_ranks = [match_ranks[0]]
        else:
            first_ranks = [_first_rank_in_sampled_gallery(order, g_pids[order], q_pids[q], k)
                           for k in keys]
        cmc = np.zeros(max_rank)
        for first in first_ranks:
            cmc[first - 1:] += 1 / len(first_ranks)
        cmcs.append(cmc)
    if not cmcs:
        raise ValueError('no query has a valid match in the gallery (a gallery item of its '
                         'identity from another camera)')
    return _result(np.mean(cmcs, axis=0), float(np.mean(aps)), float(np.mean(inps)),
                   len(cmcs), dist.shape[0])


def aggregate_splits(results: Sequence[dict]) -> dict:
    """Mean and standard deviation over the splits of a split-repeating protocol.

    Args:
        results: one :func:`evaluate_rank` result per split (e.g. CUHK03 classic x20,
            CUHK01 and VIPeR x10).

    Returns:
        ``{'cmc', 'mAP', 'mINP'}`` means, ``{'cmc_std', 'mAP_std', 'mINP_std'}`` population
        standard deviations (numpy's ``ddof=0``) and ``num_splits``.
    """
    if not results:
        raise ValueError('aggregate_splits needs at least one split result, got none')
    lengths = {len(r['cmc']) for r in results}
    if len(lengths) != 1:
        raise ValueError(f'split results have CMC curves of different lengths {sorted(lengths)}')
    summary = {'num_splits': len(results)}
    for key in ('cmc', 'mAP', 'mINP'):
        values = np.array([r[key] for r in results], dtype=np.float64)
        mean, std = values.mean(axis=0), values.std(axis=0)
        summary[key] = mean if key == 'cmc' else float(mean)
        summary[f'{key}_std'] = std if key == 'cmc' else float(std)
    return summary


def rank_summary(distmat, q_pids, g_pids, q_camids, g_camids, protocol: str,
                 ranks: Sequence[int] = RANKS, max_rank: int = 20) -> dict:
    """What test and validation report of a ranking: ``rank<k>`` for each of ``ranks``,
    ``mAP``, ``mINP`` and the CMC curve to ``max(max_rank, max(ranks))`` (a list of floats),
    from :func:`evaluate_rank` under ``protocol``."""
    result = evaluate_rank(distmat, q_pids, g_pids, q_camids, g_camids,
                           max_rank=max(max_rank, *ranks), protocol=protocol)
    return summarize(result, ranks)


def summarize(result: dict, ranks: Sequence[int] = RANKS) -> dict:
    """:func:`rank_summary` of an :func:`evaluate_rank` (or :class:`RankAccumulator`) result."""
    summary = {f'rank{k}': float(result['cmc'][k - 1]) for k in ranks}
    summary.update(mAP=result['mAP'], mINP=result['mINP'], cmc=result['cmc'].tolist())
    return summary


def _match_ranks(dist: torch.Tensor, items: torch.Tensor,
                 is_match: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Ranks of each query's true matches among its non-junk gallery items.

    Instead of sorting the whole gallery, every gallery item is placed among the query's few
    sorted match distances with one binary search; counting the non-matches in each slot
    gives how many of them precede every match.

    Args:
        dist: ``(B, G)`` distances of ``B`` queries.
        items: ``(B, M)`` gallery indices of each query's identity, ascending, rows padded by
            repeating an index.
        is_match: ``(B, M)`` which entries are true matches (real, from another camera).

    Returns:
        ``(B, M)`` 1-based ranks of the matches in increasing order (columns past a row's
        match count are meaningless) and ``(B,)`` match counts.
    """
    num_rows, num_slots = items.shape
    inf = torch.tensor(float('inf'), dtype=dist.dtype, device=dist.device)
    # Sort each row's matches by (distance, index): items are ascending, so a stable sort by
    # distance then a stable sort putting non-matches last.
    match_dist = torch.where(is_match, dist.gather(1, items), inf)
    order = torch.sort(match_dist, dim=1, stable=True).indices
    order = order.gather(1, torch.sort((~is_match.gather(1, order)).byte(), dim=1,
                                       stable=True).indices)
    match_dist, match_items = match_dist.gather(1, order), items.gather(1, order)
    num_matches = is_match.sum(1)
    is_match = is_match.gather(1, order)

    # slot[b, i]: how many matches rank before gallery item i. A binary search counts the
    # matches with distance <= d_i; items tied with a match distance are recounted exactly.
    slot = torch.searchsorted(match_dist, dist, right=True)
    tied = (slot > 0) & (match_dist.gather(1, (slot - 1).clamp(min=0)) == dist)
    tied.scatter_(1, items, False)
    tied_rows, tied_cols = tied.nonzero(as_tuple=True)
    piece = max(1, _CHUNK_ENTRIES // num_slots)
    for start in range(0, tied_rows.numel(), piece):
        rows, cols = tied_rows[start:start + piece], tied_cols[start:start + piece]
        d, m_dist, m_items = dist[rows, cols, None], match_dist[rows], match_items[rows]
        before = (m_dist < d) | ((m_dist == d) & (m_items < cols[:, None]))
        slot[rows, cols] = (before & is_match[rows]).sum(1)
    # Items of the query's identity are either matches (counted by position) or junk.
    slot.scatter_(1, items, num_slots)

    offsets = torch.arange(num_rows, device=dist.device)[:, None] * (num_slots + 1)
    per_slot = torch.bincount((slot + offsets).flatten(), minlength=num_rows * (num_slots + 1))
    non_matches_before = per_slot.view(num_rows, num_slots + 1)[:, :num_slots].cumsum(1)
    ranks = torch.arange(1, num_slots + 1, device=dist.device) + non_matches_before
    return ranks, num_matches


def _single_shot_ranks(dist: torch.Tensor, q_codes: torch.Tensor, q_cams: torch.Tensor,
                       g_codes: torch.Tensor, g_cams: torch.Tensor,
                       keys: torch.Tensor) -> torch.Tensor:
    """Rank of the true match in random galleries of one image per identity.

    Args:
        dist: ``(B, G)`` distances; q_codes, q_cams ``(B,)``; g_codes, g_cams ``(G,)``.
        keys: ``(B, R, G)`` uniform random keys; in each of the ``R`` samplings an identity is
            represented by its non-junk item with the largest key.

    Returns:
        ``(B, R)`` 1-based ranks (meaningless for queries without a valid match).
    """
    same_id = g_codes[None] == q_codes[:, None]
    junk = (same_id & (g_cams[None] == q_cams[:, None]))[:, None]
    keys = keys.masked_fill(junk, -1.0)
    index = g_codes.expand_as(keys)
    best = torch.full(keys.shape[:2] + (int(g_codes.max()) + 1,), -2.0, dtype=keys.dtype,
                      device=keys.device)
    best = best.scatter_reduce(2, index, keys, reduce='amax')
    chosen = (keys == best.gather(2, index)) & ~junk
    target = (chosen & same_id[:, None]).byte().argmax(2, keepdim=True)
    dist = dist[:, None].expand_as(keys)
    target_dist = dist.gather(2, target)
    gallery_index = torch.arange(dist.shape[2], device=dist.device)
    before = (dist < target_dist) | ((dist == target_dist) & (gallery_index < target))
    return (chosen & before).sum(2) + 1


def _first_rank_in_sampled_gallery(order: np.ndarray, pids: np.ndarray, q_pid,
                                   keys: np.ndarray) -> int:
    """Reference: 1-based rank of the true match when each identity keeps its item of largest
    key. ``order`` lists the non-junk gallery items nearest first, ``pids`` their identities."""
    chosen = {}
    for item, pid in zip(order, pids):
        if pid not in chosen or keys[item] > keys[chosen[pid]]:
            chosen[pid] = item
    kept = np.isin(order, list(chosen.values()))
    return int(np.flatnonzero(pids[kept] == q_pid)[0]) + 1


def _gallery_items_by_identity(g_codes: np.ndarray):
    """A lookup from query identity codes to ``((B, M) gallery indices, (B, M) is_real)``.

    Each row lists the gallery items of that identity in ascending order, padded by repeating
    its first item (``M`` is the largest count among the rows asked for)."""
    by_code = defaultdict(list)
    for index, code in enumerate(g_codes):
        by_code[code].append(index)
    by_code = {code: np.array(items) for code, items in by_code.items()}

    def lookup(codes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        lists = [by_code.get(code, np.zeros(0, dtype=np.int64)) for code in codes]
        width = max(1, max(len(items) for items in lists))
        items = np.zeros((len(codes), width), dtype=np.int64)
        is_real = np.zeros((len(codes), width), dtype=bool)
        for row, row_items in enumerate(lists):
            items[row] = row_items[0] if len(row_items) else 0
            items[row, :len(row_items)] = row_items
            is_real[row, :len(row_items)] = True
        return torch.from_numpy(items), torch.from_numpy(is_real)

    return lookup


def _validate(distmat, q_pids, g_pids, q_camids, g_camids, max_rank, protocol, num_repeats):
    """Check the arguments (``protocol`` canonical); return the distances as a tensor and the
    ids as int64 arrays."""
    if isinstance(max_rank, bool) or not isinstance(max_rank, (int, np.integer)) or max_rank < 1:
        raise ValueError(f'max_rank must be a positive integer, got {max_rank!r}')
    if protocol == 'single_gallery_shot' and (not isinstance(num_repeats, (int, np.integer))
                                              or num_repeats < 1):
        raise ValueError(f'num_repeats must be a positive integer, got {num_repeats!r}')
    dist = torch.as_tensor(distmat) if not isinstance(distmat, torch.Tensor) else distmat
    if dist.ndim != 2:
        raise ValueError(f'distmat must be a 2-D (num_query, num_gallery) matrix, '
                         f'got shape {tuple(dist.shape)}')
    if dist.is_complex() or dist.dtype == torch.bool:
        raise ValueError(f'distmat must hold real numbers, got dtype {dist.dtype}')
    if dist.dtype not in (torch.float32, torch.float64):
        dist = dist.double()
    num_q, num_g = dist.shape
    if num_q == 0 or num_g == 0:
        raise ValueError(f'distmat has an empty query set or gallery: shape {(num_q, num_g)}')
    if torch.isnan(dist).any():
        raise ValueError('distmat contains NaN distances')
    ids = []
    for name, values, length in (('q_pids', q_pids, num_q), ('g_pids', g_pids, num_g),
                                 ('q_camids', q_camids, num_q), ('g_camids', g_camids, num_g)):
        if isinstance(values, torch.Tensor):
            values = values.cpu().numpy()
        values = np.asarray(values)
        if values.ndim != 1 or len(values) != length:
            raise ValueError(f'{name} must be a 1-D array of length {length} (distmat is '
                             f'{num_q}x{num_g}), got shape {values.shape}')
        if not np.issubdtype(values.dtype, np.integer):
            raise ValueError(f'{name} must hold integers, got dtype {values.dtype}')
        ids.append(values.astype(np.int64))
    return (dist.contiguous(), *ids)


def _result(cmc: np.ndarray, mean_ap: float, mean_inp: float, num_valid: int,
            num_queries: int) -> dict:
    return {'cmc': np.asarray(cmc, dtype=np.float64), 'mAP': float(mean_ap),
            'mINP': float(mean_inp), 'num_valid_queries': int(num_valid),
            'num_queries': int(num_queries)}
