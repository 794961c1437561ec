# SpindleFusion on CUHK03 classic (Ahmed et al.'s setting): pair cross-entropy, Adam with L2
# (weight decay), dropout; pose heatmaps from <heatmap_root>/cuhk03 (tools/precompute_heatmaps.py
# --dataset cuhk03).
_base_ = [
    './_base_/models/spindle_fusion.py', './_base_/datasets/cuhk03_classic.py',
    './_base_/schedules/pair_adam.py', './_base_/default_runtime.py'
]
