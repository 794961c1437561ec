# A few short epochs on CPU, for the embedded synthetic world (make demo): about 230
# iterations of 32 images on the default world's market domain.
_base_ = ['./pair_adam.py']
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[5], gamma=0.1)]
train_cfg = dict(by_epoch=True, max_epochs=6, val_interval=6)
# verification passes cost ~1-3 ms a pair on a CPU: a short shortlist keeps validation and
# tools/test.py at ~10k passes on the default world (tools/test.py --top-k overrides)
# batch_size: pairs per verify call (posereid.retrieval.two_stage.PAIR_BATCH_SIZE)
retrieval = dict(top_k=20, batch_size=128)
val_cfg = dict(type='TwoStageValLoop', **retrieval)
custom_hooks = [
    dict(type='InvalidLossHook'),
    dict(type='HardNegativeMiningHook', start_epoch=2, interval=2, num_candidates=10),
    dict(type='EpochSeedHook'),
]
