# SpindleNet on the embedded world's market domain: a few short CPU epochs (make demo); pose
# heatmaps from <heatmap_root>/synthetic_market.
_base_ = [
    './_base_/models/spindle.py', './_base_/datasets/synthetic_market.py',
    './_base_/schedules/pair_adam_short.py', './_base_/default_runtime.py'
]
