"""The op tests compare the compiled kernels with graphlearn.ops.reference. Without the
extension every op falls back to that reference, so they would compare it with itself
and pass without testing anything: they skip with the reason instead (and fail under
GRAPHLEARN_REQUIRE_COMPILED=1, as `make test` runs them). The fallback itself is
tested in tests/test_ext.py."""
import pytest

from tests.conftest import require_compiled


@pytest.fixture(autouse=True)
def _compiled_kernels_only():
    require_compiled()
