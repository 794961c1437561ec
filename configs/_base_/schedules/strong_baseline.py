# The strong-baseline schedule (Luo et al., "Bag of Tricks", CVPRW 2019), for GPUs: Adam 3.5e-4
# with weight decay 5e-4, linear warm-up from 1% over 10 epochs, then the learning rate divided
# by 10 at epochs 40 and 70, 120 epochs; mixed precision on CUDA (a plain optimizer on the CPU).
# For a cosine decay instead, use ./strong_baseline_cosine.py.
optim_wrapper = dict(type='AmpOptimWrapper', dtype='float16',
                     optimizer=dict(type='Adam', lr=3.5e-4, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[40, 70], gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=120, val_interval=10)
# Two-stage ranking: each query's top_k by embedding distance re-scored by the verification
# head, in batches of batch_size pairs (a GPU takes large batches).
retrieval = dict(top_k=100, batch_size=1024)
val_cfg = dict(type='TwoStageValLoop', **retrieval)
test_cfg = dict()
custom_hooks = [dict(type='InvalidLossHook'), dict(type='EpochSeedHook')]
