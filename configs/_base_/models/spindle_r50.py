# Spindle Net on a ResNet-50 (ImageNet weights from a local torchvision checkpoint: see
# checkpoints/README.md; nothing is downloaded) with the strong-baseline heads.
_base_ = ['./strong_baseline_heads.py']
model = dict(
    type='SpindleNet',
    branch=dict(backbone=dict(type='ResNet50Stages', last_stride=1,
                              pretrained='checkpoints/resnet50-0676ba61.pth'),
                embedding_dim=512, heatmap_mode='none', share_region_stages=True),
    head_dim=512,
    dropout=0.5)
