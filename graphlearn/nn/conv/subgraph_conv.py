r"""The subgraph GNN layer: GIN-style updates of the pair representations
:math:`h(u, v)` (node :math:`v` in the subgraph rooted at :math:`u`) over any set of the
atomic aggregations of Zhang et al., "A Complete Expressiveness Hierarchy for Subgraph
GNNs via Subgraph Weisfeiler-Lehman Tests" (ICML 2023).

The pairs and their structure come from :class:`graphlearn.transforms.SubgraphPolicy`
(:func:`graphlearn.transforms.subgraph_structure` for a batch)."""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from graphlearn import _validate, ops
from graphlearn.nn._cache import NORMS, check_features, layer_size
from graphlearn.nn.conv.gin_conv import MLPSpec, _build_mlp, _entry_sum
from graphlearn.nn.resolver import register
from graphlearn.ops import _checks
from graphlearn.transforms.subgraph import SubgraphStructure

__all__ = ["SubgraphConv", "AGGREGATIONS"]

# name -> what it aggregates for the pair (u, v)
AGGREGATIONS: Dict[str, str] = {
    "uL": "h(u, w) for the neighbours w of v (local, inside subgraph u)",
    "vL": "h(w, v) for the neighbours w of u (local, across subgraphs)",
    "uG": "h(u, w) for every w in subgraph u (global)",
    "vG": "h(w, v) for every subgraph w holding v (global)",
    "uu": "h(u, u) (point-wise: the root's own pair)",
    "vv": "h(v, v) (point-wise: v as its own root)",
    "vu": "h(v, u) (point-wise: the transposed pair)",
}
_LOCAL = ("uL", "vL")


class _Involution(torch.autograd.Function):
    """``x[perm]`` for a permutation that is its own inverse (the pair transpose
    ``(u, v) -> (v, u)``): the backward is the same gather, not a scatter-add."""

    @staticmethod
    def forward(ctx, x: Tensor, perm: Tensor) -> Tensor:
        ctx.save_for_backward(perm)
        return x.index_select(0, perm)

    @staticmethod
    def backward(ctx, grad: Tensor):
        (perm,) = ctx.saved_tensors
        return grad.index_select(0, perm), None


def transpose_pairs(h: Tensor, s: SubgraphStructure) -> Tensor:
    """``h(v, u)`` for every pair ``(u, v)``: ``[P, F]``."""
    return _Involution.apply(h, s.transpose)


def check_aggregations(aggregations: Sequence[str], owner: str) -> Tuple[str, ...]:
    """A non-empty tuple of distinct names from :data:`AGGREGATIONS`, in the given order."""
    if isinstance(aggregations, str) or not isinstance(aggregations, Sequence):
        raise TypeError(f"{owner}: aggregations must be a sequence of names from {sorted(AGGREGATIONS)}, got "
                        f"{aggregations!r}")
    out = tuple(aggregations)
    if not out:
        raise ValueError(f"{owner}: aggregations must name at least one of {list(AGGREGATIONS)}")
    for a in out:
        if a not in AGGREGATIONS:
            raise ValueError(f"{owner}: unknown aggregation {a!r}; choose from {list(AGGREGATIONS)}")
    if len(set(out)) != len(out):
        raise ValueError(f"{owner}: aggregations {list(out)} name one twice")
    return out


