# The talk's cross-dataset test (all of CUHK01) after Ahmed et al.'s setting: trained on CUHK03
# classic (labeled, split 0; 160x60 pairs, as ./cuhk03_classic.py) and tested on all 971 identities
# of CUHK01, camera A against camera B, single-gallery-shot.
_base_ = ['./cuhk03_classic.py']
test_dataloader = dict(
    dataset=dict(source=dict(_delete_=True, name='cuhk01', num_train_ids=0, split_id=0)))
