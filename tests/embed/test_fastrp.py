"""FastRP: the estimator against an independent scipy implementation of the paper's
algorithm, invariances (threads, node order), options and bad input. The ops it runs
on (fastrp_random, fastrp_step) are tested in tests/ops/test_fastrp.py."""
import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphlearn import CSR, ops
from graphlearn.embed import FastRP
from graphlearn.ops import reference
from tests.conftest import big_csr, messy_csr, num_threads


def _propagate_plainly(m, x0, weights, w0, mean, normalize):
    """sum_i w_i N(M^i X0), every power stored (the definition)."""
    def term(x, w):
        return w * (torch.nn.functional.normalize(x, dim=1) if normalize else x)

    acc = term(x0, w0)
    x = x0
    for w in weights:
        x = reference.fastrp_step(m, x, None, 0.0, mean, False)
        acc = acc + term(x, w)
    return acc


@pytest.mark.parametrize("weights,w0", [
    ((0.0, 0.0, 1.0, 6.67), 0.0), ((0.0, 1.0, 1.0), 0.0), ((1.0, 1.0, 7.81, 45.28), 0.0),
    ((2.0,), 0.0), ((0.0, 0.0, 3.0), 0.5), ((1.0, 0.0, 2.0, 0.0), 1.0), ((), 2.0), ((0.0, 0.0), 0.0),
    ((0.0, 0.0, 0.0, 1.0), 0.0),
])
@pytest.mark.parametrize("normalize", [False, True])
def test_propagate_weight_patterns(weights, w0, normalize):
    from graphlearn.embed.fastrp import propagate

    m = messy_csr(70, 450, seed=8, weighted=True, dtype=torch.float32)
    x0 = torch.randn(70, 16)
    got = propagate(m, [x0.clone()], weights, w0, mean=True, normalize=normalize)
    torch.testing.assert_close(got, _propagate_plainly(m, x0, weights, w0, True, normalize), rtol=1e-4, atol=1e-5)


_PEAK_SCRIPT = """
import sys, torch
from graphlearn import CSR
from graphlearn.embed.fastrp import propagate

def status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

n, d = 100_000, 256
g = torch.Generator().manual_seed(0)
edges = torch.randint(0, n, (2, 400_000), generator=g)
m = CSR.from_edge_index(edges, n, symmetrize=True)
holder = [torch.randn(n, d)]
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak resident size (VmHWM) to the current one
base = status_kb("VmHWM")
acc = propagate(m, holder, [float(w) for w in sys.argv[1].split(",")], 0.0, True, True)
print((status_kb("VmHWM") - base) * 1024 / (n * d * 4))
"""


def _can_reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


@pytest.mark.parametrize("weights,extra", [("0,0,1,6.67", 1), ("0,1,1", 1), ("1,1,1,1", 2)])
@pytest.mark.skipif(not _can_reset_peak_rss(), reason="needs Linux /proc/self/clear_refs to reset the peak RSS")
def test_propagate_peak_memory(weights, extra):
    """Beyond X0 itself, propagate() holds one more [n, d] buffer for the paper's
    weights (two in all), two more (three in all) when several terms precede the last."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, weights], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    grown = float(r.stdout.split()[-1])
    assert extra - 0.1 < grown < extra + 0.4, f"{weights}: peak grew by {grown:.2f} buffers, expected {extra}"


# ------------------------------------------------------------ the estimator

def scipy_fastrp(a: sp.csr_matrix, dim, weights, beta, s, seed, normalize=True, standardize=True, w0=0.0):
    """The paper's algorithm written plainly with scipy / scikit-learn, on our R."""
    from sklearn.preprocessing import normalize as l2, scale

    n = a.shape[0]
    deg = np.asarray(a.sum(axis=1)).ravel()
    m = sp.diags(np.where(deg > 0, 1.0 / np.where(deg > 0, deg, 1), 0.0)) @ a
    r = reference.fastrp_random(torch.arange(n), dim, s, seed).double().numpy()
    scale_rows = np.where(deg > 0, np.power(np.where(deg > 0, deg, 1.0), beta), 0.0)
    u = scale_rows[:, None] * r
    out = np.zeros((n, dim))
    if w0:
        out += w0 * (l2(u) if normalize else u)
    for w in weights:
        u = m @ u
        out += w * (l2(u) if normalize else u)
    return scale(out) if standardize else out


@pytest.mark.parametrize("weighted", [False, True])
def test_fastrp_matches_scipy_paper_algorithm(weighted):
    adj = messy_csr(300, 2500, seed=7, weighted=weighted, dtype=torch.float32)
    sym = CSR.from_coo(adj.row, adj.col, adj.num_rows, adj.value, symmetrize=True)
    weights, beta, dim = (0.0, 0.5, 1.0, 6.67), -0.64, 48
    model = FastRP(dim=dim, iteration_weights=weights, normalization_strength=beta, self_influence=0.3,
                   random_state=9)
    emb = model.fit_transform(sym)
    expect = scipy_fastrp(sym.to_scipy().astype(np.float64), dim, weights, beta, math.sqrt(300), 9, w0=0.3)
    assert emb.dtype == np.float32 and emb.shape == (300, dim)
    np.testing.assert_allclose(emb, expect, rtol=2e-3, atol=2e-3)


