# CUHK03 classic (labeled boxes, 1367 training / 100 test identities, split 0 of 20), 160x60
# crops as in Ahmed et al. (CVPR 2015). Evaluated single-gallery-shot; all 20 splits:
# tools/train_test_splits.py. See docs/training.md on comparing with Li et al. / Ahmed et al.
_base_ = ['./reid_pairs.py']
source = dict(name='cuhk03', labeled=True, classic_split=True)
image_size = (160, 60)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadHeatmaps'),
    dict(type='Resize', size=image_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomTranslate', max_shift=0.05),
    dict(type='PackReID'),
]
test_pipeline = train_pipeline[:3] + train_pipeline[-1:]  # load, resize, pack
train_dataloader = dict(dataset=dict(source=source, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(source=source, pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(source=source, pipeline=test_pipeline))
