"""posereid's registries, children of mmengine's root registries.

Because each is a child of the matching mmengine registry, ``mmengine.Runner.from_cfg`` finds
posereid classes when a config sets ``default_scope = 'posereid'`` (or names them as
``'posereid.ClassName'``). ``locations`` lets a registry import the modules that fill it the first
time it is asked for a name, so a config never needs ``custom_imports``. A ``build`` on one of
these registries looks names up in posereid's scope whatever scope is current (after an
mmpose model is built, mmpose's is).
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
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import DefaultScope
from mmengine.registry import Registry as MMEngineRegistry


class Registry(MMEngineRegistry):
    """mmengine's ``Registry``; :meth:`build` runs in this registry's own scope."""

    def build(self, cfg, *args, **kwargs):
        with DefaultScope.overwrite_default_scope(self.scope):
            return super().build(cfg, *args, **kwargs)


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
# posereid adds nothing to these; the children exist so that building e.g. an optimizer in the
# 'posereid' scope finds mmengine's classes without a "failed to search registry" warning.
FUNCTIONS = Registry('function', parent=MMENGINE_FUNCTIONS, locations=['posereid.datasets'])
OPTIMIZERS = Registry('optimizer', parent=MMENGINE_OPTIMIZERS)
OPTIM_WRAPPERS = Registry('optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS)
OPTIM_WRAPPER_CONSTRUCTORS = Registry('optimizer wrapper constructor',
                                      parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS)
PARAM_SCHEDULERS = Registry('parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS)
VISBACKENDS = Registry('vis_backend', parent=MMENGINE_VISBACKENDS)
LOG_PROCESSORS = Registry('log_processor', parent=MMENGINE_LOG_PROCESSORS)
WEIGHT_INITIALIZERS = Registry('weight initializer', parent=MMENGINE_WEIGHT_INITIALIZERS)
