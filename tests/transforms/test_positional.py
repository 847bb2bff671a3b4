"""Positional encodings (graphlearn.transforms.positional): Laplacian eigenvectors against
a dense brute force, the sparse path and its fallbacks, random-walk diagonals with edge
weights, the per-step sign flip, and the per-dataset cache."""
import errno
import os
import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as spla
import torch
from torch_geometric.data import Data

from graphlearn import _io
from graphlearn.datasets import load_ogb, random_graph
from graphlearn.transforms import (AddLaplacianPE, AddRandomWalkPE, EigensolverError, RandomSignFlip, precompute,
                                   random_sign_flip)
from graphlearn.transforms import positional
from tests.datasets.ogb_folders import write_mol_like


# ----------------------------------------------------------------- helpers


def _undirected(pairs, n, weights=None):
    """Data with both directions of every pair (and the same weight on both)."""
    p = torch.as_tensor(pairs, dtype=torch.long).reshape(-1, 2).t()
    ei = torch.cat([p, p.flip(0)], 1)
    data = Data(edge_index=ei, num_nodes=n)
    if weights is not None:
        w = torch.as_tensor(weights, dtype=torch.float64)
        data.edge_weight = torch.cat([w, w])
    return data


def _connected(n, extra, seed, weighted=True):
    """A ring plus random chords (connected, no repeated edges), with random weights
    in [0.1, 1.1) when ``weighted``."""
    rng = np.random.default_rng(seed)
    ring = [(i, (i + 1) % n) for i in range(n)]
    chords = [(int(a), int(b)) for a, b in rng.integers(0, n, (extra, 2)) if a != b]
    pairs = sorted({(min(a, b), max(a, b)) for a, b in ring + chords})
    weights = rng.random(len(pairs)) + 0.1 if weighted else None
    return _undirected(pairs, n, weights)


def _dense_adjacency(data):
    """A = W + W^T from the edge list (repeated edges add up), self-loops removed."""
    n = data.num_nodes
    w = data.edge_weight.double().numpy() if getattr(data, "edge_weight", None) is not None \
        and data.edge_weight.dim() == 1 else np.ones(data.edge_index.size(1))
    a = np.zeros((n, n))
    np.add.at(a, (data.edge_index[0].numpy(), data.edge_index[1].numpy()), w)
    a = a + a.T
    np.fill_diagonal(a, 0)
    return a


def _dense_laplacian(data):
    a = _dense_adjacency(data)
    d = a.sum(1)
    dinv = np.where(d > 0, 1 / np.sqrt(np.where(d > 0, d, 1)), 0)
    return np.eye(len(d)) - dinv[:, None] * a * dinv[None, :]


def _brute_lap_pe(data, k):
    """For a connected graph: eigh of the dense L, drop the smallest, take the next k."""
    vals, vecs = np.linalg.eigh(_dense_laplacian(data))
    return vals[1:k + 1], vecs[:, 1:k + 1]


def _align(pe, ref):
    """pe with each column's sign chosen to match ref."""
    s = np.sign((pe * ref).sum(0))
    s[s == 0] = 1
    return pe * s


def _brute_rw(data, steps):
    n = data.num_nodes
    w = data.edge_weight.double().numpy() if getattr(data, "edge_weight", None) is not None \
        else np.ones(data.edge_index.size(1))
    a = np.zeros((n, n))
    np.add.at(a, (data.edge_index[0].numpy(), data.edge_index[1].numpy()), w)
    d = a.sum(1)
    p = np.where(d[:, None] > 0, a / np.where(d > 0, d, 1)[:, None], 0)
    out, m = [], np.eye(n)
    for _ in range(steps):
        m = m @ p
        out.append(np.diag(m).copy())
    return np.stack(out, 1)


# ----------------------------------------------------------------- Laplacian PE


@pytest.mark.parametrize("weighted", [False, True])
def test_lap_pe_matches_dense_brute_force_up_to_sign(weighted):
    data = _connected(40, 50, seed=1, weighted=weighted)
    k = 6
    ref_vals, ref = _brute_lap_pe(data, k)
    assert np.diff(np.linalg.eigvalsh(_dense_laplacian(data))[: k + 2]).min() > 1e-6  # distinct eigenvalues
    out = AddLaplacianPE(k, eigval_attr="lap_val")(data.clone())
    pe = out.lap_pe
    assert pe.shape == (40, k) and pe.dtype == torch.float32
    np.testing.assert_allclose(_align(pe.double().numpy(), ref), ref, atol=1e-5)
    np.testing.assert_allclose(np.abs(pe.numpy()), np.abs(ref), atol=1e-5)
    assert out.lap_val.shape == (40, k) and out.lap_val.dtype == torch.float32
    np.testing.assert_allclose(out.lap_val[0].numpy(), ref_vals, rtol=1e-5)
    assert torch.equal(out.lap_val[0], out.lap_val[-1])  # the same eigenvalues in every row