def test_fastrp_without_normalization_and_adjacency():
    adj = messy_csr(120, 800, seed=1)
    sym = CSR.from_coo(adj.row, adj.col, adj.num_rows, symmetrize=True)
    emb = FastRP(dim=16, iteration_weights=(1.0, 0.5), propagation="adjacency", normalize_iterations=False,
                 output="none", sparsity=3, random_state=2).fit_transform(sym)
    a = sym.to_scipy().astype(np.float64)
    r = reference.fastrp_random(torch.arange(120), 16, 3.0, 2).double().numpy()
    deg = np.asarray(a.sum(1)).ravel()
    r = np.where(deg > 0, 1.0, 0.0)[:, None] * r  # beta = 0: degree-0 rows are zero
    expect = 1.0 * (a @ r) + 0.5 * (a @ (a @ r))
    np.testing.assert_allclose(emb, expect, rtol=1e-4, atol=1e-4)


def test_node_order_invariance_with_keys():
    adj = messy_csr(200, 1500, seed=3)
    sym = CSR.from_coo(adj.row, adj.col, adj.num_rows, symmetrize=True)
    base = FastRP(dim=32, random_state=1, output="l2").fit_transform(sym)
    perm = torch.randperm(200, generator=torch.Generator().manual_seed(0))
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(200)
    # node v of the original graph becomes node inv[v] of the relabelled one
    ei = torch.stack([inv[sym.row], inv[sym.col.long()]])
    relabelled = CSR.from_edge_index(ei, 200)
    emb = FastRP(dim=32, random_state=1, output="l2").fit_transform(relabelled, node_keys=perm)
    np.testing.assert_allclose(emb[inv.numpy()], base, rtol=1e-5, atol=1e-5)


def test_thread_count_does_not_change_result():
    adj = big_csr(seed=8)
    sym = CSR.from_coo(adj.row, adj.col, adj.num_rows, symmetrize=True)
    with num_threads(1):
        a = FastRP(dim=32, random_state=4).fit_transform(sym)
    with num_threads(2):
        b = FastRP(dim=32, random_state=4).fit_transform(sym)
    assert np.array_equal(a, b)


def test_directions_and_inputs():
    ei = torch.tensor([[0, 0, 1, 2, 3], [1, 2, 2, 3, 0]])
    kw = dict(dim=8, iteration_weights=(1.0, 1.0), output="none", sparsity=1, random_state=0)
    out = FastRP(direction="out", **kw).fit_transform(ei)
    into = FastRP(direction="in", **kw).fit_transform(ei)
    flipped = FastRP(direction="out", **kw).fit_transform(ei.flip(0))
    np.testing.assert_allclose(into, flipped, rtol=1e-6)
    assert not np.allclose(out, into)
    both = FastRP(direction="both", **kw).fit_transform(ei)
    sym = FastRP(direction="out", **kw).fit_transform(torch.cat([ei, ei.flip(0)], 1))
    np.testing.assert_allclose(both, sym, rtol=1e-6)
    # scipy and PyG inputs give the same as the CSR
    from torch_geometric.data import Data

    a = sp.coo_matrix((np.ones(5), (ei[0].numpy(), ei[1].numpy())), shape=(4, 4))
    np.testing.assert_allclose(FastRP(**kw).fit_transform(a), out, rtol=1e-6)
    np.testing.assert_allclose(FastRP(**kw).fit_transform(Data(edge_index=ei, num_nodes=4)), out, rtol=1e-6)


