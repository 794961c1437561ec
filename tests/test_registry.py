import torch
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.registry import MODELS as MMENGINE_MODELS

from posereid.registry import DATASETS, METRICS, MODELS


def test_registries_are_children_of_mmengine_roots():
    assert MODELS.parent is MMENGINE_MODELS
    assert MODELS.scope == 'posereid'
    assert DATASETS.scope == METRICS.scope == 'posereid'


def test_a_posereid_model_is_built_through_mmengine_in_the_posereid_scope():
    @MODELS.register_module(force=True)
    class _TinyProbe(BaseModel):
        def __init__(self, width=3):
            super().__init__()
            self.linear = torch.nn.Linear(width, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.linear(inputs)

    try:
        with DefaultScope.overwrite_default_scope('posereid'):
            model = MMENGINE_MODELS.build(dict(type='_TinyProbe', width=5))
        assert isinstance(model, _TinyProbe)
        assert model.linear.in_features == 5
    finally:
        MODELS._module_dict.pop('_TinyProbe')


def test_a_posereid_build_finds_posereid_names_whatever_scope_is_current():
    from mmengine.registry import DefaultScope

    with DefaultScope.overwrite_default_scope('mmengine'):
        loss = MODELS.build(dict(type='PairCrossEntropyLoss'))
        assert type(loss).__name__ == 'PairCrossEntropyLoss'
        assert DefaultScope.get_current_instance().scope_name == 'mmengine'   # restored