def test_lap_pe_columns_are_orthonormal_eigenvectors():
    data = _connected(60, 90, seed=2)
    out = AddLaplacianPE(8, eigval_attr="lap_val")(data.clone())
    v = out.lap_pe.double().numpy()
    np.testing.assert_allclose(v.T @ v, np.eye(8), atol=1e-5)
    lap = _dense_laplacian(data)
    lam = out.lap_val[0].double().numpy()
    np.testing.assert_allclose(lap @ v, v * lam, atol=1e-5)
    # orthogonal to the trivial eigenvector D^1/2 1
    d = _dense_adjacency(data).sum(1)
    np.testing.assert_allclose(np.sqrt(d) @ v, np.zeros(8), atol=1e-4)
    assert bool((out.lap_val[0] > 1e-6).all()) and bool((out.lap_val[0][1:] >= out.lap_val[0][:-1]).all())


def test_lap_pe_agrees_with_pyg_up_to_sign():
    from torch_geometric.transforms import AddLaplacianEigenvectorPE

    data = _connected(50, 60, seed=3, weighted=False)
    k = 4
    assert np.diff(np.linalg.eigvalsh(_dense_laplacian(data))[: k + 2]).min() > 1e-6
    theirs = AddLaplacianEigenvectorPE(k, attr_name="pe", is_undirected=True)(data.clone()).pe
    ours = AddLaplacianPE(k)(data.clone()).lap_pe
    torch.testing.assert_close(ours.abs(), theirs.abs().float(), atol=1e-4, rtol=0)


def test_dense_and_sparse_solvers_agree(monkeypatch):
    calls = []
    eigsh = spla.eigsh

    def spy(*args, **kwargs):
        calls.append(kwargs.get("k"))
        return eigsh(*args, **kwargs)

    monkeypatch.setattr(spla, "eigsh", spy)
    data = _connected(300, 600, seed=4)
    dense = AddLaplacianPE(8, eigval_attr="ev")(data.clone())
    assert calls == []  # 300 <= dense_threshold
    sparse = AddLaplacianPE(8, eigval_attr="ev", dense_threshold=50)(data.clone())
    assert calls == [8]  # Lanczos ran, for k vectors (the trivial one is deflated, not asked for)
    torch.testing.assert_close(sparse.lap_pe, dense.lap_pe, atol=1e-5, rtol=0)  # the same signs too
    torch.testing.assert_close(sparse.ev, dense.ev, atol=1e-6, rtol=1e-6)


def test_zero_padding_for_tiny_graphs():
    triangle = _undirected([(0, 1), (1, 2), (2, 0)], 3)
    out = AddLaplacianPE(5, eigval_attr="ev")(triangle)
    assert out.lap_pe.shape == (3, 5)
    assert bool((out.lap_pe[:, 2:] == 0).all()) and bool((out.ev[:, 2:] == 0).all())
    torch.testing.assert_close(out.ev[0, :2], torch.tensor([1.5, 1.5]))
    edge = AddLaplacianPE(3, eigval_attr="ev")(_undirected([(0, 1)], 2))
    torch.testing.assert_close(edge.ev[0], torch.tensor([2.0, 0.0, 0.0]))
    torch.testing.assert_close(edge.lap_pe[:, 0].abs(), torch.full((2,), 0.5 ** 0.5))
    single = AddLaplacianPE(4)(Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=1))
    assert single.lap_pe.shape == (1, 4) and bool((single.lap_pe == 0).all())


