# SiameseND (Ahmed et al.) with the strong-baseline heads on Market-1501: the GPU recipe
# (docs/training.md).
_base_ = [
    '../_base_/models/siamese_nd_strong.py', '../_base_/datasets/market1501.py',
    '../_base_/schedules/strong_baseline.py', '../_base_/default_runtime.py'
]
# SiameseND uses no pose: no heatmap cache needed.
train_dataloader = dict(dataset=dict(heatmap_cache=None))
val_dataloader = dict(dataset=dict(heatmap_cache=None))
test_dataloader = dict(dataset=dict(heatmap_cache=None))
