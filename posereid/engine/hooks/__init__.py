"""Training hooks: NaN/inf loss check, per-epoch reseeding for exact resumes, hard-negative
mining, progress bars for a quiet console."""
from .epoch_seed import EpochSeedHook, epoch_seed
from .hard_negative_mining import HardNegativeMiningHook, hardest_negatives
from .invalid_loss import InvalidLossError, InvalidLossHook
from .progress_bar import ProgressBarHook

__all__ = ['EpochSeedHook', 'epoch_seed', 'HardNegativeMiningHook', 'hardest_negatives',
           'InvalidLossError', 'InvalidLossHook', 'ProgressBarHook']
