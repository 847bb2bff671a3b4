"""Edge features that follow the caller's edge order, shared by the layers that take
``edge_attr`` (graph transformer, GINE, GPS) and the models built on them.

A layer converts its graph with :func:`graphlearn.sparse.as_csr`, which sorts the edges
into CSR entry order and does not report the permutation; :func:`ordered_graph`
recovers it (the edge ids travel as the values, exact in float64 below 2**53 edges;
no entry is merged or dropped), so edge features can be gathered into entry order and
edge outputs returned in the caller's order.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from graphlearn.sparse import CSR, _graph_kind, as_csr

__all__ = ["ordered_graph", "check_edge_attr", "to_caller_order"]


def ordered_graph(graph: Any, num_nodes: int, owner: str, with_order: bool) -> Tuple[CSR, Optional[Tensor]]:
    """``(adj, perm)``: the graph's CSR (rows aggregate, edge weights dropped) and, when
    ``with_order``, ``perm [nnz]`` (int64) with ``perm[k]`` = position, in the caller's
    edge list, of CSR entry ``k`` (None when the caller's order is the CSR's: a CSR
    input, or ``with_order`` False).

    :func:`graphlearn.sparse.as_csr` reports no permutation, so the edge ids travel as
    the values (exact in float64 below 2**53 edges); no entry is merged or dropped."""
    if not with_order or isinstance(graph, CSR):
        adj = as_csr(graph, num_nodes, name=f"{owner}: graph")
        return (adj.with_value(None) if adj.value is not None else adj), None
    kind = _graph_kind(graph, f"{owner}: graph")
    if kind not in ("edge_index", "data"):
        raise TypeError(f"{owner}: edge features need a graph whose edges have an order: an edge_index, a PyG "
                        f"Data or a CSR; a {type(graph).__name__} sparse matrix adds repeated entries up")
    ei = graph if kind == "edge_index" else graph.edge_index
    num_edges = ei.shape[1] if ei is not None and len(ei.shape) == 2 else 0
    ids = torch.arange(num_edges, dtype=torch.float64, device=ei.device if isinstance(ei, Tensor) else None)
    adj = as_csr(graph, num_nodes, edge_weight=ids, name=f"{owner}: graph")
    return adj.with_value(None), adj.value.long()


def check_edge_attr(edge_attr: Any, num_edges: int, edge_dim: Optional[int], x: Tensor, owner: str
                   ) -> Optional[Tensor]:
    """``edge_attr`` checked: a floating ``[E, edge_dim]`` tensor of ``x``'s dtype and
    device when ``edge_dim`` is set, None (and no ``edge_attr``) otherwise."""
    if edge_dim is None:
        if edge_attr is not None:
            raise ValueError(f"{owner} was built without edge_dim and takes no edge_attr; build it with "
                             f"edge_dim=F_e to use edge features")
        return None
    if edge_attr is None:
        raise ValueError(f"{owner}(edge_dim={edge_dim}) needs edge_attr, a [E, {edge_dim}] tensor of edge features "
                         f"(e.g. data.edge_attr)")
    if not isinstance(edge_attr, Tensor):
        raise TypeError(f"{owner}: edge_attr must be a [E, {edge_dim}] tensor, got {type(edge_attr).__name__}")
    if not edge_attr.is_floating_point():
        raise TypeError(f"{owner}: edge_attr must be floating point ({x.dtype}, like the parameters), got "
                        f"{edge_attr.dtype}")
    if edge_attr.dim() != 2 or edge_attr.size(0) != num_edges or edge_attr.size(1) != edge_dim:
        raise ValueError(f"{owner}: edge_attr must have shape [{num_edges}, {edge_dim}] (one row per edge, "
                         f"edge_dim={edge_dim}), got {list(edge_attr.shape)}")
    if edge_attr.dtype != x.dtype:
        raise TypeError(f"{owner}: edge_attr is {edge_attr.dtype} but the parameters are {x.dtype}: convert one")
    if edge_attr.device != x.device:
        raise ValueError(f"{owner}: edge_attr is on {edge_attr.device} but x is on {x.device}")
    return edge_attr


def to_caller_order(t: Tensor, perm: Optional[Tensor]) -> Tensor:
    """Rows of ``t`` from CSR entry order into the caller's edge order (``perm`` from
    :func:`ordered_graph`; None: the orders agree)."""
    if perm is None:
        return t
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(perm.numel(), device=perm.device)
    return t.index_select(0, inverse)
