# SpindleFusion: the Spindle embedding branch fused with the Siamese cross-input matching
# branch in one pair head (FC 256, dropout, FC 2), pair cross-entropy. The Siamese branch
# matches with both neighborhood differences and normalized cross-correlation ('both'): with
# ND alone the fusion lost to Spindle alone on one seed of three in the ablation
# (docs/ablation.md); 'nd' is Ahmed et al.'s original, 'ncc' Subramaniam et al.'s.
model = dict(
    type='SpindleFusion',
    spindle=dict(backbone=dict(type='SmallSpindleBackbone'), embedding_dim=256,
                 heatmap_mode='none'),
    siamese=dict(matching='both', dropout=0.5),
    head_dim=256,
    dropout=0.5,
    # pair cross-entropy on the verification logits (the talk's loss), plus a batch-hard triplet
    # loss on the embeddings that shortlist the gallery for two-stage ranking
    losses=dict(pair=dict(type='PairCrossEntropyLoss'),
                triplet=dict(type='TripletLoss', margin=0.3)))
