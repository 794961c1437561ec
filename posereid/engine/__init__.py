"""Training and testing on mmengine: the Runner set-up (:func:`train`), hooks, evaluation of
checkpoints (:func:`test`) and the cross-dataset matrix (:func:`cross_dataset`).
``tools/train.py`` and ``tools/test.py`` only parse arguments and call these. Two-stage
retrieval itself needs no training stack: :mod:`posereid.retrieval`."""
from .cross_dataset import cross_dataset
from .features import ExtractedFeatures, extract_features
from .heatmaps import build_cache_for_source, build_caches_for_config
from .hooks import EpochSeedHook, HardNegativeMiningHook, InvalidLossError, InvalidLossHook
from .config import load_config
from .runner import build_runner, train
from .tester import evaluate_dataset, load_model, test
from .two_stage_val_loop import TwoStageValLoop

__all__ = [
    'train', 'test', 'cross_dataset', 'build_runner', 'load_config', 'load_model',
    'evaluate_dataset', 'extract_features', 'build_cache_for_source', 'build_caches_for_config',
    'ExtractedFeatures', 'TwoStageValLoop', 'EpochSeedHook', 'HardNegativeMiningHook',
    'InvalidLossError', 'InvalidLossHook',
]