def test_isolated_nodes():
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])  # node 3 and 4 isolated
    zero = FastRP(dim=16, iteration_weights=(1.0,), output="none", sparsity=1).fit_transform(ei, num_nodes=5)
    assert np.all(zero[3:] == 0) and np.all(np.abs(zero[:3]).sum(1) > 0)
    rnd = FastRP(dim=16, iteration_weights=(1.0,), output="none", sparsity=1, isolated="random").fit_transform(
        ei, num_nodes=5)
    np.testing.assert_allclose(np.linalg.norm(rnd[3:], axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(rnd[3], rnd[4])
    np.testing.assert_allclose(rnd[:3], zero[:3], rtol=1e-6)  # connected nodes are unaffected


def test_features_part():
    adj = messy_csr(100, 700, seed=5)
    sym = CSR.from_coo(adj.row, adj.col, adj.num_rows, symmetrize=True)
    feats = torch.randn(100, 7)
    kw = dict(dim=20, iteration_weights=(1.0,), self_influence=1.0, output="none", normalize_iterations=False,
              random_state=3)
    emb = FastRP(feature_ratio=0.25, **kw).fit_transform(sym, features=feats)
    plain = FastRP(feature_ratio=0.0, **kw).fit_transform(sym, features=feats)
    # the first 15 columns come from the random part, the last 5 from the features
    deg = sym.degree(0).float().numpy()
    r = reference.fastrp_random(torch.arange(100), 15, 10.0, 3).numpy() * (deg > 0)[:, None]
    proj = reference.fastrp_random(torch.arange(7) + 0x5F3759DF, 5, 3.0, 3).numpy()
    x0 = np.concatenate([r, (feats.numpy() @ proj) * (deg > 0)[:, None]], 1)
    m = sym.to_scipy().astype(np.float64)
    m = sp.diags(1.0 / np.maximum(deg, 1)) @ m
    np.testing.assert_allclose(emb, x0 + m @ x0, rtol=1e-4, atol=1e-4)
    assert plain.shape == emb.shape and not np.allclose(plain[:, 15:], emb[:, 15:])


def test_output_normalizations():
    adj = messy_csr(150, 900, seed=6)
    sym = CSR.from_coo(adj.row, adj.col, adj.num_rows, symmetrize=True)
    std = FastRP(dim=12, output="standardize").fit_transform(sym)
    np.testing.assert_allclose(std.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(std.std(0), 1, atol=1e-4)
    l2 = FastRP(dim=12, output="l2").fit_transform(sym)
    nz = np.abs(l2).sum(1) > 0
    np.testing.assert_allclose(np.linalg.norm(l2[nz], axis=1), 1, rtol=1e-5)


def test_standardize_matches_float64_scale():
    """Block sums in float32, totals in float64: as exact as scikit-learn's float64
    ``scale`` to float32 rounding, even with a column mean far from zero."""
    from sklearn.preprocessing import scale

    from graphlearn.embed.fastrp import finalize

    g = torch.Generator().manual_seed(0)
    x = torch.randn(30_000, 6, generator=g) * torch.tensor([1.0, 3.0, 0.01, 5.0, 1.0, 2.0]) \
        + torch.tensor([0.0, 100.0, 1.0, -50.0, 0.0, 7.0])
    x[:, 4] = 2.5  # a constant column is only centred
    want = scale(x.double().numpy())
    got = finalize(x.clone(), "standardize", chunk=1000).numpy()  # blocks that do not divide n
    np.testing.assert_allclose(got, want, atol=2e-4)
    assert (got[:, 4] == 0).all()


def test_sklearn_api_and_preset():
    model = FastRP.paper_blogcatalog()
    assert model.get_params()["dim"] == 512 and tuple(model.iteration_weights) == (0.0, 0.0, 1.0, 6.67)
    assert model.normalization_strength == -0.64 and "dim=512" in repr(model)
    model.set_params(dim=8)
    with pytest.raises(ValueError, match="unknown parameter"):
        model.set_params(dimension=3)
    with pytest.raises(RuntimeError, match="fit"):
        model.transform()
    emb = model.fit(torch.tensor([[0, 1], [1, 0]])).transform()
    assert emb.shape == (2, 8) and model.n_nodes_ == 2


@pytest.mark.parametrize("kwargs,match", [
    (dict(dim=0), "dim"),
    (dict(iteration_weights=(0.0, 0.0)), "all zero"),
    (dict(iteration_weights=(1.0, float("nan"))), "finite"),
    (dict(sparsity=0.5), "sparsity"),
    (dict(sparsity="dense"), "sparsity"),
    (dict(output="zscore"), "output"),
    (dict(direction="up"), "direction"),
    (dict(feature_ratio=1.5), "feature_ratio"),
])
def test_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FastRP(**kwargs).fit(torch.tensor([[0, 1], [1, 0]]))


def test_bad_graphs_and_features():
    with pytest.raises(ValueError, match="empty graph|no nodes"):
        FastRP().fit(torch.zeros(2, 0, dtype=torch.long), num_nodes=0)
    with pytest.raises(TypeError, match="graph must be"):
        FastRP().fit("edges.txt")
    with pytest.raises(ValueError, match="square"):
        FastRP().fit(sp.csr_matrix(np.ones((2, 3))))
    neg = CSR.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2, torch.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="negative edge weights"):
        FastRP().fit(neg)
    ei = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="needs node features"):
        FastRP(feature_ratio=0.5).fit(ei)
    with pytest.raises(ValueError, match="NaN"):
        FastRP(feature_ratio=0.5).fit(ei, features=torch.tensor([[1.0], [float("nan")]]))
    with pytest.raises(ValueError, match="node_keys"):
        FastRP().fit(ei, node_keys=torch.arange(3))


def test_quality_on_cora():
    """FastRP + logistic regression on Cora's public split (140 labels): 0.58 here, far above
    the majority class (0.32)."""
    from sklearn.linear_model import LogisticRegression

    from graphlearn.datasets import load_planetoid

    data = load_planetoid("cora")
    emb = FastRP(dim=256, iteration_weights=(0.0, 1.0, 1.0, 1.0, 1.0), normalization_strength=-0.5, sparsity=3,
                 random_state=0).fit_transform(data.edge_index, num_nodes=data.num_nodes)
    clf = LogisticRegression(C=0.1, max_iter=2000).fit(emb[data.train_mask], data.y[data.train_mask])
    acc = clf.score(emb[data.test_mask], data.y[data.test_mask])
    assert acc > 0.5, acc
