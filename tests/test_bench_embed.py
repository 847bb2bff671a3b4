"""benchmarks/embed.py and its reference FastRP run (smoke test: timings are reported, never asserted)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import _fastrp_reference as ref  # noqa: E402


def _path_graph_tsv(tmp_path, n=6):
    path = tmp_path / "path.tsv"
    path.write_text("# a path graph\n" + "".join(f"{i}\t{i + 1}\n" for i in range(n - 1)))
    return str(path)


def test_reference_reader_symmetric_compacted(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("# comment\n10 20\n20 10\n20 40\n40 40\n")  # duplicate, self-loop, ids 10/20/40
    a, ids = ref.read_edge_list(str(path))
    assert ids.tolist() == [10, 20, 40]
    dense = a.toarray()
    assert (dense == dense.T).all() and set(np.unique(dense)) <= {0.0, 1.0}
    assert dense.tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 1]]


@pytest.mark.parametrize("lean", [True, False])
def test_reference_matches_dense_computation(lean):
    """U_i = M^i D^beta R^T with the projection's own R, then normalize / weight / scale."""
    import scipy.sparse as sp
    from sklearn.random_projection import SparseRandomProjection

    rng = np.random.default_rng(0)
    n, dim, beta, weights = 60, 16, -0.5, [0.5, 1.0, 2.0]
    e = rng.integers(0, n, (2, 300))
    a = sp.csr_matrix((np.ones(300), (e[0], e[1])), shape=(n, n))
    a = a + a.T + sp.eye(n)  # no isolated nodes
    a.data[:] = 1.0
    got = ref.fastrp(a.tocsr(), dim, weights, beta, seed=3, lean_merge=lean)
    dense = a.toarray()
    deg = dense.sum(1)
    m = dense / deg[:, None]
    r = SparseRandomProjection(n_components=dim, random_state=3).fit(m).components_.toarray()  # [dim, n]
    u = m @ (deg[:, None] ** beta * r.T)
    total = np.zeros((n, dim))
    for w in weights:
        total += w * u / np.linalg.norm(u, axis=1, keepdims=True)
        u = m @ u
    want = (total - total.mean(0)) / total.std(0)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_reference_cli_writes_npy(tmp_path):
    out = tmp_path / "emb.npy"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "_fastrp_reference.py"),
                           _path_graph_tsv(tmp_path), str(out), "--dim", "8", "--weights", "1,1", "--beta", "0"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    emb = np.load(out)
    assert emb.shape == (6, 8) and emb.dtype == np.float32 and report["nodes"] == 6
    assert "torch" not in proc.stderr
    assert {"read_s", "fastrp_s", "products_s", "total_s", "peak_rss_mb"} <= set(report)


def test_embed_benchmark_quick_runs():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "embed.py"), "--quick", "--no-peers"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    graph = result["graphs"]["power-law 20k"]
    for key in ("graphlearn", "reference"):
        entry = graph["contenders"][key]
        assert entry["status"] == "ok", entry
        assert entry["wall_s"] > 0 and entry["peak_mb"] > 0 and entry["compute_s"] > 0
    agreement = graph["cosine_agreement_vs_reference"]
    assert graph["nodes"] > 0 and set(agreement) == {"edges", "random"}
    assert agreement["edges"] > 0.5  # the same algorithm: similar geometry on neighbouring nodes
    assert result["throughput"]["edges_dim_per_s"] > 0 and result["bandwidth"]["triad_gb_s"] > 0
    assert 0 < result["throughput"]["ratio_to_bound"]
    assert result["throughput"]["index_select_rows_per_s"] > 0 and result["throughput"]["ratio_to_random_gather"] > 0
