"""Shared fixtures: messy random graphs, thread control, data location."""
from __future__ import annotations

import contextlib
import os
from typing import List

import pytest
import torch

from graphlearn import CSR, ops
from graphlearn.datasets import default_root, random_graph

FLOATS = [torch.float32, torch.float64]
INDEX = [torch.int32, torch.int64]


def tol(dtype):
    return dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-10, atol=1e-12)


@contextlib.contextmanager
def num_threads(n: int):
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def messy_csr(num_nodes=60, num_edges=400, seed=0, index_dtype=torch.int64, weighted=False, dtype=torch.float64,
              num_cols=None, heads=None):
    """Random graph with a hub, duplicate edges, self-loops, isolated nodes and
    empty rows (duplicates are kept: they must be summed like separate edges)."""
    ei = random_graph(num_nodes, num_edges, seed=seed)
    if num_cols is not None:
        ei[1] = ei[1] % num_cols
    g = torch.Generator().manual_seed(seed + 1)
    value = None
    if weighted:
        shape = (ei.size(1),) if heads is None else (ei.size(1), heads)
        value = torch.rand(shape, generator=g, dtype=dtype) + 0.1
    return CSR.from_edge_index(ei, num_nodes, value, num_cols=num_cols, index_dtype=index_dtype)


def big_csr(seed=0, index_dtype=torch.int64):
    """Enough work to run on several threads (kernels stay serial on tiny inputs)."""
    return messy_csr(4000, 60000, seed=seed, index_dtype=index_dtype)


def require_compiled() -> None:
    """Skips the calling test, naming why, when the compiled core is not loaded; under
    GRAPHLEARN_REQUIRE_COMPILED=1 (CI, `make test`) fails it instead."""
    required = os.environ.get("GRAPHLEARN_REQUIRE_COMPILED", "0") == "1"
    try:
        if ops.compiled():
            return
        reason = ops.load_error()
    except ImportError as exc:  # raised by the first load attempt when the core is required
        reason = str(exc)
    if required:
        pytest.fail(f"GRAPHLEARN_REQUIRE_COMPILED=1 but the compiled core is not loaded: {reason}")
    pytest.skip(f"the compiled core is not loaded: {reason}")


def graphlearn_schemas() -> List[str]:
    """Names of the operators registered under torch.ops.graphlearn, from the dispatcher."""
    names = set()
    for qualname in torch._C._dispatch_get_all_op_names():
        namespace, _, name = qualname.partition("::")
        if namespace == "graphlearn":
            names.add(name.split(".")[0])  # drop an overload name
    return sorted(names)


@pytest.fixture
def data_root():
    return default_root()


def require_dataset(*parts: str) -> str:
    path = os.path.join(default_root(), *parts)
    if not os.path.exists(path):
        pytest.skip(f"dataset not available: {path} (set GRAPHLEARN_DATA or place ../shared/datasets)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Loaders cache processed graphs; the shared dataset folders are read-only, so the
    cache would land in ~/.cache/graphlearn. Tests (and the subprocesses they start)
    use a private temporary cache instead."""
    old = os.environ.get("GRAPHLEARN_CACHE")
    os.environ["GRAPHLEARN_CACHE"] = str(tmp_path_factory.mktemp("graphlearn_cache"))
    yield
    if old is None:
        os.environ.pop("GRAPHLEARN_CACHE", None)
    else:
        os.environ["GRAPHLEARN_CACHE"] = old


REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_isolated(code: str, *, args=(), timeout: float = 300, env=None, stdin=None):
    """Runs ``code`` in a fresh Python interpreter (``python -c code *args``), so that a
    segfault or an abort fails the calling test instead of killing the test run.

    Returns the ``subprocess.CompletedProcess`` (text stdout/stderr); fails the test
    when the interpreter died of a signal, naming it and showing stderr."""
    import signal
    import subprocess
    import sys

    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = REPO_ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=full_env, input=stdin)
    if proc.returncode < 0:
        sig = signal.Signals(-proc.returncode).name
        pytest.fail(f"the interpreter died of {sig}\n--- stderr ---\n{proc.stderr[-4000:]}")
    return proc


def default_signals() -> None:
    """``preexec_fn`` for children whose signal handling a test checks: SIGHUP, SIGTERM
    and SIGINT back to their default disposition (a run under ``nohup`` or a CI runner
    may have them ignored, and ignored dispositions are inherited)."""
    import signal

    for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_DFL)
