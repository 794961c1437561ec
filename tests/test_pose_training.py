"""Training the pose model with mmpose's loop on the small world, resuming, and exporting."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from posereid.pose.keypoints import KEYPOINT_NAMES
from posereid.pose.mmpose_backend import MMPoseBackend
from posereid.pose.training import (SYNTHETIC_POSE_CONFIG, export_pose_checkpoint,
                                    set_data_root, train_pose_model)


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory, synthetic_world):
    """The shipped config with a model half as wide, on the small world's domains."""
    cfg = Config.fromfile(str(SYNTHETIC_POSE_CONFIG))
    cfg.model.backbone.update(stem_channels=8, base_channels=8)
    cfg.model.head.update(in_channels=32, deconv_out_channels=(16, 16, 16))
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.update(num_workers=0, persistent_workers=False, batch_size=16)
        loader.dataset.datasets = [d for d in loader.dataset.datasets
                                   if not d.data_root.endswith('duke')]
    cfg.train_cfg.val_interval = 1
    cfg.default_hooks.checkpoint.interval = 1
    cfg.default_hooks.logger.interval = 1
    path = tmp_path_factory.mktemp('config') / 'tiny_pose.py'
    cfg.dump(str(path))
    return path


def test_set_data_root_moves_every_dataset():
    cfg = Config.fromfile(str(SYNTHETIC_POSE_CONFIG))
    set_data_root(cfg, '/elsewhere/world')
    roots = {d.data_root for loader in ('train_dataloader', 'val_dataloader')
             for d in cfg[loader].dataset.datasets}
    assert roots == {'/elsewhere/world/market', '/elsewhere/world/duke', '/elsewhere/world/cuhk01'}


def test_missing_annotations_are_named(tiny_config, tmp_path):
    with pytest.raises(FileNotFoundError, match='person_keypoints_train.json not found'):
        train_pose_model(tiny_config, tmp_path / 'work', tmp_path / 'no_world', max_epochs=1)


@pytest.mark.slow
def test_train_resume_and_export(tiny_config, synthetic_world, tmp_path):
    work = tmp_path / 'work'
    threads_before = torch.get_num_threads()
    first = train_pose_model(tiny_config, work, synthetic_world, max_epochs=1, threads=1)
    assert first.is_file()
    # resuming loads the Runner's own checkpoint (optimizer, message hub with HistoryBuffers)
    # through torch.load(weights_only=True): only the scoped allow-list makes that work
    second = train_pose_model(tiny_config, work, synthetic_world, max_epochs=2, resume=True,
                              threads=1)
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'resumed epoch: 1' in logs
    assert torch.load(work / 'epoch_2.pth', weights_only=False)['meta']['epoch'] == 2

    exported = export_pose_checkpoint(second, tmp_path / 'pose.pth', tiny_config)
    plain = torch.load(exported, weights_only=True)            # no allow-list needed
    assert set(plain) == {'state_dict', 'meta'}
    assert plain['meta']['keypoints'] == list(KEYPOINT_NAMES)
    assert exported.stat().st_size < second.stat().st_size     # no optimizer state

    assert torch.get_num_threads() == threads_before             # restored after training
    backend = MMPoseBackend(tiny_config, exported, heatmap_size=(32, 16))
    query = next((synthetic_world / 'market' / 'query').glob('*.jpg'))
    image = np.asarray(Image.open(query).convert('RGB'))
    out = backend([image, image])
    assert out.heatmaps.shape == (2, 14, 32, 16)
    np.testing.assert_allclose(out.keypoints[0], out.keypoints[1])
