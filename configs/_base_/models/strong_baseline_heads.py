# The strong-baseline heads (Luo et al., "Bag of Tricks", CVPRW 2019) on any posereid model: a
# BNNeck embedding, identity cross-entropy with label smoothing, batch-hard triplet, and the pair
# loss on each image's hardest positive and negative in the batch (PK batches). num_classes is
# counted from the training source.
model = dict(
    neck=True,
    pair_mining='batch_hard',
    losses=dict(pair=dict(type='PairCrossEntropyLoss'),
                identity=dict(type='CrossEntropyLabelSmooth', epsilon=0.1),
                triplet=dict(type='TripletLoss', margin=0.3)))
