# Spindle Net (Zhao et al., CVPR 2017): seven body regions from the pose heatmaps, pooled from
# a three-stage CNN and fused by a tree of max-fusion units; a pair head (FC, dropout, FC 2)
# verifies pairs of embeddings, trained with pair cross-entropy.
model = dict(
    type='SpindleNet',
    branch=dict(backbone=dict(type='SmallSpindleBackbone'), embedding_dim=256,
                heatmap_mode='none'),
    head_dim=256,
    dropout=0.5,
    # pair cross-entropy on the verification logits (the talk's loss), plus a batch-hard triplet
    # loss on the embeddings that shortlist the gallery for two-stage ranking
    losses=dict(pair=dict(type='PairCrossEntropyLoss'),
                triplet=dict(type='TripletLoss', margin=0.3)))
