# SiameseND (Ahmed et al., CVPR 2015) in the setting of the talk "Person Re-Identification" (M.
# Kolla): CUHK03 labeled camera pair 1, all 743 training identities, 160x60 pairs, Adam, pair
# cross-entropy, L2, dropout; its last checkpoint tested on the 100 validation identities.
_base_ = [
    '../_base_/models/siamese_nd.py', '../_base_/datasets/cuhk03_pair1.py',
    '../_base_/schedules/pair_adam.py', '../_base_/default_runtime.py'
]
val_cfg = None   # no validation loop (../_base_/datasets/cuhk03_pair1.py)
# SiameseND uses no pose: no heatmap cache needed.
train_dataloader = dict(dataset=dict(heatmap_cache=None))
test_dataloader = dict(dataset=dict(heatmap_cache=None))
