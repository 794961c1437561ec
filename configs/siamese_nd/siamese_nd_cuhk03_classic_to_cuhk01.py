# siamese_nd.py's setting (Ahmed et al.'s: CUHK03 classic, 160x60 pairs), tested on all 971 CUHK01
# identities.
_base_ = [
    '../_base_/models/siamese_nd.py', '../_base_/datasets/cuhk03_classic_to_cuhk01.py',
    '../_base_/schedules/pair_adam.py', '../_base_/default_runtime.py'
]
# SiameseND uses no pose: no heatmap cache needed.
train_dataloader = dict(dataset=dict(heatmap_cache=None))
val_dataloader = dict(dataset=dict(heatmap_cache=None))
test_dataloader = dict(dataset=dict(heatmap_cache=None))
