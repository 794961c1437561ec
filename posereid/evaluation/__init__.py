"""Evaluation: retrieval ranking (CMC, mAP, mINP), pair verification metrics, k-reciprocal
re-ranking, and the mmengine metrics that report them."""
from .distance import DISTANCE_METRICS, compute_distance_matrix, compute_paired_distance
from .metrics import PairMetric, ReIDMetric
from .pair_metrics import (PAIR_PROTOCOLS, balanced_verification_pairs, confusion_matrix,
                           evaluate_pairs, roc_auc, roc_curve, sample_verification_pairs,
                           tpr_at_fpr)
from .rank import (PROTOCOL_ALIASES, PROTOCOLS, RANKS, RankAccumulator, aggregate_splits,
                   canonical_protocol, evaluate_rank, evaluate_rank_reference, rank_summary,
                   summarize)
from .rerank import k_reciprocal_rerank

__all__ = [
    'DISTANCE_METRICS', 'compute_distance_matrix', 'compute_paired_distance',
    'PROTOCOLS', 'PROTOCOL_ALIASES', 'RANKS', 'canonical_protocol', 'evaluate_rank',
    'evaluate_rank_reference', 'RankAccumulator', 'rank_summary', 'summarize',
    'aggregate_splits',
    'confusion_matrix', 'roc_curve', 'roc_auc', 'tpr_at_fpr', 'evaluate_pairs',
    'PAIR_PROTOCOLS', 'sample_verification_pairs', 'balanced_verification_pairs',
    'k_reciprocal_rerank', 'ReIDMetric', 'PairMetric',
]