def test_disconnected_graph_components_and_isolated_nodes():
    # a path 0-1-2-3, node 4 isolated, a triangle 5-6-7, node 8 isolated (a self-loop only)
    pairs = [(0, 1), (1, 2), (2, 3), (5, 6), (6, 7), (7, 5), (8, 8)]
    data = _undirected(pairs, 9)
    k = 7
    out = AddLaplacianPE(k, eigval_attr="ev")(data.clone())
    pe, ev = out.lap_pe.double().numpy(), out.ev[0].double().numpy()
    path_l = np.linalg.eigvalsh(_dense_laplacian(_undirected(pairs[:3], 4)))
    tri_l = np.linalg.eigvalsh(_dense_laplacian(_undirected([(0, 1), (1, 2), (2, 0)], 3)))
    expected = np.sort(np.concatenate([path_l[1:], tri_l[1:]]))  # 3 + 2 non-trivial eigenvalues
    np.testing.assert_allclose(ev[:5], expected, atol=1e-6)
    assert bool((out.lap_pe[:, 5:] == 0).all()) and bool((out.ev[:, 5:] == 0).all())  # zero-padded
    assert bool((out.lap_pe[[4, 8]] == 0).all())  # isolated nodes: zero rows
    lap = _dense_laplacian(data)
    np.testing.assert_allclose(lap @ pe[:, :5], pe[:, :5] * ev[:5], atol=1e-5)  # eigenvectors of the whole L
    np.testing.assert_allclose(pe[:, :5].T @ pe[:, :5], np.eye(5), atol=1e-5)
    for j in range(5):  # each column lives on one component, orthogonal to its trivial vector
        on_path, on_tri = np.abs(pe[:4, j]).max() > 0, np.abs(pe[5:8, j]).max() > 0
        assert on_path != on_tri
        d = _dense_adjacency(data).sum(1)
        np.testing.assert_allclose(np.sqrt(d[:4]) @ pe[:4, j], 0, atol=1e-5)
        np.testing.assert_allclose(np.sqrt(d[5:8]) @ pe[5:8, j], 0, atol=1e-5)


def test_disconnected_graph_on_the_sparse_path():
    a, b = _connected(120, 200, seed=5), _connected(90, 150, seed=6)
    ei = torch.cat([a.edge_index, b.edge_index + 121], 1)  # node 120 isolated
    data = Data(edge_index=ei, edge_weight=torch.cat([a.edge_weight, b.edge_weight]), num_nodes=211)
    dense = AddLaplacianPE(6, eigval_attr="ev")(data.clone())
    sparse = AddLaplacianPE(6, eigval_attr="ev", dense_threshold=20)(data.clone())
    torch.testing.assert_close(sparse.lap_pe, dense.lap_pe, atol=1e-5, rtol=0)
    lam = np.sort(np.concatenate([_brute_lap_pe(a, 6)[0], _brute_lap_pe(b, 6)[0]]))[:6]
    np.testing.assert_allclose(dense.ev[0].numpy(), lam, rtol=1e-5)
    assert bool((dense.lap_pe[120] == 0).all())


def test_same_graph_gives_the_same_pe_twice():
    data = _connected(200, 300, seed=7)
    for threshold in (1000, 10):
        t = AddLaplacianPE(5, dense_threshold=threshold)
        assert torch.equal(t(data.clone()).lap_pe, t(data.clone()).lap_pe)
        assert torch.equal(t(data.clone()).lap_pe, AddLaplacianPE(5, dense_threshold=threshold)(data.clone()).lap_pe)


def test_sign_rule_largest_magnitude_entry_is_positive():
    pe = AddLaplacianPE(6)(_connected(30, 40, seed=8)).lap_pe
    top = pe.abs().argmax(0)
    assert bool((pe[top, torch.arange(6)] > 0).all())
    # a symmetric path: entries tied in magnitude, the smallest node id decides
    path = AddLaplacianPE(3)(_undirected([(0, 1), (1, 2), (2, 3)], 4)).lap_pe
    for j in range(3):
        col = path[:, j]
        first = int(torch.nonzero(col.abs() >= col.abs().max() * (1 - 1e-5))[0])
        assert col[first] > 0


def _boom(*args, **kwargs):
    raise spla.ArpackNoConvergence("forced failure", np.zeros(0), np.zeros((0, 0)))


def test_arpack_failure_falls_back_to_lobpcg(monkeypatch):
    data = _connected(300, 600, seed=9)
    dense = AddLaplacianPE(6)(data.clone()).lap_pe
    monkeypatch.setattr(spla, "eigsh", _boom)
    with pytest.warns(RuntimeWarning, match="ARPACK failed.*trying LOBPCG") as record:
        out = AddLaplacianPE(6, dense_threshold=50)(data.clone()).lap_pe
    assert not any("dense solver" in str(w.message) for w in record)  # LOBPCG converged
    torch.testing.assert_close(out, dense, atol=1e-4, rtol=0)


