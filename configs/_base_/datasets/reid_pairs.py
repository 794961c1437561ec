# Pair training and query/gallery testing on one dataset. A dataset file sets `source` and the
# pipelines; the evaluation protocol is the source's (ReIDSource.protocol).
train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='PairSampler', max_positive_pairs_per_id=20, hard_negative_ratio=0.5),
    collate_fn=dict(type='reid_collate'),
    dataset=dict(type='ReIDDataset', split='train', heatmap_cache='auto'))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='reid_collate'),
    dataset=dict(type='ReIDDataset', split='test', heatmap_cache='auto'))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReIDMetric', ranks=(1, 5, 10))
test_evaluator = val_evaluator
