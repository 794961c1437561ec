"""Reference baselines that need no training."""
from .color_histogram import color_histogram_features, evaluate_market_folder, hellinger_distances

__all__ = ['color_histogram_features', 'hellinger_distances', 'evaluate_market_folder']
