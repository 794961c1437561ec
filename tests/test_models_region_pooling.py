import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

from posereid.models import SpindleBranch
from posereid.models.region_pooling import boxes_from_heatmaps, pool_regions
from posereid.pose.base import render_gaussian_heatmaps
from posereid.pose.regions import region_boxes

H, W = 128, 64
# Seven disjoint coloured rectangles (xyxy, multiples of 8 px) and a box well inside each.
RECTS = [(0, 0, 32, 32), (32, 0, 64, 32), (0, 32, 32, 64), (32, 32, 64, 64),
         (0, 64, 32, 96), (32, 64, 64, 96), (0, 96, 64, 128)]
COLOURS = torch.tensor([[1., 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1],
                        [.5, .5, .5]])


def coloured_image():
    image = torch.zeros(1, 3, H, W)
    for (x0, y0, x1, y1), colour in zip(RECTS, COLOURS):
        image[0, :, y0:y1, x0:x1] = colour[:, None, None]
    return image


def inner_boxes(inset):
    return torch.tensor([[[x0 + inset, y0 + inset, x1 - inset, y1 - inset]
                          for x0, y0, x1, y1 in RECTS]], dtype=torch.float32)


def test_each_region_pools_its_own_colour_from_the_image():
    pooled = pool_regions(coloured_image(), inner_boxes(1), (H, W), (6, 3))
    assert pooled.shape == (1, 7, 3, 6, 3)
    expected = COLOURS[None, :, :, None, None].expand_as(pooled)
    torch.testing.assert_close(pooled, expected)


def test_boxes_in_image_pixels_are_scaled_to_a_strided_feature_map():
    features = F.avg_pool2d(coloured_image(), 8)                 # stride 8: 16 × 8 map
    pooled = pool_regions(features, inner_boxes(8), (H, W), (4, 2))
    expected = COLOURS[None, :, :, None, None].expand_as(pooled)
    torch.testing.assert_close(pooled, expected)


def test_boxes_from_rendered_heatmaps_match_the_keypoint_boxes():
    rng = np.random.default_rng(0)
    keypoints = np.stack([rng.uniform(8, W - 8, 14), rng.uniform(8, H - 8, 14)], 1)[None]
    scores = np.ones((1, 14), dtype=np.float32)
    heatmaps = torch.from_numpy(render_gaussian_heatmaps(keypoints, scores, (H, W), (64, 32)))
    expected = region_boxes(torch.from_numpy(keypoints).float(), torch.from_numpy(scores), (H, W))
    # heatmap peaks are quantised to 2 px (refined by a quarter heatmap pixel).
    torch.testing.assert_close(boxes_from_heatmaps(heatmaps, (H, W)), expected, atol=2.5, rtol=0)


def test_spindle_embedding_depends_on_where_the_heatmaps_put_the_regions():
    torch.manual_seed(0)
    branch = SpindleBranch((H, W)).eval()
    imgs = torch.rand(1, 3, H, W)
    keypoints = np.array([[[32, 10 + 8 * k] for k in range(14)]], dtype=np.float32)
    scores = np.ones((1, 14), dtype=np.float32)
    heatmaps = [torch.from_numpy(render_gaussian_heatmaps(points, scores, (H, W), (32, 16)))
                for points in (keypoints, keypoints * [[[0.5, 0.8]]])]
    with torch.no_grad():
        first, moved, again = (branch(imgs, hm) for hm in (heatmaps[0], heatmaps[1], heatmaps[0]))
    torch.testing.assert_close(first, again)
    assert (first - moved).abs().max() > 1e-4


def test_pooling_equals_torchvision_roi_align_with_its_gradient():
    torch.manual_seed(0)
    features = torch.randn(2, 3, 9, 6, dtype=torch.float64, requires_grad=True)
    # boxes inside, across the border and partly outside a 36 × 24 image (stride 4).
    boxes = torch.tensor([[[2, 3, 20, 30], [-6, -2, 10, 14], [15, 20, 30, 40]],
                          [[0, 0, 24, 36], [5.5, 7.25, 9, 33], [20, 1, 23, 5]]],
                         dtype=torch.float64)
    ours = pool_regions(features, boxes, (36, 24), (4, 3))
    rois = torch.cat([torch.arange(2.0, dtype=torch.float64).repeat_interleave(3)[:, None],
                      boxes.reshape(-1, 4)], dim=1)
    reference = roi_align(features, rois, (4, 3), spatial_scale=0.25, sampling_ratio=2,
                          aligned=True).view(2, 3, 3, 4, 3)
    torch.testing.assert_close(ours, reference)
    grad = torch.randn_like(ours)
    ours_grad, = torch.autograd.grad(ours, features, grad)
    reference_grad, = torch.autograd.grad(reference, features, grad)
    torch.testing.assert_close(ours_grad, reference_grad)
