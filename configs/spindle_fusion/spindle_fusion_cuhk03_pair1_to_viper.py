# spindle_fusion_cuhk03_pair1.py's model (the talk's setting), tested on all 632 VIPeR identities:
# python tools/test.py <this config> work_dirs/spindle_fusion_cuhk03_pair1
_base_ = [
    '../_base_/models/spindle_fusion.py', '../_base_/datasets/cuhk03_pair1_to_viper.py',
    '../_base_/schedules/pair_adam.py', '../_base_/default_runtime.py'
]
val_cfg = None   # no validation loop (../_base_/datasets/cuhk03_pair1.py)
