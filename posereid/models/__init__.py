"""posereid models: matching layers, backbones, losses and the three re-id networks
(SiameseND, SpindleNet, SpindleFusion), registered in ``posereid.registry.MODELS``."""
from .backbones import ResNet50Stages, SmallSpindleBackbone
from .layers import NeighborhoodDifferenceSummary, NormalizedCrossCorrelation
from .losses import CrossEntropyLabelSmooth, PairCrossEntropyLoss, TripletLoss
from .pair_model import PairReIDModel
from .siamese_nd import SiameseBranch, SiameseND
from .spindle_fusion import SpindleFusion
from .spindle_net import SpindleBranch, SpindleNet

__all__ = ['SiameseND', 'SpindleNet', 'SpindleFusion', 'PairReIDModel', 'SiameseBranch',
           'SpindleBranch', 'SmallSpindleBackbone', 'ResNet50Stages',
           'NeighborhoodDifferenceSummary', 'NormalizedCrossCorrelation', 'PairCrossEntropyLoss',
           'CrossEntropyLabelSmooth', 'TripletLoss']
