"""The last transform: the result dict → the dataset item (tensors and labels)."""
from __future__ import annotations

import numpy as np
import torch

from posereid.registry import TRANSFORMS

#: ImageNet channel statistics (RGB, in [0, 1]), which the pretrained backbones expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@TRANSFORMS.register_module()
class PackReID:
    """Normalise and pack one item: ``img`` → float tensor ``(3, H, W)``,
    ``(img / 255 − mean) / std``; ``heatmaps`` → float tensor ``(14, h, w)`` (if loaded); keeps
    ``pid``, ``camid``, ``split`` and ``img_path`` and drops everything else."""

    def __init__(self, mean: tuple[float, ...] = IMAGENET_MEAN,
                 std: tuple[float, ...] = IMAGENET_STD) -> None:
        self.mean = np.asarray(mean, dtype=np.float32) * 255
        self.scale = 1 / (np.asarray(std, dtype=np.float32) * 255)

    def __call__(self, results: dict) -> dict:
        image = (results['img'].astype(np.float32) - self.mean) * self.scale    # (H, W, 3)
        item = dict(img=torch.from_numpy(image.transpose(2, 0, 1).copy()),
                    pid=int(results['pid']), camid=int(results['camid']),
                    split=results['split'], img_path=results['img_path'])
        if 'heatmaps' in results:
            item['heatmaps'] = torch.from_numpy(np.ascontiguousarray(results['heatmaps'],
                                                                     dtype=np.float32))
        return item

    def __repr__(self) -> str:
        return f'PackReID(mean={self.mean / 255}, std={1 / (self.scale * 255)})'
