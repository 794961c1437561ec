# posereid's own pose model: a SimpleBaseline-style ResNet-18 at a quarter width (16 base
# channels, features at 1/16, three deconvolutions to 1/2), top-down heatmaps, AIC-14
# keypoints, crops seen at 64x32 (half the world's 128x64: a CPU-sized model),
# trained with mmpose on the embedded synthetic world (all domains' train ids; val = held-out
# ids). An mmpose config (default_scope='mmpose'): mmpose's registries build everything here.
#
#   python tools/train_pose.py configs/pose/res18w16_synthetic_64x32.py   # train + export
#   python tools/evaluate_pose.py                                             # PCK@0.2 report
#
# tools/train_pose.py points `data_root` at --data-root (default <data_root()>/synthetic).
default_scope = 'mmpose'
data_root = 'data/synthetic'
domains = ('market', 'duke', 'cuhk01')

# runtime
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=10)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='Adam', lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='CosineAnnealingLR', begin=0, end=30, T_max=30, eta_min=2e-5, by_epoch=True),
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1, save_best='PCK',
                    rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='PoseLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(type='LogProcessor', window_size=25, by_epoch=True, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)

# codec: 64x32 input, heatmaps at 1/2. An integer sigma: mmpose's MSRA target generator
# truncates `mu - 3 sigma`, which shifts targets near the border for fractional sigmas.
codec = dict(type='MSRAHeatmap', input_size=(32, 64), heatmap_size=(16, 32), sigma=2)

model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # CPU-sized: standard 3x3 convolutions (depthwise ones train slowly on CPUs), 0.7 M weights
    backbone=dict(type='ResNet', depth=18, stem_channels=16, base_channels=16, out_indices=(2,)),
    head=dict(
        type='HeatmapHead',
        in_channels=64,
        out_channels=14,
        deconv_out_channels=(64, 32, 32),
        deconv_kernel_sizes=(4, 4, 4),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=codec),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=True),
)

# data: COCO-style keypoint JSONs of the world, read with mmpose's AI-Challenger metainfo
dataset_type = 'AicDataset'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', shift_factor=0.05, shift_prob=0.5, scale_factor=(0.85, 1.15),
         rotate_factor=15.0, rotate_prob=0.5),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs'),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='PackPoseInputs'),
]


def _split(split, pipeline, test_mode):
    return [dict(type=dataset_type, data_root=f'{data_root}/{domain}', data_mode='topdown',
                 ann_file=f'annotations/person_keypoints_{split}.json', data_prefix=dict(img=''),
                 test_mode=test_mode, pipeline=pipeline) for domain in domains]


train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ConcatDataset', datasets=_split('train', train_pipeline, False)))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(type='ConcatDataset', datasets=_split('val', val_pipeline, True)))
test_dataloader = val_dataloader
# PCK at 0.05 of the box size, to pick the best epoch; tools/evaluate_pose.py reports the
# torso-normalised PCK@0.2
val_evaluator = dict(type='PCKAccuracy', thr=0.05, norm_item='bbox')
test_evaluator = val_evaluator
