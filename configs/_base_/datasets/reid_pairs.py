# Pair training and query/gallery testing on one dataset (the talk's recipe, CPU-sized). A
# dataset file sets `source` and the pipelines; the evaluation protocol is the source's
# (ReIDSource.protocol). Validation on 10% of the training identities, held out of training
# (never the test split).
validation = dict(num_ids=0.1, seed=0)
# The pose model of the heatmap caches (tools/precompute_heatmaps.py --config): MediaPipe
# BlazePose for real photographs, on padded crops with a flip test (docs/pose.md), 32x16
# heatmaps.
pose = dict(type='blazepose', pad=0.2, flip_test=True)
heatmap_size = (32, 16)
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='PairSampler', max_positive_pairs_per_id=20, hard_negative_ratio=0.5),
    collate_fn=dict(type='reid_collate'),
    dataset=dict(type='ReIDDataset', split='train', heatmap_cache='auto', validation=validation))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='reid_collate'),
    dataset=dict(type='ReIDDataset', split='test', heatmap_cache='auto', validation=validation))
# the test split itself: the same loader, without held-out identities
test_dataloader = dict(val_dataloader, persistent_workers=False,
                       dataset=dict(val_dataloader['dataset'], validation=None))
val_evaluator = dict(type='ReIDMetric', ranks=(1, 5, 10))
test_evaluator = val_evaluator
