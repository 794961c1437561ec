"""Joint image + heatmap transforms keep the heatmaps on the joints they belong to."""
import numpy as np
import pytest
import torch

from posereid.datasets import BadImageError
from posereid.datasets.transforms import (ColorJitter, LoadHeatmaps, LoadImage, PackReID,
                                          RandomErasing, RandomFlip, RandomTranslate,
                                          RandomZoomCrop, Resize)
from posereid.datasets.transforms.formatting import IMAGENET_MEAN, IMAGENET_STD
from posereid.pose.base import render_gaussian_heatmaps
from posereid.pose.keypoints import FLIP_INDICES, KEYPOINT_INDEX

HEIGHT, WIDTH = 64, 32
HEATMAP_SIZE = (32, 16)


def _keypoints(seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform([6, 10], [WIDTH - 6, HEIGHT - 10], (14, 2)).astype(np.float32)


def _results(keypoints):
    """An image whose pixel under each joint is painted the joint's own colour, and its
    heatmaps (one Gaussian per joint)."""
    image = np.full((HEIGHT, WIDTH, 3), 20, np.uint8)
    for k, (x, y) in enumerate(keypoints):
        image[int(y), int(x)] = (100 + 10 * k, 255 - 10 * k, 7 * k)
    heatmaps = render_gaussian_heatmaps(keypoints[None], np.ones((1, 14)), (HEIGHT, WIDTH),
                                        HEATMAP_SIZE)[0]
    return dict(img=image, heatmaps=heatmaps, pid=3, camid=1, split='train', img_path='a.jpg')


def _centroids(heatmaps):
    """(14, 2) (u, v) centre of mass of each channel, in continuous heatmap pixels."""
    h, w = heatmaps.shape[1:]
    v, u = np.mgrid[0:h, 0:w] + 0.5
    mass = heatmaps.sum(axis=(1, 2))
    return np.stack([(heatmaps * u).sum(axis=(1, 2)) / mass,
                     (heatmaps * v).sum(axis=(1, 2)) / mass], axis=1)


def test_flip_mirrors_image_and_heatmaps_and_swaps_left_right_channels():
    keypoints = _keypoints()
    results = _results(keypoints)
    original = {key: value.copy() for key, value in results.items() if key in ('img',)}
    flipped = RandomFlip(prob=1.0)(results)

    assert flipped['flipped'] is True
    np.testing.assert_array_equal(flipped['img'], original['img'][:, ::-1])
    # Mirrored joints: joint k of the flipped image is the mirror of joint FLIP_INDICES[k].
    mirrored = keypoints[list(FLIP_INDICES)].copy()
    mirrored[:, 0] = WIDTH - mirrored[:, 0]
    expected = render_gaussian_heatmaps(mirrored[None], np.ones((1, 14)), (HEIGHT, WIDTH),
                                        HEATMAP_SIZE)[0]
    np.testing.assert_allclose(flipped['heatmaps'], expected, atol=1e-5)
    # The left wrist channel now peaks where the image shows the (mirrored) right wrist.
    left_wrist, right_wrist = KEYPOINT_INDEX['left_wrist'], KEYPOINT_INDEX['right_wrist']
    h, w = HEATMAP_SIZE
    v, u = np.unravel_index(flipped['heatmaps'][left_wrist].argmax(), HEATMAP_SIZE)
    x, y = keypoints[right_wrist]
    assert abs((u + 0.5) * WIDTH / w - (WIDTH - x)) <= WIDTH / w
    assert abs((v + 0.5) * HEIGHT / h - y) <= HEIGHT / h
    assert tuple(flipped['img'][int(y), WIDTH - 1 - int(x)]) == tuple(
        original['img'][int(y), int(x)])


def test_flip_with_probability_zero_changes_nothing():
    results = _results(_keypoints())
    image, heatmaps = results['img'].copy(), results['heatmaps'].copy()
    out = RandomFlip(prob=0.0)(results)
    assert out['flipped'] is False
    np.testing.assert_array_equal(out['img'], image)
    np.testing.assert_array_equal(out['heatmaps'], heatmaps)


def test_translate_moves_image_pixels_and_heatmap_peaks_by_the_same_amount():
    keypoints = _keypoints(1)
    results = _results(keypoints)
    image, before = results['img'].copy(), _centroids(results['heatmaps'])
    np.random.seed(3)
    out = RandomTranslate(max_shift=0.25, prob=1.0, fill=0)(results)
    # Recover the integer shift from the painted joint pixels.
    x, y = keypoints[0].astype(int)
    found = np.argwhere(np.all(out['img'] == image[y, x], axis=2))
    assert len(found) == 1
    dy, dx = found[0] - (y, x)
    assert (dx, dy) != (0, 0)
    np.testing.assert_array_equal(out['img'][max(dy, 0):HEIGHT + min(dy, 0),
                                             max(dx, 0):WIDTH + min(dx, 0)],
                                  image[max(-dy, 0):HEIGHT + min(-dy, 0),
                                        max(-dx, 0):WIDTH + min(-dx, 0)])
    assert out['img'].shape == image.shape and out['heatmaps'].shape == (14, *HEATMAP_SIZE)
    after = _centroids(out['heatmaps'])
    # Joints far enough from the border keep their whole Gaussian: it moves by (dx, dy) * w / W.
    inside = np.all((keypoints + (dx, dy) > 8) & (keypoints + (dx, dy) < (WIDTH - 8, HEIGHT - 8)),
                    axis=1)
    assert inside.sum() >= 3
    h, w = HEATMAP_SIZE
    np.testing.assert_allclose(after[inside] - before[inside],
                               np.broadcast_to([dx * w / WIDTH, dy * h / HEIGHT],
                                               (inside.sum(), 2)), atol=0.03)


def test_zoom_crop_scales_heatmaps_with_the_image():
    # Joints in the middle stay inside any crop window of the 1.25x image.
    keypoints = np.random.default_rng(2).uniform([12, 24], [20, 40], (14, 2)).astype(np.float32)
    results = _results(keypoints)
    before = _centroids(results['heatmaps'])
    np.random.seed(0)
    out = RandomZoomCrop(zoom=1.25, prob=1.0)(results)
    after = _centroids(out['heatmaps'])
    assert out['img'].shape == (HEIGHT, WIDTH, 3)
    # Heatmap coordinates are mapped by the image's affine map u' = 1.25 u + t on each axis.
    for axis in (0, 1):
        slope, _ = np.polyfit(before[:, axis], after[:, axis], 1)
        assert slope == pytest.approx(1.25, abs=0.02)


def test_resize_changes_the_image_only():
    results = _results(_keypoints())
    heatmaps = results['heatmaps'].copy()
    out = Resize((128, 48))(results)
    assert out['img'].shape == (128, 48, 3)
    np.testing.assert_array_equal(out['heatmaps'], heatmaps)


def test_color_jitter_changes_pixels_but_not_heatmaps():
    results = _results(_keypoints())
    image, heatmaps = results['img'].copy(), results['heatmaps'].copy()
    torch.manual_seed(0)
    out = ColorJitter(brightness=0.8, contrast=0.8, prob=1.0)(results)
    assert out['img'].dtype == np.uint8 and out['img'].shape == image.shape
    assert not np.array_equal(out['img'], image)
    np.testing.assert_array_equal(out['heatmaps'], heatmaps)


def test_pack_normalises_and_keeps_labels():
    results = _results(_keypoints())
    image = results['img'].copy()
    item = PackReID()(results)
    assert set(item) == {'img', 'heatmaps', 'pid', 'camid', 'split', 'img_path'}
    assert item['img'].shape == (3, HEIGHT, WIDTH) and item['img'].dtype == torch.float32
    assert item['heatmaps'].shape == (14, *HEATMAP_SIZE)
    expected = (image[5, 7] / 255 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    np.testing.assert_allclose(item['img'][:, 5, 7].numpy(), expected, rtol=1e-5)
    assert (item['pid'], item['camid'], item['split']) == (3, 1, 'train')


def test_random_erasing_needs_the_packed_tensor_and_erases_to_the_mean():
    with pytest.raises(TypeError, match='after PackReID'):
        RandomErasing(prob=1.0)(_results(_keypoints()))
    item = PackReID()(_results(_keypoints()))
    heatmaps = item['heatmaps'].clone()
    torch.manual_seed(0)
    erased = RandomErasing(prob=1.0, value=0.0)(item)
    zero = (erased['img'] == 0).all(dim=0)
    assert 0 < zero.float().mean() < 1
    assert torch.equal(erased['heatmaps'], heatmaps)


def test_load_image_reads_rgb_and_names_a_corrupt_file(tmp_path):
    import cv2

    path = tmp_path / 'red.png'
    image = np.zeros((6, 4, 3), np.uint8)
    image[..., 0] = 255                                            # red in RGB
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    assert LoadImage()(dict(img_path=str(path)))['img'][0, 0].tolist() == [255, 0, 0]
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'\xff\xd8 not really a jpeg')
    with pytest.raises(BadImageError, match='broken.jpg'):
        LoadImage()(dict(img_path=str(broken)))


def test_load_heatmaps_reads_the_dataset_cache_as_float32():
    class FakeCache:
        def lookup(self, img_path):
            assert img_path == 'a.jpg'
            return np.ones((14, 4, 2), np.float16), np.zeros((14, 2)), np.zeros(14)

    results = LoadHeatmaps()(dict(img_path='a.jpg', heatmap_cache=FakeCache()))
    assert results['heatmaps'].dtype == np.float32 and results['heatmaps'].shape == (14, 4, 2)
    assert 'heatmaps' not in LoadHeatmaps()(dict(img_path='a.jpg'))
