# CUHK03 labeled, camera pair 1, in the 743/100 split of the talk "Person Re-Identification"
# (M. Kolla; source cuhk03_pair1, folder data_root/cuhk03_pair1), 160x60 crops as in Ahmed et al.
# (CVPR 2015), the pipelines of ./cuhk03_classic.py. The 100 validation identities are the test
# set: camera 1 queries a camera-2 gallery, single-gallery-shot, and the pair metrics take every
# positive pair with one random negative each. The talk trains on all 743 identities and tests
# the last checkpoint: no identity is held out and nothing validates (a model config adds
# val_cfg = None, the third of mmengine's three validation keys).
_base_ = ['./cuhk03_classic.py']
source = dict(_delete_=True, name='cuhk03_pair1', split_id=0)
validation = None
train_dataloader = dict(dataset=dict(source=source, validation=validation))
val_dataloader = None
val_evaluator = None
test_dataloader = dict(dataset=dict(source=source))
