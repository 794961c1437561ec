"""Fixtures shared by the test modules (helpers and constants: tests/common.py). The worlds and
models built from fixed seeds are session-scoped: built once, read by every module that asks."""
from pathlib import Path

import pytest
import torch
from common import (CONFIGS, SHIPPED_POSE, TRACKED, VIDEO, make_world,
                    save_untrained_checkpoint, tiny_options)

from posereid.datasets.synthetic import generate_video_world


@pytest.fixture(autouse=True, scope='session')
def one_torch_thread():
    """One intra-op thread: the tests' tensors are tiny, and on a busy 2-core machine
    several threads per process oversubscribe the cores and run several times slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope='session')
def world(tmp_path_factory) -> Path:
    """The small embedded world under ``data/synthetic`` and ground-truth heatmap caches of
    its market and cuhk01 domains under ``heatmaps`` (:func:`common.make_world`). Tests that
    change one of its images put it back."""
    return make_world(tmp_path_factory.mktemp('world'))


@pytest.fixture(scope='session')
def synthetic_world(world) -> Path:
    """The small world's folder of domains (``market``, ``duke``, ``cuhk01``)."""
    return world / 'data' / 'synthetic'


@pytest.fixture(scope='session')
def market(synthetic_world) -> Path:
    """The small world's market domain."""
    return synthetic_world / 'market'


@pytest.fixture(scope='session')
def video(tmp_path_factory) -> Path:
    """The tiny video world (:data:`common.VIDEO`): camera folders ``c1``, ``c2``."""
    root = tmp_path_factory.mktemp('video')
    generate_video_world(VIDEO, root, workers=1)
    return root


@pytest.fixture(scope='session')
def tracked_video(tmp_path_factory) -> Path:
    """The tiny video world at 8 fps (:data:`common.TRACKED`), for IoU tracking."""
    root = tmp_path_factory.mktemp('tracked_video')
    generate_video_world(TRACKED, root, workers=1)
    return root


@pytest.fixture(scope='session')
def fusion(world, tmp_path_factory):
    """The predictor of an untrained tiny SpindleFusion, with the shipped pose network."""
    from posereid.apis import init_predictor

    options = tiny_options(world, 'SpindleFusion')
    checkpoint = save_untrained_checkpoint(CONFIGS['SpindleFusion'], options,
                                           tmp_path_factory.mktemp('model') / 'fusion.pth')
    return init_predictor(CONFIGS['SpindleFusion'], checkpoint, 'cpu', options, pose=SHIPPED_POSE)


@pytest.fixture(scope='session')
def tiny_fusion(world, tmp_path_factory):
    """A tiny SpindleFusion config file (with the shipped pose network) and its untrained
    checkpoint, for the tools."""
    from posereid.engine import load_config

    folder = tmp_path_factory.mktemp('tiny_fusion')
    cfg = load_config(CONFIGS['SpindleFusion'], tiny_options(world, 'SpindleFusion'))
    cfg.pose = SHIPPED_POSE
    cfg.dump(str(folder / 'tiny.py'))
    return folder / 'tiny.py', save_untrained_checkpoint(folder / 'tiny.py', {},
                                                         folder / 'tiny.pth')
