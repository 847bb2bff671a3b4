"""benchmarks/gt.py and its PyG-parts graph transformer layer (smoke test: timings are
reported, never asserted)."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest
import torch

from graphlearn.datasets import random_graph
from graphlearn.nn import GraphTransformerLayer
from tests.conftest import require_compiled

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "benchmarks", "gt.py")


def _bench():
    """benchmarks/gt.py as a module (under a name of its own)."""
    spec = importlib.util.spec_from_file_location("_bench_gt", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(*flags, timeout=600):
    return subprocess.run([sys.executable, SCRIPT, *flags], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _json_line(stdout):
    lines = [ln for ln in stdout.strip().splitlines() if ln.startswith("{")]
    assert len(lines) == 1, stdout[-2000:]
    assert stdout.strip().splitlines()[-1] == lines[0]  # the JSON line is the last one
    return json.loads(lines[0])


@pytest.mark.parametrize("edge", [True, False])
@pytest.mark.parametrize("in_channels", [16, 12])  # 12: the residual goes through a projection
def test_pyg_parts_layer_matches_graphlearn(edge, in_channels):
    require_compiled()
    bench = _bench()
    n = 40
    ei = random_graph(n, 250, seed=3)  # a hub, repeats, self-loops, isolated nodes
    torch.manual_seed(0)
    layer = GraphTransformerLayer(in_channels, 16, heads=4, edge_dim=6 if edge else None).double()
    other = bench.PyGGraphTransformerLayer.from_graphlearn(layer)
    assert {k for k, _ in other.named_parameters()} == {k for k, _ in layer.named_parameters()}
    x = torch.randn(n, in_channels, dtype=torch.float64)
    e = torch.randn(ei.size(1), 6, dtype=torch.float64) if edge else None
    outs, grads = [], []
    for m in (layer, other):
        m.zero_grad()
        out = m(x, ei, e) if edge else m(x, ei)
        out = out if isinstance(out, tuple) else (out,)
        sum((o * torch.linspace(-1, 1, o.numel(), dtype=o.dtype).view_as(o)).sum() for o in out).backward()
        outs.append([o.detach() for o in out])
        grads.append({k: p.grad.clone() for k, p in m.named_parameters()})
    for a, b in zip(*outs):
        torch.testing.assert_close(b, a, rtol=1e-10, atol=1e-10)
    for k, g in grads[0].items():
        torch.testing.assert_close(grads[1][k], g, rtol=1e-8, atol=1e-10, msg=k)


def test_pyg_parts_layer_refuses_what_it_does_not_mirror():
    bench = _bench()
    with pytest.raises(ValueError, match="dropout"):
        bench.PyGGraphTransformerLayer.from_graphlearn(GraphTransformerLayer(8, 8, heads=2, dropout=0.1))


def test_gt_benchmark_quick_runs():
    require_compiled()
    proc = _run("--quick")
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = _json_line(proc.stdout)
    assert set(result) == {"agreement", "results", "meta"}
    meta = result["meta"]
    assert meta["quick"] and meta["runs"] == 1 and meta["threads"] == 1
    agreement = result["agreement"]["gt"]
    assert agreement["passed"] and not agreement["perturbed_reference"]
    assert len(agreement["checks"]) == (4 if meta["molesol"] else 2)
    for check in agreement["checks"]:
        assert check["passed"] and check["float32"]["max_abs_diff"] < 1e-4
        assert check["float64"]["max_param_rel_grad_diff"] < 1e-4 and check["float64"]["params_with_grad"] > 0
    assert "== GraphTransformerLayer" in proc.stdout and "ratio" in proc.stdout

    gt = result["results"]["gt"]
    settings = ["synthetic"] + (["molesol"] if meta["molesol"] else [])
    assert set(gt) == set(settings)
    for setting in settings:
        for variant in ("edge", "plain"):
            entry = gt[setting][variant]
            for who in ("graphlearn", "pyg"):
                assert entry[who]["s_per_epoch"] > 0 and entry[who]["peak_rss_mb"] > 0, entry[who]
            assert entry["speedup"] > 0
            assert entry["loss_abs_diff"] < 1e-3  # same weights, same function
    assert gt["synthetic"]["edge"]["graphlearn"]["edges"] == meta["sizes"]["synthetic_edges"]

    lappe = result["results"]["lappe"]
    assert set(lappe) == set(settings)
    for setting in settings:
        for who in ("graphlearn", "pyg"):
            r = lappe[setting][who]
            assert r["seconds"] > 0 and isinstance(r["graphs_failed"], int) and r["timed_out"] in (True, False)
        assert lappe[setting]["graphlearn"]["graphs_failed"] == 0

    if meta["molesol"]:
        gps = result["results"]["gps"]
        assert set(gps) == {"molesol", "mixed"}
        for entry in gps.values():
            assert entry["graphlearn"]["s_per_epoch"] > 0 and entry["pyg"]["s_per_epoch"] > 0
            assert 0 < entry["pairs"]["sum_n2"] < entry["pairs"]["padded_B_nmax2"]
        # one large graph in the batch: padding to it costs far more pairs than sum n_g^2
        mixed = gps["mixed"]["pairs"]
        assert mixed["max_nodes"] == meta["sizes"]["gps_large_nodes"]
        assert mixed["padded_B_nmax2"] == mixed["graphs"] * mixed["max_nodes"] ** 2


def test_gt_benchmark_fails_when_the_reference_disagrees():
    require_compiled()
    proc = _run("--quick", "--perturb-reference", "--skip-gps", "--skip-lappe", "--skip-synthetic")
    assert proc.returncode != 0
    assert "disagrees" in proc.stderr and "nothing was timed" in proc.stderr
    assert "DISAGREE" in proc.stdout
    assert not [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]


def test_gt_benchmark_without_molesol_says_so(tmp_path):
    require_compiled()
    proc = _run("--quick", "--root", str(tmp_path), "--skip-gps", "--skip-lappe", "--skip-synthetic")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "ogbg-molesol not found" in proc.stdout
    result = _json_line(proc.stdout)
    assert result["meta"]["molesol"] is False
    assert [c["graph"].split()[0] for c in result["agreement"]["gt"]["checks"]] == ["random", "random"]
    assert result["results"]["gt"] == {}
