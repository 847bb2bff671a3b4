import networkx as nx
import pytest
import torch

from graphlearn import CSR, ops
from graphlearn.ops import reference
from tests.conftest import INDEX, big_csr, messy_csr, num_threads


def nx_distances(adj, roots, k):
    g = nx.DiGraph()
    g.add_nodes_from(range(adj.num_rows))
    ei, _ = adj.to_edge_index()
    g.add_edges_from(ei.t().tolist())
    out = torch.full((len(roots), adj.num_rows), k + 1, dtype=torch.long)
    for r, root in enumerate(roots.tolist()):
        for node, d in nx.single_source_shortest_path_length(g, root, cutoff=k).items():
            out[r, node] = d
    return out


@pytest.mark.parametrize("k", [0, 1, 2, 3, 10])
@pytest.mark.parametrize("index_dtype", INDEX)
def test_dense_matches_networkx_and_reference(k, index_dtype):
    adj = messy_csr(index_dtype=index_dtype)
    roots = torch.tensor([0, 5, adj.num_rows - 1, 5])  # hub, ordinary, isolated, repeated
    dist = ops.khop_distances(adj, roots, k)
    assert torch.equal(dist, nx_distances(adj, roots, k))
    assert torch.equal(dist, reference.khop_distances(adj, roots, k))


@pytest.mark.parametrize("k", [0, 2, 4])
def test_sparse_matches_dense(k):
    adj = messy_csr(80, 150, index_dtype=torch.int32)  # sparse enough that k matters
    roots = torch.arange(0, 80, 7)
    dense = ops.khop_distances(adj, roots, k)
    r, node, d = ops.khop_distances(adj, roots, k, sparse=True)
    assert node.dtype == torch.int32
    expected = (dense <= k).nonzero(as_tuple=True)
    assert torch.equal(r, expected[0]) and torch.equal(node.long(), expected[1])
    assert torch.equal(d, dense[expected])
    ref = reference.khop_distances(adj, roots, k, sparse=True)
    assert all(torch.equal(a.long(), b.long()) for a, b in zip((r, node, d), ref))


def test_directed_edges_are_followed_forward_only():
    adj = CSR.from_edge_index(torch.tensor([[0, 1], [1, 2]]), 3)
    assert ops.khop_distances(adj, torch.tensor([0, 2]), 5).tolist() == [[0, 1, 2], [6, 6, 0]]


def test_same_result_on_1_and_2_threads():
    adj = big_csr()
    roots = torch.arange(0, adj.num_rows, 37)
    res = []
    for n in (1, 2):
        with num_threads(n):
            res.append((ops.khop_distances(adj, roots, 3), *ops.khop_distances(adj, roots, 2, sparse=True)))
    for a, b in zip(*res):
        assert torch.equal(a, b)


def test_bad_input():
    adj = messy_csr()
    with pytest.raises(ValueError, match=r"roots\[1\] = 60 is not a node id"):
        ops.khop_distances(adj, torch.tensor([0, 60]), 2)
    with pytest.raises(ValueError, match=r"k must be an integer in \[0, 9223372036854775806\], got -1"):
        ops.khop_distances(adj, torch.tensor([0]), -1)
    with pytest.raises(TypeError, match="1-D integer"):  # a wrong dtype is a TypeError
        ops.khop_distances(adj, torch.tensor([0.5]), 1)
    with pytest.raises(ValueError, match="square"):
        ops.khop_distances(messy_csr(num_cols=10), torch.tensor([0]), 1)
    with pytest.raises(RuntimeError, match="is not a node id"):
        torch.ops.graphlearn.khop_distances(adj.rowptr, adj.col, torch.tensor([100]), 1)
    with pytest.raises(RuntimeError, match="out of range"):
        torch.ops.graphlearn.khop_distances_sparse(torch.tensor([0, 1, 1]), torch.tensor([5]), torch.tensor([0]), 2)
