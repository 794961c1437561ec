"""Matching layers of the Siamese branch: neighborhood difference (Ahmed et al.) and normalized
cross-correlation (Subramaniam et al.)."""
from .neighborhood_difference import (NeighborhoodDifferenceSummary, neighborhood_difference,
                                      neighborhood_difference_summary)
from .normalized_cross_correlation import (NormalizedCrossCorrelation,
                                           normalized_cross_correlation)

__all__ = ['neighborhood_difference', 'neighborhood_difference_summary',
           'NeighborhoodDifferenceSummary', 'normalized_cross_correlation',
           'NormalizedCrossCorrelation']
