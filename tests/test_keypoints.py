import os

import mmpose
import numpy as np
from mmengine.config import Config
from mmpose.datasets.datasets.utils import parse_pose_metainfo

from posereid.pose import keypoints as kp


def test_aic_order_matches_mmpose_metainfo():
    cfg = Config.fromfile(os.path.join(os.path.dirname(mmpose.__file__),
                                       '.mim', 'configs', '_base_', 'datasets', 'aic.py'))
    meta = parse_pose_metainfo(dict(cfg.dataset_info))
    assert tuple(meta['keypoint_id2name'][i] for i in range(14)) == kp.KEYPOINT_NAMES
    assert list(meta['flip_indices']) == list(kp.FLIP_INDICES)
    np.testing.assert_allclose(meta['sigmas'], kp.dataset_metainfo()['sigmas'], rtol=1e-6)


def test_own_metainfo_parses_with_mmpose():
    meta = parse_pose_metainfo(kp.dataset_metainfo())
    assert meta['num_keypoints'] == 14
    assert list(meta['flip_indices']) == list(kp.FLIP_INDICES)
    assert len(meta['skeleton_links']) == len(kp.SKELETON)


def test_flip_indices_swap_left_and_right_and_are_an_involution():
    flip = np.array(kp.FLIP_INDICES)
    assert (flip[flip] == np.arange(kp.NUM_KEYPOINTS)).all()
    for i, name in enumerate(kp.KEYPOINT_NAMES):
        partner = kp.KEYPOINT_NAMES[flip[i]]
        if name.startswith('left_'):
            assert partner == 'right_' + name[5:]
        elif name.startswith('right_'):
            assert partner == 'left_' + name[6:]
        else:
            assert partner == name


def test_spindle_order_round_trips_by_name():
    aic = np.arange(kp.NUM_KEYPOINTS)
    spindle = aic[list(kp.AIC_TO_SPINDLE)]
    assert [kp.KEYPOINT_NAMES[i] for i in spindle] == list(kp.SPINDLE_NAMES)
    assert (spindle[list(kp.SPINDLE_TO_AIC)] == aic).all()
    assert kp.SPINDLE_NAMES[:2] == ('head_top', 'neck')


def test_skeleton_is_a_tree_over_all_joints():
    edges = kp.SKELETON
    assert len(edges) == kp.NUM_KEYPOINTS - 1
    reached, frontier = {kp.KEYPOINT_INDEX['neck']}, [kp.KEYPOINT_INDEX['neck']]
    while frontier:
        j = frontier.pop()
        for a, b in edges:
            for u, v in ((a, b), (b, a)):
                if u == j and v not in reached:
                    reached.add(v)
                    frontier.append(v)
    assert reached == set(range(kp.NUM_KEYPOINTS))
