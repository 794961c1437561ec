# The embedded world's market domain (128x64, 6 cameras; data/synthetic/market), small loaders
# for CPU training.
_base_ = ['./reid_pairs.py']
source = 'synthetic_market'
# heatmaps by the shipped embedded-world pose network (checkpoints/README.md)
pose = dict(_delete_=True, type='mmpose', config='configs/pose/res18w16_synthetic_64x32.py',
            checkpoint='checkpoints/pose_synthetic_res18w16_64x32.pth', flip_test=True)
image_size = (128, 64)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadHeatmaps'),
    dict(type='Resize', size=image_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackReID'),
]
test_pipeline = train_pipeline[:3] + train_pipeline[-1:]  # load, resize, pack
train_dataloader = dict(
    batch_size=32, num_workers=0, persistent_workers=False,
    sampler=dict(max_positive_pairs_per_id=2),
    dataset=dict(source=source, pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(source=source, pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, dataset=dict(source=source, pipeline=test_pipeline))