def test_arpack_error_and_lobpcg_failure_fall_back_to_dense(monkeypatch):
    data = _connected(300, 600, seed=10)
    dense = AddLaplacianPE(6)(data.clone()).lap_pe

    def arpack_error(*args, **kwargs):
        raise spla.ArpackError(-9999)

    def lobpcg_error(*args, **kwargs):
        raise np.linalg.LinAlgError("forced breakdown")

    monkeypatch.setattr(spla, "eigsh", arpack_error)
    monkeypatch.setattr(spla, "lobpcg", lobpcg_error)
    with pytest.warns(RuntimeWarning) as record:
        out = AddLaplacianPE(6, dense_threshold=50)(data.clone()).lap_pe
    messages = " ".join(str(w.message) for w in record)
    assert "ARPACK error -9999" in messages and "forced breakdown" in messages and "using the dense solver" in messages
    torch.testing.assert_close(out, dense, atol=1e-6, rtol=0)


def test_solvers_that_really_do_not_converge_fall_back(monkeypatch):
    data = _connected(300, 600, seed=11)
    dense = AddLaplacianPE(6)(data.clone()).lap_pe
    with pytest.warns(RuntimeWarning) as record:  # 2 iterations: neither ARPACK nor LOBPCG converges
        out = AddLaplacianPE(6, dense_threshold=50, maxiter=2)(data.clone()).lap_pe
    messages = " ".join(str(w.message) for w in record)
    assert "ArpackNoConvergence" in messages and "using the dense solver" in messages
    torch.testing.assert_close(out, dense, atol=1e-6, rtol=0)
    # and with no memory for the dense fallback: a clear error
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", "1000")
    with pytest.warns(RuntimeWarning), pytest.raises(EigensolverError, match="component of 300 nodes.*dense"):
        AddLaplacianPE(6, dense_threshold=50, maxiter=2)(data.clone())


def test_lap_pe_distinguishes_graphs_that_1wl_cannot():
    two_triangles = _undirected([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)], 6)
    hexagon = _undirected([(i, (i + 1) % 6) for i in range(6)], 6)
    t = AddLaplacianPE(1, eigval_attr="ev")
    a, b = t(two_triangles), t(hexagon)
    # both 2-regular: 1-WL colours every node alike; the spectra differ (1.5 vs 0.5)
    torch.testing.assert_close(a.ev[0], torch.tensor([1.5]))
    torch.testing.assert_close(b.ev[0], torch.tensor([0.5]))
    # as multisets of node encodings (any node order, any sign) they differ too
    sa, sb = a.lap_pe.abs().flatten().sort().values, b.lap_pe.abs().flatten().sort().values
    assert not torch.allclose(sa, sb, atol=1e-3)
    assert int((a.lap_pe.abs() > 1e-6).sum()) <= 3 < int((b.lap_pe.abs() > 1e-6).sum())


def test_undirected_view_weights_and_self_loops():
    data = _connected(25, 30, seed=12)
    ref = AddLaplacianPE(4)(data.clone()).lap_pe
    half = data.edge_index.size(1) // 2
    one_way = Data(edge_index=data.edge_index[:, :half], edge_weight=data.edge_weight[:half], num_nodes=25)
    torch.testing.assert_close(AddLaplacianPE(4)(one_way).lap_pe, ref, atol=1e-5, rtol=0)  # symmetrised
    scaled = data.clone()
    scaled.edge_weight = data.edge_weight * 1000
    torch.testing.assert_close(AddLaplacianPE(4)(scaled).lap_pe, ref, atol=1e-5, rtol=0)  # L is scale-free
    loops = data.clone()
    loops.edge_index = torch.cat([data.edge_index, torch.arange(5).repeat(2, 1)], 1)
    loops.edge_weight = torch.cat([data.edge_weight, torch.full((5,), 7.0, dtype=torch.float64)])
    torch.testing.assert_close(AddLaplacianPE(4)(loops).lap_pe, ref, atol=1e-5, rtol=0)  # self-loops dropped
    unweighted = AddLaplacianPE(4)(Data(edge_index=data.edge_index, num_nodes=25)).lap_pe
    assert not torch.allclose(unweighted, ref, atol=1e-3)  # the weights matter
    feature_weight = Data(edge_index=data.edge_index, edge_weight=data.edge_weight[:, None], num_nodes=25)
    torch.testing.assert_close(AddLaplacianPE(4)(feature_weight).lap_pe, unweighted)  # [E, 1]: not a weight


