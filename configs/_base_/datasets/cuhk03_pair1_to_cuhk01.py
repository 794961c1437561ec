# The cross-dataset test of the talk "Person Re-Identification" (M. Kolla): a model trained on
# CUHK03 labeled camera pair 1 (./cuhk03_pair1.py) tested on all 971 CUHK01 identities, camera A
# querying camera B, single-gallery-shot; pair metrics on every positive pair with one random
# negative each.
_base_ = ['./cuhk03_pair1.py']
test_dataloader = dict(
    dataset=dict(source=dict(_delete_=True, name='cuhk01', num_train_ids=0, split_id=0)))
