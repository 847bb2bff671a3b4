"""The GCN model: follows the graph it is given (no silent cache), equals PyG's computation."""
import pytest
import torch

from graphlearn.datasets import random_graph
from graphlearn.nn import GCN


def _pyg_gcn(model: GCN, x, edge_index, edge_weight=None):
    """The same network computed with PyG's GCNConv layers (eval mode: no dropout)."""
    from torch_geometric.nn import GCNConv as PyGGCNConv

    h = x
    for i, conv in enumerate(model.convs):
        ref = PyGGCNConv(conv.in_channels, conv.out_channels)
        with torch.no_grad():
            ref.lin.weight.copy_(conv.lin.weight)
            ref.bias.copy_(conv.bias)
        h = ref(h, edge_index, edge_weight)
        if i < len(model.convs) - 1:
            h = torch.relu(h)
    return h


def _graph(num_nodes, num_edges, seed):
    """Random edges with a hub, duplicates, isolated nodes and one self-loop (PyG keeps one
    of several loops on a node where graphlearn sums them, so at most one per node)."""
    ei = random_graph(num_nodes, num_edges, seed=seed, self_loops=False)
    return torch.cat([ei[:, ei[0] != ei[1]], torch.tensor([[1], [1]])], 1)


def _randomise_bias(model):
    with torch.no_grad():
        for conv in model.convs:
            conv.bias.normal_()


def test_two_graphs_through_one_gcn_give_different_outputs():
    """The old GCN cached the first graph by default and silently reused it; now each
    graph gives its own output, equal to a fresh model's and to PyG's."""
    torch.manual_seed(0)
    x = torch.randn(40, 10)
    a = _graph(40, 150, seed=1)
    b = _graph(40, 150, seed=2)
    model = GCN(10, 16, 3, num_layers=3).eval()
    _randomise_bias(model)
    out_a, out_b = model(x, a), model(x, b)
    assert not torch.allclose(out_a, out_b, atol=1e-3)
    for graph, out in ((a, out_a), (b, out_b)):
        fresh = GCN(10, 16, 3, num_layers=3).eval()
        fresh.load_state_dict(model.state_dict())
        torch.testing.assert_close(out, fresh(x, graph))
        torch.testing.assert_close(out, _pyg_gcn(model, x, graph), rtol=1e-4, atol=1e-5)
    # graphs of different sizes (inductive use): nothing of the first graph sticks
    y = torch.randn(25, 10)
    c = _graph(25, 80, seed=3)
    torch.testing.assert_close(model(y, c), _pyg_gcn(model, y, c), rtol=1e-4, atol=1e-5)


def test_gcn_with_edge_weights_and_data_input():
    from torch_geometric.data import Data

    torch.manual_seed(1)
    x = torch.randn(30, 6)
    ei = _graph(30, 100, seed=4)
    w = torch.rand(ei.size(1)) + 0.1
    model = GCN(6, 8, 2).eval()
    _randomise_bias(model)
    expected = _pyg_gcn(model, x, ei, w)
    torch.testing.assert_close(model(x, ei, w), expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model(x, Data(edge_index=ei, edge_weight=w, num_nodes=30)), expected,
                               rtol=1e-4, atol=1e-5)


def test_cached_gcn_checks_its_graph():
    torch.manual_seed(2)
    x = torch.randn(30, 6)
    a, b = _graph(30, 100, seed=5), _graph(30, 100, seed=6)
    model = GCN(6, 8, 2, cached=True).eval()
    first = model(x, a)
    torch.testing.assert_close(model(x, a), first)
    with pytest.raises(ValueError, match=r"GCN\(cached=True\).*different graph"):
        model(x, b)
    model.reset_cache()
    torch.testing.assert_close(model(x, b), _pyg_gcn(model, x, b), rtol=1e-4, atol=1e-5)


def test_dropout_only_in_training_and_shapes():
    torch.manual_seed(3)
    x = torch.randn(30, 6)
    ei = _graph(30, 100, seed=7)
    model = GCN(6, 8, 4, num_layers=1, dropout=0.5)
    assert len(model.convs) == 1 and model(x, ei).shape == (30, 4)
    model.eval()
    torch.testing.assert_close(model(x, ei), model(x, ei))
    model.train()
    assert not torch.allclose(model(x, ei), model(x, ei))
    with pytest.raises(ValueError, match="num_layers"):
        GCN(6, 8, 4, num_layers=0)
    assert repr(GCN(6, 8, 4)) == "GCN(6, 8, 4, num_layers=2, dropout=0.5)"
