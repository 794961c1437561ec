"""Joint image + heatmap augmentation, mmengine-style: each transform is a callable registered in
``TRANSFORMS`` that takes and returns the *result dict* of one image.

Keys of the result dict:

* ``img``: ``(H, W, 3)`` uint8 RGB array (:class:`LoadImage`); after :class:`PackReID` a float
  tensor ``(3, H, W)``, normalised;
* ``heatmaps``: ``(14, h, w)`` float32 array of the AIC-14 joints (:class:`LoadHeatmaps`), always
  covering the whole image: heatmap pixel ``(u, v)`` ↔ image point
  ``((u + 0.5) W / w, (v + 0.5) H / h)``; geometric transforms move it with the image,
  photometric ones leave it alone, :class:`Resize` keeps its size;
* ``img_path``, ``pid``, ``camid``, ``split`` and, when the dataset has a heatmap cache,
  ``heatmap_cache`` (given by :class:`~posereid.datasets.ReIDDataset`).

A training pipeline::

    [dict(type='LoadImage'), dict(type='LoadHeatmaps'), dict(type='Resize', size=(160, 64)),
     dict(type='RandomFlip'), dict(type='RandomTranslate'), dict(type='ColorJitter'),
     dict(type='PackReID'), dict(type='RandomErasing')]
"""
from .formatting import PackReID
from .geometric import RandomFlip, RandomTranslate, RandomZoomCrop, Resize
from .loading import LoadHeatmaps, LoadImage
from .photometric import ColorJitter, RandomErasing

__all__ = ['LoadImage', 'LoadHeatmaps', 'Resize', 'RandomFlip', 'RandomTranslate',
           'RandomZoomCrop', 'ColorJitter', 'PackReID', 'RandomErasing']
