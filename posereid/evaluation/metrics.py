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
from .rank import canonical_protocol, rank_summary
from .rerank import k_reciprocal_rerank


@METRICS.register_module()
class ReIDMetric(BaseMetric):
    """Rank-k (CMC), mAP and mINP of query embeddings retrieved from gallery embeddings.

    ``process`` takes ``data_samples`` as dicts with ``embedding`` (1-D tensor), ``pid`` (int),
    ``camid`` (int) and ``split`` (``'query'`` or ``'gallery'``). ``compute_metrics`` returns
    ``rank<k>`` for each ``k`` in ``ranks``, ``mAP`` and ``mINP`` (logged as ``reid/<key>``).

    The evaluation protocol is the dataset's: mmengine's loops give the metric the dataset's
    ``metainfo``, whose ``protocol`` is its source's (``ReIDSource.protocol``).

    Args:
        protocol: only for a metric used without a dataset (default ``'market'``); with a
            dataset it must be left out or agree with the dataset's.
        ranks: CMC ranks to report.
        max_rank: length of the CMC curve (at least ``max(ranks)``).
        distance: ``'euclidean'`` or ``'cosine'``.
        rerank: replace the distances by k-reciprocal re-ranked ones, with ``rerank_k1``,
            ``rerank_k2`` and ``rerank_lambda``.
    """

    default_prefix = 'reid'

    def __init__(self, protocol: str | None = None, ranks: Sequence[int] = (1, 5, 10),
                 max_rank: int = 50, distance: str = 'euclidean', rerank: bool = False,
                 rerank_k1: int = 20, rerank_k2: int = 6, rerank_lambda: float = 0.3,
                 collect_device: str = 'cpu', prefix: str | None = None,
                 collect_dir: str | None = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix, collect_dir=collect_dir)
        protocol = None if protocol is None else canonical_protocol(protocol)
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
        metrics = rank_summary(
            distmat, _field(query, 'pid'), _field(gallery, 'pid'), _field(query, 'camid'),
            _field(gallery, 'camid'), self.evaluation_protocol(), self.ranks, self.max_rank)
        del metrics['cmc']
        return metrics

    def evaluation_protocol(self) -> str:
        """The dataset's protocol (``dataset_meta['protocol']``), else the constructor's, else
        ``'market'``."""
        dataset = (self.dataset_meta or {}).get('protocol')
        if dataset is None:
            return self.protocol or 'market'
        dataset = canonical_protocol(dataset)
        if self.protocol not in (None, dataset):
            raise ValueError(f'ReIDMetric(protocol={self.protocol!r}) disagrees with the '
                             f'protocol of its dataset, {dataset!r}: leave it out of the '
                             f'evaluator config (the dataset decides)')
        return dataset


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
