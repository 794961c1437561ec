"""Photometric transforms: they change the image only, never the heatmaps (the pose was
estimated on the clean image). Built on ``torchvision.transforms.v2``, imported when a transform
is built (torchvision is slow to import and this package is imported by tools that never
augment)."""
from __future__ import annotations

import numpy as np

from posereid.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ColorJitter:
    """Random brightness, contrast, saturation and hue of the ``(H, W, 3)`` uint8 ``img``
    (``torchvision.transforms.v2.ColorJitter``), applied with probability ``prob``."""

    def __init__(self, brightness: float = 0.2, contrast: float = 0.15,
                 saturation: float = 0.0, hue: float = 0.0, prob: float = 0.5) -> None:
        from torchvision.transforms import v2

        self.jitter = v2.RandomApply(
            [v2.ColorJitter(brightness, contrast, saturation, hue)], p=prob)

    def __call__(self, results: dict) -> dict:
        from torchvision.transforms.v2.functional import to_image

        image = self.jitter(to_image(results['img']))              # (3, H, W) uint8
        results['img'] = np.ascontiguousarray(image.permute(1, 2, 0).numpy())
        return results

    def __repr__(self) -> str:
        return f'ColorJitter({self.jitter})'


@TRANSFORMS.register_module()
class RandomErasing:
    """Erase a random rectangle of the packed, normalised ``img`` tensor ``(3, H, W)`` to
    ``value`` (0 = the mean colour) with probability ``prob``
    (``torchvision.transforms.v2.RandomErasing``; Zhong et al., AAAI 2020). Put it after
    :class:`PackReID`."""

    def __init__(self, prob: float = 0.5, scale: tuple[float, float] = (0.02, 0.4),
                 ratio: tuple[float, float] = (0.3, 3.3), value: float = 0.0) -> None:
        from torchvision.transforms import v2

        self.erase = v2.RandomErasing(p=prob, scale=scale, ratio=ratio, value=value)

    def __call__(self, results: dict) -> dict:
        if getattr(results['img'], 'ndim', 0) != 3 or results['img'].shape[0] != 3:
            raise TypeError('RandomErasing expects the packed (3, H, W) image tensor: put it '
                            'after PackReID in the pipeline')
        results['img'] = self.erase(results['img'])
        return results

    def __repr__(self) -> str:
        return f'RandomErasing({self.erase})'
