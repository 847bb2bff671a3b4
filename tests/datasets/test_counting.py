"""substructure_counts against brute force (subgraph monomorphisms over node subsets) and
networkx, known values; counting_dataset determinism and layout; counting_split."""
import collections
import itertools
import math

import networkx as nx
import numpy as np
import pytest
import torch
from networkx.algorithms.isomorphism import GraphMatcher
from torch_geometric.data import Batch
from torch_geometric.utils import is_undirected

from graphlearn.datasets import (COUNTING_TASKS, counting_dataset, counting_split, random_graph,
                                 substructure_counts)

PATTERNS = {
    "triangle": nx.cycle_graph(3),
    "tailed_triangle": nx.Graph([(0, 1), (1, 2), (2, 0), (0, 3)]),
    "star": nx.star_graph(3),
    "4cycle": nx.cycle_graph(4),
    "5cycle": nx.cycle_graph(5),
    "6cycle": nx.cycle_graph(6),
}
SIZE = torch.tensor([len(PATTERNS[t]) for t in COUNTING_TASKS], dtype=torch.float32)


def edges_of(g: nx.Graph) -> torch.Tensor:
    return torch.tensor(list(g.edges()), dtype=torch.long).reshape(-1, 2).t()


def brute_force(g: nx.Graph, n: int):
    """(graph counts [T], node counts [n, T]): for every node subset of the pattern's size,
    the copies spanning it are its monomorphisms from the pattern over the automorphisms."""
    graph, node = torch.zeros(len(COUNTING_TASKS)), torch.zeros(n, len(COUNTING_TASKS))
    for j, task in enumerate(COUNTING_TASKS):
        p = PATTERNS[task]
        aut = sum(1 for _ in GraphMatcher(p, p).isomorphisms_iter())
        for nodes in itertools.combinations(range(n), len(p)):
            h = g.subgraph(nodes)
            if h.number_of_edges() < p.number_of_edges():
                continue
            mono = sum(1 for _ in GraphMatcher(h, p).subgraph_monomorphisms_iter())
            assert mono % aut == 0
            graph[j] += mono // aut
            node[list(nodes), j] += mono // aut
    return graph, node


@pytest.mark.parametrize("n,p,seed", [(8, 0.35, 0), (8, 0.55, 1), (8, 0.8, 2), (7, 0.6, 3), (9, 0.45, 4)])
def test_against_brute_force(n, p, seed):
    g = nx.gnp_random_graph(n, p, seed=seed)
    g.add_nodes_from(range(n))
    graph, node = brute_force(g, n)
    assert torch.equal(substructure_counts(edges_of(g), n), graph)
    assert torch.equal(substructure_counts(edges_of(g), n, level="node"), node)


def test_brute_force_with_isolated_node_and_pendant_tree():
    g = nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 5), (5, 2), (3, 6), (6, 7), (7, 3)])
    g.add_node(8)
    graph, node = brute_force(g, 9)
    assert torch.equal(substructure_counts(edges_of(g), 9), graph)
    assert torch.equal(substructure_counts(edges_of(g), 9, level="node"), node)
    assert node[8].abs().sum() == 0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cycles_and_triangles_against_networkx(seed):
    n = 30
    g = nx.gnp_random_graph(n, 0.18, seed=seed)
    g.add_nodes_from(range(n))
    by_len = collections.Counter()
    per_node = {k: np.zeros(n) for k in (4, 5, 6)}
    for c in nx.simple_cycles(g, length_bound=6):
        by_len[len(c)] += 1
        if len(c) >= 4:
            per_node[len(c)][c] += 1
    deg = np.array([g.degree(v) for v in range(n)])
    tri = np.array([nx.triangles(g, v) for v in range(n)])
    got = substructure_counts(edges_of(g), n)
    assert got.tolist() == [by_len[3], float((tri * (deg - 2).clip(0)).sum()),
                            float(sum(math.comb(int(d), 3) for d in deg)), by_len[4], by_len[5], by_len[6]]
    node = substructure_counts(edges_of(g), n, level="node").double().numpy()
    assert np.array_equal(node[:, 0], tri)
    for j, k in ((3, 4), (4, 5), (5, 6)):
        assert np.array_equal(node[:, j], per_node[k])
    # a graph count is its node counts summed over the pattern's nodes
    assert torch.equal(torch.from_numpy(node).float().sum(0) / SIZE, got)


