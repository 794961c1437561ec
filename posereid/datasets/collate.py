"""``reid_collate``: a list of dataset items → the batch dict the models take."""
from __future__ import annotations

from typing import Sequence

import torch
from mmengine.registry import FUNCTIONS


@FUNCTIONS.register_module()
def reid_collate(items: Sequence[dict]) -> dict:
    """Stack :class:`~posereid.datasets.ReIDDataset` items into a batch.

    Returns:
        ``{'imgs': (B, 3, H, W), 'heatmaps': (B, 14, h, w) or None, 'pids': (B,) long,
        'camids': (B,) long, 'splits': list[str], 'img_paths': list[str]}``.
    """
    with_heatmaps = {'heatmaps' in item for item in items}
    if len(with_heatmaps) > 1:
        raise ValueError('reid_collate: some items have heatmaps and some do not')
    return dict(
        imgs=torch.stack([item['img'] for item in items]),
        heatmaps=torch.stack([item['heatmaps'] for item in items]) if True in with_heatmaps
        else None,
        pids=torch.tensor([item['pid'] for item in items], dtype=torch.long),
        camids=torch.tensor([item['camid'] for item in items], dtype=torch.long),
        splits=[item['split'] for item in items],
        img_paths=[item['img_path'] for item in items])
