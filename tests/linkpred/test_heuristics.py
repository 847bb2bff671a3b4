"""Heuristic scorers against networkx and scipy on small messy graphs."""
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphlearn import CSR
from graphlearn.datasets import random_graph
from graphlearn.linkpred import (AdamicAdar, CommonNeighbors, Jaccard, Katz, PersonalizedPageRank,
                                 PreferentialAttachment, ResourceAllocation, get_heuristic)

N = 50


@pytest.fixture(scope="module")
def graph():
    ei = random_graph(N, 220, seed=3)  # hub, duplicates, self-loops, isolated nodes
    G = nx.Graph()
    G.add_nodes_from(range(N))
    G.add_edges_from((int(a), int(b)) for a, b in ei.t() if a != b)
    g = torch.Generator().manual_seed(0)
    pairs = torch.randint(0, N, (2, 300), generator=g)
    return ei, G, pairs


def nx_scores(G, fn, pairs):
    return torch.tensor([list(fn(G, [(int(u), int(v))]))[0][2] for u, v in pairs.t()], dtype=torch.float64)


@pytest.mark.parametrize("cls,fn", [
    (AdamicAdar, nx.adamic_adar_index), (ResourceAllocation, nx.resource_allocation_index),
    (Jaccard, nx.jaccard_coefficient), (PreferentialAttachment, nx.preferential_attachment)])
def test_neighbourhood_scores_match_networkx(graph, cls, fn):
    ei, G, pairs = graph
    pairs = pairs[:, pairs[0] != pairs[1]]  # networkx's AA is undefined (log 1) on some self-pairs
    torch.testing.assert_close(cls(ei, N)(pairs), nx_scores(G, fn, pairs), rtol=1e-12, atol=1e-12)


def test_common_neighbors_match_networkx_and_layouts(graph):
    ei, G, pairs = graph
    ref = torch.tensor([len(set(G[int(u)]) & set(G[int(v)])) for u, v in pairs.t()], dtype=torch.float64)
    h = CommonNeighbors(ei, N, batch_size=37)  # several chunks
    torch.testing.assert_close(h(pairs), ref)
    torch.testing.assert_close(h((pairs[0], pairs[1])), ref)
    torch.testing.assert_close(h(pairs.numpy()), ref)
    with pytest.raises(ValueError, match=r"got \[300, 2\]; for \[P, 2\] pairs pass pairs.t\(\)"):
        h(pairs.t())  # [P, 2] is not a pair layout
    torch.testing.assert_close(get_heuristic("cn", CSR.from_edge_index(ei, N, symmetrize=True,
                                                                       self_loops="remove"))(pairs), ref)


@pytest.mark.parametrize("alpha", [0.15, 0.5])
def test_ppr_matches_networkx(graph, alpha):
    ei, G, pairs = graph
    h = PersonalizedPageRank(ei, N, alpha=alpha, tol=1e-10, batch_size=7)
    got = h(pairs)
    ref = []
    for u, v in pairs.t().tolist():
        ref.append(nx.pagerank(G, alpha=1 - alpha, personalization={u: 1}, tol=1e-13, max_iter=10000)[v])
    torch.testing.assert_close(got, torch.tensor(ref, dtype=torch.float64), rtol=1e-7, atol=1e-9)
    sym = PersonalizedPageRank(ei, N, alpha=alpha, tol=1e-10, symmetric=True)(pairs)
    torch.testing.assert_close(sym, got + h(pairs.flip(0)), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("beta,length", [(0.005, 3), (0.1, 5)])
def test_katz_matches_scipy_powers(graph, beta, length):
    ei, G, pairs = graph
    A = nx.to_scipy_sparse_array(G, nodelist=range(N), format="csr").astype(np.float64)
    total = sp.csr_array((N, N))
    power = sp.identity(N, format="csr")
    for step in range(1, length + 1):
        power = power @ A
        total = total + beta ** step * power
    dense = total.toarray()
    ref = torch.tensor(dense[pairs[0].numpy(), pairs[1].numpy()])
    torch.testing.assert_close(Katz(ei, N, beta=beta, max_length=length, batch_size=4)(pairs), ref,
                               rtol=1e-12, atol=1e-15)


def test_errors(graph):
    ei, _, pairs = graph
    with pytest.raises(ValueError, match="no graph yet"):
        AdamicAdar()(pairs)
    with pytest.raises(ValueError, match=r"not a node id in \[0, 50\)"):
        AdamicAdar(ei, N)(torch.tensor([[0, 1], [2, 50]]))
    with pytest.raises(ValueError, match=r"pairs must have shape \[2, P\] .*got \[3, 3\]"):
        AdamicAdar(ei, N)(torch.zeros(3, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="integer"):
        AdamicAdar(ei, N)(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="unknown heuristic"):
        get_heuristic("nope", ei, N)
    with pytest.raises(ValueError, match="alpha"):
        PersonalizedPageRank(ei, N, alpha=0.0)
    with pytest.raises(ValueError, match="max_length"):
        Katz(ei, N, max_length=0)
    assert AdamicAdar(ei, N)(torch.zeros(2, 0, dtype=torch.long)).numel() == 0
