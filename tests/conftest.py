"""Test-session settings shared by every test module."""
import pytest
import torch


@pytest.fixture(autouse=True, scope='session')
def one_torch_thread():
    """One intra-op thread: the tests' tensors are tiny, and on a busy 2-core machine
    several threads per process oversubscribe the cores and run several times slower."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
