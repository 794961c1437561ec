"""Spindle Net region proposals from hand-placed keypoints, and heatmap peak decoding."""
import numpy as np
import pytest
import torch

from posereid.pose.base import render_gaussian_heatmaps
from posereid.pose.keypoints import KEYPOINT_INDEX as K
from posereid.pose.regions import (DEFAULT_BOXES, MIN_SIDE, REGION_NAMES, RegionRules,
                                   keypoints_from_heatmaps, region_boxes)

H, W = 128, 64
R = {name: i for i, name in enumerate(REGION_NAMES)}

# An upright person facing the camera (its left on the image right), in a 128 x 64 crop.
STANDING = {
    'head_top': (32, 8), 'neck': (32, 24),
    'right_shoulder': (20, 30), 'right_elbow': (18, 45), 'right_wrist': (17, 58),
    'left_shoulder': (44, 30), 'left_elbow': (46, 45), 'left_wrist': (47, 58),
    'right_hip': (24, 64), 'right_knee': (24, 88), 'right_ankle': (24, 112),
    'left_hip': (40, 64), 'left_knee': (40, 88), 'left_ankle': (40, 112),
}


def pose(joints=STANDING, batch=1):
    keypoints = torch.zeros(batch, 14, 2)
    for name, xy in joints.items():
        keypoints[:, K[name]] = torch.tensor(xy, dtype=torch.float32)
    return keypoints, torch.ones(batch, 14)


def test_region_order_is_macro_then_micro():
    assert REGION_NAMES == ('head_shoulder', 'upper_body', 'lower_body',
                            'left_arm', 'right_arm', 'left_leg', 'right_leg')


def test_head_shoulder_box_is_widened_and_squared():
    # joints span x 20..44 (24), y 8..30 (22); widened x1.4 -> 33.6 x 30.8; square 33.6
    # about the centre (32, 19).
    boxes = region_boxes(*pose(), (H, W))
    assert boxes.shape == (1, 7, 4)
    torch.testing.assert_close(boxes[0, R['head_shoulder']],
                               torch.tensor([15.2, 2.2, 48.8, 35.8]))


def test_thin_arm_box_grows_to_the_minimum_side():
    # left arm: x 44..47 -> 4.2 wide, below 2/14 of 128; y 30..58 -> 39.2 tall about 44.
    min_side = MIN_SIDE * H
    box = region_boxes(*pose(), (H, W))[0, R['left_arm']]
    torch.testing.assert_close(box, torch.tensor([45.5 - min_side / 2, 24.4,
                                                  45.5 + min_side / 2, 63.6]))


def test_micro_boxes_are_not_squared_and_legs_follow_their_joints():
    box = region_boxes(*pose(), (H, W))[0, R['right_leg']]
    # right leg: x 24 only -> minimum side about 24; y 64..112 -> 48 * 1.4 about 88.
    torch.testing.assert_close(box, torch.tensor([24 - MIN_SIDE * H / 2, 54.4,
                                                  24 + MIN_SIDE * H / 2, 121.6]))


def test_the_papers_rules_give_the_joints_bounding_boxes():
    boxes = region_boxes(*pose(), (H, W), rules=RegionRules.paper())[0]
    # head-shoulder joints span x 20..44, y 8..30; the right leg is the line x = 24, y 64..112
    torch.testing.assert_close(boxes[R['head_shoulder']], torch.tensor([20., 8., 44., 30.]))
    torch.testing.assert_close(boxes[R['right_leg']], torch.tensor([24., 64., 24., 112.]))


