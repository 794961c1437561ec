"""Spindle Net's region features: body-region boxes from heatmaps, pooled like ``roi_align``.

The pooling is torchvision's ``roi_align`` (``aligned=True``, ``sampling_ratio`` samples per bin and
axis) written as two matrix products. Bilinear interpolation is separable, so the average of the
``s × s`` samples of output bin ``(i, j)`` is

    out[c, i, j] = Σ_{y, x} A[i, y] · F[c, y, x] · B[j, x]

with ``A`` (``oh × h``) and ``B`` (``ow × w``) the per-axis averages of the samples' bilinear
weights. Its backward is two more matrix products, much faster on CPU than ``roi_align``'s
scatter loop.
"""
from __future__ import annotations

import torch
from torch import Tensor

from posereid.pose.regions import RegionRules, keypoints_from_heatmaps, region_boxes


@torch.no_grad()
def boxes_from_heatmaps(heatmaps: Tensor, image_size: tuple[int, int],
                        score_threshold: float = 0.1, rules: RegionRules = RegionRules()
                        ) -> Tensor:
    """The seven region boxes ``(B, 7, 4)`` (xyxy image pixels) of ``(B, 14, h, w)`` heatmaps
    covering ``(H, W)`` images (rules in :mod:`posereid.pose.regions`)."""
    keypoints, scores = keypoints_from_heatmaps(heatmaps, image_size)
    return region_boxes(keypoints, scores, image_size, score_threshold, rules)


def bin_weights(start: Tensor, end: Tensor, bins: int, size: int, samples: int) -> Tensor:
    """Per-axis ``roi_align`` weights: ``(N,)`` intervals in pixel-centre map coordinates →
    ``(N, bins, size)``, row ``i`` averaging the bilinear weights of the ``samples`` points of bin
    ``i``. As in ``roi_align``, points beyond one pixel outside the map weigh nothing and points
    within it are clamped onto the border."""
    positions = torch.arange(bins, device=start.device, dtype=start.dtype)[:, None]
    fractions = (torch.arange(samples, device=start.device, dtype=start.dtype) + 0.5) / samples
    step = ((end - start) / bins)[:, None, None]
    points = start[:, None, None] + (positions + fractions) * step          # (N, bins, samples)
    inside = (points >= -1) & (points <= size)
    points = points.clamp(0, size - 1)
    pixels = torch.arange(size, device=start.device, dtype=start.dtype)
    weights = (1 - (points[..., None] - pixels).abs()).clamp_(min=0) * inside[..., None]
    return weights.mean(dim=2)


def pool_regions(features: Tensor, boxes: Tensor, image_size: tuple[int, int],
                 output_size: tuple[int, int], samples: int = 2) -> Tensor:
    """Pool each image's region boxes from its feature map (``roi_align``, ``aligned=True``).

    Boxes are scaled to the map by ``(w / W, h / H)`` per axis, so any stride (and rounding of the
    map size) is handled.

    Args:
        features: ``(B, C, h, w)`` covering ``(H, W)`` images.
        boxes: ``(B, R, 4)`` ``(x0, y0, x1, y1)`` in image pixels.
        output_size: ``(oh, ow)``.
        samples: sampling points per bin and axis (``roi_align``'s ``sampling_ratio``).
    Returns:
        ``(B, R, C, oh, ow)``.
    """
    b, c, h, w = features.shape
    if boxes.dim() != 3 or boxes.shape[0] != b or boxes.shape[2] != 4:
        raise ValueError(f'boxes must be ({b}, R, 4) for {b} feature maps; got {tuple(boxes.shape)}')
    regions = boxes.shape[1]
    scale = boxes.new_tensor([w / image_size[1], h / image_size[0]]).repeat(2)
    x0, y0, x1, y1 = (boxes * scale - 0.5).to(features.dtype).flatten(0, 1).unbind(-1)
    rows = bin_weights(y0, y1, output_size[0], h, samples).view(b, regions, output_size[0], h)
    cols = bin_weights(x0, x1, output_size[1], w, samples).view(b, regions, output_size[1], w)
    return torch.einsum('briy,bcyx,brjx->brcij', rows, features, cols)
