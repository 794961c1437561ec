"""Spindle Net (Zhao et al., CVPR 2017): body-region features fused in a tree.

1. The feature extraction network (a three-stage backbone C1 → C2 → C3) gives the global
   feature: C3, average-pooled.
2. Seven region boxes come from the 14 pose heatmaps (:mod:`posereid.pose.regions`, no gradient).
   The 3 macro regions (head-shoulder, upper body, lower body) are pooled from the C1 map and go
   through their own copies of C2 and C3; the 4 micro regions (arms, legs) are pooled from the C2
   map and go through their own copies of C3 (``roi_align``, average-pooled at the end).
3. The feature fusion network merges them with max-out fusion units
   ``U(x_1 … x_n) = ReLU(W · max(x_1 … x_n) + b)`` along the body's tree:

       arms  = U(left_arm, right_arm)        legs  = U(left_leg, right_leg)
       upper = U(upper_body, arms)           lower = U(lower_body, legs)
       body  = U(head_shoulder, upper, lower)
       embedding = W_o [global ; body] + b_o                    (256-d)

Heatmaps can also enter the backbone as extra input channels or as attention on C1
(:mod:`posereid.models.heatmap_guidance`).
"""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from posereid.pose.keypoints import NUM_KEYPOINTS
from posereid.pose.regions import NUM_MACRO_REGIONS, REGION_NAMES, RegionRules
from posereid.registry import MODELS

from .heatmap_guidance import HEATMAP_MODES, HeatmapAttention, resize_heatmaps
from .pair_head import PairHead, embedding_pair_features
from .pair_model import PairReIDModel, check_input_size
from .region_pooling import boxes_from_heatmaps, pool_regions


class FusionUnit(nn.Module):
    """``(B, D)`` × n → ``(B, D)``: ``ReLU(W · max_i x_i + b)``."""

    def __init__(self, dim: int):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, *features: Tensor) -> Tensor:
        return self.fc(torch.stack(features).amax(dim=0)).relu()


class TreeFusion(nn.Module):
    """``forward(global (B, D), regions (B, 7, D) in REGION_NAMES order) -> (B, embedding_dim)``."""

    def __init__(self, dim: int, embedding_dim: int = 256):
        super().__init__()
        self.arms, self.legs = FusionUnit(dim), FusionUnit(dim)
        self.upper, self.lower = FusionUnit(dim), FusionUnit(dim)
        self.body = FusionUnit(dim)
        self.out = nn.Linear(2 * dim, embedding_dim)

    def forward(self, global_feature: Tensor, regions: Tensor) -> Tensor:
        head_shoulder, upper_body, lower_body, left_arm, right_arm, left_leg, right_leg = \
            regions.unbind(dim=1)
        upper = self.upper(upper_body, self.arms(left_arm, right_arm))
        lower = self.lower(lower_body, self.legs(left_leg, right_leg))
        body = self.body(head_shoulder, upper, lower)
        return self.out(torch.cat([global_feature, body], dim=1))


