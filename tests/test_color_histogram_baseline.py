import dataclasses

import cv2
import numpy as np
import pytest

from posereid.baselines import (color_histogram_features, evaluate_market_folder,
                                hellinger_distances)
from posereid.datasets.synthetic import WorldConfig, default_world, generate_world

RED, GREEN, BLUE = (200, 30, 30), (30, 160, 40), (30, 40, 200)


def _crop(top, bottom, rng=None, size=(32, 16)):
    """An RGB crop: ``top`` colour over ``bottom`` colour, optionally with noise."""
    h, w = size
    image = np.empty((h, w, 3), np.float32)
    image[:h // 2], image[h // 2:] = top, bottom
    if rng is not None:
        image += rng.normal(0, 6, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def _write(path, rgb):
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])


def test_features_are_unit_norm_per_stripe_histograms():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (30, 12, 3), dtype=np.uint8) for _ in range(4)]
    features = color_histogram_features(images, stripes=3, bins=(8, 8, 8))
    assert features.shape == (4, 3 * 512) and features.dtype == np.float32
    assert (features >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1, atol=1e-5)
    stripe_mass = (features.reshape(4, 3, 512) ** 2).sum(axis=2)
    np.testing.assert_allclose(stripe_mass, 1 / 3, atol=1e-5)


def test_distances_are_zero_for_the_same_image_symmetric_and_bounded():
    rng = np.random.default_rng(1)
    features = color_histogram_features([_crop(RED, BLUE, rng), _crop(GREEN, BLUE, rng),
                                         _crop(RED, GREEN, rng)])
    d = hellinger_distances(features, features)
    np.testing.assert_allclose(np.diag(d), 0, atol=1e-3)
    np.testing.assert_allclose(d, d.T, atol=1e-6)
    assert (d >= 0).all() and (d <= 1).all() and d[0, 1] > 0.3


def test_stripes_tell_a_red_top_from_a_red_bottom():
    upside_down = [_crop(RED, BLUE), _crop(BLUE, RED)]
    one = color_histogram_features(upside_down, stripes=1)
    two = color_histogram_features(upside_down, stripes=2)
    assert hellinger_distances(one[:1], one[1:])[0, 0] < 1e-3
    assert hellinger_distances(two[:1], two[1:])[0, 0] > 0.9


def test_bad_input_raises():
    with pytest.raises(ValueError, match='stripes'):
        color_histogram_features([_crop(RED, BLUE)], stripes=0)
    with pytest.raises(ValueError, match='bins'):
        color_histogram_features([_crop(RED, BLUE)], bins=(8, 8))
    with pytest.raises(ValueError, match='stripes'):
        color_histogram_features([_crop(RED, BLUE, size=(2, 4))], stripes=3)


def test_market_folder_ranks_colour_identities_and_ignores_junk(tmp_path):
    rng = np.random.default_rng(2)
    people = {1: (RED, BLUE), 2: (GREEN, GREEN), 3: (BLUE, RED)}
    for pid, (top, bottom) in people.items():
        _write(tmp_path / 'query' / f'{pid:04d}_c1s1_000100_01.jpg', _crop(top, bottom, rng))
        _write(tmp_path / 'bounding_box_test' / f'{pid:04d}_c2s1_000200_01.jpg',
               _crop(top, bottom, rng))
        # The query's own camera: junk for this query under the Market protocol.
        _write(tmp_path / 'bounding_box_test' / f'{pid:04d}_c1s1_000300_01.jpg',
               _crop(top, bottom, rng))
    # Market junk (pid -1) identical to a query would rank first if it were kept.
    _write(tmp_path / 'bounding_box_test' / '-1_c2s1_000400_01.jpg', _crop(RED, BLUE))
    _write(tmp_path / 'bounding_box_test' / '0000_c2s1_000500_01.jpg', _crop(GREEN, RED, rng))
    result = evaluate_market_folder(tmp_path)
    assert result['num_query'] == 3 and result['num_gallery'] == 7
    assert result['rank1'] == 1.0 and result['mAP'] == pytest.approx(1.0)


def test_market_folder_rejects_foreign_names(tmp_path):
    _write(tmp_path / 'query' / 'person.jpg', _crop(RED, BLUE))
    _write(tmp_path / 'bounding_box_test' / '0001_c2s1_000200_01.jpg', _crop(RED, BLUE))
    with pytest.raises(ValueError, match='Market-1501'):
        evaluate_market_folder(tmp_path)
    with pytest.raises(ValueError, match='no .jpg'):
        evaluate_market_folder(tmp_path / 'missing_parts')


def test_colour_alone_does_not_solve_the_synthetic_market_domain(tmp_path):
    market = dataclasses.replace(default_world().domains[0], num_ids=80, num_test_ids=50,
                                 num_distractors=0, num_junk=0)
    generate_world(WorldConfig(domains=(market,)), tmp_path, workers=1)
    result = evaluate_market_folder(tmp_path / 'market')
    assert result['num_valid_queries'] == result['num_query'] > 50
    assert result['rank1'] < 0.5
