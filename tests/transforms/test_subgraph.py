"""SubgraphPolicy and subgraph_structure against brute force (networkx distances,
explicit enumeration of the pair-level edges), batching, caching and bad input."""
from __future__ import annotations

from collections import Counter

import networkx as nx
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from graphlearn.datasets import random_graph
from graphlearn.transforms import SubgraphPolicy, precompute, subgraph_structure


def messy(n=14, e=30, seed=0, isolated=2):
    """Random edges (made undirected), a hub, duplicates, self-loops, isolated nodes,
    two components."""
    ei = random_graph(n, e, seed=seed, isolated=isolated)
    ei = torch.cat([ei, ei.flip(0)], 1)
    return Data(edge_index=ei, num_nodes=n)


def nx_graph(data):
    g = nx.Graph()
    g.add_nodes_from(range(data.num_nodes))
    g.add_edges_from(data.edge_index.t().tolist())
    return g


def expected_pairs(data, policy, k=None, cap=8):
    dist = dict(nx.all_pairs_shortest_path_length(nx_graph(data)))
    n = data.num_nodes
    out = []
    for u in range(n):
        for v in range(n):
            d = dist[u].get(v)
            if policy == "ego":
                if d is not None and d <= k:
                    out.append((u, v, d))
            elif policy == "marking":
                out.append((u, v, int(u != v)))
            else:
                out.append((u, v, cap + 1 if d is None else min(d, cap)))
    return out


POLICIES = [("distance", None, 8), ("distance", None, 2), ("marking", None, 8), ("ego", 1, 8), ("ego", 2, 8),
            ("ego", 0, 8)]


@pytest.mark.parametrize("policy,k,cap", POLICIES)
@pytest.mark.parametrize("seed", [0, 1])
def test_pairs_labels_and_structure_match_brute_force(policy, k, cap, seed):
    data = messy(seed=seed)
    kwargs = {"k": k} if policy == "ego" else {}
    if policy == "distance":
        kwargs["max_distance"] = cap
    out = SubgraphPolicy(policy, **kwargs)(data.clone())
    pairs = [tuple(p) for p in out.sub_pair_index.t().tolist()]
    labels = out.sub_pair_attr[:, 0].tolist()
    assert [(u, v, lab) for (u, v), lab in zip(pairs, labels)] == expected_pairs(data, policy, k, cap)
    index = {p: i for i, p in enumerate(pairs)}
    # local edges: (u, w) -> (u, v) for every edge w -> v with both pairs kept, with multiplicity
    ei = out.edge_index.t().tolist()
    want = Counter()
    for (u, v), i in index.items():
        for e, (w, t) in enumerate(ei):
            if t == v and (u, w) in index:
                want[(index[(u, w)], i, e)] += 1
    dst = torch.repeat_interleave(torch.arange(len(pairs)), out.sub_pair_attr[:, 2])
    got = Counter(zip(out.sub_local[:, 0].tolist(), dst.tolist(), out.sub_local[:, 1].tolist()))
    assert got == want
    assert out.sub_pair_attr[:, 1].tolist() == [index[(v, u)] for (u, v) in pairs]
    assert out.sub_root.tolist() == [index[(u, u)] for u in range(data.num_nodes)]
    labels_possible = {"distance": cap + 2, "marking": 2, "ego": (k or 0) + 1}[policy]
    assert out.sub_sizes.tolist() == [[len(pairs), sum(want.values()), labels_possible]]


def test_missing_reverse_edges_are_added_with_their_features():
    data = Data(edge_index=torch.tensor([[0, 1, 2], [1, 0, 3]]), edge_attr=torch.tensor([[1.0], [2.0], [3.0]]),
                edge_weight=torch.tensor([0.5, 0.25, 0.125]), x=torch.zeros(4, 2))
    out = SubgraphPolicy("marking")(data)
    assert out.edge_index.tolist() == [[0, 1, 2, 3], [1, 0, 3, 2]]
    assert out.edge_attr.view(-1).tolist() == [1.0, 2.0, 3.0, 3.0]
    assert out.edge_weight.tolist() == [0.5, 0.25, 0.125, 0.125]
    assert out.x.shape == (4, 2)


def test_graphs_without_edges_or_nodes():
    empty = SubgraphPolicy("distance")(Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=0))
    assert empty.sub_pair_index.shape == (2, 0) and empty.sub_root.numel() == 0
    lone = SubgraphPolicy("distance", max_distance=3)(Data(edge_index=torch.zeros(2, 0, dtype=torch.long),
                                                           num_nodes=3))
    assert lone.sub_pair_attr[:, 0].view(3, 3).tolist() == [[0, 4, 4], [4, 0, 4], [4, 4, 0]]
    assert lone.sub_local.shape == (0, 2) and lone.sub_pair_attr[:, 2].tolist() == [0] * 9
    ego = SubgraphPolicy("ego", k=2)(Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=3))
    assert ego.sub_pair_index.tolist() == [[0, 1, 2], [0, 1, 2]]


def _union(graphs):
    """The graphs as one graph (node and edge ids offset), for comparison with a batch."""
    offset, eis = 0, []
    for g in graphs:
        eis.append(g.edge_index + offset)
        offset += g.num_nodes
    return Data(edge_index=torch.cat(eis, 1), num_nodes=offset)


