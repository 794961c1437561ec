# SpindleNet (Zhao et al., CVPR 2017) in the setting of the talk "Person Re-Identification" (M.
# Kolla): CUHK03 labeled camera pair 1, all 743 training identities, 160x60 pairs, Adam, pair
# cross-entropy, L2, dropout; its last checkpoint tested on the 100 validation identities.
_base_ = [
    '../_base_/models/spindle.py', '../_base_/datasets/cuhk03_pair1.py',
    '../_base_/schedules/pair_adam.py', '../_base_/default_runtime.py'
]
val_cfg = None   # no validation loop (../_base_/datasets/cuhk03_pair1.py)
