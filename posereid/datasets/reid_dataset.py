"""``ReIDDataset``: one split of a re-id source as an mmengine dataset of item dicts."""
from __future__ import annotations

from typing import Sequence

from posereid.registry import DATASETS, TRANSFORMS

from .base import ReIDRecord, ReIDSource
from .sources import build_source
from .transforms import LoadHeatmaps

SPLITS = ('train', 'query', 'gallery', 'test')


@DATASETS.register_module()
class ReIDDataset:
    """The images of one split of a source, each run through ``pipeline``.

    Each item is the dict made by the pipeline (normally ending in
    :class:`~posereid.datasets.transforms.PackReID`): ``img`` ``(3, H, W)``, ``heatmaps``
    ``(14, h, w)`` (only with a heatmap cache), ``pid``, ``camid``, ``split``, ``img_path``.

    Args:
        source: a ``build_source`` name, a dict ``dict(name=..., **options)``, or a built
            :class:`~posereid.datasets.base.ReIDSource`.
        split: ``'train'``, ``'query'``, ``'gallery'`` or ``'test'`` (query, then gallery).
        pipeline: transforms, as configs (built from ``TRANSFORMS``) or callables.
        heatmap_cache: folder of a :class:`~posereid.pose.heatmap_cache.HeatmapCache` holding
            every image of the split; checked here, so a stale or missing cache fails now, not
            mid-epoch. The pipeline must then contain ``LoadHeatmaps``.
        source_root: dataset folder, when ``source`` is a name or dict without ``root``.
    """

    def __init__(self, source: str | dict | ReIDSource, split: str = 'train',
                 pipeline: Sequence[dict | callable] = (), heatmap_cache: str | None = None,
                 source_root: str | None = None) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}; got {split!r}')
        self.source = _as_source(source, source_root)
        self.split = split
        parts = ('query', 'gallery') if split == 'test' else (split,)
        self.records: list[ReIDRecord] = []
        self.record_splits: list[str] = []
        for part in parts:
            records = getattr(self.source, part)
            self.records += records
            self.record_splits += [part] * len(records)
        self.pipeline = [TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline]
        self.heatmap_cache = None
        if heatmap_cache is not None:
            if not any(isinstance(t, LoadHeatmaps) for t in self.pipeline):
                raise ValueError('a heatmap_cache is given but the pipeline has no LoadHeatmaps '
                                 'transform to read it')
            from posereid.pose.heatmap_cache import HeatmapCache

            self.heatmap_cache = HeatmapCache(heatmap_cache)
            self.heatmap_cache.check_images([r.img_path for r in self.records])

    @property
    def metainfo(self) -> dict:
        return dict(source=self.source.name, protocol=self.source.protocol, split=self.split,
                    num_train_pids=self.source.num_train_pids)

    @property
    def pids(self) -> list[int]:
        """Identity of every item, in order (what the samplers group by)."""
        return [r.pid for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def get_data_info(self, index: int) -> dict:
        """The result dict that enters the pipeline for item ``index``."""
        record = self.records[index]
        info = dict(img_path=record.img_path, pid=record.pid, camid=record.camid,
                    split=self.record_splits[index])
        if self.heatmap_cache is not None:
            info['heatmap_cache'] = self.heatmap_cache
        return info

    def __getitem__(self, index: int) -> dict:
        results = self.get_data_info(index)
        for transform in self.pipeline:
            results = transform(results)
        return results

    def __repr__(self) -> str:
        return (f'ReIDDataset({self.source.name!r}, split={self.split!r}, {len(self)} images, '
                f'heatmaps={"yes" if self.heatmap_cache is not None else "no"})')


def _as_source(source, root) -> ReIDSource:
    if isinstance(source, ReIDSource):
        return source
    if isinstance(source, str):
        return build_source(source, root)
    if isinstance(source, dict) and 'name' in source:
        options = dict(source)
        name = options.pop('name')
        options.setdefault('root', root)
        return build_source(name, **options)
    raise TypeError(f'source must be a dataset name, a dict with "name", or a ReIDSource; '
                    f'got {source!r}')
