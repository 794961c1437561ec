"""Training and testing on mmengine: the Runner set-up (:func:`train`), hooks, two-stage
retrieval, evaluation of checkpoints (:func:`test`) and the cross-dataset matrix
(:func:`cross_dataset`). ``tools/train.py`` and ``tools/test.py`` only parse arguments and call
these."""
from .cross_dataset import cross_dataset
from .features import ExtractedFeatures, extract_features
from .heatmaps import build_cache_for_source, build_caches_for_config
from .hooks import EpochSeedHook, HardNegativeMiningHook, InvalidLossError, InvalidLossHook
from .retrieval import Ranking, all_pairs_ranking, two_stage_ranking, verification_log_odds
from .runner import build_runner, load_config, train
from .tester import evaluate_dataset, load_model, test
from .two_stage_val_loop import TwoStageValLoop

__all__ = [
    'train', 'test', 'cross_dataset', 'build_runner', 'load_config', 'load_model',
    'evaluate_dataset', 'extract_features', 'build_cache_for_source', 'build_caches_for_config',
    'ExtractedFeatures', 'Ranking', 'two_stage_ranking', 'all_pairs_ranking',
    'verification_log_odds', 'TwoStageValLoop', 'EpochSeedHook', 'HardNegativeMiningHook',
    'InvalidLossError', 'InvalidLossHook',
]
