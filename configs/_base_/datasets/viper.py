# VIPeR (data_root/viper): a random 316 training / 316 test identity split (split 0 of 20:
# 10 random splits x 2 query directions; all of them: tools/train_test_splits.py), evaluated
# single-gallery-shot. One image per identity and camera: K = 2 images per identity in a batch.
_base_ = ['./reid_pk_256x128.py']
source = dict(name='viper', split_id=0)
train_dataloader = dict(batch_size=32, sampler=dict(num_instances=2), dataset=dict(source=source))
val_dataloader = dict(dataset=dict(source=source))
test_dataloader = dict(dataset=dict(source=source))
