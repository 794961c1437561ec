"""Three-stage feature extractors for Spindle Net (registered in MODELS).

A backbone has ``stages`` (an ``nn.ModuleList`` C1, C2, C3) and ``out_channels`` (one per stage),
and takes ``in_channels`` as its first constructor argument.
"""
from .resnet import ResNet50Stages
from .small_spindle import SmallSpindleBackbone

__all__ = ['SmallSpindleBackbone', 'ResNet50Stages']
