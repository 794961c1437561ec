"""Torso-normalised PCK and reading the embedded world's COCO keypoint files."""
import json

import numpy as np
import pytest

from posereid.pose.keypoints import KEYPOINT_INDEX
from posereid.pose.pck import format_pck_table, pck, read_coco_keypoints, torso_sizes


def person(v=2):
    """(1, 14, 3) ground truth with a 40-pixel torso (neck (30, 30), hips at y = 70)."""
    gt = np.zeros((1, 14, 3), np.float32)
    gt[0, :, 0] = np.arange(14) * 3 + 10
    gt[0, :, 1] = np.arange(14) * 7 + 5
    gt[0, KEYPOINT_INDEX['neck'], :2] = (30, 30)
    gt[0, KEYPOINT_INDEX['right_hip'], :2] = (20, 70)
    gt[0, KEYPOINT_INDEX['left_hip'], :2] = (40, 70)
    gt[..., 2] = v
    return gt


def test_torso_is_neck_to_mid_hip():
    gt = person()
    assert torso_sizes(gt[..., :2], gt[..., 2] > 0)[0] == pytest.approx(40)
    gt[0, KEYPOINT_INDEX['left_hip'], 2] = 0
    assert np.isnan(torso_sizes(gt[..., :2], gt[..., 2] > 0)[0])


def test_threshold_is_alpha_times_torso():
    gt = person()
    predicted = gt[..., :2].copy()
    predicted[0, 0, 0] += 7.9                  # 0.2 * 40 = 8: inside
    predicted[0, 1, 1] += 8.1                  # outside
    result = pck(predicted, gt, alpha=0.2)
    assert result['per_joint']['right_shoulder'] == 1 and result['per_joint']['right_elbow'] == 0
    assert result['pck'] == pytest.approx(13 / 14)
    assert pck(predicted, gt, alpha=0.25)['pck'] == 1


def test_unlabelled_joints_and_torsoless_images_are_not_counted():
    gt = np.concatenate([person(), person()])
    gt[0, 2, 2] = 0                            # an unlabelled wrist, predicted far away
    gt[1, KEYPOINT_INDEX['neck'], 2] = 0       # no torso: the whole image is skipped
    gt[0, 3, 2] = 1                            # hidden but labelled, predicted wrong
    predicted = gt[..., :2].copy()
    predicted[:, 2] += 100
    predicted[:, 3] += 100
    result = pck(predicted, gt)
    assert result['num_images'] == 1 and result['num_joints'] == 13
    assert result['pck'] == pytest.approx(12 / 13)
    assert result['pck_visible'] == 1.0
    assert np.isnan(result['per_joint']['right_wrist'])


def test_read_coco_keypoints_and_table(tmp_path):
    domain = tmp_path / 'market'
    (domain / 'annotations').mkdir(parents=True)
    gt = person()[0]
    ann = domain / 'annotations' / 'person_keypoints_val.json'
    ann.write_text(json.dumps(dict(
        images=[dict(id=7, file_name='query/a.jpg', height=128, width=64)],
        annotations=[dict(id=1, image_id=7, keypoints=gt.ravel().tolist())])))
    paths, keypoints = read_coco_keypoints(ann)
    assert paths == [domain / 'query' / 'a.jpg']
    np.testing.assert_allclose(keypoints[0], gt)
    result = pck(keypoints[..., :2], keypoints)
    table = format_pck_table(dict(overall=result, by_file={str(ann): result}))
    assert 'market' in table and 'head_top' in table and '1.000' in table
    ann.write_text(json.dumps(dict(images=[], annotations=[dict(image_id=1)])))
    with pytest.raises(ValueError, match='person_keypoints_val.json: expected COCO'):
        read_coco_keypoints(ann)
