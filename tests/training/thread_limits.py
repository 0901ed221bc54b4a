"""A fixture that runs a test module's tests with one torch thread."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def single_torch_thread():
    """Use one torch thread: on a busy 2-core machine two threads wait on each other and small convolutions
    slow down by orders of magnitude."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
