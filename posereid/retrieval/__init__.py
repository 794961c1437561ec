"""Ranking a gallery with a pairwise model, with no training stack: the embedding shortlist
re-scored by the pair head (:mod:`.two_stage`) and the nearest-neighbour index behind the
shortlist (:mod:`.index`)."""
from .index import EmbeddingIndex
from .two_stage import (PAIR_BATCH_SIZE, Ranking, all_pairs_ranking, shortlist_log_odds,
                        streamed_rank_metrics, two_stage_ranking, two_stage_rows,
                        verification_log_odds)

__all__ = ['EmbeddingIndex', 'PAIR_BATCH_SIZE', 'Ranking', 'all_pairs_ranking',
           'shortlist_log_odds', 'streamed_rank_metrics', 'two_stage_ranking', 'two_stage_rows',
           'verification_log_odds']
