# CUHK03 labeled camera pair 1 in the 743/100 split of the talk "Person Re-Identification" (M.
# Kolla), in the GPU data recipe (./reid_pk_256x128.py: 256x128 crops, PK batches, flip, zoom,
# random erasing). As in ./cuhk03_pair1.py the 100 validation identities are the test set and
# nothing is held out of training: a model config adds val_cfg = None.
_base_ = ['./reid_pk_256x128.py']
source = dict(name='cuhk03_pair1', split_id=0)
validation = None
train_dataloader = dict(dataset=dict(source=source, validation=validation))
val_dataloader = None
val_evaluator = None
test_dataloader = dict(dataset=dict(source=source))
