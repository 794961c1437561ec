# SpindleFusion (ResNet-50 Spindle branch, Siamese ND + NCC) on DukeMTMC-reID: the GPU recipe
# (docs/training.md).
_base_ = [
    '../_base_/models/spindle_fusion_r50.py', '../_base_/datasets/dukemtmc.py',
    '../_base_/schedules/strong_baseline.py', '../_base_/default_runtime.py'
]
