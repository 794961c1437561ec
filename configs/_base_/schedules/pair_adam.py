# The talk's recipe (M. Kolla, "Person Re-Identification"): Adam, pair cross-entropy, L2 (weight
# decay) and dropout (in the model); random negative pairs first, then a mix with mined hard
# negatives.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3e-4, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[40], gamma=0.1)]
train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=5)
# Two-stage ranking (validation and tools/test.py): each query's top_k by embedding distance
# re-scored by the verification head.
# batch_size: pairs per verify call (posereid.retrieval.two_stage.PAIR_BATCH_SIZE)
retrieval = dict(top_k=100, batch_size=128)
val_cfg = dict(type='TwoStageValLoop', **retrieval)
test_cfg = dict()
custom_hooks = [
    dict(type='InvalidLossHook'),
    dict(type='HardNegativeMiningHook', start_epoch=10, interval=5, num_candidates=10),
    dict(type='EpochSeedHook'),
]
