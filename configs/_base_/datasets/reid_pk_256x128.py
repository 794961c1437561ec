# The standard strong-baseline data recipe (Luo et al., "Bag of Tricks", CVPRW 2019; torchreid,
# fast-reid) for real datasets on GPUs: 256x128 crops, PK batches of 16 identities x 4 images,
# flip, padding-and-crop (zoom), random erasing. Validation on 10% of the training identities,
# held out of training (never the test split). A dataset file sets the three `source`s.
image_size = (256, 128)
validation = dict(num_ids=0.1, seed=0)
# The pose model of the heatmap caches (tools/precompute_heatmaps.py --config): MediaPipe
# BlazePose for real photographs, on padded crops with a flip test (docs/pose.md), 32x16
# heatmaps.
pose = dict(type='blazepose', pad=0.2, flip_test=True)
heatmap_size = (32, 16)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadHeatmaps'),
    dict(type='Resize', size=image_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomZoomCrop', zoom=1.125, prob=0.5),
    dict(type='PackReID'),
    dict(type='RandomErasing', prob=0.5),
]
test_pipeline = [dict(type='LoadImage'), dict(type='LoadHeatmaps'),
                 dict(type='Resize', size=image_size), dict(type='PackReID')]
train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='IdentitySampler', num_instances=4),
    drop_last=True,
    collate_fn=dict(type='reid_collate'),
    dataset=dict(type='ReIDDataset', split='train', heatmap_cache='auto', validation=validation,
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='reid_collate'),
    dataset=dict(type='ReIDDataset', split='test', heatmap_cache='auto', validation=validation,
                 pipeline=test_pipeline))
# the test split itself: the same loader, without held-out identities
test_dataloader = dict(val_dataloader, persistent_workers=False,
                       dataset=dict(val_dataloader['dataset'], validation=None))
val_evaluator = dict(type='ReIDMetric', ranks=(1, 5, 10))
test_evaluator = val_evaluator
