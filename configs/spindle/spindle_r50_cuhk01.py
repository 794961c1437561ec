# SpindleNet (ResNet-50) on CUHK01 (485/486, split 0): the GPU recipe (docs/training.md).
_base_ = [
    '../_base_/models/spindle_r50.py', '../_base_/datasets/cuhk01.py',
    '../_base_/schedules/strong_baseline.py', '../_base_/default_runtime.py'
]
