# SpindleFusion: the Spindle embedding branch fused with the Siamese cross-input
# neighborhood-difference branch in one pair head (FC 256, dropout, FC 2), pair cross-entropy.
model = dict(
    type='SpindleFusion',
    input_size=(160, 60),
    spindle=dict(backbone=dict(type='SmallSpindleBackbone'), embedding_dim=256,
                 heatmap_mode='none'),
    siamese=dict(matching='nd', dropout=0.5),
    head_dim=256,
    dropout=0.5,
    # pair cross-entropy on the verification logits (the seed's loss), plus a batch-hard triplet
    # loss on the embeddings that shortlist the gallery for two-stage ranking
    losses=dict(pair=dict(type='PairCrossEntropyLoss'),
                triplet=dict(type='TripletLoss', margin=0.3)))
