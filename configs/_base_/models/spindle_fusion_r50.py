# SpindleFusion on a ResNet-50 Spindle branch (ImageNet weights from a local torchvision
# checkpoint: see checkpoints/README.md) and the Siamese ND + NCC matching branch, with the
# strong-baseline heads.
_base_ = ['./strong_baseline_heads.py']
model = dict(
    type='SpindleFusion',
    spindle=dict(backbone=dict(type='ResNet50Stages', last_stride=1,
                               pretrained='checkpoints/resnet50-0676ba61.pth'),
                 embedding_dim=512, heatmap_mode='none', share_region_stages=True),
    siamese=dict(matching='both', dropout=0.5),
    head_dim=512,
    dropout=0.5)
