"""The ground-truth pose backend on the small embedded world, and the backend factory."""
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from posereid.datasets.synthetic import small_world
from posereid.pose import build_pose_backend, keypoints_from_heatmaps
from posereid.pose.ground_truth import GroundTruthBackend, find_keypoints_root


def labelled_images(domain):
    """Images whose keypoints hold visible, hidden and unlabelled joints, and the table."""
    table = json.loads((domain / 'keypoints.json').read_text())
    chosen = [name for name, kps in table.items()
              if {2, 1} <= {v for _, _, v in kps}][:3]
    chosen.append(next(n for n, kps in table.items() if any(v == 0 for _, _, v in kps)))
    return chosen, table


def test_scores_follow_visibility_and_heatmaps_peak_at_the_joints(market):
    names, table = labelled_images(market)
    backend = GroundTruthBackend(market, heatmap_size=(32, 16), hidden_score=0.5)
    out = backend.predict_files([market / n for n in names])
    truth = np.array([table[n] for n in names], np.float32)
    expected_scores = np.select([truth[..., 2] == 2, truth[..., 2] == 1], [1.0, 0.5], 0.0)
    np.testing.assert_array_equal(out.scores, expected_scores)
    np.testing.assert_array_equal(out.keypoints, truth[..., :2])
    assert out.heatmaps.shape == (len(names), 14, 32, 16)
    # unlabelled joints have empty channels; the others peak at their score, near the joint
    unlabelled = truth[..., 2] == 0
    assert unlabelled.any() and not out.heatmaps[unlabelled].any()
    peaks = out.heatmaps.reshape(len(names), 14, -1).max(-1)
    np.testing.assert_allclose(peaks[~unlabelled], expected_scores[~unlabelled], rtol=0.25)
    h, w = small_world().domains[0].height, small_world().domains[0].width
    decoded, _ = keypoints_from_heatmaps(torch.from_numpy(out.heatmaps), (h, w))
    error = np.abs(decoded.numpy() - truth[..., :2])[~unlabelled]
    assert error.max() <= 0.5 * max(h / 32, w / 16) + 1e-4  # within half a heatmap pixel


def test_identity_hashes_the_keypoint_table(market, tmp_path):
    backend = GroundTruthBackend(market, heatmap_size=(16, 8))
    identity = backend.identity()
    assert identity['keypoints_sha256'] == hashlib.sha256(
        (market / 'keypoints.json').read_bytes()).hexdigest()
    assert identity['heatmap_size'] == [16, 8]
    assert GroundTruthBackend(market, heatmap_size=(32, 16)).identity() != identity


def test_factory_builds_the_ground_truth_backend_lazily_and_checks_its_config(market):
    backend = build_pose_backend(dict(type='ground_truth', root=str(market), sigma=2.0))
    assert isinstance(backend, GroundTruthBackend) and backend.sigma == 2.0
    with pytest.raises(ValueError, match="'ground_truth'.*'mmpose'"):
        build_pose_backend(dict(type='openpose'))
    with pytest.raises(TypeError, match='ground_truth.*bad config keys'):
        build_pose_backend(dict(type='ground_truth', root=str(market), colour='red'))


def test_errors_name_the_file(market, tmp_path):
    backend = GroundTruthBackend(market)
    stray = tmp_path / 'elsewhere.jpg'
    stray.write_bytes(b'')
    with pytest.raises(ValueError, match='elsewhere.jpg is not below'):
        backend.predict_files([stray])
    unknown = market / 'query' / 'unknown.jpg'
    with pytest.raises(ValueError, match='query/unknown.jpg'):
        backend.predict_files([unknown])
    with pytest.raises(TypeError, match='predict_files'):
        backend([np.zeros((8, 4, 3), np.uint8)])
    with pytest.raises(FileNotFoundError, match='keypoints.json'):
        GroundTruthBackend(tmp_path)
    (tmp_path / 'keypoints.json').write_text(json.dumps({'a.jpg': [[0, 0, 2]] * 13}))
    with pytest.raises(ValueError, match=r'keypoints.json: entry .a.jpg. has shape \(13, 3\)'):
        GroundTruthBackend(tmp_path)


def test_finds_the_domain_folder_above_an_image(market, tmp_path):
    image = next((market / 'query').iterdir())
    assert find_keypoints_root(image) == market.resolve()
    with pytest.raises(FileNotFoundError, match='no keypoints.json'):
        find_keypoints_root(tmp_path / 'x.jpg')


def test_importing_the_pose_package_imports_no_pose_framework():
    code = ('import sys, posereid.pose; '
            'print(sorted(m for m in ("mmpose", "mmcv", "mediapipe") if m in sys.modules))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == '[]'
