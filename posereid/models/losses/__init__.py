"""Training losses, registered in MODELS; their weights are set in configs."""
from .label_smooth import CrossEntropyLabelSmooth
from .pair_cross_entropy import PairCrossEntropyLoss
from .triplet import TripletLoss

__all__ = ['PairCrossEntropyLoss', 'CrossEntropyLabelSmooth', 'TripletLoss']