class SpindleBranch(nn.Module):
    """Images ``(B, 3, H, W)`` and heatmaps ``(B, 14, h, w)`` → embeddings ``(B, embedding_dim)``.

    Args:
        input_size: ``(H, W)`` of the images (region boxes are in its pixels).
        backbone: a three-stage backbone config (:mod:`posereid.models.backbones`).
        embedding_dim: size of the fused embedding.
        macro_roi_size, micro_roi_size: ``roi_align`` output sizes of the regions pooled from C1
            and C2.
        heatmap_mode: ``'none'``, ``'channels'`` or ``'attention'``.
        score_threshold: joints below it do not shape the boxes.
        share_region_stages: one copy of the later stages for the three macro regions and one
            for the four micro regions, instead of one per region (seven copies of a
            ResNet-50's layer 4 are 100 M weights).
        region_rules: this project's box rules (:class:`~posereid.pose.regions.RegionRules`:
            ``widen``, ``square_macro``, ``min_side``); default ``RegionRules()``;
            ``'paper'`` for the joints' bounding boxes only.
    """

    def __init__(self, input_size: tuple[int, int] = (128, 64),
                 backbone: dict | None = None, embedding_dim: int = 256,
                 macro_roi_size: tuple[int, int] = (12, 12),
                 micro_roi_size: tuple[int, int] = (8, 4), heatmap_mode: str = 'none',
                 score_threshold: float = 0.1, share_region_stages: bool = False,
                 region_rules: dict | str | None = None):
        super().__init__()
        if heatmap_mode not in HEATMAP_MODES:
            raise ValueError(f'heatmap_mode must be one of {HEATMAP_MODES}; got {heatmap_mode!r}')
        self.input_size, self.heatmap_mode = tuple(input_size), heatmap_mode
        self.macro_roi_size, self.micro_roi_size = tuple(macro_roi_size), tuple(micro_roi_size)
        self.score_threshold = score_threshold
        self.region_rules = (RegionRules.paper() if region_rules == 'paper'
                             else RegionRules(**(region_rules or {})))
        in_channels = 3 + NUM_KEYPOINTS if heatmap_mode == 'channels' else 3
        backbone = dict(type='SmallSpindleBackbone') if backbone is None else backbone
        self.backbone = MODELS.build(dict(backbone, in_channels=in_channels))
        _, c2, c3 = self.backbone.stages
        macro_copies = 1 if share_region_stages else NUM_MACRO_REGIONS
        micro_copies = 1 if share_region_stages else len(REGION_NAMES) - NUM_MACRO_REGIONS
        self.macro_stages = nn.ModuleList(
            nn.Sequential(copy.deepcopy(c2), copy.deepcopy(c3)) for _ in range(macro_copies))
        self.micro_stages = nn.ModuleList(copy.deepcopy(c3) for _ in range(micro_copies))
        if heatmap_mode == 'attention':
            self.attention = HeatmapAttention(self.backbone.out_channels[0])
        self.fusion = TreeFusion(self.backbone.out_channels[2], embedding_dim)
        self.embedding_dim = embedding_dim

    def forward(self, imgs: Tensor, heatmaps: Tensor | None) -> Tensor:
        check_input_size(imgs, self.input_size, 'the Spindle branch')
        expected = (len(imgs), NUM_KEYPOINTS)
        if heatmaps is None or heatmaps.dim() != 4 or heatmaps.shape[:2] != expected:
            raise ValueError(f'the Spindle branch needs heatmaps ({len(imgs)}, {NUM_KEYPOINTS}, h, '
                             f'w) for its {len(imgs)} images; got '
                             f'{None if heatmaps is None else tuple(heatmaps.shape)} (give the '
                             f'dataset a heatmap_cache)')
        boxes = boxes_from_heatmaps(heatmaps, self.input_size, self.score_threshold,
                                    self.region_rules)
        c1, c2, c3 = self.backbone.stages
        x = imgs
        if self.heatmap_mode == 'channels':
            x = torch.cat([imgs, resize_heatmaps(heatmaps, self.input_size).to(imgs.dtype)], 1)
        map1 = c1(x)
        if self.heatmap_mode == 'attention':
            map1 = self.attention(map1, heatmaps)
        map2 = c2(map1)
        global_feature = c3(map2).mean(dim=(2, 3))

        macro = pool_regions(map1, boxes[:, :NUM_MACRO_REGIONS], self.input_size,
                             self.macro_roi_size)                 # (B, 3, C1, oh, ow)
        micro = pool_regions(map2, boxes[:, NUM_MACRO_REGIONS:], self.input_size,
                             self.micro_roi_size)                 # (B, 4, C2, oh, ow)
        regions = [self._region_stage(self.macro_stages, i)(macro[:, i]).mean(dim=(2, 3))
                   for i in range(NUM_MACRO_REGIONS)]
        regions += [self._region_stage(self.micro_stages, i)(micro[:, i]).mean(dim=(2, 3))
                    for i in range(micro.shape[1])]
        return self.fusion(global_feature, torch.stack(regions, dim=1))


    @staticmethod
    def _region_stage(stages: nn.ModuleList, region: int) -> nn.Module:
        """The stages of the ``region``-th macro (or micro) region: its own, or the shared one."""
        return stages[region if len(stages) > 1 else 0]


@MODELS.register_module()
class SpindleNet(PairReIDModel):
    """Spindle Net embeddings (:class:`SpindleBranch`) with a pair head on ``[|a − b|, a ⊙ b]``.

    Args:
        input_size: ``(H, W)`` of the images.
        branch: further :class:`SpindleBranch` arguments (backbone, ROI sizes, heatmap mode...).
        head_dim, dropout: hidden size and dropout of the pair head.
        num_classes, losses, neck, pair_mining: see
            :class:`~posereid.models.pair_model.PairReIDModel`.
    """

    uses_heatmaps = True

    def __init__(self, input_size: tuple[int, int] = (128, 64), branch: dict | None = None,
                 head_dim: int = 256, dropout: float = 0.5, num_classes: int | None = None,
                 losses: dict | None = None, neck: bool = False,
                 pair_mining: str = 'consecutive', data_preprocessor: dict | None = None,
                 init_cfg: dict | None = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.spindle = SpindleBranch(input_size, **(branch or {}))
        self.head = PairHead(2 * self.spindle.embedding_dim, head_dim, dropout)
        self.build_heads(self.spindle.embedding_dim, losses, num_classes, neck, pair_mining)

    def extract_pair_features(self, imgs: Tensor, heatmaps: Tensor | None = None) -> dict:
        """``{'embedding': (B, D)}``."""
        return {'embedding': self.spindle(imgs, heatmaps)}

    def verify(self, feats_a: dict, feats_b: dict) -> Tensor:
        return self.head(embedding_pair_features(feats_a['embedding'], feats_b['embedding']))
