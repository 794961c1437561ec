# DukeMTMC-reID (data_root/dukemtmc-reid): 702 training / 702 test identities, 8 cameras; the
# Market protocol. Its authors withdrew the dataset (docs/datasets.md): use it only where its
# terms allow.
_base_ = ['./reid_pk_256x128.py']
source = 'dukemtmc'
train_dataloader = dict(dataset=dict(source=source))
val_dataloader = dict(dataset=dict(source=source))
test_dataloader = dict(dataset=dict(source=source))
