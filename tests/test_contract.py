"""The graph contract (graphlearn.sparse): one conversion, as_csr, and one pair parser,
as_pairs. The same directed, weighted graph with isolated nodes, given in every accepted
form, must give the same CSR and the same result in every consumer, for every option."""
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphlearn import ops
from graphlearn.embed import FastRP
from graphlearn.sparse import CSR, as_csr, as_pairs

N = 12  # nodes 5, 10 and 11 are isolated


def _graph():
    rng = np.random.default_rng(0)
    nodes = [v for v in range(N) if v not in (5, 10, 11)]
    pairs = {(int(a), int(b)) for a, b in rng.choice(nodes, size=(40, 2))}
    pairs |= {(2, 2)}  # a self-loop
    pairs -= {(b, a) for a, b in list(pairs) if a < b}  # directed: no reciprocal pairs
    ei = torch.tensor(sorted(pairs), dtype=torch.long).t().contiguous()
    w = torch.from_numpy(rng.random(ei.size(1)).astype(np.float32) + 0.25)
    return ei, w


def _forms():
    from torch_geometric.data import Data

    ei, w = _graph()
    a = sp.coo_matrix((w.numpy(), (ei[0].numpy(), ei[1].numpy())), shape=(N, N))
    t = torch.sparse_coo_tensor(ei, w, (N, N))
    return {
        "csr": lambda: as_csr(as_csr(ei, N, edge_weight=w)),
        "edge_index": lambda: as_csr(ei, N, edge_weight=w),
        "numpy": lambda: as_csr(ei.numpy(), N, edge_weight=w),
        "scipy_coo": lambda: as_csr(a),
        "scipy_csr": lambda: as_csr(a.tocsr()),
        "scipy_csc_array": lambda: as_csr(sp.csc_array(a)),
        "torch_coo": lambda: as_csr(t),
        "torch_csr": lambda: as_csr(t.to_sparse_csr()),
        "data": lambda: as_csr(Data(edge_index=ei, edge_weight=w, num_nodes=N)),
    }


FORMS = list(_forms())


@pytest.mark.parametrize("form", FORMS)
def test_every_form_gives_the_same_csr(form):
    ref = as_csr(*_graph()[:1], N, edge_weight=_graph()[1])
    got = _forms()[form]()
    assert got.shape == (N, N)
    assert torch.equal(got.rowptr.long(), ref.rowptr.long()) and torch.equal(got.col.long(), ref.col.long())
    torch.testing.assert_close(got.value.float(), ref.value)


def test_rows_aggregate_in_message_passing_direction():
    ei, w = _graph()
    adj = as_csr(ei, N, edge_weight=w)
    x = torch.randn(N, 3)
    want = torch.zeros(N, 3)
    for (s, t), wt in zip(ei.t().tolist(), w.tolist()):
        want[t] += wt * x[s]  # message s -> t, aggregated at the target
    torch.testing.assert_close(ops.spmm(adj, x), want)
    # PyG's MessagePassing aggregates the same way
    from torch_geometric.utils import scatter

    torch.testing.assert_close(scatter(w[:, None] * x[ei[0]], ei[1], 0, dim_size=N, reduce="sum"), want)
    # target_to_source reverses every edge
    rev = as_csr(ei, N, edge_weight=w, flow="target_to_source")
    torch.testing.assert_close(rev.to_scipy().toarray(), adj.to_scipy().toarray().T)
    # the low-level matrix constructor stores the coordinates as given: the transpose
    raw = CSR.from_edge_index(ei, N, w)
    torch.testing.assert_close(raw.to_scipy().toarray(), adj.to_scipy().toarray().T)


def test_undirected_and_symmetric():
    ei, _ = _graph()
    sym = as_csr(ei, N, symmetrize=True)
    dense = sym.to_scipy().toarray()
    np.testing.assert_array_equal(dense, dense.T)
    assert sym.t() is sym  # known symmetric: its own transpose, no work
    both = as_csr(torch.cat([ei, ei.flip(0)], 1), N, dedupe=True)
    np.testing.assert_array_equal(both.to_scipy().toarray() > 0, dense > 0)


@pytest.mark.parametrize("direction", ["out", "in", "both"])
@pytest.mark.parametrize("propagation", ["transition", "adjacency"])
def test_fastrp_same_result_in_every_form(direction, propagation):
    from torch_geometric.data import Data

    ei, w = _graph()
    kw = dict(dim=16, iteration_weights=(0.5, 1.0, 1.0), propagation=propagation, direction=direction,
              output="none", sparsity=1, random_state=3)
    a = sp.coo_matrix((w.numpy(), (ei[0].numpy(), ei[1].numpy())), shape=(N, N))
    inputs = {
        "csr": (as_csr(ei, N, edge_weight=w), {}),
        "scipy": (a.tocsr(), {}),
        "torch_sparse": (torch.sparse_coo_tensor(ei, w, (N, N)), {}),
        "data": (Data(edge_index=ei, edge_weight=w, num_nodes=N), {}),
    }
    ref = None
    for name, (g, extra) in inputs.items():
        emb = FastRP(**kw).fit_transform(g, **extra)
        assert emb.shape == (N, 16)
        assert np.all(emb[[5, 10, 11]] == 0)  # isolated nodes
        if ref is None:
            ref = emb
        np.testing.assert_allclose(emb, ref, rtol=1e-5, atol=1e-6, err_msg=name)


