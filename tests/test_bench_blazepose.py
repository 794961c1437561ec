"""bench_blazepose's variants: each passes every option it compares, so that none silently runs
with the backend's defaults (no mediapipe run)."""
from __future__ import annotations

import importlib
import inspect
from itertools import combinations
from pathlib import Path

import pytest

from posereid.pose.blazepose import BlazePoseBackend

BENCHMARKS = Path(__file__).resolve().parents[1] / 'benchmarks'


@pytest.fixture(scope='module')
def variants() -> dict[str, dict]:
    """``VARIANTS`` of the script, imported as ``python benchmarks/bench_blazepose.py`` would
    (its folder first on the path, for its sibling ``machine``)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module('bench_blazepose').VARIANTS


def test_every_variant_sets_every_compared_option_of_the_backend(variants):
    compared = set().union(*variants.values())
    assert compared == {'pad', 'flip_test'}
    assert compared <= set(inspect.signature(BlazePoseBackend).parameters)
    for name, options in variants.items():
        assert set(options) == compared, name


def test_variants_differ_pairwise_and_one_is_the_backends_default(variants):
    for (a, options_a), (b, options_b) in combinations(variants.items(), 2):
        assert options_a != options_b, (a, b)
    defaults = {name: parameter.default for name, parameter
                in inspect.signature(BlazePoseBackend).parameters.items()}
    assert variants['pad+flip'] == {name: defaults[name] for name in variants['pad+flip']}
    assert variants['plain'] == dict(pad=0.0, flip_test=False)
