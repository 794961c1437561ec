"""Real photographs end to end: a folder dataset of the real Market-1501 crops of
``../shared/realdata`` (read in place, never copied), BlazePose heatmaps, a few training
iterations of the fusion model with the PK recipe, a test, and the heatmap picture."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

REALDATA = Path(__file__).resolve().parents[2] / 'shared' / 'realdata'
CROPS = REALDATA / 'market_duke_msmt_crops' / 'visual_data'
if not CROPS.is_dir():
    pytest.skip(f'{CROPS} is absent: the real crops live beside the checkout, in ../shared '
                '(shared/README.md), and are never copied into it', allow_module_level=True)
pytest.importorskip('mediapipe', reason='mediapipe (the optional blazepose extra) is missing')

from posereid import engine  # noqa: E402
from posereid.engine.heatmaps import build_caches_for_config  # noqa: E402
from posereid.pose.cache import HeatmapCache  # noqa: E402
from posereid.pose.keypoints import KEYPOINT_INDEX  # noqa: E402
from posereid.visualization.heatmaps import visualize_heatmaps  # noqa: E402

CONFIG = (Path(__file__).resolve().parents[1] / 'configs' / 'spindle_fusion'
          / 'spindle_fusion_r50_market1501.py')
MARKET_NAME = re.compile(r'^(\d{4})_c(\d)s\d_\d{6}_\d{2}\.jpg$')
# the identities seen by two cameras (shared/realdata/README.md): query and gallery
CROSS_CAMERA = ('0051', '1285')


def market_crops() -> dict[str, Path]:
    """The real Market-1501 crops with official names, one path per name."""
    crops = {}
    for path in sorted(CROPS.rglob('*.jpg')):
        if MARKET_NAME.match(path.name):
            crops.setdefault(path.name, path)
    return crops


@pytest.fixture(scope='module')
def folder(tmp_path_factory):
    """A CSV (outside the shared folder) listing the crops in place: the two cross-camera
    identities as query and gallery, ten others as gallery distractors, the rest training."""
    rows = []
    singles = 0
    for name, path in market_crops().items():
        pid, camera = MARKET_NAME.match(name).groups()
        if pid in CROSS_CAMERA:
            split = 'query' if not any(r[1] == pid and r[3] == 'query' for r in rows) else \
                'gallery'
        else:
            singles += 1
            split = 'gallery' if singles <= 10 else 'train'
        rows.append((str(path.relative_to(CROPS)), pid, camera, split))
    table = tmp_path_factory.mktemp('real') / 'market_crops.csv'
    with open(table, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(['path', 'pid', 'camid', 'split'])
        writer.writerows(rows)
    return table


def options(table: Path, heatmaps: Path) -> dict:
    """The GPU recipe's config on the CPU: the folder source, a small backbone,
    two identities of two images a batch, one epoch, no validation (its identities are the
    only ones with two images)."""
    source = dict(_delete_=True, name='folder', root=str(CROPS), csv=str(table))
    result = {f'{loader}.dataset.source': source
              for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')}
    result.update({
        'heatmap_root': str(heatmaps),
        'train_dataloader.dataset.validation': None, 'val_dataloader.dataset.validation': None,
        'train_cfg.val_begin': 10 ** 9,
        'train_dataloader.batch_size': 4, 'train_dataloader.sampler.num_instances': 2,
        'train_cfg.max_epochs': 1, 'default_hooks.logger.interval': 1,
        'model.spindle.backbone': dict(_delete_=True, type='SmallSpindleBackbone',
                                       channels=(16, 16, 16)),
        'model.spindle.embedding_dim': 32, 'model.head_dim': 16,
        'model.siamese': dict(matching='nd', channels=(8, 8), summary_channels=8, fc_dim=16)})
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        result[f'{loader}.num_workers'] = 0
        result[f'{loader}.persistent_workers'] = False
    return result


def resized(cfg_options: dict, size=(128, 64)):
    """The config with ``cfg_options`` and every pipeline (and the model) at ``size``."""
    cfg = engine.load_config(CONFIG, cfg_options)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for transform in cfg[loader].dataset.pipeline:
            if transform['type'] == 'Resize':
                transform['size'] = size
    cfg.model.input_size = size
    return cfg


@pytest.mark.slow
def test_real_crops_train_test_and_draw_with_blazepose(folder, tmp_path):
    cfg_options = options(folder, tmp_path / 'heatmaps')
    cfg = resized(cfg_options)
    (summary,) = build_caches_for_config(cfg, progress=False)
    cache = HeatmapCache(summary['cache_dir'])
    crops = market_crops()
    assert len(cache) == summary['num_images'] == len(crops) >= 40
    # BlazePose finds a person in at least 90% of the real crops, head above the ankles
    found, upright = 0, []
    for path in crops.values():
        _, keypoints, scores = cache.lookup(path)
        if scores.max() > 0:
            found += 1
            head = KEYPOINT_INDEX['head_top']
            for ankle in ('left_ankle', 'right_ankle'):
                if min(scores[head], scores[KEYPOINT_INDEX[ankle]]) > 0.3:
                    upright.append(keypoints[head, 1] < keypoints[KEYPOINT_INDEX[ankle], 1])
    assert found >= 0.9 * len(crops), f'BlazePose found a person in {found} of {len(crops)}'
    assert upright and all(upright)

    result = engine.train(cfg, work_dir=tmp_path / 'run', device='cpu')
    losses = [json.loads(line) for line in next((tmp_path / 'run').glob('*/vis_data/scalars.json'))
              .read_text().splitlines()]
    assert losses and all(np.isfinite(entry['loss']) for entry in losses if 'loss' in entry)
    results = engine.test(cfg, tmp_path / 'run', pictures=True, out_dir=tmp_path / 'test',
                          device='cpu')['folder']
    assert results['num_query'] == len(CROSS_CAMERA) and results['checkpoint'] == \
        result['last_checkpoint']
    cmc = results['two_stage']['cmc']           # rank-1 is the first point of its CMC curve
    assert results['two_stage']['rank1'] == pytest.approx(cmc[0]) and cmc[-1] == pytest.approx(1)
    assert (tmp_path / 'test' / 'folder' / 'ranked_lists.png').is_file()

    picture = tmp_path / 'heatmaps.png'
    sheet = visualize_heatmaps([str(p) for p in list(crops.values())[:4]], picture,
                               cache_dir=summary['cache_dir'], scale=2)
    assert picture.is_file() and sheet.shape[0] > 4 * 128 * 2 and sheet.std() > 10
