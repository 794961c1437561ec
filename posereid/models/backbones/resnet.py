"""torchvision ResNet-50 cut into Spindle Net's three stages, for GPUs.

=====  ===================================  ======  ========
stage  torchvision modules                  stride  channels
=====  ===================================  ======  ========
C1     conv1, bn1, relu, maxpool, layer1-2     8      512
C2     layer3                                 16     1024
C3     layer4 (stride 1 with last_stride=1)   32/16  2048
=====  ===================================  ======  ========

Nothing is downloaded: the network starts from random weights (``weights=None``) unless
``pretrained`` names a local state-dict file: torchvision's ImageNet checkpoint
(:data:`IMAGENET_CHECKPOINT`), fetched once on a machine with internet access and copied by hand
into ``checkpoints/``.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torchvision.models import resnet50

from posereid.registry import MODELS

#: torchvision's ImageNet weights of ResNet-50 (``ResNet50_Weights.IMAGENET1K_V1``): file name
#: and where it comes from.
IMAGENET_CHECKPOINT = 'resnet50-0676ba61.pth'
IMAGENET_URL = f'https://download.pytorch.org/models/{IMAGENET_CHECKPOINT}'


def load_resnet50_state(model: nn.Module, path: str | Path) -> None:
    """Load a torchvision ResNet-50 state dict from ``path`` (its ``fc.*`` entries are ignored)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f'ResNet-50 weights not found: {path}. posereid downloads nothing: fetch '
            f'torchvision\'s ImageNet checkpoint {IMAGENET_URL} (ResNet50_Weights.IMAGENET1K_V1, '
            f'or any torchvision resnet50 state dict) on a machine with internet access and '
            f'copy it to {path}, or set the backbone\'s pretrained=None to start from random '
            f'weights')
    state = torch.load(path, map_location='cpu', weights_only=True)
    state = state.get('state_dict', state)
    state = {key: value for key, value in state.items() if not key.startswith('fc.')}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [key for key in missing if not key.startswith('fc.')]
    if missing or unexpected:
        raise ValueError(f'{path} is not a torchvision ResNet-50 state dict: missing '
                         f'{missing[:5]}, unexpected {unexpected[:5]}')


@MODELS.register_module()
class ResNet50Stages(nn.Module):
    """ResNet-50 as three stages ``stages[0..2]`` (C1, C2, C3).

    Args:
        in_channels: 3 for RGB; more when heatmaps are stacked on the image (the extra input
            channels of ``conv1`` start at zero, so pretrained behaviour is kept at first).
        pretrained: path of a local torchvision ``resnet50`` state dict, or None.
        last_stride: 1 keeps C3 at stride 16 (common in re-id), 2 is the original network.
    """

    out_channels = (512, 1024, 2048)

    def __init__(self, in_channels: int = 3, pretrained: str | None = None, last_stride: int = 1):
        super().__init__()
        net = resnet50(weights=None)
        if pretrained:
            load_resnet50_state(net, pretrained)
        if in_channels != 3:
            conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
            with torch.no_grad():
                conv1.weight.zero_()
                conv1.weight[:, :3] = net.conv1.weight
            net.conv1 = conv1
        if last_stride not in (1, 2):
            raise ValueError(f'last_stride must be 1 or 2; got {last_stride}')
        if last_stride == 1:
            net.layer4[0].conv2.stride = (1, 1)
            net.layer4[0].downsample[0].stride = (1, 1)
        self.stages = nn.ModuleList([
            nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2),
            net.layer3,
            net.layer4,
        ])
