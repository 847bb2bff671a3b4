"""GCNConv and gcn_norm against PyG, for every graph form, and the checked cache."""
import pytest
import torch

from graphlearn import CSR
from graphlearn.datasets import random_graph
from graphlearn.nn import GCNConv, gcn_norm
from graphlearn.sparse import as_csr


def _pair(in_channels=8, out_channels=4, **kwargs):
    """Our layer and PyG's with the same weights (and a non-zero bias)."""
    from torch_geometric.nn import GCNConv as PyGGCNConv

    ours, theirs = GCNConv(in_channels, out_channels, **kwargs), PyGGCNConv(in_channels, out_channels, **kwargs)
    with torch.no_grad():
        theirs.lin.weight.copy_(ours.lin.weight)
        theirs.bias.copy_(torch.randn(out_channels))
        ours.bias.copy_(theirs.bias)
    return ours, theirs


def _directed_weighted(num_nodes=50, seed=1):
    """A directed graph with duplicate edges, one self-loop, weights and isolated nodes
    (random_graph leaves the last nodes without edges)."""
    ei = random_graph(num_nodes - 3, 300, seed=seed, self_loops=False)
    ei = ei[:, ei[0] != ei[1]]
    ei = torch.cat([ei, torch.tensor([[3, 5], [3, 6]]), ei[:, :4]], 1)  # one self-loop, duplicate edges
    w = torch.rand(ei.size(1), generator=torch.Generator().manual_seed(seed)) + 0.1
    return ei, w


def test_gcn_conv_matches_pyg():
    torch.manual_seed(0)
    ei = random_graph(50, 300, seed=1, self_loops=False)
    ei = torch.cat([ei[:, ei[0] != ei[1]], torch.tensor([[3], [3]])], 1)  # one existing self-loop
    x = torch.randn(50, 8)
    ours, theirs = _pair()
    torch.testing.assert_close(ours(x, ei), theirs(x, ei), rtol=1e-4, atol=1e-5)
    # the contract's CSR (rows aggregate: entry (t, s) for s -> t)
    torch.testing.assert_close(ours(x, CSR.from_edge_index(ei.flip(0), 50)), theirs(x, ei), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("improved,add_self_loops", [(False, True), (True, True), (False, False)])
def test_directed_weighted_graph_with_isolated_nodes_in_every_form(improved, add_self_loops):
    """edge_index + edge_weight, the contract's CSR and a PyG Data give PyG's output;
    isolated nodes (degree 0 without self-loops) get the bias, not NaN."""
    from torch_geometric.data import Data

    torch.manual_seed(1)
    n = 50
    ei, w = _directed_weighted(n)
    assert int(ei.max()) < n - 3  # the last three nodes are isolated
    x = torch.randn(n, 8)
    ours, theirs = _pair(improved=improved, add_self_loops=add_self_loops)
    expected = theirs(x, ei, w)
    forms = {
        "edge_index": ours(x, ei, w),
        "csr": ours(x, as_csr(ei, n, edge_weight=w)),
        "data": ours(x, Data(edge_index=ei, edge_weight=w, num_nodes=n)),
        "data+edge_weight arg": ours(x, Data(edge_index=ei, num_nodes=n), w),
    }
    for form, out in forms.items():
        assert torch.isfinite(out).all(), form
        torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-5, msg=form)
    if not add_self_loops:
        torch.testing.assert_close(forms["csr"][-3:], ours.bias.detach().expand(3, -1))


