# The strong-baseline schedule with a cosine decay after the warm-up (as fast-reid's default).
_base_ = ['./strong_baseline.py']
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=10, end=120, T_max=110, eta_min=7e-7,
         convert_to_iter_based=True),
]
