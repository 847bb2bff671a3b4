import os
import subprocess
import sys
import textwrap

import torch

import graphlearn
from graphlearn import ops
from graphlearn._build_info import source_hash


def test_compiled_when_required():
    if os.environ.get("GRAPHLEARN_REQUIRE_COMPILED") == "1":
        assert ops.compiled(), ops.load_error()
        version = torch.ops.graphlearn.version()
        assert version.startswith(graphlearn.__version__ + "+")
        assert version.endswith(source_hash(os.path.join(os.path.dirname(os.path.dirname(graphlearn.__file__)), "csrc")))


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
