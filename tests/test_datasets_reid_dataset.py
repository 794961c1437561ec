"""ReIDDataset on the small synthetic world: items, the heatmap cache check, collate, and a
DataLoader built the way mmengine's Runner builds it."""
from pathlib import Path

import numpy as np
import pytest
import torch

from posereid.datasets import PairSampler, ReIDDataset, build_source, reid_collate
from posereid.pose.base import PoseOutput

PIPELINE = [dict(type='LoadImage'), dict(type='LoadHeatmaps'), dict(type='Resize', size=(64, 32)),
            dict(type='RandomFlip', prob=0.0), dict(type='PackReID')]


class _MeanColourPose:
    """A stand-in pose backend: every heatmap of an image is filled with its mean pixel value,
    so a looked-up heatmap shows which image it belongs to."""

    def __call__(self, images):
        means = np.array([image.mean() for image in images], np.float32)
        heatmaps = np.broadcast_to(means[:, None, None, None], (len(images), 14, 8, 4))
        return PoseOutput(heatmaps.copy(), np.zeros((len(images), 14, 2), np.float32),
                          np.ones((len(images), 14), np.float32))

    def identity(self):
        return {'type': 'mean-colour'}


def _cache(synthetic_world, tmp_path, source):
    from posereid.pose.cache_build import precompute_heatmaps

    paths = [r.img_path for part in (source.train, source.query, source.gallery) for r in part]
    precompute_heatmaps(paths, _MeanColourPose(), tmp_path / 'cache', heatmap_size=(8, 4),
                        progress=False)
    return tmp_path / 'cache'


def test_test_split_is_query_then_gallery_packed_as_the_contract_says(synthetic_world):
    source = build_source('synthetic_market', root=synthetic_world / 'market')
    dataset = ReIDDataset('synthetic_market', split='test', pipeline=PIPELINE,
                          source_root=str(synthetic_world / 'market'))
    assert len(dataset) == len(source.query) + len(source.gallery)
    assert dataset.record_splits == ['query'] * len(source.query) + ['gallery'] * len(
        source.gallery)
    assert dataset.metainfo['protocol'] == 'market'
    item = dataset[len(source.query)]
    assert set(item) == {'img', 'pid', 'camid', 'split', 'img_path'}
    assert item['img'].shape == (3, 64, 32) and item['img'].dtype == torch.float32
    assert (item['pid'], item['camid'], item['split']) == (
        source.gallery[0].pid, source.gallery[0].camid, 'gallery')
    train = ReIDDataset(dict(name='synthetic_cuhk01', root=str(synthetic_world / 'cuhk01')),
                        pipeline=PIPELINE)
    assert sorted(set(train.pids)) == list(range(train.source.num_train_pids))
    with pytest.raises(ValueError, match="split must be one of"):
        ReIDDataset('synthetic_market', split='val', source_root=str(synthetic_world / 'market'))


def test_heatmaps_come_from_the_cache_and_a_stale_cache_fails_at_construction(synthetic_world,
                                                                             tmp_path):
    source = build_source('synthetic_cuhk01', root=synthetic_world / 'cuhk01')
    cache_dir = _cache(synthetic_world, tmp_path, source)
    dataset = ReIDDataset(source, split='query', pipeline=PIPELINE, heatmap_cache=str(cache_dir))
    item = dataset[1]
    from posereid.utils.image_io import read_image
    assert item['heatmaps'].shape == (14, 8, 4) and item['heatmaps'].dtype == torch.float32
    assert item['heatmaps'][5, 2, 1].item() == pytest.approx(
        read_image(item['img_path']).mean(), abs=0.05)
    batch = reid_collate([dataset[0], dataset[1]])
    assert batch['heatmaps'].shape == (2, 14, 8, 4)
    with pytest.raises(ValueError, match='no LoadHeatmaps'):
        ReIDDataset(source, split='query', pipeline=PIPELINE[:1], heatmap_cache=str(cache_dir))
    # An image changed after the cache was built: the dataset refuses to start.
    from posereid.pose.cache import StaleCacheError
    changed = Path(source.gallery[0].img_path)
    original = changed.read_bytes()
    try:
        changed.write_bytes(original + b'\0')
        with pytest.raises(StaleCacheError, match='Rebuild it with'):
            ReIDDataset(source, split='gallery', pipeline=PIPELINE, heatmap_cache=str(cache_dir))
    finally:
        changed.write_bytes(original)


def test_collate_gives_the_batch_dict_of_the_contract(synthetic_world):
    dataset = ReIDDataset('synthetic_market', split='query', pipeline=PIPELINE,
                          source_root=str(synthetic_world / 'market'))
    batch = reid_collate([dataset[i] for i in range(3)])
    assert batch['imgs'].shape == (3, 3, 64, 32) and batch['heatmaps'] is None
    assert batch['pids'].dtype == torch.long and batch['pids'].tolist() == dataset.pids[:3]
    assert batch['camids'].tolist() == [r.camid for r in dataset.records[:3]]
    assert batch['splits'] == ['query'] * 3 and batch['img_paths'][0] == dataset.records[0].img_path


def test_runner_builds_a_pair_dataloader_from_config(synthetic_world):
    from mmengine.registry import DefaultScope
    from mmengine.runner import Runner

    config = dict(batch_size=4, num_workers=0, collate_fn=dict(type='reid_collate'),
                  sampler=dict(type='PairSampler', max_positive_pairs_per_id=2),
                  dataset=dict(type='ReIDDataset', source='synthetic_market', split='train',
                               pipeline=PIPELINE, source_root=str(synthetic_world / 'market')))
    with DefaultScope.overwrite_default_scope('posereid'):
        loader = Runner.build_dataloader(config, seed=0)
    assert isinstance(loader.sampler, PairSampler) and isinstance(loader.dataset, ReIDDataset)
    batches = list(loader)
    assert sum(len(b['pids']) for b in batches) == len(loader.sampler)
    for batch in batches:
        same = (batch['pids'][0::2] == batch['pids'][1::2]).tolist()
        assert same == [True, False][:len(same)]


def test_an_mmengine_base_dataset_that_reads_its_source_lazily(synthetic_world, tmp_path):
    from mmengine.dataset import BaseDataset

    dataset = ReIDDataset('synthetic_market', split='query', pipeline=PIPELINE,
                          data_root=str(tmp_path / 'no_such_root'), lazy_init=True)
    assert isinstance(dataset, BaseDataset) and dataset.source is None   # nothing read yet
    with pytest.raises(FileNotFoundError, match='no_such_root'):
        dataset.full_init()
    # data_root is the root of every dataset: the source's folder is found below it
    (tmp_path / 'root').mkdir()
    (tmp_path / 'root' / 'synthetic').symlink_to(synthetic_world)
    dataset = ReIDDataset('synthetic_market', split='query', pipeline=PIPELINE,
                          data_root=str(tmp_path / 'root'))
    assert dataset.metainfo == dict(source='synthetic_market', protocol='market', split='query',
                                    num_train_pids=dataset.source.num_train_pids)
    subset = dataset.get_subset([2, 0])
    assert [subset[i]['img_path'] for i in range(2)] == [dataset.records[2].img_path,
                                                        dataset.records[0].img_path]
