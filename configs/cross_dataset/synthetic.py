# The default train-on-A x test-on-B matrix (tools/test.py --cross-dataset): SpindleFusion
# trained on each domain of the embedded world, tested on every domain. Paths are relative to
# the working directory (the checkout). A row whose checkpoint is missing is reported as
# missing; train it with e.g.
#   python tools/train.py configs/spindle_fusion_synthetic.py \
#       --work-dir work_dirs/spindle_fusion_synthetic_duke --cfg-options \
#       train_dataloader.dataset.source=synthetic_duke val_dataloader.dataset.source=synthetic_duke
targets = ['synthetic_market', 'synthetic_duke', 'synthetic_cuhk01']
sources = [
    dict(name='synthetic_market', config='configs/spindle_fusion_synthetic.py',
         checkpoint='work_dirs/spindle_fusion_synthetic', targets=targets),
    dict(name='synthetic_duke', config='configs/spindle_fusion_synthetic.py',
         checkpoint='work_dirs/spindle_fusion_synthetic_duke', targets=targets),
    dict(name='synthetic_cuhk01', config='configs/spindle_fusion_synthetic.py',
         checkpoint='work_dirs/spindle_fusion_synthetic_cuhk01', targets=targets),
]
