"""posereid's registries, children of mmengine's root registries.

Because each is a child of the matching mmengine registry, ``mmengine.Runner.from_cfg`` finds
posereid classes when a config sets ``default_scope = 'posereid'`` (or names them as
``'posereid.ClassName'``). ``locations`` lets a registry import the modules that fill it the first
time it is asked for a name, so a config never needs ``custom_imports``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['posereid.models'])
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['posereid.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['posereid.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, locations=['posereid.datasets'])
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['posereid.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=['posereid.evaluation'])
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['posereid.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['posereid.engine'])
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, locations=['posereid.visualization'])
