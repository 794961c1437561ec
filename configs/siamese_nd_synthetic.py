# SiameseND on the embedded world's market domain: a few short CPU epochs (make demo).
_base_ = [
    './_base_/models/siamese_nd.py', './_base_/datasets/synthetic_market.py',
    './_base_/schedules/pair_adam_short.py', './_base_/default_runtime.py'
]
train_dataloader = dict(dataset=dict(heatmap_cache=None))
val_dataloader = dict(dataset=dict(heatmap_cache=None))
test_dataloader = dict(dataset=dict(heatmap_cache=None))
