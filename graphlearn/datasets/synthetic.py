"""Synthetic graphs for tests and scale benchmarks."""
from __future__ import annotations

import torch
from torch import Tensor

from graphlearn._validate import integer, real, seed as _seed


def power_law_graph(num_nodes: int, num_edges: int, exponent: float = 2.2, seed: int = 0) -> Tensor:
    """A directed Chung-Lu graph whose expected degrees follow a power law.

    Both endpoints of every edge are drawn independently with probability
    proportional to ``w_i = (i + 1) ** (-1 / (exponent - 1))``, then node ids are
    shuffled so that hubs are spread over the id range. Self-loops and repeated
    edges may occur (as in real edge lists).

    Returns:
        ``[2, num_edges]`` int64 edge_index; the same seed gives the same graph.
    """
    num_nodes = integer(num_nodes, "num_nodes", min=1)
    num_edges = integer(num_edges, "num_edges", min=0)
    exponent = real(exponent, "exponent", min=1, min_open=True)
    g = torch.Generator().manual_seed(_seed(seed))
    w = torch.arange(1, num_nodes + 1, dtype=torch.float64).pow(-1.0 / (exponent - 1.0))
    cdf = torch.cumsum(w, 0)
    cdf /= cdf[-1].clone()
    u = torch.rand(2, num_edges, generator=g, dtype=torch.float64)
    ends = torch.searchsorted(cdf, u).clamp_max(num_nodes - 1)
    relabel = torch.randperm(num_nodes, generator=g)
    return relabel[ends]


def random_graph(num_nodes: int, num_edges: int, seed: int = 0, hub: bool = True, isolated: int = 2,
                 duplicates: bool = True, self_loops: bool = True) -> Tensor:
    """A small messy graph for tests: uniform random edges plus (optionally) one
    hub node linked to about half the graph, repeated edges and self-loops; the last
    `isolated` nodes have no edges. Returns ``[2, E]`` int64."""
    num_nodes = integer(num_nodes, "num_nodes", min=1)
    num_edges = integer(num_edges, "num_edges", min=0)
    isolated = integer(isolated, "isolated", min=0)
    g = torch.Generator().manual_seed(_seed(seed))
    active = max(1, num_nodes - isolated)
    ei = torch.randint(0, active, (2, num_edges), generator=g)
    parts = [ei]
    if hub and active > 2:
        others = torch.randperm(active, generator=g)[: active // 2]
        parts.append(torch.stack([torch.zeros_like(others), others]))
        parts.append(torch.stack([others, torch.zeros_like(others)]))
    if duplicates and num_edges:
        parts.append(ei[:, : max(1, num_edges // 10)])
    if self_loops:
        loops = torch.randint(0, active, (max(1, num_edges // 20),), generator=g)
        parts.append(torch.stack([loops, loops]))
    return torch.cat(parts, 1)
