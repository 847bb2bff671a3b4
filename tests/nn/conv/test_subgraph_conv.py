"""SubgraphConv's aggregations against explicit sums over the pairs, with and without
edge features, on full and ego policies; gradients; bad input."""
from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from graphlearn.datasets import random_graph
from graphlearn.nn import SubgraphConv
from graphlearn.nn.conv.subgraph_conv import AGGREGATIONS
from graphlearn.transforms import SubgraphPolicy, subgraph_structure


def graph(n=9, e=14, seed=0, edge_dim=None):
    ei = random_graph(n, e, seed=seed, isolated=1)
    ei = torch.cat([ei, ei.flip(0)], 1)
    d = Data(edge_index=ei, num_nodes=n)
    if edge_dim:
        g = torch.Generator().manual_seed(seed)
        half = torch.rand(ei.size(1) // 2, edge_dim, generator=g, dtype=torch.float64)
        d.edge_attr = torch.cat([half, half])  # the same features both ways
    return d


def brute_force(name, h, data, lin=None):
    """agg_name(h) by looping over pairs and edges."""
    pairs = [tuple(p) for p in data.sub_pair_index.t().tolist()]
    index = {p: i for i, p in enumerate(pairs)}
    edges = data.edge_index.t().tolist()
    e = lin(data.edge_attr) if lin is not None else None
    out = torch.zeros_like(h)
    for i, (u, v) in enumerate(pairs):
        if name in ("uL", "vL"):
            for k, (w, t) in enumerate(edges):
                if name == "uL" and t == v and (u, w) in index:
                    m = h[index[(u, w)]]
                elif name == "vL" and t == u and (w, v) in index:
                    m = h[index[(w, v)]]
                else:
                    continue
                out[i] += m if e is None else torch.relu(m + e[k])
        elif name == "uG":
            out[i] = sum(h[j] for j, (a, _) in enumerate(pairs) if a == u)
        elif name == "vG":
            out[i] = sum(h[j] for j, (_, b) in enumerate(pairs) if b == v)
        else:
            a, b = {"uu": (u, u), "vv": (v, v), "vu": (v, u)}[name]
            out[i] = h[index[(a, b)]]
    return out


@pytest.mark.parametrize("policy", [SubgraphPolicy("distance"), SubgraphPolicy("ego", k=1),
                                    SubgraphPolicy("ego", k=2)], ids=["distance", "ego1", "ego2"])
@pytest.mark.parametrize("edge_dim", [None, 3])
def test_aggregations_match_brute_force(policy, edge_dim):
    graphs = [policy(graph(seed=s, edge_dim=edge_dim)) for s in range(2)]
    batch = next(iter(DataLoader(graphs, batch_size=2)))
    s = subgraph_structure(batch)
    conv = SubgraphConv(4, 5, tuple(AGGREGATIONS), edge_dim=edge_dim).double()
    h = torch.randn(s.root.numel(), 4, dtype=torch.float64)
    for name in AGGREGATIONS:
        got = conv.aggregate(name, h, s, batch.edge_attr if edge_dim else None)
        lin = conv.lin_edge[name] if edge_dim and name in conv.lin_edge else None
        # per graph, in local ids (the batch offsets must not matter)
        offset = 0
        for g in graphs:
            p = g.sub_pair_index.size(1)
            want = brute_force(name, h[offset:offset + p], g, lin)
            torch.testing.assert_close(got[offset:offset + p], want, rtol=1e-10, atol=1e-12, msg=name)
            offset += p


def test_forward_is_the_sum_of_the_gin_updates_and_has_gradients():
    g = SubgraphPolicy("distance")(graph(6, 8))
    s = subgraph_structure(g)
    conv = SubgraphConv(3, 3, ("uL", "vv"), eps=0.5, mlp=(), norm=None).double()
    h = torch.randn(s.root.numel(), 3, dtype=torch.float64, requires_grad=True)
    out = conv(h, s)
    want = sum(conv.mlps[a](1.5 * h + conv.aggregate(a, h, s)) for a in ("uL", "vv"))
    torch.testing.assert_close(out, want)
    assert torch.autograd.gradcheck(lambda t: conv(t, s), (h,))
    full = SubgraphConv(3, 2, tuple(AGGREGATIONS), mlp=(), norm=None).double()  # vL, vG, vu: the transposes
    assert torch.autograd.gradcheck(lambda t: full(t, s), (h,))
    conv.eps.data.fill_(3.0)
    conv.reset_parameters()
    assert conv.eps.tolist() == [0.5, 0.5]


def test_errors():
    with pytest.raises(ValueError, match="unknown aggregation 'uX'"):
        SubgraphConv(2, 2, ("uL", "uX"))
    with pytest.raises(ValueError, match="twice"):
        SubgraphConv(2, 2, ("uL", "uL"))
    with pytest.raises(ValueError, match="at least one"):
        SubgraphConv(2, 2, ())
    with pytest.raises(TypeError, match="sequence"):
        SubgraphConv(2, 2, "uL")
    with pytest.raises(TypeError, match="not a module"):
        SubgraphConv(2, 2, ("uL",), mlp=torch.nn.Linear(2, 2))
    g = SubgraphPolicy("distance")(graph(5, 6))
    s = subgraph_structure(g)
    conv = SubgraphConv(2, 2, ("uL",))
    with pytest.raises(ValueError, match=r"shape \[N, 2\]"):
        conv(torch.zeros(s.root.numel(), 3), s)
    with pytest.raises(ValueError, match="pairs"):
        conv(torch.zeros(s.root.numel() + 1, 2), s)
    with pytest.raises(TypeError, match="SubgraphStructure"):
        conv(torch.zeros(s.root.numel(), 2), g)
    with pytest.raises(ValueError, match="edge_attr"):
        SubgraphConv(2, 2, ("uL",), edge_dim=4)(torch.zeros(s.root.numel(), 2), s)
    assert "aggregations=['uL']" in repr(conv)
