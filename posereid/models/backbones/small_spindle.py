"""A small three-stage CNN in the shape of Spindle Net's feature extraction network, for CPUs.

Spindle Net (Zhao et al., CVPR 2017) splits its feature extraction network (FEN) into three
stages: macro regions are pooled from the output of C1, micro regions from C2, and every
region continues through its own copy of the later stages. This network keeps that structure
at a size that trains in minutes on two CPU cores:

=====  ==========================================================  ======  ========
stage  layers                                                      stride  channels
=====  ==========================================================  ======  ========
C1     conv 3×3/2 – BN – ReLU, max-pool 2, conv 3×3 – BN – ReLU       4       64
C2     max-pool 2, conv 3×3 – BN – ReLU                               8       96
C3     max-pool 2, conv 3×3 – BN – ReLU                              16      128
=====  ==========================================================  ======  ========

At 128×64 the stages output 32×16, 16×8 and 8×4 maps.
"""
from __future__ import annotations

from torch import nn

from posereid.registry import MODELS


def conv_bn_relu(in_channels: int, out_channels: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, 3, stride, padding=1, bias=False),
            nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]


@MODELS.register_module()
class SmallSpindleBackbone(nn.Module):
    """Three stages ``stages[0..2]`` (C1, C2, C3): ``(B, in_channels, H, W)`` → C3
    ``(B, 128, H/16, W/16)``.

    Args:
        in_channels: 3 for RGB, 3 + 14 when heatmaps are stacked on the image.
        channels: output channels of C1, C2, C3.
    """

    def __init__(self, in_channels: int = 3, channels: tuple[int, int, int] = (64, 96, 128)):
        super().__init__()
        c1, c2, c3 = channels
        self.out_channels = tuple(channels)
        self.stages = nn.ModuleList([
            nn.Sequential(*conv_bn_relu(in_channels, 32, stride=2), nn.MaxPool2d(2),
                          *conv_bn_relu(32, c1)),
            nn.Sequential(nn.MaxPool2d(2), *conv_bn_relu(c1, c2)),
            nn.Sequential(nn.MaxPool2d(2), *conv_bn_relu(c2, c3)),
        ])
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode='fan_out', nonlinearity='relu')
