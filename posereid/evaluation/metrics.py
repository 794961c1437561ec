"""mmengine metrics for the Runner's val/test loops: retrieval (:class:`ReIDMetric`) and pair
verification (:class:`PairMetric`). All rates are reported as fractions in ``[0, 1]``.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from posereid.registry import METRICS

from .distance import compute_distance_matrix
from .pair_metrics import evaluate_pairs
from .rank import PROTOCOLS, evaluate_rank
from .rerank import k_reciprocal_rerank


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Rank-k (CMC), mAP and mINP of query embeddings retrieved from gallery embeddings.

    ``process`` takes ``data_samples`` as dicts with ``embedding`` (1-D tensor), ``pid`` (int),
    ``camid`` (int) and ``split`` (``'query'`` or ``'gallery'``). ``compute_metrics`` returns
    ``rank<k>`` for each ``k`` in ``ranks``, ``mAP`` and ``mINP`` (logged as ``reid/<key>``).

    Args:
        protocol: ``'market'`` or ``'cuhk03'`` (see :func:`posereid.evaluation.evaluate_rank`).
        ranks: CMC ranks to report.
        max_rank: length of the CMC curve (at least ``max(ranks)``).
        distance: ``'euclidean'`` or ``'cosine'``.
        rerank: replace the distances by k-reciprocal re-ranked ones, with ``rerank_k1``,
            ``rerank_k2`` and ``rerank_lambda``.
    """

    default_prefix = 'reid'

    def __init__(self, protocol: str = 'market', ranks: Sequence[int] = (1, 5, 10),
                 max_rank: int = 50, distance: str = 'euclidean', rerank: bool = False,
                 rerank_k1: int = 20, rerank_k2: int = 6, rerank_lambda: float = 0.3,
                 collect_device: str = 'cpu', prefix: str | None = None,
                 collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {PROTOCOLS}, got {protocol!r}')
        if distance not in ('euclidean', 'cosine'):
            raise ValueError(f"distance must be 'euclidean' or 'cosine', got {distance!r}")
        if not ranks or any(not isinstance(k, int) or not 1 <= k <= max_rank for k in ranks):
            raise ValueError(f'ranks must be integers in [1, max_rank={max_rank}], got {ranks!r}')
        self.protocol = protocol
        self.ranks = tuple(ranks)
        self.max_rank = max_rank
        self.distance = distance
        self.rerank = rerank
        self.rerank_k1, self.rerank_k2, self.rerank_lambda = rerank_k1, rerank_k2, rerank_lambda

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            missing = {'embedding', 'pid', 'camid', 'split'} - set(sample)
            if missing:
                raise ValueError(f'ReIDMetric data samples need the keys {sorted(missing)}; '
                                 f'got a sample with {sorted(sample)}')
            if sample['split'] not in ('query', 'gallery'):
                raise ValueError(f"a data sample's split must be 'query' or 'gallery', got "
                                 f"{sample['split']!r}")
            embedding = torch.as_tensor(sample['embedding']).detach()
            if embedding.ndim != 1:
                raise ValueError(f'a data sample embedding must be 1-D, got shape '
                                 f'{tuple(embedding.shape)}')
            self.results.append({'embedding': embedding.cpu(), 'pid': int(sample['pid']),
                                 'camid': int(sample['camid']), 'split': sample['split']})

    def compute_metrics(self, results: list) -> dict:
        query = [r for r in results if r['split'] == 'query']
        gallery = [r for r in results if r['split'] == 'gallery']
        if not query or not gallery:
            raise ValueError(f'ReIDMetric needs query and gallery samples, got {len(query)} '
                             f'query and {len(gallery)} gallery')
        q_emb = torch.stack([r['embedding'] for r in query])
        g_emb = torch.stack([r['embedding'] for r in gallery])
        if self.rerank:
            distmat = k_reciprocal_rerank(q_emb, g_emb, self.rerank_k1, self.rerank_k2,
                                          self.rerank_lambda, metric=self.distance)
        else:
            distmat = compute_distance_matrix(q_emb, g_emb, metric=self.distance)
        result = evaluate_rank(
            distmat, _field(query, 'pid'), _field(gallery, 'pid'), _field(query, 'camid'),
            _field(gallery, 'camid'), max_rank=self.max_rank, protocol=self.protocol)
        metrics = {f'rank{k}': float(result['cmc'][k - 1]) for k in self.ranks}
        metrics.update(mAP=result['mAP'], mINP=result['mINP'])
        return metrics


@METRICS.register_module()
class PairMetric(BaseMetric):
    """Accuracy, confusion matrix, ROC AUC and TPR at fixed FPRs of pair verification.

    ``process`` takes ``data_samples`` as dicts with ``pair_score`` (probability of 'same') and
    ``pair_label`` (1 same, 0 different). ``compute_metrics`` returns the keys of
    :func:`posereid.evaluation.evaluate_pairs` (logged as ``pair/<key>``).
    """

    default_prefix = 'pair'

    def __init__(self, threshold: float = 0.5, fprs: Sequence[float] = (1e-2, 1e-3),
                 collect_device: str = 'cpu', prefix: str | None = None,
                 collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        self.threshold = threshold
        self.fprs = tuple(fprs)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            missing = {'pair_score', 'pair_label'} - set(sample)
            if missing:
                raise ValueError(f'PairMetric data samples need the keys {sorted(missing)}; '
                                 f'got a sample with {sorted(sample)}')
            self.results.append((float(sample['pair_score']), int(sample['pair_label'])))

    def compute_metrics(self, results: list) -> dict:
        scores, labels = zip(*results)
        return evaluate_pairs(scores, labels, threshold=self.threshold, fprs=self.fprs)


def _field(results: list[dict], key: str) -> np.ndarray:
    return np.array([r[key] for r in results], dtype=np.int64)
