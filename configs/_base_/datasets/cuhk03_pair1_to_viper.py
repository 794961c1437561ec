# The cross-dataset test of a model trained in the talk's setting (./cuhk03_pair1.py): all 632
# VIPeR identities, camera A querying camera B, single-gallery-shot; pair metrics on every
# identity's cross-camera pair with one random negative each.
_base_ = ['./cuhk03_pair1.py']
test_dataloader = dict(
    dataset=dict(source=dict(_delete_=True, name='viper', num_train_ids=0, split_id=0)))
