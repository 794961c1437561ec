"""Split-repeating protocols end to end: every split trained and tested, one mean ± std table
(the embedded cuhk01 domain, its two query directions, a tiny config)."""
import json

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from common import CONFIGS, tiny_options

from posereid.datasets import build_source
from posereid.engine.config import load_config
from posereid.engine.splits import default_splits, run_splits, split_options
from posereid.registry import DATASETS


def cuhk01_options(world):
    options = tiny_options(world, max_epochs=1)
    options.update({f'{loader}.dataset.source': 'synthetic_cuhk01'
                    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')})
    return options


@pytest.mark.slow
def test_every_split_is_trained_and_tested_and_summarised(world, tmp_path, monkeypatch):
    options = cuhk01_options(world)
    assert default_splits(load_config(CONFIGS['SpindleFusion'], options)) == [0, 1]
    report = run_splits(CONFIGS['SpindleFusion'], tmp_path, cfg_options=options)
    assert sorted(report['splits']) == [0, 1]
    for split_id, result in report['splits'].items():
        assert result['checkpoint'].endswith(f'split{split_id}/epoch_1.pth')
        source = build_source('synthetic_cuhk01', data_root=world / 'data', split_id=split_id)
        assert result['num_query'] == len(source.query)
        assert result['protocol'] == 'single_gallery_shot'
    # split i is the config with split_id=i in every dataloader: split 1 queries camera B
    cfg = load_config(CONFIGS['SpindleFusion'], options)
    split_cfg = load_config(CONFIGS['SpindleFusion'], {**options, **split_options(cfg, 1)})
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert split_cfg[loader].dataset.source == {'name': 'synthetic_cuhk01', 'split_id': 1}
    with DefaultScope.overwrite_default_scope('posereid'):
        test_set = DATASETS.build(split_cfg.test_dataloader.dataset)
    assert {r.camid for r in test_set.source.query} == {1}
    for key, (mean, std) in report['summary'].items():
        ranking, metric = key.split('/')
        values = [report['splits'][i][ranking][metric] for i in (0, 1)]
        assert mean == pytest.approx(np.mean(values)) and std == pytest.approx(np.std(values))
    saved = json.loads((tmp_path / 'splits.json').read_text())
    assert saved['summary'] == {k: list(v) for k, v in report['summary'].items()}
    assert 'mean ± std (2 splits)' in (tmp_path / 'splits.md').read_text()
    # a second run reuses the finished splits
    from posereid.engine import splits
    monkeypatch.setattr(splits, 'train', lambda *a, **k: pytest.fail('a finished split retrained'))
    assert run_splits(CONFIGS['SpindleFusion'], tmp_path, cfg_options=options)['summary'] == \
        report['summary']