@register("conv", "subgraph")
class SubgraphConv(nn.Module):
    r"""One layer of a node-based subgraph GNN over the pairs :math:`(u, v)` of a
    subgraph policy, with a GIN update per aggregation :math:`a` (its own
    :math:`\epsilon_a` and MLP), summed:

    .. math::
        h'(u, v) = \sum_{a \in A} \mathrm{MLP}_a\Big((1 + \epsilon_a)\, h(u, v)
                   + \mathrm{agg}_a(h)(u, v)\Big)

    with the aggregations (:data:`AGGREGATIONS`)

    * ``uL``: :math:`\sum_{w \in N(v)} h(u, w)` over the pairs the policy keeps;
    * ``vL``: :math:`\sum_{w \in N(u)} h(w, v)`;
    * ``uG``: :math:`\sum_{w} h(u, w)`, ``vG``: :math:`\sum_{w} h(w, v)`;
    * ``uu``: :math:`h(u, u)`, ``vv``: :math:`h(v, v)`, ``vu``: :math:`h(v, u)`.

    With ``edge_dim``, the local messages carry the edge's features as in GINE:
    :math:`\mathrm{ReLU}(h(u, w) + W_a e_{wv} + b_a)` (for ``vL`` the edge
    :math:`w \to u`). The local sums are :func:`graphlearn.ops.spmm` over the pair-level
    CSR, ``vL`` the same kernel on the transposed pairs (policies are symmetric on
    undirected graphs), the global ones SpMM segment sums per subgraph: nothing of size
    :math:`n^3`, memory linear in the pairs and pair-level edges.

    Args:
        in_channels: input feature size F.
        out_channels: output feature size F'.
        aggregations: names from :data:`AGGREGATIONS` (default ``("uL", "vL", "vv")``,
            GNN-SSWL+).
        edge_dim: edge feature size of the local messages (None: no edge features).
        eps, train_eps: the initial :math:`\epsilon_a` and whether it is learnt.
        mlp: each :math:`\mathrm{MLP}_a`: None (``Linear(F, F') Norm ReLU
            Linear(F', F')``) or a sequence of hidden sizes (see
            :class:`graphlearn.nn.GINConv`).
        norm: the norm inside the built MLPs (``"batch"`` default, ``"layer"``, None).
        bias: biases of the linear maps.

    Shapes:
        x ``[P, F]`` (one row per pair, in the policy's order), ``structure`` a
        :class:`graphlearn.transforms.SubgraphStructure`, edge_attr ``[E, edge_dim]``
        in the order of the batch's ``edge_index`` -> ``[P, F']``.
    """

    def __init__(self, in_channels: int, out_channels: int, aggregations: Sequence[str] = ("uL", "vL", "vv"), *,
                 edge_dim: Optional[int] = None, eps: float = 0.0, train_eps: bool = True, mlp: MLPSpec = None,
                 norm: Optional[str] = "batch", bias: bool = True):
        super().__init__()
        name = type(self).__name__
        self.in_channels = layer_size(in_channels, "in_channels", name)
        self.out_channels = layer_size(out_channels, "out_channels", name)
        self.aggregations = check_aggregations(aggregations, name)
        self.edge_dim = None if edge_dim is None else layer_size(edge_dim, "edge_dim", name)
        self.initial_eps = _validate.real(eps, f"{name}: eps")
        self.train_eps = _checks.flag(train_eps, "train_eps", name)
        self.norm = _validate.choice(norm, f"{name}: norm", NORMS)
        bias = _checks.flag(bias, "bias", name)
        if isinstance(mlp, nn.Module):
            raise TypeError(f"{name}: mlp must be None or a sequence of hidden sizes (one MLP is built per "
                            "aggregation), not a module")
        self.mlps = nn.ModuleDict({a: _build_mlp(mlp, self.in_channels, self.out_channels, self.norm, bias, name)
                                   for a in self.aggregations})
        eps0 = torch.empty(len(self.aggregations))
        if self.train_eps:
            self.eps = nn.Parameter(eps0)
        else:
            self.register_buffer("eps", eps0)
        self.lin_edge = nn.ModuleDict()
        if self.edge_dim is not None:
            for a in self.aggregations:
                if a in _LOCAL:
                    self.lin_edge[a] = nn.Linear(self.edge_dim, self.in_channels, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every :math:`\\epsilon_a` back to ``eps``; torch's default initialisation of
        the linear maps, fresh norms."""
        with torch.no_grad():
            self.eps.fill_(self.initial_eps)
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def _local(self, h: Tensor, s: SubgraphStructure, e: Optional[Tensor]) -> Tensor:
        if s.local is None:
            return torch.zeros_like(h)
        if e is None:
            return ops.spmm(s.local, h)
        msg = torch.relu(h.index_select(0, s.local.col) + e.index_select(0, s.edge_id))
        return _entry_sum(s.local, msg)

    def aggregate(self, name: str, h: Tensor, s: SubgraphStructure, edge_attr: Optional[Tensor] = None) -> Tensor:
        """``agg_name(h)``: ``[P, F]`` (``edge_attr`` ``[E, edge_dim]`` for the local ones)."""
        e = self.lin_edge[name](edge_attr) if name in self.lin_edge and edge_attr is not None else None
        if name == "uL":
            return self._local(h, s, e)
        if name == "vL":
            return transpose_pairs(self._local(transpose_pairs(h, s), s, e), s)
        if name in ("uG", "vG"):
            if s.by_root is None:
                return torch.zeros_like(h)
            src = h if name == "uG" else transpose_pairs(h, s)
            per_root = ops.spmm(s.by_root, src)  # [N, F]: row u sums subgraph u (of the transposed pairs: vG)
            return per_root.index_select(0, s.root if name == "uG" else s.node)
        if name == "uu":
            return h.index_select(0, s.root_pair.index_select(0, s.root))
        if name == "vv":
            return h.index_select(0, s.root_pair.index_select(0, s.node))
        return transpose_pairs(h, s)  # vu

    def forward(self, x: Tensor, structure: SubgraphStructure, edge_attr: Optional[Tensor] = None) -> Tensor:
        """``[P, F']``."""
        name = type(self).__name__
        if not isinstance(structure, SubgraphStructure):
            raise TypeError(f"{name}: structure must be a SubgraphStructure (graphlearn.transforms."
                            f"subgraph_structure(batch)), got {type(structure).__name__}")
        check_features(x, self.in_channels, self.eps.dtype, name)
        if x.size(0) != structure.root.numel():
            raise ValueError(f"{name}: x has {x.size(0)} rows but the structure has {structure.root.numel()} pairs")
        if self.edge_dim is not None and any(a in self.lin_edge for a in self.aggregations):
            if not isinstance(edge_attr, Tensor) or edge_attr.dim() != 2 or edge_attr.size(1) != self.edge_dim \
                    or edge_attr.size(0) != structure.num_edges:
                raise ValueError(f"{name}: edge_dim={self.edge_dim} needs edge_attr [{structure.num_edges}, "
                                 f"{self.edge_dim}] (one row per edge of the batch), got "
                                 f"{list(edge_attr.shape) if isinstance(edge_attr, Tensor) else edge_attr!r}")
            if edge_attr.dtype != x.dtype:
                raise TypeError(f"{name}: edge_attr is {edge_attr.dtype} but x is {x.dtype}")
        out = None
        for i, a in enumerate(self.aggregations):
            y = self.mlps[a]((1 + self.eps[i]) * x + self.aggregate(a, x, structure, edge_attr))
            out = y if out is None else out + y
        return out

    def __repr__(self) -> str:
        extra = f", edge_dim={self.edge_dim}" if self.edge_dim is not None else ""
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, aggregations={list(self.aggregations)}" \
               f"{extra})"