def test_known_graphs():
    k4 = substructure_counts(edges_of(nx.complete_graph(4)), 4)
    assert k4.tolist() == [4, 12, 4, 3, 0, 0]
    assert substructure_counts(edges_of(nx.complete_graph(4)), 4, level="node").tolist() == [[3, 12, 4, 3, 0, 0]] * 4
    assert substructure_counts(edges_of(nx.complete_graph(5)), 5).tolist() == [10, 60, 20, 15, 12, 0]
    assert substructure_counts(edges_of(nx.complete_graph(6)), 6)[5].item() == 60  # 5! / 2
    c6 = edges_of(nx.cycle_graph(6))
    assert substructure_counts(c6, 6).tolist() == [0, 0, 0, 0, 0, 1]
    assert substructure_counts(c6, 6, level="node").tolist() == [[0, 0, 0, 0, 0, 1]] * 6
    assert substructure_counts(edges_of(nx.petersen_graph()), 10).tolist() == [0, 0, 10, 0, 12, 10]
    star = substructure_counts(edges_of(nx.star_graph(4)), 5, level="node")
    assert star[:, 2].tolist() == [4, 3, 3, 3, 3]  # centre in all C(4, 3) stars, each leaf in 3
    assert substructure_counts(torch.zeros(2, 0, dtype=torch.long), 3).tolist() == [0] * 6
    assert substructure_counts(torch.zeros(2, 0, dtype=torch.long), 0, level="node").shape == (0, 6)


def test_duplicates_self_loops_and_directions_ignored():
    ei = random_graph(14, 40, seed=5)  # repeated edges, self-loops, a hub, isolated nodes
    g = nx.Graph()
    g.add_nodes_from(range(14))
    g.add_edges_from((u, v) for u, v in ei.t().tolist() if u != v)
    for level in ("graph", "node"):
        want = substructure_counts(edges_of(g), 14, level=level)
        assert torch.equal(substructure_counts(ei, 14, level=level), want)
        both = torch.cat([edges_of(g), edges_of(g).flip(0), edges_of(g)], 1)
        assert torch.equal(substructure_counts(both, 14, level=level), want)
        assert torch.equal(substructure_counts(ei.numpy().astype(np.int32), 14, level=level), want)


def test_task_selection_and_dtype():
    g = nx.gnp_random_graph(12, 0.4, seed=7)
    ei = edges_of(g)
    full = substructure_counts(ei, 12, level="node")
    assert torch.equal(substructure_counts(ei, 12, ("6cycle", "triangle"), level="node"), full[:, [5, 0]])
    assert torch.equal(substructure_counts(ei, 12, "star"), full[:, 2:3].sum(0) / 4)
    assert torch.equal(substructure_counts(ei, 12, ["4cycle"]), full[:, 3:4].sum(0) / 4)
    assert substructure_counts(ei, 12, dtype=torch.float64).dtype == torch.float64


def test_input_errors():
    ei = edges_of(nx.cycle_graph(4))
    with pytest.raises(TypeError, match="integer"):
        substructure_counts(ei.float(), 4)
    with pytest.raises(ValueError, match=r"\[2, P\]"):
        substructure_counts(ei.t(), 4)
    with pytest.raises(ValueError, match="not a node id"):
        substructure_counts(ei, 3)
    with pytest.raises(ValueError, match="not a node id"):
        substructure_counts(ei - 1, 4)
    with pytest.raises(TypeError, match="num_nodes"):
        substructure_counts(ei, 4.0)
    with pytest.raises(ValueError, match="not a counting task"):
        substructure_counts(ei, 4, ("triangle", "square"))
    with pytest.raises(ValueError, match="twice"):
        substructure_counts(ei, 4, ("star", "star"))
    with pytest.raises(ValueError, match="at least one"):
        substructure_counts(ei, 4, ())
    with pytest.raises(TypeError, match="sequence"):
        substructure_counts(ei, 4, 3)
    with pytest.raises(ValueError, match="level"):
        substructure_counts(ei, 4, level="edge")
    with pytest.raises(TypeError, match="dtype"):
        substructure_counts(ei, 4, dtype=torch.int64)


