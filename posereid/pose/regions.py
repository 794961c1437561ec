"""Body-region boxes from 14 keypoints: Spindle Net's seven regions, with this project's rules.

Spindle Net (Zhao et al., CVPR 2017) crops seven body regions — three macro and four micro —
from the feature maps and pools each into its own feature. **From the paper**: the seven
regions, the joints that make each of them (below; AIC indices,
:mod:`posereid.pose.keypoints`), joints located at the peaks of the pose network's 14 response
maps, and each region proposed as the rectangle around its joints. The paper gives no margin,
shape, minimum size or rule for a joint the pose network misses; those are **this project's**
(:class:`RegionRules`, each a named option; ``RegionRules.paper()`` turns them off):

=================  ==============================================
``head_shoulder``  head top, neck, both shoulders         (macro)
``upper_body``     shoulders, elbows, wrists, hips        (macro)
``lower_body``     hips, knees, ankles                    (macro)
``left_arm``       left shoulder, elbow, wrist            (micro)
``right_arm``      right shoulder, elbow, wrist           (micro)
``left_leg``       left hip, knee, ankle                  (micro)
``right_leg``      right hip, knee, ankle                 (micro)
=================  ==============================================

For each region, in this order:

1. (paper) the bounding box of its joints — (ours) of those whose score is
   ``>= score_threshold``, so an arm with a hidden wrist spans shoulder to elbow;
2. (ours, ``widen``, default ``0.2``) widened by that fraction of its extent on each side
   (``x0 -= 0.2 (x1 - x0)``, likewise for the other three sides): a box through the joints
   cuts the limbs and the head in half;
3. (ours, ``square_macro``) macro boxes made square about their centre (side
   ``max(width, height)``), so that an upright torso and a sideways one pool alike;
4. (ours, ``min_side``, default ``2/14`` of the image height) every side at least that long
   (grown about the centre), so a region with one confident joint still covers a part of the
   body;
5. (ours) shifted into the image when it fits (so a square box stays square at the border),
   then clipped to ``[0, W] × [0, H]``.

**Fall-back boxes (ours).** A region with *no* confident joint gets a fixed box where the part
sits in an upright pedestrian crop (the crop is the person box), in fractions of
``(W, H, W, H)`` (:data:`DEFAULT_BOXES`): head-shoulder ``(0.15, 0, 0.85, 0.3)``, upper body
``(0, 0.1, 1, 0.6)``, lower body ``(0, 0.45, 1, 1)``, arms ``(0, 0.15, 1, 0.65)`` (the torso
band: which image side an arm is on depends on the unknown viewpoint), legs ``(0, 0.5, 1, 1)``.
Every region needs some box; these are kept under every :class:`RegionRules`.

Everything works on batches of torch tensors on any device, without gradients.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .keypoints import KEYPOINT_INDEX, NUM_KEYPOINTS

REGION_NAMES: tuple[str, ...] = ('head_shoulder', 'upper_body', 'lower_body',
                                 'left_arm', 'right_arm', 'left_leg', 'right_leg')
NUM_REGIONS = len(REGION_NAMES)
NUM_MACRO_REGIONS = 3

_ARM = ('shoulder', 'elbow', 'wrist')
_LEG = ('hip', 'knee', 'ankle')
REGION_JOINTS: dict[str, tuple[str, ...]] = {
    'head_shoulder': ('head_top', 'neck', 'left_shoulder', 'right_shoulder'),
    'upper_body': tuple(f'{side}_{j}' for side in ('left', 'right') for j in _ARM + ('hip',)),
    'lower_body': tuple(f'{side}_{j}' for side in ('left', 'right') for j in _LEG),
    'left_arm': tuple(f'left_{j}' for j in _ARM),
    'right_arm': tuple(f'right_{j}' for j in _ARM),
    'left_leg': tuple(f'left_{j}' for j in _LEG),
    'right_leg': tuple(f'right_{j}' for j in _LEG),
}

# Fallback boxes as fractions of (W, H, W, H), used when no joint of a region is confident.
DEFAULT_BOXES: dict[str, tuple[float, float, float, float]] = {
    'head_shoulder': (0.15, 0.0, 0.85, 0.3),
    'upper_body': (0.0, 0.1, 1.0, 0.6),
    'lower_body': (0.0, 0.45, 1.0, 1.0),
    'left_arm': (0.0, 0.15, 1.0, 0.65),
    'right_arm': (0.0, 0.15, 1.0, 0.65),
    'left_leg': (0.0, 0.5, 1.0, 1.0),
    'right_leg': (0.0, 0.5, 1.0, 1.0),
}

WIDEN = 0.2
MIN_SIDE = 2 / 14


@dataclass(frozen=True)
class RegionRules:
    """This project's rules on top of the paper's joint bounding boxes (module docstring).

    Attributes:
        widen: fraction of a box's extent added on each side (step 2).
        square_macro: make the three macro boxes square (step 3).
        min_side: shortest side, as a fraction of the image height (step 4).
    """

    widen: float = WIDEN
    square_macro: bool = True
    min_side: float = MIN_SIDE

    def __post_init__(self) -> None:
        if self.widen < 0 or not 0 <= self.min_side <= 1:
            raise ValueError(f'region rules need widen >= 0 and 0 <= min_side <= 1; got {self}')

    @classmethod
    def paper(cls) -> 'RegionRules':
        """The paper's boxes: the joints' bounding box only (the fall-back boxes stay)."""
        return cls(widen=0.0, square_macro=False, min_side=0.0)


def region_joint_mask() -> torch.Tensor:
    """``(7, 14)`` bool: ``mask[r, k]`` is whether joint ``k`` (AIC) belongs to region ``r``."""
    mask = torch.zeros(NUM_REGIONS, NUM_KEYPOINTS, dtype=torch.bool)
    for r, name in enumerate(REGION_NAMES):
        mask[r, [KEYPOINT_INDEX[j] for j in REGION_JOINTS[name]]] = True
    return mask


_REGION_MASK = region_joint_mask()
_DEFAULT_BOXES = torch.tensor([DEFAULT_BOXES[name] for name in REGION_NAMES])


def _check_image_size(image_size) -> tuple[float, float]:
    if len(image_size) != 2 or min(image_size) <= 0:
        raise ValueError(f'image_size must be a positive (H, W); got {image_size}')
    return float(image_size[0]), float(image_size[1])


@torch.no_grad()
def keypoints_from_heatmaps(heatmaps: torch.Tensor,
                            image_size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Each channel's peak, refined a quarter pixel towards its higher neighbour (as mmpose;
    not on the heatmap border).

    Heatmap pixel ``(u, v)`` maps to the image point ``((u + .5) W / w, (v + .5) H / h)``
    (:class:`posereid.pose.base.PoseOutput`).

    Args:
        heatmaps: ``(B, 14, h, w)``, any float dtype and device.
        image_size: ``(H, W)`` of the images the heatmaps cover.
    Returns:
        keypoints ``(B, 14, 2)`` float32 ``(x, y)`` in image pixels and scores ``(B, 14)``
        float32, the peak values.
    """
    if heatmaps.ndim != 4 or heatmaps.shape[1] != NUM_KEYPOINTS:
        raise ValueError(f'heatmaps must be (B, {NUM_KEYPOINTS}, h, w); '
                         f'got {tuple(heatmaps.shape)}')
    H, W = _check_image_size(image_size)
    b, k, h, w = heatmaps.shape
    flat = heatmaps.float().reshape(b, k, h * w)
    scores, index = flat.max(dim=-1)
    u, v = index % w, index // w

    def value_at(du: int, dv: int) -> torch.Tensor:
        uu, vv = (u + du).clamp(0, w - 1), (v + dv).clamp(0, h - 1)
        return flat.gather(-1, (vv * w + uu).unsqueeze(-1)).squeeze(-1)

    inside_x, inside_y = (u > 0) & (u < w - 1), (v > 0) & (v < h - 1)  # no shift at borders
    dx = 0.25 * torch.sign(value_at(1, 0) - value_at(-1, 0)) * inside_x
    dy = 0.25 * torch.sign(value_at(0, 1) - value_at(0, -1)) * inside_y
    x = (u.float() + dx + 0.5) * (W / w)
    y = (v.float() + dy + 0.5) * (H / h)
    return torch.stack([x, y], dim=-1), scores


