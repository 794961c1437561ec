"""Poses from a keypoints file: rendered as the Gaussians BlazePose's are, matched by the end of
an image's path, the same heatmaps for a resized copy when its keypoints are scaled, and named
errors."""
import numpy as np
import pytest
from PIL import Image

from posereid.pose.backends import build_pose_backend
from posereid.pose.base import render_gaussian_heatmaps
from posereid.pose.keypoints_file import save_keypoints


def _image(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.zeros((*size, 3), np.uint8)).save(path)
    return str(path)


def test_rendered_heatmaps_match_blazepose_rendering_and_survive_resizing(tmp_path):
    rng = np.random.default_rng(0)
    keypoints = rng.uniform(5, 50, (2, 14, 2)).astype(np.float32)
    scores = rng.uniform(0, 1, (2, 14)).astype(np.float32)
    scores[1] = 0                                           # nobody found in the second crop
    names = ['train/0001_00.jpg', 'val/0002_05.jpg']
    file = save_keypoints(tmp_path / 'poses.npz', names, keypoints, scores)
    paths = [_image(tmp_path / 'data' / 'labeled' / n, (120, 60)) for n in names]
    backend = build_pose_backend(dict(type='keypoints_file', path=str(file),
                                      heatmap_size=(32, 16)))
    out = backend.predict_files(paths[::-1])                # matched by the end of the path
    np.testing.assert_array_equal(out.keypoints, keypoints[::-1])
    expected = render_gaussian_heatmaps(keypoints[::-1], scores[::-1], (120, 60), (32, 16))
    np.testing.assert_allclose(out.heatmaps, expected)
    assert not out.heatmaps[0].any() and out.heatmaps[1].max() > 0.1
    # a copy at half the size, with keypoints scaled to it: the same heatmaps
    half = [_image(tmp_path / 'half' / 'labeled' / n, (60, 30)) for n in names]
    scaled = save_keypoints(tmp_path / 'half.npz', names, keypoints / 2, scores)
    again = build_pose_backend(dict(type='keypoints_file', path=str(scaled),
                                    heatmap_size=(32, 16))).predict_files(half[::-1])
    np.testing.assert_allclose(again.heatmaps, expected, atol=1e-5)
    assert backend.identity()['type'] == 'keypoints_file'


def test_a_missing_pose_or_a_bad_file_is_named(tmp_path):
    file = save_keypoints(tmp_path / 'poses.npz', ['a.jpg'], np.zeros((1, 14, 2)),
                          np.zeros((1, 14)))
    backend = build_pose_backend(dict(type='keypoints_file', path=str(file)))
    with pytest.raises(ValueError, match=r'b\.jpg: no pose for it in .*poses\.npz'):
        backend.predict_files([_image(tmp_path / 'b.jpg', (8, 4))])
    (tmp_path / 'bad.npz').write_bytes(b'not an npz')
    with pytest.raises(ValueError, match='bad.npz: not a keypoints file'):
        build_pose_backend(dict(type='keypoints_file', path=str(tmp_path / 'bad.npz')))
