"""Reading an image and its cached pose heatmaps into the result dict."""
from __future__ import annotations

import numpy as np

from posereid.registry import TRANSFORMS
from posereid.utils.image_io import read_image


@TRANSFORMS.register_module()
class LoadImage:
    """``img`` ← the RGB pixels of ``img_path``."""

    def __call__(self, results: dict) -> dict:
        results['img'] = read_image(results['img_path'])
        return results

    def __repr__(self) -> str:
        return 'LoadImage()'


@TRANSFORMS.register_module()
class LoadHeatmaps:
    """``heatmaps`` ← the ``(14, h, w)`` float32 heatmaps of ``img_path`` in the dataset's
    heatmap cache (``results['heatmap_cache']``, a
    :class:`~posereid.pose.cache.HeatmapCache`); nothing when the dataset has none."""

    def __call__(self, results: dict) -> dict:
        cache = results.get('heatmap_cache')
        if cache is not None:
            heatmaps, _, _ = cache.lookup(results['img_path'])
            results['heatmaps'] = np.asarray(heatmaps, dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return 'LoadHeatmaps()'
