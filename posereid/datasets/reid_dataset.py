"""``ReIDDataset``: one split of a re-id source as an mmengine ``BaseDataset`` of item dicts."""
from __future__ import annotations

from typing import Sequence

import numpy as np
from mmengine.dataset import BaseDataset, force_full_init

from posereid.pose.cache import HeatmapCache
from posereid.registry import DATASETS, TRANSFORMS

from .base import ReIDRecord, ReIDSource
from .sources import build_source
from .validation import HeldOutValidation
from .transforms import LoadHeatmaps

SPLITS = ('train', 'query', 'gallery', 'test')


@DATASETS.register_module()
class ReIDDataset(BaseDataset):
    """The images of one split of a source, each run through ``pipeline``.

    Each item is the dict made by the pipeline (normally ending in
    :class:`~posereid.datasets.transforms.PackReID`): ``img`` ``(3, H, W)``, ``heatmaps``
    ``(14, h, w)`` (only with a heatmap cache), ``pid``, ``camid``, ``split``, ``img_path``.

    As an mmengine ``BaseDataset``: the source is read in :meth:`load_data_list` (at once, or
    at ``full_init()`` with ``lazy_init=True``), ``metainfo`` carries the source's name and
    evaluation ``protocol``, the split and ``num_train_pids``, and ``get_subset`` works.

    Args:
        source: a ``build_source`` name, a dict ``dict(name=..., **options)``, or a built
            :class:`~posereid.datasets.base.ReIDSource`.
        split: ``'train'``, ``'query'``, ``'gallery'`` or ``'test'`` (query, then gallery).
        pipeline: transforms, as configs (built from ``TRANSFORMS``) or callables.
        heatmap_cache: folder of a :class:`~posereid.pose.cache.HeatmapCache` holding
            every image of the split; checked when the source is read, so a stale or missing
            cache fails then, not mid-epoch. The pipeline must then contain ``LoadHeatmaps``.
        source_root: dataset folder, when ``source`` is a name or dict without ``root``.
        data_root: root of every dataset (a config's ``data_root``): the source's folder is
            ``<data_root>/<its default folder>`` unless a root is given; default
            :func:`posereid.utils.paths.data_root`.
        validation: ``dict(num_ids=..., seed=...)`` holds out training identities
            (:class:`~posereid.datasets.validation.HeldOutValidation`): ``'train'`` is then
            the rest and ``'test'`` (``'query'``, ``'gallery'``) the held-out identities.
        lazy_init, serialize_data: as mmengine's ``BaseDataset``.
    """

    def __init__(self, source: str | dict | ReIDSource, split: str = 'train',
                 pipeline: Sequence[dict | callable] = (), heatmap_cache: str | None = None,
                 source_root: str | None = None, data_root: str | None = None,
                 validation: dict | None = None, lazy_init: bool = False,
                 serialize_data: bool = True) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}; got {split!r}')
        transforms = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        if heatmap_cache is not None and not any(isinstance(t, LoadHeatmaps) for t in transforms):
            raise ValueError('a heatmap_cache is given but the pipeline has no LoadHeatmaps '
                             'transform to read it')
        self.split, self.source_root, self.heatmap_cache_dir = split, source_root, heatmap_cache
        self._source_cfg, self.validation = source, validation
        self.source: ReIDSource | None = None
        self.heatmap_cache: HeatmapCache | None = None
        self._pids = np.empty(0, np.int64)
        super().__init__(data_root=data_root or '', pipeline=transforms,
                         test_mode=split != 'train', lazy_init=lazy_init,
                         serialize_data=serialize_data)

    def load_data_list(self) -> list[dict]:
        """Read the source (and check the heatmap cache against its images)."""
        self.source = _as_source(self._source_cfg, self.source_root, self.data_root or None)
        if self.validation is not None:
            self.source = HeldOutValidation(self.source, **self.validation)
        records, splits = self._split_records()
        if self.heatmap_cache_dir is not None:
            self.heatmap_cache = HeatmapCache(self.heatmap_cache_dir)
            self.heatmap_cache.check_images([r.img_path for r in records])
        self._metainfo.update(source=self.source.name, protocol=self.source.protocol,
                              split=self.split, num_train_pids=self.source.num_train_pids)
        self._pids = np.array([r.pid for r in records], np.int64)
        return [dict(img_path=r.img_path, pid=r.pid, camid=r.camid, split=split)
                for r, split in zip(records, splits)]

    def _split_records(self) -> tuple[list[ReIDRecord], list[str]]:
        """The split's records in item order, and the part (train, query, gallery) of each."""
        parts = ('query', 'gallery') if self.split == 'test' else (self.split,)
        records = [(r, part) for part in parts for r in getattr(self.source, part)]
        return [r for r, _ in records], [part for _, part in records]

    @property
    @force_full_init
    def records(self) -> list[ReIDRecord]:
        """The split's records, in item order."""
        return self._split_records()[0]

    @property
    @force_full_init
    def record_splits(self) -> list[str]:
        """``'train'``, ``'query'`` or ``'gallery'`` of every item, in order."""
        return self._split_records()[1]

    @property
    @force_full_init
    def metainfo(self) -> dict:
        return super().metainfo

    @property
    @force_full_init
    def pids(self) -> list[int]:
        """Identity of every item, in order (what the samplers group by)."""
        return self._pids.tolist()

    def get_data_info(self, index: int) -> dict:
        """The result dict that enters the pipeline for item ``index``."""
        info = super().get_data_info(index)
        if self.heatmap_cache is not None:
            info['heatmap_cache'] = self.heatmap_cache
        return info

    def __repr__(self) -> str:
        name = self.source.name if self.source is not None else self._source_cfg
        return (f'ReIDDataset({name!r}, split={self.split!r}, '
                f'{len(self) if self._fully_initialized else "?"} images, '
                f'heatmaps={"yes" if self.heatmap_cache_dir is not None else "no"})')


def _as_source(source, root, data_root) -> ReIDSource:
    if isinstance(source, ReIDSource):
        return source
    if isinstance(source, str):
        return build_source(source, root, data_root)
    if isinstance(source, dict) and 'name' in source:
        options = dict(source)
        name = options.pop('name')
        options.setdefault('root', root)
        return build_source(name, data_root=data_root, **options)
    raise TypeError(f'source must be a dataset name, a dict with "name", or a ReIDSource; '
                    f'got {source!r}')
