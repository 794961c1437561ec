# MSMT17 (data_root/msmt17, V1 or V2): 1041 training / 3060 test identities, 15 cameras; the
# Market protocol (11,659 queries x 82,161 gallery images).
_base_ = ['./reid_pk_256x128.py']
source = 'msmt17'
train_dataloader = dict(dataset=dict(source=source))
val_dataloader = dict(dataset=dict(source=source))
test_dataloader = dict(dataset=dict(source=source))
