# SpindleNet (ResNet-50) on Market-1501: the GPU recipe (docs/training.md).
_base_ = [
    '../_base_/models/spindle_r50.py', '../_base_/datasets/market1501.py',
    '../_base_/schedules/strong_baseline.py', '../_base_/default_runtime.py'
]