def test_each_of_our_rules_is_its_own_option():
    keypoints, scores = pose()
    widened = region_boxes(keypoints, scores, (H, W),
                           rules=RegionRules(widen=0.5, square_macro=False, min_side=0))[0]
    # x 20..44 widened by 0.5 of 24 on each side; y 8..30 by 0.5 of 22 (not squared), to
    # -3..41, then shifted into the image
    torch.testing.assert_close(widened[R['head_shoulder']], torch.tensor([8., 0., 56., 44.]))
    squared = region_boxes(keypoints, scores, (H, W),
                           rules=RegionRules(widen=0, square_macro=True, min_side=0))[0]
    torch.testing.assert_close(squared[R['head_shoulder']], torch.tensor([20., 7., 44., 31.]))
    tall = region_boxes(keypoints, scores, (H, W),
                        rules=RegionRules(widen=0, square_macro=False, min_side=0.5))[0]
    # 64 x 64 about (24, 88), shifted into the image
    torch.testing.assert_close(tall[R['right_leg']], torch.tensor([0., 56., 64., 120.]))
    with pytest.raises(ValueError, match='widen'):
        RegionRules(widen=-0.1)


def test_square_box_near_the_border_is_shifted_inside_and_stays_square():
    joints = {name: (x, y - 6) for name, (x, y) in STANDING.items()}  # head top at y = 2
    box = region_boxes(*pose(joints), (H, W))[0, R['head_shoulder']]
    torch.testing.assert_close(box, torch.tensor([15.2, 0.0, 48.8, 33.6]))


def test_box_larger_than_the_image_is_clipped():
    # lower body: x 24..40, y 64..112 -> 67.2 tall, squared to 67.2 > W = 64.
    box = region_boxes(*pose(), (H, W))[0, R['lower_body']]
    torch.testing.assert_close(box, torch.tensor([0.0, 54.4, 64.0, 121.6]))


def test_low_confidence_joints_are_left_out():
    keypoints, scores = pose()
    scores[0, K['left_wrist']] = 0.05
    keypoints[0, K['left_wrist']] = torch.tensor([0.0, 0.0])  # a wild guess, ignored
    box = region_boxes(keypoints, scores, (H, W), score_threshold=0.1)[0, R['left_arm']]
    # shoulder (44, 30) to elbow (46, 45): y 30..45 -> 21 tall about 37.5
    torch.testing.assert_close(box[1::2], torch.tensor([27.0, 48.0]))
    assert box[0] > 30  # not pulled towards the ignored (0, 0)


def test_region_without_confident_joints_gets_its_default_box():
    keypoints, scores = pose()
    for joint in ('left_hip', 'left_knee', 'left_ankle'):
        scores[0, K[joint]] = 0.0
    boxes = region_boxes(keypoints, scores, (H, W))[0]
    expected = torch.tensor(DEFAULT_BOXES['left_leg']) * torch.tensor([W, H, W, H])
    torch.testing.assert_close(boxes[R['left_leg']], expected)
    # the lower body still uses the right leg's joints
    assert boxes[R['lower_body'], 0] < 24 < boxes[R['lower_body'], 2]


def test_batch_is_vectorized_per_sample():
    generator = torch.Generator().manual_seed(0)
    keypoints = torch.rand(6, 14, 2, generator=generator) * torch.tensor([W, H])
    scores = torch.rand(6, 14, generator=generator)
    boxes = region_boxes(keypoints, scores, (H, W))
    one_by_one = torch.cat([region_boxes(keypoints[i:i + 1], scores[i:i + 1], (H, W))
                            for i in range(6)])
    torch.testing.assert_close(boxes, one_by_one)
    # and the invariants of the rules hold on random poses
    assert (boxes[..., 0] >= 0).all() and (boxes[..., 2] <= W).all()
    assert (boxes[..., 1] >= 0).all() and (boxes[..., 3] <= H).all()
    sizes = boxes[..., 2:] - boxes[..., :2]
    assert (sizes >= MIN_SIDE * H - 1e-4).all()
    fits = sizes[:, :3].amax(-1) < W  # a macro box that fits the image is square
    torch.testing.assert_close(sizes[:, :3, 0][fits], sizes[:, :3, 1][fits])


