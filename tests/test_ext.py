"""Loading of the compiled core: version and source hash, the skip-or-fail rule of the
tests that need it, and the fallback to the references without it."""
import os
import subprocess
import sys
import textwrap

import pytest
import torch

import graphlearn
import graphlearn.ops._ext as ext
from graphlearn import ops
from graphlearn._build_info import source_hash
from tests.conftest import require_compiled


def test_compiled_core_matches_package_and_sources():
    require_compiled()  # skips naming ops.load_error(), or fails under GRAPHLEARN_REQUIRE_COMPILED=1
    assert ops.compiled() and ops.load_error() is None
    version = torch.ops.graphlearn.version()
    assert version.startswith(graphlearn.__version__ + "+")
    assert version.endswith(source_hash(os.path.join(os.path.dirname(os.path.dirname(graphlearn.__file__)), "csrc")))
    assert isinstance(torch.ops.graphlearn.cuda_compiled(), bool)


def test_require_compiled_skips_with_the_reason_or_fails(monkeypatch):
    """Without the core, a test that needs it is skipped with the loader's reason, never
    passed silently; with GRAPHLEARN_REQUIRE_COMPILED=1 it fails."""
    monkeypatch.setattr(ext, "_loaded", False)
    monkeypatch.setattr(ext, "_error", "disabled for the test")
    monkeypatch.setenv("GRAPHLEARN_REQUIRE_COMPILED", "0")
    with pytest.raises(pytest.skip.Exception, match="not loaded: disabled for the test"):
        require_compiled()
    monkeypatch.setenv("GRAPHLEARN_REQUIRE_COMPILED", "1")
    with pytest.raises(pytest.fail.Exception, match="GRAPHLEARN_REQUIRE_COMPILED=1 but .*disabled for the test"):
        require_compiled()


def test_missing_core_is_an_error_when_required():
    """GRAPHLEARN_REQUIRE_COMPILED=1 turns a missing library into an ImportError naming the cause."""
    code = textwrap.dedent("""
        import graphlearn.ops._ext as ext
        ext._library_path = lambda: None
        try:
            ext.load()
        except ImportError as exc:
            print("ImportError:", exc)
    """)
    env = dict(os.environ, GRAPHLEARN_REQUIRE_COMPILED="1")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "ImportError: graphlearn's compiled core could not be loaded (no compiled library" in proc.stdout


def test_fallback_to_reference_without_extension():
    """With the library unavailable, ops run the references (with a warning)."""
    code = textwrap.dedent("""
        import warnings, torch
        import graphlearn.ops._ext as ext
        ext._loaded, ext._error = False, "disabled for the test"
        import graphlearn
        from graphlearn import CSR, ops
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            adj = CSR.from_edge_index(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), 3)
            out = ops.spmm(adj, torch.ones(3, 2))
            cn = ops.common_neighbors(adj, torch.tensor([[0], [2]]))
            d = ops.khop_distances(adj, torch.tensor([0]), 2)
        assert out.tolist() == [[1, 1], [2, 2], [1, 1]], out
        assert cn.tolist() == [1] and d.tolist() == [[0, 1, 2]]
        assert any("pure-PyTorch reference" in str(x.message) for x in w)
        print("ok")
    """)
    env = dict(os.environ, GRAPHLEARN_REQUIRE_COMPILED="0")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_source_hash_changes_with_sources(tmp_path):
    (tmp_path / "a.cpp").write_text("int x;")
    h1 = source_hash(str(tmp_path))
    (tmp_path / "a.cpp").write_text("int y;")
    assert source_hash(str(tmp_path)) != h1
    assert source_hash(str(tmp_path / "missing")) is None