def test_dataset_layout_and_targets():
    ds = counting_dataset(60, seed=1, progress=False)
    assert len(ds) == 60
    regular = 0
    for d in ds:
        n = d.num_nodes
        assert 10 <= n <= 40
        assert d.x.shape == (n, 1) and d.x.dtype == torch.float32 and not d.x.any()
        assert d.edge_index.dtype == torch.long and is_undirected(d.edge_index, num_nodes=n)
        assert not (d.edge_index[0] == d.edge_index[1]).any()
        assert d.y.shape == (1, 6) and d.y.dtype == torch.float32
        assert torch.equal(d.y[0], substructure_counts(d.edge_index, n))
        deg = torch.bincount(d.edge_index[0], minlength=n)
        if (deg == deg[0]).all() and int(deg[0]) in (3, 4, 5):
            regular += 1
        else:
            assert 0.5 < d.edge_index.size(1) / n < 10  # Erdos-Renyi, average degree ~ U[2, 6]
    assert 10 < regular < 50
    assert Batch.from_data_list(ds[:5]).y.shape == (5, 6)
    node = counting_dataset(8, seed=1, level="node", tasks=("triangle", "5cycle"), min_nodes=6, max_nodes=9,
                            progress=False)
    for d in node:
        assert d.y.shape == (d.num_nodes, 2) and 6 <= d.num_nodes <= 9
        assert torch.equal(d.y, substructure_counts(d.edge_index, d.num_nodes, ("triangle", "5cycle"), "node"))


def test_dataset_seeded(capfd):
    a = counting_dataset(25, seed=3, progress=False)
    b = counting_dataset(25, seed=3, progress=False)
    c = counting_dataset(25, seed=4, progress=False)
    assert capfd.readouterr().err == ""
    for x, y in zip(a, b):
        assert x.num_nodes == y.num_nodes and torch.equal(x.edge_index, y.edge_index) and torch.equal(x.y, y.y)
    assert any(x.num_nodes != z.num_nodes or not torch.equal(x.edge_index, z.edge_index) for x, z in zip(a, c))


def test_dataset_errors():
    with pytest.raises(ValueError, match="max_nodes"):
        counting_dataset(3, min_nodes=10, max_nodes=5, progress=False)
    with pytest.raises(TypeError, match="num_graphs"):
        counting_dataset(3.0, progress=False)
    with pytest.raises(ValueError, match="level"):
        counting_dataset(3, level="edges", progress=False)
    with pytest.raises(TypeError, match="progress"):
        counting_dataset(3, progress="no")
    assert counting_dataset(0, progress=False) == []
    tiny = counting_dataset(10, min_nodes=1, max_nodes=3, progress=False)  # no regular degree fits
    assert all(1 <= d.num_nodes <= 3 for d in tiny)


def test_split():
    s = counting_split(5000)
    assert [s[k].numel() for k in ("train", "valid", "test")] == [1500, 1000, 2500]
    assert torch.equal(torch.sort(torch.cat(list(s.values()))).values, torch.arange(5000))
    assert all(v.dtype == torch.long for v in s.values())
    again, other = counting_split(5000, seed=0), counting_split(5000, seed=1)
    assert all(torch.equal(s[k], again[k]) for k in s)
    assert not torch.equal(s["train"], other["train"])
    odd = counting_split(7, fractions=(0.5, 0.25, 0.25))
    assert sum(v.numel() for v in odd.values()) == 7
    assert torch.equal(torch.sort(torch.cat(list(odd.values()))).values, torch.arange(7))
    with pytest.raises(ValueError, match="sum to 1"):
        counting_split(10, fractions=(0.5, 0.2, 0.2))
    with pytest.raises(ValueError, match="three"):
        counting_split(10, fractions=(0.5, 0.5))
    with pytest.raises(ValueError, match="fractions"):
        counting_split(10, fractions=(1.2, -0.1, -0.1))
