"""hetero_csr: one CSR per relation of a HeteroData, in the graph contract."""
import pytest
import torch
from torch_geometric.data import HeteroData

from graphlearn import ops
from graphlearn.sparse import hetero_csr


def graph(weighted=False):
    d = HeteroData()
    d["movie"].x = torch.randn(4, 3, dtype=torch.float64)
    d["actor"].num_nodes = 5
    d["movie", "by", "actor"].edge_index = torch.tensor([[0, 0, 1, 3, 3], [0, 4, 4, 2, 2]])  # a repeated edge
    d["actor", "in", "movie"].edge_index = torch.tensor([[1], [2]])
    if weighted:
        d["movie", "by", "actor"].edge_weight = torch.tensor([1.0, 2.0, 3.0, 0.5, 0.25], dtype=torch.float64)
    return d


def dense(d, et, weighted):
    """[N_dst, N_src] with row t summing the sources of edges into t."""
    src, _, dst = et
    out = torch.zeros(d[dst].num_nodes, d[src].num_nodes, dtype=torch.float64)
    ei = d[et].edge_index
    w = d[et].edge_weight if weighted and "edge_weight" in d[et] else torch.ones(ei.size(1), dtype=torch.float64)
    for k in range(ei.size(1)):
        out[ei[1, k], ei[0, k]] += w[k]
    return out


@pytest.mark.parametrize("weighted", [False, True])
def test_each_relation_aggregates_at_its_destination(weighted):
    d = graph(weighted)
    adj = hetero_csr(d)
    assert list(adj) == d.edge_types
    for et, a in adj.items():
        assert a.shape == (d[et[2]].num_nodes, d[et[0]].num_nodes)
        x = torch.randn(d[et[0]].num_nodes, 2, dtype=torch.float64)
        torch.testing.assert_close(ops.spmm(a, x), dense(d, et, weighted) @ x)


def test_reverse_relations_are_the_transposes():
    d = graph(True)
    adj = hetero_csr(d, reverse=True)
    rev = ("actor", "rev_by", "movie")
    assert list(adj)[:2] == d.edge_types and rev in adj and ("movie", "rev_in", "actor") in adj
    x = torch.randn(5, 2, dtype=torch.float64)
    torch.testing.assert_close(ops.spmm(adj[rev], x), dense(d, ("movie", "by", "actor"), True).t() @ x)
    assert len(hetero_csr(d, reverse=True, reverse_prefix="back_")) == 4


def test_errors():
    d = graph()
    d["movie", "by", "actor"].edge_index = torch.tensor([[0], [5]])
    with pytest.raises(ValueError, match=r"edge_index\[1, 0\] = 5 is not a 'actor' node id in \[0, 5\)"):
        hetero_csr(d)
    d = graph()
    d["movie", "by", "actor"].edge_weight = torch.ones(2)
    with pytest.raises(ValueError, match="one weight per edge"):
        hetero_csr(d)
    d = graph()
    d["movie", "by", "actor"].edge_index = torch.tensor([0, 1])
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        hetero_csr(d)
    with pytest.raises(TypeError, match="HeteroData"):
        hetero_csr(torch.zeros(2, 2))
    d = graph()
    d["actor"].num_nodes = 0
    with pytest.raises(ValueError, match="no nodes"):
        hetero_csr(d)
