# Runtime shared by every posereid config (mmengine python config).
default_scope = 'posereid'

# Root of every dataset. None: posereid.utils.paths.data_root() ($POSEREID_DATA, else ./data).
# Override with --cfg-options data_root=/path/to/data.
data_root = None
# Heatmap caches: a dataset with heatmap_cache='auto' reads <heatmap_root>/<dataset name>
# (built by tools/precompute_heatmaps.py --dataset NAME --out <heatmap_root>/NAME).
heatmap_root = 'work_dirs/heatmaps'

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2,
                    save_best='two_stage/rank1', rule='greater'),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
env_cfg = dict(cudnn_benchmark=False,
               mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0))
vis_backends = [dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
log_processor = dict(by_epoch=True, window_size=20)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)
