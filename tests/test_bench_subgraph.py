"""benchmarks/subgraph.py and its re-implementation of the official SSWL code's all-pairs
layout (smoke test: timings are reported, never asserted)."""
import json
import os
import subprocess
import sys

import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from graphlearn.datasets import counting_dataset, random_graph
from graphlearn.nn import SubgraphGNN
from graphlearn.nn.models.subgraph_gnn import PRESETS
from graphlearn.transforms import SubgraphPolicy
from tests.conftest import require_compiled

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "subgraph.py")
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))

import _subgraph_reference as ref  # noqa: E402


def _run(*flags, timeout=300):
    return subprocess.run([sys.executable, SCRIPT, *flags], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _json_line(stdout):
    lines = [ln for ln in stdout.strip().splitlines() if ln.startswith("{")]
    assert len(lines) == 1, stdout[-2000:]
    assert stdout.strip().splitlines()[-1] == lines[0]  # the JSON line is the last one
    return json.loads(lines[0])


def _graphs():
    """Small counting graphs plus a symmetric messy one (a hub, repeated edges,
    self-loops, isolated nodes, so unreachable pairs)."""
    graphs = counting_dataset(5, min_nodes=5, max_nodes=12, seed=3, progress=False)
    ei = random_graph(13, 20, seed=2)
    graphs.append(Data(x=torch.zeros(13, 1), edge_index=torch.cat([ei, ei.flip(0)], 1), y=torch.zeros(1, 6),
                       num_nodes=13))
    return graphs


@pytest.mark.parametrize("max_distance", [8, 1])
def test_reference_transform_matches_subgraph_policy(max_distance):
    graphs = _graphs()
    policy = SubgraphPolicy("distance", max_distance=max_distance)
    tr = ref.ReferenceSubgraphTransform(("uL", "vL", "uG", "vG", "uu", "vv", "vu"), max_distance=max_distance)
    for d in graphs:
        a, r = policy(d.clone()), tr(d)
        n, p = int(d.num_nodes), int(d.num_nodes) ** 2
        assert torch.equal(a.sub_pair_index, torch.stack([r.pair_root, r.pair_node]))
        assert torch.equal(a.sub_pair_attr[:, 0], r.d)
        dst = torch.repeat_interleave(torch.arange(p), a.sub_pair_attr[:, 2])
        assert torch.equal(torch.sort(a.sub_local[:, 0] * p + dst).values,
                           torch.sort(r.index_uL[1] * p + r.index_uL[0]).values)
        assert torch.equal(r.index_vu, a.sub_pair_attr[:, 1])
        assert r.index_uG.shape == r.index_vG.shape == (2, n ** 3)
        assert r.index_uL.shape == r.index_vL.shape == (2, n * d.edge_index.size(1))
    unreachable = policy(graphs[-1].clone()).sub_pair_attr[:, 0]
    assert int(unreachable.max()) == max_distance + 1  # the isolated nodes


def test_reference_batches_offset_the_pair_indices():
    graphs = _graphs()[:3]
    tr = ref.ReferenceSubgraphTransform(("uL", "vG", "vv"))
    batch = next(iter(DataLoader(ref.TransformedList(graphs, tr), batch_size=3)))
    sizes = [int(d.num_nodes) for d in graphs]
    assert batch.x.size(0) == sum(n * n for n in sizes)
    assert int(batch.index_vG.max()) == sum(n * n for n in sizes) - 1
    assert int(batch.pair_root.max()) == sum(sizes) - 1
    assert batch.node_graph.tolist() == sum(([g] * n for g, n in enumerate(sizes)), [])
    start = sizes[0] ** 2  # the second graph's pairs start after the first's
    second = batch.index_vv[start:start + sizes[1] ** 2]
    assert int(second.min()) == start and int(second.max()) == start + sizes[1] ** 2 - 1


@pytest.mark.parametrize("preset", ["sswl+", "gswl", "spen", "pswl_sv"])
@pytest.mark.parametrize("layout", ref.POOL_LAYOUTS)
def test_reference_model_matches_graphlearn(preset, layout):
    require_compiled()
    graphs = _graphs()
    aggs, pool = PRESETS[preset]
    bg = next(iter(DataLoader([SubgraphPolicy("distance")(d.clone()) for d in graphs], batch_size=len(graphs))))
    br = next(iter(DataLoader(ref.TransformedList(graphs, ref.ReferenceSubgraphTransform(aggs, pool=pool)),
                              batch_size=len(graphs))))
    bg.x, br.x = bg.x.double(), br.x.double()
    torch.manual_seed(0)
    gl = SubgraphGNN(1, 12, 3, 6, preset=preset).double()
    other = ref.ReferenceSubgraphGNN.from_graphlearn(gl, pool_layout=layout)
    assert {k for k, _ in other.named_parameters()} == {k for k, _ in gl.named_parameters()}
    outs, grads = [], []
    for m, b in ((gl, bg), (other, br)):
        m.zero_grad()
        out = m(b)
        (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum().backward()
        outs.append(out.detach())
        grads.append({k: p.grad.clone() for k, p in m.named_parameters() if p.grad is not None})
    torch.testing.assert_close(outs[1], outs[0], rtol=1e-10, atol=1e-10)
    assert set(grads[0]) == set(grads[1])
    for k, g in grads[0].items():
        torch.testing.assert_close(grads[1][k], g, rtol=1e-8, atol=1e-10, msg=k)


def test_reference_refuses_what_it_does_not_mirror():
    with pytest.raises(ValueError, match="dropout"):
        ref.ReferenceSubgraphGNN.from_graphlearn(SubgraphGNN(1, 8, 2, 1, dropout=0.1))
    with pytest.raises(ValueError, match="edge_dim"):
        ref.ReferenceSubgraphGNN.from_graphlearn(SubgraphGNN(1, 8, 2, 1, edge_dim=3))


def test_subgraph_benchmark_quick_runs():
    require_compiled()
    proc = _run("--quick")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = _json_line(proc.stdout)
    assert set(result) == {"agreement", "results", "meta"}
    meta = result["meta"]
    assert meta["quick"] and meta["runs"] == 1 and meta["threads"] == 1

    agreement = result["agreement"]
    assert agreement["passed"] and not agreement["perturbed_reference"]
    assert agreement["max_abs_output_diff"] < 1e-9 and agreement["max_abs_grad_diff"] < 1e-9
    assert {c["preset"] for c in agreement["model"]["checks"]} == set(PRESETS)
    for check in agreement["model"]["checks"]:
        for layout in ("global", "scatter"):
            assert check[layout]["passed"] and check[layout]["params_with_grad"] > 0
    data_sets = ["counting"] + (["molesol"] if meta["molesol"] else [])
    assert set(agreement["data"]) == set(data_sets)
    for r in agreement["data"].values():
        assert r["passed"] and r["graphs"] > 0
    assert "== Data pipeline per epoch" in proc.stdout and "ratio" in proc.stdout

    results = result["results"]
    assert set(results["pipeline"]) == set(data_sets)
    for entry in results["pipeline"].values():
        gl = entry["graphlearn"]
        assert gl["one_time_s"] > 0 and gl["epoch"]["s"] > 0 and gl["pairs"] == entry["sizes"]["sum_n2"]
        assert set(entry["reference"]) == {"sswl+", "gswl", "sswl+, no pooling index"}
        for r in entry["reference"].values():
            assert r["s"] > 0 and r["speedup"] > 0
        assert "uG" in entry["reference"]["sswl+"]["indices"]
        assert "uG" not in entry["reference"]["sswl+, no pooling index"]["indices"]

    fb = results["forward_backward"]
    assert set(fb) == {"sswl+", "gswl"}
    assert "reference_scatter_pool" in fb["sswl+"]
    for entry in fb.values():
        for who in [w for w in entry if w == "graphlearn" or w.startswith("reference")]:
            assert entry[who]["s"] > 0, who
        for who in [w for w in entry if w.startswith("reference")]:
            assert entry[who]["speedup"] > 0
            assert entry[who]["first_batch_max_abs_output_diff"] < 1e-3  # same weights, same function

    scale = results["scale"]
    assert scale["nodes"] == meta["sizes"]["scale_nodes"]
    hops = scale["hops"]
    assert set(hops) == {str(k) for k in meta["sizes"]["scale_hops"]}
    pairs = [hops[str(k)]["pairs"] for k in meta["sizes"]["scale_hops"]]
    assert pairs[0] == scale["nodes"] * 6  # k = 1: root plus its 5 neighbours on average (avg degree 5)
    assert pairs == sorted(pairs)
    for h in hops.values():
        assert h["transform_s"] > 0 and h["fb_s"] > 0
    layout = scale["all_pairs_layout"]
    assert layout["pairs"] == scale["nodes"] ** 2 and layout["global_index_entries"] == scale["nodes"] ** 3


def test_subgraph_benchmark_fails_when_the_reference_disagrees():
    require_compiled()
    proc = _run("--quick", "--perturb-reference", "--skip-scale")
    assert proc.returncode != 0
    assert "disagrees" in proc.stderr and "nothing was timed" in proc.stderr
    assert "DISAGREE" in proc.stdout
    assert not [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]


def test_subgraph_benchmark_without_molesol_says_so(tmp_path):
    require_compiled()
    proc = _run("--quick", "--root", str(tmp_path), "--skip-scale")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ogbg-molesol not found" in proc.stdout
    result = _json_line(proc.stdout)
    assert result["meta"]["molesol"] is False
    assert set(result["results"]["pipeline"]) == {"counting"}
    assert "scale" not in result["results"]
