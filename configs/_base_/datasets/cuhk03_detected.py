# CUHK03 new protocol (Zhong et al., CVPR 2017), DPM-detected boxes: 767 training / 700 test
# identities; the Market protocol.
_base_ = ['./reid_pk_256x128.py']
source = dict(name='cuhk03', labeled=False, classic_split=False)
train_dataloader = dict(dataset=dict(source=source))
val_dataloader = dict(dataset=dict(source=source))
test_dataloader = dict(dataset=dict(source=source))
