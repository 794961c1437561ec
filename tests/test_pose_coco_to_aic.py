"""COCO-17 → AIC-14: limb copy, neck = mid-shoulders, head top beyond the face centre."""
import numpy as np
import pytest

from posereid.pose.coco_to_aic import (COCO_FLIP_INDICES, COCO_NAMES, HEAD_TOP_RATIO,
                                       coco_heatmaps_to_aic, coco_to_aic)
from posereid.pose.keypoints import KEYPOINT_INDEX, KEYPOINT_NAMES


def upright_person():
    """COCO keypoints of a person facing the camera in a 64x128 crop (x right, y down)."""
    xy = {'nose': (32, 22), 'left_eye': (35, 19), 'right_eye': (29, 19), 'left_ear': (38, 21),
          'right_ear': (26, 21), 'left_shoulder': (43, 36), 'right_shoulder': (22, 38),
          'left_elbow': (45, 55), 'right_elbow': (19, 55), 'left_wrist': (46, 72),
          'right_wrist': (18, 72), 'left_hip': (38, 70), 'right_hip': (26, 70),
          'left_knee': (38, 95), 'right_knee': (26, 95), 'left_ankle': (38, 120),
          'right_ankle': (26, 120)}
    keypoints = np.array([[xy[name] for name in COCO_NAMES]], np.float32)
    scores = np.linspace(0.5, 0.9, 17, dtype=np.float32)[None]
    return keypoints, scores


def test_limb_joints_are_copied_by_name():
    keypoints, scores = upright_person()
    aic, aic_scores = coco_to_aic(keypoints, scores)
    for name in KEYPOINT_NAMES[:12]:
        np.testing.assert_array_equal(aic[0, KEYPOINT_INDEX[name]],
                                      keypoints[0, COCO_NAMES.index(name)])
        assert aic_scores[0, KEYPOINT_INDEX[name]] == scores[0, COCO_NAMES.index(name)]


def test_neck_is_the_shoulder_midpoint_and_head_top_is_above_the_face():
    keypoints, scores = upright_person()
    aic, aic_scores = coco_to_aic(keypoints, scores)
    neck, head_top = aic[0, KEYPOINT_INDEX['neck']], aic[0, KEYPOINT_INDEX['head_top']]
    np.testing.assert_allclose(neck, [32.5, 37])
    assert aic_scores[0, KEYPOINT_INDEX['neck']] == min(scores[0, 5], scores[0, 6])
    face = keypoints[0, :5]
    centre = (scores[0, :5, None] * face).sum(0) / scores[0, :5].sum()
    np.testing.assert_allclose(head_top, centre + HEAD_TOP_RATIO * (centre - neck), rtol=1e-5)
    assert head_top[1] < face[:, 1].min() and head_top[1] > 0      # above the eyes, in the crop
    assert aic_scores[0, KEYPOINT_INDEX['head_top']] == pytest.approx(
        min(scores[0, :5].max(), aic_scores[0, KEYPOINT_INDEX['neck']]))


def test_head_top_follows_a_tilted_body_and_has_no_score_without_a_face():
    keypoints, scores = upright_person()
    lying = keypoints[..., ::-1].copy()                    # swap x and y: the body lies along x
    aic, _ = coco_to_aic(lying, scores)
    assert aic[0, KEYPOINT_INDEX['head_top'], 0] < lying[0, :5, 0].min()
    scores[:, :5] = 0
    _, aic_scores = coco_to_aic(keypoints, scores)
    assert aic_scores[0, KEYPOINT_INDEX['head_top']] == 0


def test_coco_flip_indices_swap_left_and_right_names():
    for k, j in enumerate(COCO_FLIP_INDICES):
        assert COCO_NAMES[j] == COCO_NAMES[k].replace('left', 'tmp').replace(
            'right', 'left').replace('tmp', 'right')


def test_heatmaps_keep_limb_channels_and_render_the_derived_joints():
    keypoints, scores = upright_person()
    aic, aic_scores = coco_to_aic(keypoints, scores)
    rng = np.random.default_rng(0)
    coco_maps = rng.random((1, 17, 32, 16)).astype(np.float32)
    maps = coco_heatmaps_to_aic(coco_maps, aic, aic_scores, [(128, 64)], sigma=1.0)
    np.testing.assert_array_equal(maps[0, KEYPOINT_INDEX['left_wrist']],
                                  coco_maps[0, COCO_NAMES.index('left_wrist')])
    v, u = np.unravel_index(maps[0, KEYPOINT_INDEX['neck']].argmax(), (32, 16))
    assert (u, v) == (8, 9)             # neck (32.5, 37): cell (32.5 / 4 - .5, 37 / 4 - .5)
    neck_score = aic_scores[0, KEYPOINT_INDEX['neck']]
    assert 0.5 * neck_score < maps[0, KEYPOINT_INDEX['neck']].max() <= neck_score


def test_wrong_shapes_are_refused():
    with pytest.raises(ValueError, match=r'\(B, 17, 2\)'):
        coco_to_aic(np.zeros((1, 14, 2)), np.zeros((1, 14)))
