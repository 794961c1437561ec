# SpindleNet (ResNet-50) on VIPeR (316/316, split 0): the GPU recipe (docs/training.md).
_base_ = [
    '../_base_/models/spindle_r50.py', '../_base_/datasets/viper.py',
    '../_base_/schedules/strong_baseline.py', '../_base_/default_runtime.py'
]
