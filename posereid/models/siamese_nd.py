"""Siamese network with cross-input matching (Ahmed, Jones & Marks, CVPR 2015).

Both images go through the same (tied) convolutions; their feature maps ``f, g`` (25 × 37 × 12 at
the paper's 160 × 60 input) are then compared position by position and the comparison is
classified as same / different person:

==================  =====================================================  ===============
layer               what                                                    output (160×60)
==================  =====================================================  ===============
tied conv 1         20 @ 5×5, ReLU, max-pool 2                              20 × 78 × 28
tied conv 2         25 @ 5×5, ReLU, max-pool 2                              25 × 37 × 12
matching ``'nd'``   neighborhood differences K = f − N[g], K' = g − N[f],
                    ReLU, patch summary 25 @ 5×5 stride 5 (each), ReLU      50 × 37 × 12
matching ``'ncc'``  normalized cross-correlation (Subramaniam et al., NIPS
                    2016), 1×1 summary conv to 25, ReLU                     25 × 37 × 12
across-patch        25 @ 3×3 per matching map, ReLU, max-pool 2             50 × 17 × 5
FC                  500, ReLU, dropout                                      500
FC                  2 (same / different)                                    2
==================  =====================================================  ===============

``matching='both'`` stacks the ND and NCC maps (75 channels). The ND + patch summary is the fused
layer of :mod:`posereid.models.layers.neighborhood_difference` (the 5H × 5W map is never built).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from posereid.registry import MODELS

from .layers import NeighborhoodDifferenceSummary, NormalizedCrossCorrelation
from .pair_model import PairReIDModel, check_input_size

MATCHINGS = ('nd', 'ncc', 'both')


def _after_conv_pool(size: tuple[int, int], kernel_size: int) -> tuple[int, int]:
    """Spatial size after a valid ``k × k`` convolution and a 2 × 2 max-pool."""
    return tuple((s - kernel_size + 1) // 2 for s in size)


class SiameseBranch(nn.Module):
    """Tied convolutions (:meth:`features`, per image) and cross-input matching up to the FC-500
    pair feature (:meth:`pair_features`, per pair).

    Args:
        input_size: ``(H, W)`` of the images.
        matching: ``'nd'``, ``'ncc'`` or ``'both'``.
        channels: output channels of the two tied convolutions.
        summary_channels: filters of each patch-summary layer (and across-patch layer).
        ncc_row_radius: NCC search window: rows ``x − r … x + r``, all columns.
        fc_dim, dropout: the pair feature's size and the dropout after it.
    """

    def __init__(self, input_size: tuple[int, int] = (160, 60), matching: str = 'nd',
                 channels: tuple[int, int] = (20, 25), kernel_size: int = 5,
                 summary_channels: int = 25, ncc_row_radius: int = 2, fc_dim: int = 500,
                 dropout: float = 0.5):
        super().__init__()
        if matching not in MATCHINGS:
            raise ValueError(f'matching must be one of {MATCHINGS}; got {matching!r}')
        c1, c2 = channels
        self.tied = nn.Sequential(
            nn.Conv2d(3, c1, kernel_size), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, kernel_size), nn.ReLU(inplace=True), nn.MaxPool2d(2))
        height, width = _after_conv_pool(_after_conv_pool(input_size, kernel_size), kernel_size)
        if min(height, width) < 3:
            raise ValueError(f'input_size {tuple(input_size)} is too small for SiameseND: the '
                             f'tied feature maps would be {height} × {width}')
        self.input_size, self.matching = tuple(input_size), matching
        self.out_channels, self.feature_size = c2, (height, width)
        maps = 0
        if matching in ('nd', 'both'):
            self.neighborhood_difference = NeighborhoodDifferenceSummary(
                c2, summary_channels, kernel_size)
            maps += 2
        if matching in ('ncc', 'both'):
            self.ncc = NormalizedCrossCorrelation(kernel_size, ncc_row_radius)
            self.ncc_summary = nn.Conv2d(c2 * (2 * ncc_row_radius + 1) * width,
                                         summary_channels, 1)
            maps += 1
        self.across_patch = nn.Sequential(
            nn.Conv2d(maps * summary_channels, maps * summary_channels, 3, groups=maps),
            nn.ReLU(inplace=True), nn.MaxPool2d(2))
        pooled = ((height - 2) // 2) * ((width - 2) // 2)
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(maps * summary_channels * pooled, fc_dim),
                                nn.ReLU(inplace=True), nn.Dropout(dropout))
        self.out_features = fc_dim

    def features(self, imgs: Tensor) -> Tensor:
        """``(B, 3, H, W)`` → tied feature maps ``(B, 25, H', W')``."""
        check_input_size(imgs, self.input_size, 'the Siamese branch')
        return self.tied(imgs)

    def pair_features(self, f: Tensor, g: Tensor) -> Tensor:
        """Tied maps of ``P`` pairs ``(P, 25, H', W')`` twice → ``(P, fc_dim)``."""
        matched = []
        if self.matching in ('nd', 'both'):
            matched.append(self.neighborhood_difference(f, g).relu())
        if self.matching in ('ncc', 'both'):
            matched.append(self.summarize_correlations(self.ncc(f, g)).relu())
        return self.fc(self.across_patch(torch.cat(matched, dim=1)))

    def summarize_correlations(self, correlations: Tensor) -> Tensor:
        """The NCC patch summary, ``(P, C, H', W', 2r + 1, W')`` → ``(P, O, H', W')``: the 1 × 1
        convolution ``ncc_summary`` over each position's ``C·(2r+1)·W'`` correlations,
        ``b_o + Σ_c corr[:, c] @ w[o, c]``, computed on the layer's layout (one batched product per
        channel) instead of first moving those 1500 channels to the front, which copies the whole
        correlation volume."""
        if torch.onnx.is_in_onnx_export():    # the definition: the 1 x 1 convolution itself
            return self.ncc_summary(correlations.permute(0, 1, 4, 5, 2, 3).flatten(1, 3))
        p, c, h, w = correlations.shape[:4]
        per_position = correlations.reshape(p, c, h * w, -1)     # a view: (P, C, H'·W', J)
        weight = self.ncc_summary.weight.view(-1, c, per_position.shape[-1]).transpose(0, 2)
        summary = self.ncc_summary.bias.expand(p, h * w, -1)
        for channel in range(c):                                 # (P, H'·W', O)
            summary = torch.baddbmm(summary, per_position[:, channel],
                                    weight[:, channel].expand(p, -1, -1))
        return summary.transpose(1, 2).reshape(p, -1, h, w)


@MODELS.register_module()
class SiameseND(PairReIDModel):
    """Ahmed et al.'s Siamese verification network (:class:`SiameseBranch` + FC 2).

    Its per-image embedding (for ranking) is the flattened tied feature map ``(B, 25·H'·W')``;
    pairs are scored by :meth:`verify`.

    Args:
        input_size: ``(H, W)``; 160 × 60 in the paper, 128 × 64 for the demo.
        matching: ``'nd'`` (the paper), ``'ncc'`` or ``'both'``.
        branch: further :class:`SiameseBranch` arguments.
        num_classes, losses, neck, pair_mining: see
            :class:`~posereid.models.pair_model.PairReIDModel`.
    """

    def __init__(self, input_size: tuple[int, int] = (160, 60), matching: str = 'nd',
                 branch: dict | None = None, num_classes: int | None = None,
                 losses: dict | None = None, neck: bool = False,
                 pair_mining: str = 'consecutive', data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.branch = SiameseBranch(input_size, matching, **(branch or {}))
        self.verification_head = nn.Linear(self.branch.out_features, 2)
        height, width = self.branch.feature_size
        self.build_heads(self.branch.out_channels * height * width, losses, num_classes, neck,
                         pair_mining)

    def extract_pair_features(self, imgs: Tensor, heatmaps: Tensor | None = None) -> dict:
        """``{'tied': (B, 25, H', W'), 'embedding': (B, 25·H'·W')}``; heatmaps are not used."""
        tied = self.branch.features(imgs)
        return {'tied': tied, 'embedding': tied.flatten(1)}

    def verify(self, feats_a: dict, feats_b: dict) -> Tensor:
        return self.verification_head(self.branch.pair_features(feats_a['tied'], feats_b['tied']))