def test_lap_pe_bad_arguments():
    for bad, exc in ((0, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError), ("3", TypeError)):
        with pytest.raises(exc, match="AddLaplacianPE: k"):
            AddLaplacianPE(bad)
    with pytest.raises(TypeError, match="attr"):
        AddLaplacianPE(2, attr=3)
    with pytest.raises(ValueError, match="attr"):
        AddLaplacianPE(2, attr="not a name")
    with pytest.raises(ValueError, match="must differ"):
        AddLaplacianPE(2, eigval_attr="lap_pe")
    with pytest.raises(ValueError, match="dense_threshold"):
        AddLaplacianPE(2, dense_threshold=-1)
    for tol in (0, 1, -1e-3, float("nan")):
        with pytest.raises(ValueError, match="tol"):
            AddLaplacianPE(2, tol=tol)
    with pytest.raises(ValueError, match="maxiter"):
        AddLaplacianPE(2, maxiter=0)
    with pytest.raises(ValueError, match="seed"):
        AddLaplacianPE(2, seed=-1)
    with pytest.raises(ValueError, match="empty graph"):
        AddLaplacianPE(2)(Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=0))
    with pytest.raises(ValueError, match="needs a Data with edge_index"):
        AddLaplacianPE(2)(Data(x=torch.randn(3, 1)))
    data = _connected(10, 5, seed=13)
    data.edge_weight[3] = float("nan")
    with pytest.raises(ValueError, match=r"edge_weight\[3\] = nan is not finite"):
        AddLaplacianPE(2)(data)
    data.edge_weight[3] = -1.0
    with pytest.raises(ValueError, match="negative"):
        AddLaplacianPE(2)(data)
    with pytest.raises(ValueError, match="out of range"):
        AddLaplacianPE(2)(Data(edge_index=torch.tensor([[0], [5]]), num_nodes=3))
    assert repr(AddLaplacianPE(4)) == "AddLaplacianPE(k=4)"
    assert repr(AddLaplacianPE(4, eigval_attr="ev")) == "AddLaplacianPE(k=4, eigval_attr='ev')"


# ----------------------------------------------------------------- random-walk PE


def _messy(n=25, e=70, seed=0, weighted=False, scale=1.0):
    ei = random_graph(n, e, seed=seed)  # a hub, duplicates, self-loops, 2 isolated nodes
    data = Data(edge_index=ei, num_nodes=n)
    if weighted:
        g = torch.Generator().manual_seed(seed)
        data.edge_weight = (torch.rand(ei.size(1), generator=g, dtype=torch.float64) * 10 + 0.01) * scale
    return data


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dense_threshold", [1000, 0])
def test_rw_pe_matches_dense_brute_force(weighted, dense_threshold):
    data = _messy(weighted=weighted, seed=1)
    # max_memory for 4-column blocks: the sparse path runs in several blocks
    out = AddRandomWalkPE(6, dense_threshold=dense_threshold, max_memory=3 * 8 * 25 * 4)(data.clone())
    assert out.rw_pe.shape == (25, 6) and out.rw_pe.dtype == torch.float32
    np.testing.assert_allclose(out.rw_pe.numpy(), _brute_rw(data, 6), atol=1e-6)


def test_rw_pe_weights_change_the_result_and_pyg_agrees_without_them():
    from torch_geometric.transforms import AddRandomWalkPE as PygRandomWalkPE

    plain = _connected(30, 40, seed=2, weighted=False)  # no repeated edges: PyG's dense path is exact then
    ours = AddRandomWalkPE(5)(plain.clone()).rw_pe
    theirs = PygRandomWalkPE(5, attr_name="pe")(plain.clone()).pe
    torch.testing.assert_close(ours, theirs.float(), atol=1e-6, rtol=0)
    weighted = _connected(30, 40, seed=2, weighted=True)
    got = AddRandomWalkPE(5)(weighted.clone()).rw_pe
    np.testing.assert_allclose(got.numpy(), _brute_rw(weighted, 5), atol=1e-6)
    assert not torch.allclose(got, ours, atol=1e-3)


def test_rw_pe_zero_degree_nodes():
    # 0 -> 1 -> 0, node 2 isolated, node 3 only a zero-weight edge, node 4 only a self-loop
    data = Data(edge_index=torch.tensor([[0, 1, 3, 4], [1, 0, 0, 4]]), edge_weight=torch.tensor([1.0, 2.0, 0.0, 5.0]),
                num_nodes=5)
    for threshold in (100, 0):
        pe = AddRandomWalkPE(4, dense_threshold=threshold)(data.clone()).rw_pe
        torch.testing.assert_close(pe[0], torch.tensor([0.0, 1.0, 0.0, 1.0]))
        assert bool((pe[2] == 0).all()) and bool((pe[3] == 0).all())
        torch.testing.assert_close(pe[4], torch.ones(4))