@torch.no_grad()
def region_boxes(keypoints: torch.Tensor, scores: torch.Tensor, image_size: tuple[int, int],
                 score_threshold: float = 0.1, rules: RegionRules = RegionRules()
                 ) -> torch.Tensor:
    """The seven Spindle Net region boxes of each image (rules in the module docstring).

    Args:
        keypoints: ``(B, 14, 2)`` ``(x, y)`` in image pixels (AIC order).
        scores: ``(B, 14)`` joint confidences.
        image_size: ``(H, W)`` of the images.
        score_threshold: joints scoring below it are ignored.
        rules: the widening, squaring and minimum side (:class:`RegionRules`).
    Returns:
        ``(B, 7, 4)`` float32 ``(x0, y0, x1, y1)`` boxes in image pixels, in
        :data:`REGION_NAMES` order.
    """
    if (keypoints.ndim != 3 or keypoints.shape[1:] != (NUM_KEYPOINTS, 2)
            or scores.shape != keypoints.shape[:2]):
        raise ValueError(f'keypoints must be (B, {NUM_KEYPOINTS}, 2) and scores (B, '
                         f'{NUM_KEYPOINTS}); got {tuple(keypoints.shape)}, {tuple(scores.shape)}')
    H, W = _check_image_size(image_size)
    device = keypoints.device
    keypoints = keypoints.float()

    # 1. bounding box of the confident joints: (B, 7, 14) selection, reduced over joints.
    use = _REGION_MASK.to(device)[None] & (scores >= score_threshold)[:, None, :]
    xy = keypoints[:, None, :, :].expand(-1, NUM_REGIONS, -1, -1)  # (B, 7, 14, 2)
    inf = torch.tensor(float('inf'), device=device)
    low = torch.where(use[..., None], xy, inf).amin(dim=2)           # (B, 7, 2)
    high = torch.where(use[..., None], xy, -inf).amax(dim=2)
    found = use.any(dim=2)                                           # (B, 7)
    low, high = torch.where(found[..., None], low, 0.0), torch.where(found[..., None], high, 0.0)

    # 2. widen; 3. square the macro boxes; 4. minimum side.
    center = (low + high) / 2
    size = (high - low) * (1 + 2 * rules.widen)
    if rules.square_macro:
        macro = torch.arange(NUM_REGIONS, device=device) < NUM_MACRO_REGIONS
        square = size.amax(dim=-1, keepdim=True).expand_as(size)
        size = torch.where(macro[None, :, None], square, size)
    size = size.clamp(min=rules.min_side * H)

    # 5. shift into the image where the box fits, then clip.
    limit = torch.tensor([W, H], device=device)
    low = torch.minimum((center - size / 2).clamp(min=0), limit - size)
    boxes = torch.cat([low, low + size], dim=-1)
    boxes = torch.minimum(boxes.clamp(min=0), limit.repeat(2))

    defaults = _DEFAULT_BOXES.to(device) * limit.repeat(2)
    return torch.where(found[..., None], boxes, defaults[None])


def overlap_with_fixed_boxes(boxes: torch.Tensor, image_size: tuple[int, int]) -> torch.Tensor:
    """How far a pose model moves each region from its fixed box: the IoU ``(B, 7)`` of region
    boxes ``(B, 7, 4)`` (xyxy pixels of ``(H, W)`` images, :func:`region_boxes`) with the
    fall-back boxes of :data:`DEFAULT_BOXES`; 1 where the pose moved nothing."""
    from torchvision.ops import box_iou   # here: importing the pose package stays light

    H, W = _check_image_size(image_size)
    fixed = _DEFAULT_BOXES.to(boxes.device) * torch.tensor([W, H, W, H], device=boxes.device)
    return torch.cat([box_iou(boxes[:, k], fixed[k:k + 1]) for k in range(NUM_REGIONS)], dim=1)