@pytest.mark.parametrize("policy,k", [("distance", None), ("ego", 1)])
def test_batch_structure_equals_the_disjoint_union(policy, k):
    t = SubgraphPolicy(policy, k=k) if k is not None else SubgraphPolicy(policy)
    graphs = [messy(9, 12, seed=s, isolated=s % 2) for s in range(4)]
    processed = [t(g.clone()) for g in graphs]
    batch = next(iter(DataLoader(processed, batch_size=4)))
    s = subgraph_structure(batch)
    u = subgraph_structure(t(_union(graphs)))
    # the union has more pairs for the full policy (pairs across graphs): compare the kept ones
    keys_u = (u.root * batch.num_nodes + u.node).tolist()
    keep = {key: i for i, key in enumerate(keys_u)}
    sel = torch.tensor([keep[r * batch.num_nodes + v] for r, v in zip(s.root.tolist(), s.node.tolist())])
    assert s.num_graphs == 4 and s.pair_graph.tolist() == batch.batch[s.root].tolist()
    assert u.transpose[sel].tolist() == sel[s.transpose].tolist()
    assert u.root_pair.tolist() == sel[s.root_pair].tolist()
    # the same local edges, mapped through sel; edge ids point at the same edges
    got = sorted(zip(sel[s.local.col].tolist(), sel[s.local.row].tolist(), s.edge_id.tolist()))
    want = sorted((c, r, e) for c, r, e in zip(u.local.col.tolist(), u.local.row.tolist(), u.edge_id.tolist())
                  if r in set(sel.tolist()))
    assert got == want
    assert torch.equal(s.by_root.row, s.root)


def test_precompute_caches_the_policy(tmp_path):
    graphs = [messy(8, 10, seed=s) for s in range(3)]
    t = SubgraphPolicy("ego", k=2)
    first = precompute(graphs, t, cache_path=tmp_path / "sub.pt", progress=False)
    second = precompute(graphs, SubgraphPolicy("ego", k=2), cache_path=tmp_path / "sub.pt", progress=False)
    for a, b in zip(first, second):
        for key in ("sub_pair_index", "sub_pair_attr", "sub_local", "sub_root", "sub_sizes", "edge_index"):
            assert torch.equal(a[key], b[key]), key
    s = subgraph_structure(next(iter(DataLoader(second, batch_size=3))))
    assert s.num_graphs == 3


def test_option_errors():
    with pytest.raises(ValueError, match="policy"):
        SubgraphPolicy("rooted")
    with pytest.raises(ValueError, match="needs k"):
        SubgraphPolicy("ego")
    with pytest.raises(ValueError, match="only applies"):
        SubgraphPolicy("distance", k=2)
    with pytest.raises(ValueError, match="k"):
        SubgraphPolicy("ego", k=-1)
    with pytest.raises(TypeError):
        SubgraphPolicy("ego", k=1.5)
    with pytest.raises(ValueError, match="max_distance"):
        SubgraphPolicy("distance", max_distance=-1)
    assert SubgraphPolicy("ego", k=3).num_labels == 4 and SubgraphPolicy("marking").num_labels == 2
    assert SubgraphPolicy(max_distance=5).num_labels == 7


def test_graph_errors():
    t = SubgraphPolicy()
    with pytest.raises(ValueError, match=r"edge_index\[1, 0\] = 7 is not a node id in \[0, 3\)"):
        t(Data(edge_index=torch.tensor([[0], [7]]), num_nodes=3))
    with pytest.raises(TypeError, match="integer"):
        t(Data(edge_index=torch.tensor([[0.0], [1.0]]), num_nodes=3))
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        t(Data(edge_index=torch.tensor([0, 1]), num_nodes=3))
    with pytest.raises(TypeError, match="PyG Data"):
        t(torch.zeros(2, 2))


def test_structure_errors():
    with pytest.raises(ValueError, match="apply graphlearn.transforms.SubgraphPolicy"):
        subgraph_structure(messy())
    out = SubgraphPolicy()(messy())
    bad = out.clone()
    bad.sub_pair_attr = bad.sub_pair_attr.clone()
    bad.sub_pair_attr[3, 1] = 10 ** 6
    with pytest.raises(ValueError, match=r"sub_pair_attr\[:, 1\]"):
        subgraph_structure(bad)
    bad = out.clone()
    bad.sub_pair_attr = bad.sub_pair_attr[:-1]
    with pytest.raises(ValueError, match="sub_pair_attr must have shape"):
        subgraph_structure(bad)
    bad = out.clone()
    bad.sub_pair_attr = bad.sub_pair_attr.clone()
    bad.sub_pair_attr[0, 0] = 99
    with pytest.raises(ValueError, match="the labels"):
        subgraph_structure(bad)
    bad = out.clone()
    bad.sub_sizes = bad.sub_sizes[:, :2]
    with pytest.raises(ValueError, match="sub_sizes"):
        subgraph_structure(bad)
    bad = out.clone()
    bad.edge_index = bad.edge_index[:, :3]
    with pytest.raises(ValueError, match="edge_index changed"):
        subgraph_structure(bad)
    bad = out.clone()
    bad.sub_pair_index = bad.sub_pair_index.flip(1)
    with pytest.raises(ValueError, match="order"):
        subgraph_structure(bad)
    bad = out.clone()
    bad.sub_pair_attr = bad.sub_pair_attr.clone()
    bad.sub_pair_attr[0, 2] += 1
    with pytest.raises(ValueError, match="local edges per pair"):
        subgraph_structure(bad)
