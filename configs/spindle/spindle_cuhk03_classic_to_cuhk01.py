# spindle.py's setting (Ahmed et al.'s: CUHK03 classic, 160x60 pairs), tested on all 971 CUHK01
# identities.
_base_ = [
    '../_base_/models/spindle.py', '../_base_/datasets/cuhk03_classic_to_cuhk01.py',
    '../_base_/schedules/pair_adam.py', '../_base_/default_runtime.py'
]
