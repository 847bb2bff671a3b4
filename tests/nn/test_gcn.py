import pytest
import torch

from graphlearn import CSR
from graphlearn.datasets import random_graph
from graphlearn.nn import GCNConv, gcn_norm


def test_gcn_conv_matches_pyg():
    from torch_geometric.nn import GCNConv as PyGGCNConv

    torch.manual_seed(0)
    ei = random_graph(50, 300, seed=1, self_loops=False)
    ei = torch.cat([ei[:, ei[0] != ei[1]], torch.tensor([[3], [3]])], 1)  # one existing self-loop
    x = torch.randn(50, 8)
    ours, theirs = GCNConv(8, 4), PyGGCNConv(8, 4)
    with torch.no_grad():
        theirs.lin.weight.copy_(ours.lin.weight)
        theirs.bias.copy_(torch.randn(4))
        ours.bias.copy_(theirs.bias)
    torch.testing.assert_close(ours(x, ei), theirs(x, ei), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours(x, CSR.from_edge_index(ei.flip(0), 50)), theirs(x, ei), rtol=1e-4, atol=1e-5)


def test_gcn_norm_with_weights_matches_pyg():
    from torch_geometric.nn.conv.gcn_conv import gcn_norm as pyg_norm
    from torch_geometric.utils import to_dense_adj

    ei = random_graph(30, 120, seed=2, self_loops=False)
    ei = torch.cat([ei[:, ei[0] != ei[1]], torch.tensor([[3], [3]])], 1)
    w = torch.rand(ei.size(1), dtype=torch.float64)
    adj = CSR.from_edge_index(ei.flip(0), 30, w, dedupe=True)
    ours = torch.from_numpy(gcn_norm(adj).to_scipy().toarray())
    pei, pw = pyg_norm(*CSR.from_edge_index(ei, 30, w, dedupe=True).to_edge_index(), num_nodes=30)
    theirs = to_dense_adj(pei, edge_attr=pw, max_num_nodes=30)[0].t()
    torch.testing.assert_close(ours, theirs)


def test_gcn_conv_gradients_and_cache():
    ei = random_graph(20, 60, seed=3)
    conv = GCNConv(5, 3, cached=True).double()
    x = torch.randn(20, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: conv(x, ei), (x,))
    assert conv._cache is not None
    conv.reset_parameters()
    assert conv._cache is None
    assert repr(conv) == "GCNConv(5, 3)"


def test_gcn_norm_rejects_multihead_values():
    adj = CSR.from_edge_index(random_graph(10, 20), 10)
    with pytest.raises(ValueError, match="one weight per edge"):
        gcn_norm(adj.with_value(torch.rand(adj.nnz, 2)))
