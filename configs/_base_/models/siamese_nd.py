# Ahmed et al. (CVPR 2015): tied convolutions, cross-input neighborhood differences, patch
# summary, FC 500 with dropout, 2-way softmax trained with pair cross-entropy.
model = dict(
    type='SiameseND',
    matching='nd',
    branch=dict(dropout=0.5),
    losses=dict(pair=dict(type='PairCrossEntropyLoss')))
