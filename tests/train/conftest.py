"""Fixtures of the training-loop tests."""
import pytest

from tests.train._tasks import planted_partition


@pytest.fixture
def sbm():
    return planted_partition()