def test_fastrp_direction_means_what_it_says():
    """"out" averages over successors, "in" over predecessors: reversing every edge swaps them."""
    ei, w = _graph()
    kw = dict(dim=16, iteration_weights=(1.0,), output="none", sparsity=1, random_state=3)
    out = FastRP(direction="out", **kw).fit_transform(as_csr(ei, N, edge_weight=w))
    into = FastRP(direction="in", **kw).fit_transform(as_csr(ei, N, edge_weight=w))
    flipped = FastRP(direction="out", **kw).fit_transform(as_csr(ei.flip(0), N, edge_weight=w))
    assert not np.allclose(out, into)
    np.testing.assert_allclose(into, flipped, rtol=1e-6)
    # one step of "out" with transition weights: the weighted mean of the successors' vectors
    r = FastRP(dim=16, iteration_weights=(1.0,), output="none", sparsity=1, random_state=3,
               normalize_iterations=False, normalization_strength=0.0)
    emb = r.fit_transform(as_csr(ei, N, edge_weight=w))
    x0 = ops.fastrp_random(torch.arange(N), 16, 1.0, 3).numpy()
    x0[np.bincount(ei[0].numpy(), minlength=N) == 0] = 0  # no successors: a zero start vector
    node = int(ei[0, 0])
    succ = ei[1, ei[0] == node].numpy()
    ws = w[ei[0] == node].numpy()
    np.testing.assert_allclose(emb[node], (ws[:, None] * x0[succ]).sum(0) / ws.sum(), rtol=1e-5)