def test_rw_pe_never_overflows():
    ref = AddRandomWalkPE(5)(_messy(seed=3)).rw_pe
    # uniform weights, however large (a hub's degree beyond float64) or small (subnormal),
    # do not change the walk
    for scale in (5e307, 1e-300, 1e-322):
        data = _messy(seed=3)
        data.edge_weight = torch.full((data.edge_index.size(1),), scale, dtype=torch.float64)
        for threshold in (1000, 0):
            pe = AddRandomWalkPE(5, dense_threshold=threshold)(data.clone()).rw_pe
            assert bool(torch.isfinite(pe).all())
            torch.testing.assert_close(pe, ref, atol=1e-6, rtol=0)
    big = _messy(seed=4, weighted=True, scale=1e37)  # float32 weights near their limit
    big.edge_weight = big.edge_weight.float()
    pe = AddRandomWalkPE(5)(big.clone()).rw_pe
    assert bool(torch.isfinite(pe).all()) and bool((pe >= 0).all()) and bool((pe <= 1 + 1e-6).all())
    np.testing.assert_allclose(pe.numpy(), _brute_rw(_messy(seed=4, weighted=True), 5), atol=1e-5)


def test_rw_pe_progress_and_bad_arguments(capsys):
    data = _messy(seed=5)
    quiet = AddRandomWalkPE(3, dense_threshold=0)(data.clone()).rw_pe
    shown = AddRandomWalkPE(3, dense_threshold=0, progress=True)(data.clone()).rw_pe
    assert torch.equal(quiet, shown)
    for bad, exc in ((0, ValueError), (1.5, TypeError), (None, TypeError)):
        with pytest.raises(exc, match="walk_length"):
            AddRandomWalkPE(bad)
    with pytest.raises(TypeError, match="progress"):
        AddRandomWalkPE(3, progress="yes")
    with pytest.raises(ValueError, match="max_memory"):
        AddRandomWalkPE(3, max_memory=0)
    with pytest.raises(ValueError, match="empty graph"):
        AddRandomWalkPE(3)(Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=0))
    data = _messy(seed=5, weighted=True)
    data.edge_weight[0] = float("inf")
    with pytest.raises(ValueError, match="not finite"):
        AddRandomWalkPE(3)(data)
    data.edge_weight[0] = -2.0
    with pytest.raises(ValueError, match="negative"):
        AddRandomWalkPE(3)(data)
    assert repr(AddRandomWalkPE(8)) == "AddRandomWalkPE(walk_length=8)"


# ----------------------------------------------------------------- sign flip


