# Market-1501 (data_root/market1501): 751 training / 750 test identities, 6 cameras; the Market
# protocol (same-camera matches left out, distractors in the gallery, junk dropped).
_base_ = ['./reid_pk_256x128.py']
source = 'market1501'
train_dataloader = dict(dataset=dict(source=source))
val_dataloader = dict(dataset=dict(source=source))
test_dataloader = dict(dataset=dict(source=source))
