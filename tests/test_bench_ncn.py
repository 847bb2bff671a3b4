"""benchmarks/ncn.py and its pure-PyTorch reference of the NCN authors' set computation
(smoke test: timings are reported, never asserted)."""
import json
import os
import subprocess
import sys

import pytest
import torch

from graphlearn import ops
from graphlearn.datasets import random_graph
from graphlearn.linkpred._utils import build_graph
from graphlearn.nn import NCN
from tests.conftest import require_compiled

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import _ncn_reference as ref  # noqa: E402


def _graph(n=80, e=500, seed=0):
    """A deduplicated symmetric graph (as both contenders build it) with isolated nodes."""
    return build_graph(random_graph(n, e, seed=seed), n)


def _pairs(n, count=200, seed=1):
    g = torch.Generator().manual_seed(seed)
    pairs = torch.randint(0, n, (2, count), generator=g)
    pairs[:, :3] = torch.tensor([[0, 1, n - 1], [0, n - 1, n - 1]])  # i == j, isolated nodes
    return pairs


def _sets(keys, num_pairs):
    rows = (keys >> 32).tolist()
    cols = (keys & ref.LOW32).tolist()
    out = [[] for _ in range(num_pairs)]
    for r, c in zip(rows, cols):
        out[r].append(c)
    return out


def test_reference_adjacency_is_graphlearns():
    edges = random_graph(50, 300, seed=2)  # duplicates and self-loops
    a, b = build_graph(edges, 50), ref.build_adjacency(edges, 50)
    assert torch.equal(a.rowptr.long(), b.rowptr) and torch.equal(a.col.long(), b.col)


def test_reference_sets_match_common_neighbor_sets():
    require_compiled()
    adj = _graph()
    pairs = _pairs(adj.num_rows)
    rowptr, col = adj.rowptr.long(), adj.col.long()
    a, b = ref.row_keys(rowptr, col, pairs[0]), ref.row_keys(rowptr, col, pairs[1])
    assert bool((a[1:] > a[:-1]).all()) and bool((b[1:] > b[:-1]).all())  # sorted, distinct
    common, only_a, only_b = ref.overlap_and_differences(a, b)
    for mode, keys in (("intersection", common), ("intersection", ref.intersect(a, b)),
                       ("src_minus_dst", only_a), ("dst_minus_src", only_b)):
        want = ops.common_neighbor_sets(adj, pairs, mode)
        expect = [want.col[want.rowptr[p]:want.rowptr[p + 1]].tolist() for p in range(pairs.size(1))]
        assert _sets(keys, pairs.size(1)) == expect, mode


@pytest.mark.parametrize("layout", ref.SPARSE_LAYOUTS)
@pytest.mark.parametrize("kind", ["ncn", "ncnc"])
def test_reference_model_matches_graphlearn(kind, layout):
    require_compiled()
    adj = _graph()
    n = adj.num_rows
    torch.manual_seed(0)
    x = torch.randn(n, 12)
    opts = dict(layer_norm=True, feature_mlp=True, dropout=0.1, edge_dropout=0.2)
    if kind == "ncnc":
        opts.update(prob_scale=4.0, prob_offset=1.0, pt=0.6, alpha=0.8, completion_batch=64)
    model = NCN(12, 16, predictor=kind, encoder_options=dict(jk=True), predictor_options=opts).eval()
    other = ref.reference_model(model).eval()
    assert type(other.predictor).__name__.startswith("Reference")
    pairs = _pairs(n, 120)
    ref.set_layout(layout)
    try:
        with torch.no_grad():
            torch.testing.assert_close(other(x, adj, pairs), model(x, adj, pairs), rtol=1e-5, atol=1e-6)
        grads = []
        for m in (model, other):
            m.zero_grad()
            m(x, adj, pairs).square().sum().backward()
            grads.append([p.grad.clone() for p in m.parameters()])
        for ga, gb in zip(*grads):
            torch.testing.assert_close(gb, ga, rtol=1e-4, atol=1e-5)
    finally:
        ref.set_layout("coo")


def test_ncn_benchmark_quick_runs():
    require_compiled()
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "ncn.py"), "--quick"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result) == {"agreement", "results", "meta"}
    for name, models in result["results"].items():
        for kind in ("ncn", "ncnc"):
            entry = models[kind]
            assert entry["graphlearn"]["train_s_per_batch"] > 0 and entry["reference"]["eval_s"] > 0
            assert entry["memory_ratio"]["peak_rss"] > 0
            assert result["agreement"][name][kind]["max_abs_diff"] < 1e-4
    assert "topk" in result["results"]["synthetic-embedding"]["ncn"]["speedup"]
