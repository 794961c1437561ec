# SpindleNet (ResNet-50) on CUHK03 (new protocol, detected boxes): the GPU recipe
# (docs/training.md).
_base_ = [
    '../_base_/models/spindle_r50.py', '../_base_/datasets/cuhk03_detected.py',
    '../_base_/schedules/strong_baseline.py', '../_base_/default_runtime.py'
]