def test_accepts_half_precision_and_rejects_bad_shapes():
    keypoints, scores = pose()
    torch.testing.assert_close(region_boxes(keypoints.half(), scores.half(), (H, W)),
                               region_boxes(keypoints, scores, (H, W)), atol=0.1, rtol=0)
    with pytest.raises(ValueError, match=r'\(B, 14, 2\)'):
        region_boxes(keypoints[:, :13], scores[:, :13], (H, W))
    with pytest.raises(ValueError, match='image_size'):
        region_boxes(keypoints, scores, (0, W))


def test_peaks_at_heatmap_pixel_centres_decode_exactly():
    h, w = 32, 16  # 4 image pixels per heatmap pixel
    u = np.arange(14) % w
    v = (np.arange(14) * 2 + 1) % h
    truth = np.stack([(u + 0.5) * W / w, (v + 0.5) * H / h], -1)[None].astype(np.float32)
    scores = np.linspace(0.3, 1.0, 14, dtype=np.float32)[None]
    heatmaps = render_gaussian_heatmaps(truth, scores, (H, W), (h, w))
    keypoints, decoded_scores = keypoints_from_heatmaps(torch.from_numpy(heatmaps), (H, W))
    torch.testing.assert_close(keypoints, torch.from_numpy(truth))
    torch.testing.assert_close(decoded_scores, torch.from_numpy(scores))


def test_quarter_offset_moves_towards_the_true_peak():
    h, w = 32, 16
    generator = np.random.default_rng(1)
    truth = (generator.uniform(4, 60, (3, 14, 2)) * [1, 2]).astype(np.float32)
    heatmaps = torch.from_numpy(render_gaussian_heatmaps(truth, np.ones((3, 14)), (H, W), (h, w)))
    keypoints, _ = keypoints_from_heatmaps(heatmaps.half(), (H, W))
    error = (keypoints - torch.from_numpy(truth)).abs()
    flat = heatmaps.reshape(3, 14, -1).argmax(-1)
    grid = torch.stack([(flat % w + 0.5) * W / w, (flat // w + 0.5) * H / h], -1)
    unrefined = (grid - torch.from_numpy(truth)).abs()
    assert error.max() <= 2.0  # half a heatmap pixel (4 image px)
    assert error.mean() < unrefined.mean()


def test_no_pose_puts_every_region_at_its_fixed_box():
    """The control of the pose experiments: empty heatmaps, so every region falls back to its
    box in an upright pedestrian crop."""
    from posereid.pose.backends import build_pose_backend
    from posereid.pose.regions import DEFAULT_BOXES, REGION_NAMES

    backend = build_pose_backend(dict(type='no_pose', heatmap_size=(32, 16)))
    out = backend.predict_files(['never-read.jpg', 'nor-this.jpg'])
    assert out.heatmaps.shape == (2, 14, 32, 16) and not out.heatmaps.any()
    keypoints, scores = keypoints_from_heatmaps(torch.from_numpy(out.heatmaps), (160, 60))
    boxes = region_boxes(keypoints, scores, (160, 60))
    expected = torch.tensor([DEFAULT_BOXES[name] for name in REGION_NAMES]) * torch.tensor(
        [60, 160, 60, 160])
    torch.testing.assert_close(boxes[0].float(), expected.float())
    assert backend.identity()['type'] == 'no_pose'


def test_overlap_with_fixed_boxes_is_one_at_the_fixed_box_and_the_iou_elsewhere():
    from posereid.pose.regions import DEFAULT_BOXES, REGION_NAMES, overlap_with_fixed_boxes

    H, W = 160, 60
    fixed = torch.tensor([DEFAULT_BOXES[name] for name in REGION_NAMES]) * torch.tensor(
        [W, H, W, H])
    moved = fixed.clone()
    moved[0] += torch.tensor([0, 24, 0, 24])  # head-shoulder (48 px high) down by half its height
    overlap = overlap_with_fixed_boxes(torch.stack([fixed, moved]), (H, W))
    torch.testing.assert_close(overlap[0], torch.ones(7))
    torch.testing.assert_close(overlap[1, 0], torch.tensor(1 / 3))  # 24 / (48 + 48 - 24)
    torch.testing.assert_close(overlap[1, 1:], torch.ones(6))
