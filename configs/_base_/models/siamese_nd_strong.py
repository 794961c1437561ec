# Ahmed et al.'s Siamese network (tied convolutions, neighborhood differences, patch summary)
# with the strong-baseline heads, its embedding the flattened tied maps. It uses no pose.
_base_ = ['./strong_baseline_heads.py']
model = dict(type='SiameseND', matching='nd', branch=dict(dropout=0.5))