def _batch_pe():
    pe = torch.randn(10, 4, generator=torch.Generator().manual_seed(0))
    pe[:, 3] = 0  # a padding column
    batch = torch.tensor([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    return pe, batch


def test_sign_flip_is_reproducible_and_per_graph():
    pe, batch = _batch_pe()
    a = random_sign_flip(pe, batch, torch.Generator().manual_seed(7))
    b = random_sign_flip(pe, batch, torch.Generator().manual_seed(7))
    assert torch.equal(a, b)
    assert bool((a.abs() == pe.abs()).all()) and bool((a[:, 3] == 0).all())
    gen = torch.Generator().manual_seed(1)
    signs = []
    for _ in range(20):  # consecutive steps draw anew
        out = random_sign_flip(pe, batch, gen)
        s = torch.sign(out[:, :3] * pe[:, :3])
        for g in range(3):  # one sign per graph and column
            rows = s[batch == g]
            assert bool((rows == rows[0]).all())
        signs.append(torch.stack([s[batch == g][0] for g in range(3)]))
    signs = torch.stack(signs)  # [steps, graphs, columns]
    assert bool((signs[:, 0] != signs[:, 1]).any())  # graphs of one batch get different signs
    assert bool((signs != signs[0]).any())  # and different steps too
    assert (signs == 1).float().mean().item() == pytest.approx(0.5, abs=0.15)


def test_sign_flip_global_generator_one_graph_and_autograd():
    pe, _ = _batch_pe()
    torch.manual_seed(3)
    a = random_sign_flip(pe)
    torch.manual_seed(3)
    assert torch.equal(a, random_sign_flip(pe))
    s = torch.sign(a[:, :3] * pe[:, :3])
    assert bool((s == s[0]).all())  # batch=None: one graph, one sign per column
    x = pe.clone().requires_grad_(True)
    random_sign_flip(x, generator=torch.Generator().manual_seed(0)).sum().backward()
    assert bool((x.grad.abs() == 1).all())


def test_sign_flip_module_train_and_eval():
    pe, batch = _batch_pe()
    a, b = RandomSignFlip(seed=5), RandomSignFlip(seed=5)
    assert torch.equal(a(pe, batch), b(pe, batch))  # the same seed, the same draws
    assert torch.equal(a(pe, batch), random_sign_flip(pe, batch, _advanced(5)))
    a.eval()
    assert a(pe, batch) is pe  # identity in eval mode
    assert repr(a) == "RandomSignFlip(seed=5)"


def _advanced(seed):
    """A generator seeded like RandomSignFlip(seed) after one call on _batch_pe()."""
    g = torch.Generator().manual_seed(seed)
    random_sign_flip(*_batch_pe(), generator=g)
    return g


def test_sign_flip_bad_arguments():
    pe, batch = _batch_pe()
    with pytest.raises(ValueError, match=r"shape \[N, k\]"):
        random_sign_flip(pe[:, 0])
    with pytest.raises(TypeError, match="float"):
        random_sign_flip(pe.long())
    with pytest.raises(ValueError, match=r"shape \[10\]"):
        random_sign_flip(pe, batch[:-1])
    with pytest.raises(TypeError, match="integer tensor"):
        random_sign_flip(pe, batch.float())
    with pytest.raises(TypeError, match="torch.Generator"):
        random_sign_flip(pe, batch, generator=0)
    with pytest.raises(ValueError, match="outside"):
        random_sign_flip(pe, batch, num_graphs=2)
    with pytest.raises(ValueError, match="seed"):
        RandomSignFlip(seed=-1)


# ----------------------------------------------------------------- precompute and cache


def _graphs(count=5):
    return [_connected(12 + i, 10, seed=20 + i) for i in range(count)]


def _count_calls(monkeypatch, cls):
    calls = []
    forward = cls.forward

    def counted(self, data):
        calls.append(1)
        return forward(self, data)

    monkeypatch.setattr(cls, "forward", counted)
    return calls


def test_precompute_caches_and_loads(tmp_path, monkeypatch):
    calls = _count_calls(monkeypatch, AddLaplacianPE)
    graphs = _graphs()
    path = tmp_path / "pe.pt"
    first = precompute(graphs, AddLaplacianPE(3, eigval_attr="ev"), path, progress=False)
    assert len(calls) == 5 and path.is_file()
    assert all("lap_pe" not in g for g in graphs)  # the inputs are left alone
    second = precompute(graphs, AddLaplacianPE(3, eigval_attr="ev"), path, progress=False)
    assert len(calls) == 5  # loaded, not recomputed
    for a, b in zip(first, second):
        assert torch.equal(a.lap_pe, b.lap_pe) and torch.equal(a.ev, b.ev) and torch.equal(a.edge_index, b.edge_index)
    # a changed parameter, a changed graph: recomputed
    precompute(graphs, AddLaplacianPE(4, eigval_attr="ev"), path, progress=False)
    assert len(calls) == 10
    changed = [g.clone() for g in graphs]
    changed[2].edge_weight = changed[2].edge_weight * 2 + 1
    third = precompute(changed, AddLaplacianPE(4, eigval_attr="ev"), path, progress=False)
    assert len(calls) == 15 and third[2].lap_pe.shape == (14, 4)
    # a damaged cache file: recomputed with a warning
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="graphlearn cache"):
        precompute(changed, AddLaplacianPE(4, eigval_attr="ev"), path, progress=False)
    assert len(calls) == 20


def test_precompute_folder_keeps_one_file_per_transform(tmp_path, monkeypatch):
    lap = _count_calls(monkeypatch, AddLaplacianPE)
    rw = _count_calls(monkeypatch, AddRandomWalkPE)
    graphs = _graphs(3)
    for _ in range(2):
        a = precompute(graphs, AddLaplacianPE(2), tmp_path, progress=False)
        b = precompute(graphs, AddRandomWalkPE(4), tmp_path, progress=False)
    assert len(lap) == 3 and len(rw) == 3 and len(list(tmp_path.glob("precompute-*.pt"))) == 2
    assert a[0].lap_pe.shape == (12, 2) and b[0].rw_pe.shape == (12, 4)


def test_precompute_failed_write_leaves_no_file(tmp_path, monkeypatch):
    graphs = _graphs(3)
    path = tmp_path / "pe.pt"

    def full_disk(obj, f, *args, **kwargs):
        f.write(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.warns(UserWarning, match="could not write cache"):
        out = precompute(graphs, AddLaplacianPE(2), path, progress=False)
    assert not path.exists() and _io.leftover_temporaries(tmp_path) == [] and os.listdir(tmp_path) == []
    expected = AddLaplacianPE(2)(graphs[1].clone()).lap_pe
    assert torch.equal(out[1].lap_pe, expected)  # the result is there all the same


def test_precompute_without_cache_and_uncacheable_results(tmp_path):
    from graphlearn.transforms import ToCSR

    graphs = _graphs(2)
    out = precompute(graphs[0], AddRandomWalkPE(2), progress=False)  # one Data
    assert len(out) == 1 and out[0].rw_pe.shape == (12, 2)
    with pytest.warns(RuntimeWarning, match="cannot cache attribute 'adj'"):
        out = precompute(graphs, ToCSR(), tmp_path / "csr.pt", progress=False)
    assert not (tmp_path / "csr.pt").exists() and out[1].adj.num_rows == 13
    with pytest.raises(TypeError, match="callable"):
        precompute(graphs, "AddLaplacianPE")
    with pytest.raises(TypeError, match="dataset must be"):
        precompute(iter(graphs), AddLaplacianPE(2))
    with pytest.raises(TypeError, match="not a Data"):
        precompute(graphs, lambda g: None, progress=False)


def test_precompute_an_ogb_graph_dataset(tmp_path, monkeypatch):
    from torch_geometric.loader import DataLoader

    from graphlearn.datasets.ogb import OGBGraphDataset

    calls = _count_calls(monkeypatch, AddLaplacianPE)
    folder = str(tmp_path / "ogbg_molesol")
    ref = write_mol_like(folder)
    ds = load_ogb("ogbg-molesol", folder)
    cache = os.path.dirname(ds.cache_path)  # beside the processed graphs
    out = precompute(ds, AddLaplacianPE(3), cache, progress=False)
    assert isinstance(out, OGBGraphDataset) and len(out) == 6 and len(calls) == 6
    assert torch.equal(out.get_idx_split()["train"], torch.arange(4)) and out.num_tasks == ds.num_tasks
    for i in range(6):
        assert out[i].lap_pe.shape == (int(ref["num_nodes"][i]), 3)
        assert torch.equal(out[i].x, ds[i].x) and torch.equal(out[i].edge_index, ds[i].edge_index)
        assert torch.equal(out[i].lap_pe, AddLaplacianPE(3)(ds[i]).lap_pe)
    assert bool((out[2].lap_pe == 0).all())  # the molecule of one atom
    batch = next(iter(DataLoader(out, batch_size=6)))
    assert batch.lap_pe.shape == (int(ref["num_nodes"].sum()), 3)
    flipped = RandomSignFlip(seed=0)(batch.lap_pe, batch.batch)
    assert torch.equal(flipped.abs(), batch.lap_pe.abs())
    again = precompute(load_ogb("ogbg-molesol", folder), AddLaplacianPE(3), cache, progress=False)
    assert len(calls) == 6 + 6  # 6 computed above for the comparisons, none for the reload
    assert all(torch.equal(again[i].lap_pe, out[i].lap_pe) for i in range(6))
    sub = precompute(ds[torch.tensor([5, 1])], AddLaplacianPE(3), progress=False)
    assert len(sub) == 2 and torch.equal(sub[0].lap_pe, out[5].lap_pe)


def test_transform_key_sees_every_parameter():
    key = positional._describe
    assert key(AddLaplacianPE(3)) == key(AddLaplacianPE(3))
    assert key(AddLaplacianPE(3)) != key(AddLaplacianPE(3, seed=1))
    assert key(AddLaplacianPE(3)) != key(AddLaplacianPE(3, tol=1e-9))
    assert key(AddRandomWalkPE(3)) != key(AddRandomWalkPE(4))
    from torch_geometric.transforms import Compose

    assert key(Compose([AddRandomWalkPE(3)])) != key(Compose([AddRandomWalkPE(4)]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        key(Compose([AddRandomWalkPE(3), AddLaplacianPE(2)]))
