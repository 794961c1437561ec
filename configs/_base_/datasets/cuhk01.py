# CUHK01 (data_root/cuhk01): a random 485 training / 486 test identity split (split 0 of 20:
# 10 random splits x 2 query directions; all of them: tools/train_test_splits.py), evaluated
# single-gallery-shot.
_base_ = ['./reid_pk_256x128.py']
source = dict(name='cuhk01', split_id=0)
train_dataloader = dict(dataset=dict(source=source))
val_dataloader = dict(dataset=dict(source=source))
test_dataloader = dict(dataset=dict(source=source))
