# SiameseND on CUHK03 classic (Ahmed et al.'s setting): pair cross-entropy, Adam with L2, dropout.
_base_ = [
    './_base_/models/siamese_nd.py', './_base_/datasets/cuhk03_classic.py',
    './_base_/schedules/pair_adam.py', './_base_/default_runtime.py'
]
# SiameseND uses no pose: no heatmap cache needed.
train_dataloader = dict(dataset=dict(heatmap_cache=None))
val_dataloader = dict(dataset=dict(heatmap_cache=None))
test_dataloader = dict(dataset=dict(heatmap_cache=None))
