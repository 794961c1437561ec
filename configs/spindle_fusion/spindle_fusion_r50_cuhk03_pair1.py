# SpindleFusion in the ResNet-50 GPU recipe (strong-baseline heads, PK batches, mixed precision)
# on CUHK03 labeled camera pair 1 in the talk's 743/100 split. From scratch: no ImageNet weights
# exist here (with them, set model.spindle.backbone.pretrained; checkpoints/README.md).
_base_ = [
    '../_base_/models/spindle_fusion_r50.py', '../_base_/datasets/cuhk03_pair1_256x128.py',
    '../_base_/schedules/strong_baseline.py', '../_base_/default_runtime.py'
]
model = dict(spindle=dict(backbone=dict(pretrained=None)))
val_cfg = None   # no validation loop (../_base_/datasets/cuhk03_pair1_256x128.py)
