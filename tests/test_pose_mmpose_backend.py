"""MMPoseBackend on tiny randomly initialised mmpose models written into tmp_path."""
import cv2
import numpy as np
import pytest
import torch

from posereid.pose.coco_to_aic import COCO_NAMES
from posereid.pose.keypoints import KEYPOINT_INDEX
from posereid.pose.mmpose_backend import (MMPoseBackend, crop_boxes, crop_heatmaps,
                                          load_pose_config)

@pytest.fixture(autouse=True)
def one_torch_thread():
    """One intra-op thread: on a shared, oversubscribed CPU two threads run many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TINY_CONFIG = """
default_scope = 'mmpose'
codec = dict(type='MSRAHeatmap', input_size=(32, 64), heatmap_size=(8, 16), sigma=2)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(type='PoseDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth={depth}, stem_channels=8, base_channels=8, out_indices=(3,),
                  init_cfg=dict(type='Pretrained', checkpoint='https://example.invalid/r18.pth')),
    head=dict(type='HeatmapHead', in_channels=64, out_channels={num_keypoints},
              deconv_out_channels=(16, 16, 16), deconv_kernel_sizes=(4, 4, 4),
              loss=dict(type='KeypointMSELoss', use_target_weight=True), decoder=codec),
    test_cfg=dict(flip_test={flip_test}, flip_mode='heatmap', shift_heatmap=True))
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs')]))
"""


def write_model(folder, num_keypoints=14, flip_test=False, depth=18):
    """A tiny config + a random checkpoint for it (mmengine-style meta included)."""
    from mmengine.logging import HistoryBuffer
    from mmengine.registry import init_default_scope
    from mmpose.models import build_pose_estimator

    folder.mkdir(parents=True, exist_ok=True)
    config = folder / f'tiny_{num_keypoints}.py'
    config.write_text(TINY_CONFIG.format(num_keypoints=num_keypoints, flip_test=flip_test,
                                         depth=depth))
    cfg = load_pose_config(config)
    init_default_scope('mmpose')
    torch.manual_seed(0)
    model = build_pose_estimator(cfg.model)
    model.init_weights()
    with torch.no_grad():              # a non-trivial BN so eval-mode outputs vary
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.uniform_(0.5, 2.0)
    checkpoint = folder / f'tiny_{num_keypoints}.pth'
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(epoch=np.int64(3), seed=np.array([1, 2]),
                              hub=HistoryBuffer([1.0, 2.0], [1, 1]))), checkpoint)
    return config, checkpoint


@pytest.fixture(scope='module')
def aic_model(tmp_path_factory):
    return write_model(tmp_path_factory.mktemp('aic'), 14)


@pytest.fixture(scope='module')
def crops():
    rng = np.random.default_rng(0)
    sizes = [(64, 32), (128, 64), (80, 30), (50, 40)]      # two aspect ratios differ from 2:1
    return [cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (5, 5), 2)
            for h, w in sizes]


def test_offline_config_drops_pretrained_init(aic_model):
    cfg = load_pose_config(aic_model[0])
    assert cfg.model.backbone.init_cfg is None and cfg.model.train_cfg is None


@pytest.mark.parametrize('flip_test', [False, True])
def test_batched_path_matches_mmpose_inference_topdown(tmp_path, crops, flip_test):
    from mmpose.apis import inference_topdown

    config, checkpoint = write_model(tmp_path, 14, flip_test=flip_test)
    backend = MMPoseBackend(config, checkpoint, flip_test=flip_test, batch_size=3)
    out = backend(crops)
    for i, crop in enumerate(crops):
        reference = inference_topdown(backend.model, np.ascontiguousarray(crop[..., ::-1]))[0]
        np.testing.assert_allclose(out.keypoints[i], reference.pred_instances.keypoints[0],
                                   atol=1e-3)
        np.testing.assert_allclose(out.scores[i],
                                   np.clip(reference.pred_instances.keypoint_scores[0], 0, 1),
                                   atol=1e-4)


def test_heatmaps_are_resampled_onto_the_crop(aic_model):
    """A joint encoded by the codec in the model's input box lands at its crop position, in
    the resampled heatmap and after decoding."""
    backend = MMPoseBackend(*aic_model)
    codec = backend.model.head.decoder
    sizes = np.array([(64, 32), (80, 30), (50, 40)])              # (H, W); box != crop for two
    centers, scales = crop_boxes(sizes, backend.input_size, padding=1.0)
    for (height, width), center, scale in zip(sizes, centers, scales):
        joint = np.array([0.3 * width, 0.6 * height], np.float32)   # crop pixels
        in_input = (joint - center + scale / 2) / scale * np.array(backend.input_size)
        target = codec.encode(in_input[None, None].repeat(14, 1), np.ones((1, 14)))['heatmaps']
        maps = crop_heatmaps(torch.from_numpy(target)[None], center[None], scale[None],
                             np.array([[height, width]]), backend.input_size, (64, 32))
        v, u = np.unravel_index(maps[0, 0].argmax().item(), (64, 32))
        cell = np.array([width / 32, height / 64])
        model_cell = scale / np.array([8, 16])      # the codec rounds joints to model cells
        assert (np.abs((np.array([u, v]) + 0.5) * cell - joint) <= model_cell / 2 + cell).all()
        decoded, _ = codec.decode(target)
        back = decoded[0, 0] / np.array(backend.input_size) * scale + center - scale / 2
        assert (np.abs(back - joint) <= model_cell / 2).all()


def test_output_heatmaps_have_the_requested_size(aic_model, crops):
    out = MMPoseBackend(*aic_model, heatmap_size=(24, 12))(crops)
    assert out.heatmaps.shape == (len(crops), 14, 24, 12)
    assert out.heatmaps.min() >= 0 and out.heatmaps.max() <= 1


def test_batch_size_does_not_change_the_output(aic_model, crops):
    one = MMPoseBackend(*aic_model, batch_size=1)(crops)
    all_ = MMPoseBackend(*aic_model, batch_size=16)(crops)
    np.testing.assert_allclose(one.keypoints, all_.keypoints, atol=1e-3)
    np.testing.assert_allclose(one.heatmaps, all_.heatmaps, atol=1e-5)


def test_coco_model_is_mapped_to_the_14_joints(tmp_path, crops):
    backend = MMPoseBackend(*write_model(tmp_path, 17), heatmap_size=(32, 16))
    assert backend.num_model_keypoints == 17
    out = backend(crops)
    assert out.heatmaps.shape == (len(crops), 14, 32, 16)
    neck = out.keypoints[:, KEYPOINT_INDEX['neck']]
    shoulder_ids = [KEYPOINT_INDEX['left_shoulder'], KEYPOINT_INDEX['right_shoulder']]
    shoulders = out.keypoints[:, shoulder_ids]
    np.testing.assert_allclose(neck, shoulders.mean(axis=1), atol=1e-4)
    np.testing.assert_allclose(out.scores[:, KEYPOINT_INDEX['neck']],
                               out.scores[:, shoulder_ids].min(axis=1))
    # limb joints are the COCO model's own decoded joints (the 64x32 crop is the input box)
    raw = backend.model(backend.preprocess(crops[:1])[0], None, mode='tensor')
    coco_keypoints, _ = backend.model.head.decoder.decode(raw[0].detach().numpy())
    for name in ('left_wrist', 'right_knee'):
        np.testing.assert_allclose(out.keypoints[0, KEYPOINT_INDEX[name]],
                                   coco_keypoints[0, COCO_NAMES.index(name)], atol=1e-4)


def test_missing_files_are_named(aic_model, tmp_path):
    config, checkpoint = aic_model
    with pytest.raises(FileNotFoundError, match='nothing.pth'):
        MMPoseBackend(config, tmp_path / 'nothing.pth')
    with pytest.raises(FileNotFoundError, match='nothing.py'):
        MMPoseBackend(tmp_path / 'nothing.py', checkpoint)


def test_checkpoint_with_another_keypoint_count_is_refused(aic_model, tmp_path):
    _, coco_checkpoint = write_model(tmp_path, 17)
    with pytest.raises(ValueError, match=r'tiny_17\.pth: its head predicts 17 keypoints.*14'):
        MMPoseBackend(aic_model[0], coco_checkpoint)


def test_checkpoint_of_another_architecture_is_refused(aic_model, tmp_path):
    config, _ = aic_model
    _, other = write_model(tmp_path, 14, depth=34)
    with pytest.raises(ValueError, match=r'tiny_14\.pth does not fit the model of .*tiny_14\.py'):
        MMPoseBackend(config, other)
    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(b'not a checkpoint')
    with pytest.raises(ValueError, match='garbage.pth'):
        MMPoseBackend(config, garbage)


def test_models_with_other_keypoint_counts_or_no_heatmaps_are_refused(tmp_path):
    config, checkpoint = write_model(tmp_path, 5)
    with pytest.raises(ValueError, match=r'tiny_5\.py.*predicts 5 keypoints'):
        MMPoseBackend(config, checkpoint)
    bottom_up = tmp_path / 'bottom_up.py'
    bottom_up.write_text("model = dict(type='BottomupPoseEstimator')\n")
    with pytest.raises(ValueError, match='bottom_up.py.*TopdownPoseEstimator'):
        MMPoseBackend(bottom_up, checkpoint)


def test_bad_images_are_refused_with_their_index(aic_model):
    backend = MMPoseBackend(*aic_model)
    with pytest.raises(ValueError, match='image 1: expected an .H, W, 3. uint8 RGB'):
        backend([np.zeros((64, 32, 3), np.uint8), np.zeros((64, 32), np.uint8)])


def test_building_the_backend_leaves_the_callers_default_scope_alone(tmp_path):
    from mmengine.registry import DefaultScope
    from posereid.pose.training import synthetic_pose_backend_cfg
    from posereid.pose import build_pose_backend
    with DefaultScope.overwrite_default_scope('posereid'):
        build_pose_backend(synthetic_pose_backend_cfg())
        assert DefaultScope.get_current_instance().scope_name == 'posereid'