def test_normalize_false_uses_the_weights_as_given():
    from torch_geometric.nn import GCNConv as PyGGCNConv  # noqa: F401 (pair)

    torch.manual_seed(2)
    ei, w = _directed_weighted(30, seed=2)
    x = torch.randn(30, 8)
    ours, theirs = _pair(normalize=False)
    torch.testing.assert_close(ours(x, ei, w), theirs(x, ei, w), rtol=1e-4, atol=1e-5)


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
    # any graph form: the edge_index (with its weights) gives the same normalised CSR
    direct = gcn_norm(CSR.from_edge_index(ei, 30, w, dedupe=True).to_edge_index()[0], num_nodes=30,
                      edge_weight=CSR.from_edge_index(ei, 30, w, dedupe=True).value)
    torch.testing.assert_close(torch.from_numpy(direct.to_scipy().toarray()), ours)


def test_gcn_conv_gradients_and_repr():
    ei = random_graph(20, 60, seed=3)
    conv = GCNConv(5, 3).double()
    x = torch.randn(20, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: conv(x, ei), (x,))
    assert repr(conv) == "GCNConv(5, 3)"


def test_not_cached_by_default_follows_the_graph():
    """The bug this layout fixes: a layer must use the graph it is given."""
    torch.manual_seed(4)
    conv = GCNConv(6, 3)
    assert conv.cached is False
    x = torch.randn(20, 6)
    a, b = random_graph(20, 60, seed=5), random_graph(20, 60, seed=6)
    out_a, out_b = conv(x, a), conv(x, b)
    assert not torch.allclose(out_a, out_b)
    torch.testing.assert_close(conv(x, a), out_a)


def test_cached_layer_reuses_and_checks_the_graph():
    from torch_geometric.data import Data

    torch.manual_seed(5)
    n = 20
    ei = random_graph(n, 60, seed=7)
    x = torch.randn(n, 6)
    conv = GCNConv(6, 3, cached=True)
    fresh = GCNConv(6, 3)
    fresh.load_state_dict(conv.state_dict())
    expected = fresh(x, ei)
    torch.testing.assert_close(conv(x, ei), expected)
    assert conv._cache.value is not None
    cached = conv._cache.value
    torch.testing.assert_close(conv(x, ei), expected)  # same tensor: served from the cache
    assert conv._cache.value is cached
    # the same graph in another object (a copy, or as a Data) is recognised as the same graph
    torch.testing.assert_close(conv(x, ei.clone()), expected)
    torch.testing.assert_close(conv(x, Data(edge_index=ei, num_nodes=n)), expected)
    assert conv._cache.value is cached
    # another graph of the same size, and one of another size: a clear error, not a silent reuse
    other = random_graph(n, 60, seed=8)
    with pytest.raises(ValueError, match="different graph .*cached=False"):
        conv(x, other)
    with pytest.raises(ValueError, match="different graph"):
        conv(torch.randn(n + 5, 6), random_graph(n + 5, 80, seed=9))
    # an in-place edit of the cached tensor is noticed too (version counter)
    edited = ei.clone()
    conv.reset_cache()
    conv(x, edited)
    edited[1, 0] = (edited[1, 0] + 1) % n
    with pytest.raises(ValueError, match="different graph"):
        conv(x, edited)
    # reset_cache (and reset_parameters) let the layer take a new graph
    conv.reset_parameters()
    assert conv._cache.value is None
    fresh.load_state_dict(conv.state_dict())
    torch.testing.assert_close(conv(x, other), fresh(x, other))


def test_cached_layer_refuses_learnable_edge_weights():
    ei = random_graph(10, 30, seed=1)
    w = torch.rand(ei.size(1), requires_grad=True)
    with pytest.raises(ValueError, match="require gradients"):
        GCNConv(4, 2, cached=True)(torch.randn(10, 4), ei, w)
    GCNConv(4, 2)(torch.randn(10, 4), ei, w).sum().backward()  # uncached: weights get gradients
    assert w.grad is not None and torch.isfinite(w.grad).all()


def test_gcn_norm_rejects_multihead_values():
    adj = CSR.from_edge_index(random_graph(10, 20), 10)
    with pytest.raises(ValueError, match="one weight per edge"):
        gcn_norm(adj.with_value(torch.rand(adj.nnz, 2)))