def test_as_csr_errors():
    ei, w = _graph()
    with pytest.raises(TypeError, match="edge_index .*scipy.*Data"):
        as_csr([[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"shape \[2, E\], got \[5, 2\]; pass edge_index.t\(\)"):
        as_csr(torch.zeros(5, 2, dtype=torch.long))
    with pytest.raises(TypeError, match=r"float32 array of shape \[2, \d+\].*integer \[2, E\] edge_index"):
        as_csr(ei.float())
    with pytest.raises(TypeError, match="dense adjacency matrix pass adj.to_sparse"):
        as_csr(np.eye(3))
    with pytest.raises(ValueError, match="num_nodes=5"):
        as_csr(as_csr(ei, N), 5)
    with pytest.raises(ValueError, match="out of range for 5 nodes"):
        as_csr(ei, 5)
    with pytest.raises(ValueError, match="must be square"):
        as_csr(sp.coo_matrix((3, 4)))
    with pytest.raises(ValueError, match="flow"):
        as_csr(ei, flow="sideways")
    with pytest.raises(TypeError, match="num_nodes must be an integer"):
        as_csr(ei, 12.5)
    with pytest.raises(ValueError, match="empty graph"):
        as_csr(torch.zeros(2, 0, dtype=torch.long))
    assert as_csr(torch.zeros(2, 0, dtype=torch.long), 3).nnz == 0  # isolated nodes only


def test_as_pairs():
    src, dst = as_pairs(torch.tensor([[0, 1, 2], [3, 4, 5]]))
    assert src.tolist() == [0, 1, 2] and dst.tolist() == [3, 4, 5] and src.dtype == torch.long
    for given in (np.array([[0, 1, 2], [3, 4, 5]]), (torch.tensor([0, 1, 2]), np.array([3, 4, 5])),
                  [[0, 1, 2], [3, 4, 5]]):
        s, d = as_pairs(given)
        assert s.tolist() == [0, 1, 2] and d.tolist() == [3, 4, 5]
    assert as_pairs(torch.zeros(2, 0, dtype=torch.int32))[0].numel() == 0
    with pytest.raises(ValueError, match=r"q must have shape \[2, P\] .*got \[3, 2\]; for \[P, 2\] pairs pass pairs.t\(\)"):
        as_pairs(torch.zeros(3, 2, dtype=torch.long), name="q")
    with pytest.raises(ValueError, match=r"got \[6\]"):
        as_pairs(torch.zeros(6, dtype=torch.long))
    with pytest.raises(TypeError, match="integer node ids"):
        as_pairs(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"pairs\[1, 2\] = 9 is not a node id in \[0, 6\)"):
        as_pairs(torch.tensor([[0, 1, 2], [3, 4, 9]]), 6)
    with pytest.raises(ValueError, match=r"pairs\[0, 0\] = -1"):
        as_pairs(torch.tensor([[-1], [0]]), 6)


def _counted_forms():
    """The forms that carry their node count (an edge_index alone cannot know about
    the isolated nodes 10 and 11 at the end)."""
    from torch_geometric.data import Data

    ei, w = _graph()
    a = sp.coo_matrix((w.numpy(), (ei[0].numpy(), ei[1].numpy())), shape=(N, N))
    return {"csr": as_csr(ei, N, edge_weight=w), "scipy": a.tocsr(), "torch_sparse": torch.sparse_coo_tensor(ei, w, (N, N)),
            "data": Data(edge_index=ei, edge_weight=w, num_nodes=N)}


@pytest.mark.parametrize("form", ["csr", "scipy", "torch_sparse", "data", "edge_index"])
def test_ops_same_result_in_every_form(form):
    ei, w = _graph()
    ref = as_csr(ei, N, edge_weight=w)
    g = dict(_counted_forms(), edge_index=ei)[form]
    x = torch.randn(N, 4, dtype=torch.float32)
    for reduce in ("sum", "mean", "max", "min"):
        want = ops.spmm(ref, x, reduce)
        got = ops.spmm(g, x, reduce)  # an edge_index has no weights here: compare with the unweighted CSR
        if form == "edge_index":
            want = ops.spmm(ref.with_value(None), x, reduce)
        torch.testing.assert_close(got, want)
    torch.testing.assert_close(ops.sddmm(g, x, x), ops.sddmm(ref, x, x))
    if form == "edge_index":
        return  # the other ops have no features to tell them the node count
    scores = torch.randn(ref.nnz)
    torch.testing.assert_close(ops.segment_softmax(g, scores), ops.segment_softmax(ref, scores))
    pairs = torch.tensor([[0, 1, 2, 3, 10], [4, 2, 2, 11, 11]])
    assert torch.equal(ops.common_neighbors(g, pairs), ops.common_neighbors(ref, pairs))
    roots = torch.tensor([0, 3, 11])
    assert torch.equal(ops.khop_distances(g, roots, 3), ops.khop_distances(ref, roots, 3))


@pytest.mark.parametrize("form", ["csr", "scipy", "torch_sparse", "data"])
def test_linkpred_heuristics_same_result_in_every_form(form):
    """linkpred makes every graph undirected through as_csr: the same scores from any form."""
    from graphlearn.linkpred import AdamicAdar, CommonNeighbors, PersonalizedPageRank

    g = _counted_forms()[form]
    ref = _counted_forms()["csr"]
    pairs = torch.tensor([[0, 1, 2, 3, 4, 6], [4, 2, 7, 8, 11, 9]])
    for cls in (CommonNeighbors, AdamicAdar, PersonalizedPageRank):
        torch.testing.assert_close(cls().fit(g, num_nodes=N)(pairs), cls().fit(ref, num_nodes=N)(pairs))


# ------------------------------------------------ issue 11: counts and ids are never truncated

@pytest.mark.parametrize("call", [
    lambda: as_csr(CSR.from_edge_index(torch.tensor([[0, 1], [1, 2]]), 3), 3.7),
    lambda: as_csr(sp.eye(3, format="csr"), 3.2),
    lambda: as_csr(torch.tensor([[0, 1], [1, 2]]), 3.7),
    lambda: as_csr(torch.tensor([[0, 1], [1, 0]]), True),
    lambda: as_pairs(torch.tensor([[0, 1], [1, 2]]), 3.7),
])
def test_truncation_num_nodes_must_be_an_integer(call):
    with pytest.raises(TypeError, match="num_nodes"):
        call()


@pytest.mark.parametrize("ids", [
    [[0.5, 1], [1, 2]],
    np.array([[0.0, 1.0], [1.0, 2.0]]),
    (np.array([0.5]), np.array([1])),
    np.array([[0, 1], [1, 2]], dtype=object),
])
def test_truncation_float_ids_are_refused(ids):
    with pytest.raises(TypeError):
        as_pairs(ids)
    if not isinstance(ids, tuple):
        with pytest.raises(TypeError):
            as_csr(np.asarray(ids) if not isinstance(ids, np.ndarray) else ids)


def test_truncation_unsigned_ids_beyond_int64():
    with pytest.raises(ValueError, match="does not fit in int64"):
        as_pairs(np.array([[2**63 + 5], [0]], dtype=np.uint64))
    src, dst = as_pairs(np.array([[3], [4]], dtype=np.uint64), 5)
    assert src.tolist() == [3] and dst.tolist() == [4]
