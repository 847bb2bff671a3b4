"""Graph convolution (Kipf & Welling, "Semi-Supervised Classification with Graph
Convolutional Networks", ICLR 2017) on graphlearn's sparse core."""
from __future__ import annotations

from typing import Any, Optional

import torch
from torch import Tensor, nn

from graphlearn import _validate, ops
from graphlearn.ops import _checks
from graphlearn.nn._cache import GraphCache, check_edge_weight, check_features, layer_size
from graphlearn.nn.resolver import register
from graphlearn.sparse import CSR, as_csr

__all__ = ["GCNConv", "gcn_norm"]


def _flag(value: Any, name: str, owner: str) -> bool:
    return _checks.flag(value, name, owner)


def gcn_norm(graph: Any, add_self_loops: bool = True, fill_value: float = 1.0, *, num_nodes: Optional[int] = None,
             edge_weight: Optional[Tensor] = None) -> CSR:
    r"""Symmetric normalisation :math:`\hat A = \hat D^{-1/2} (A + I) \hat D^{-1/2}`.

    :math:`\hat D_{ii} = \sum_j (A + I)_{ij}`: the weighted in-degree plus the self-loop
    (rows aggregate, :mod:`graphlearn.sparse`), as in PyG's ``gcn_norm``. Existing
    self-loops keep their weight (repeated loops on one node are summed); nodes without
    one get a loop of weight ``fill_value`` (2 is the "improved" GCN). Nodes of degree 0
    get 0 (no NaN or inf).

    Args:
        graph: anything :func:`graphlearn.sparse.as_csr` accepts (CSR, ``[2, E]``
            ``edge_index``, PyG ``Data``, scipy/torch sparse); a CSR's values (or
            ``edge_weight``) are the edge weights, else all edges weigh 1.
        add_self_loops: add :math:`I` (else normalise :math:`A` as given).
        fill_value: weight of the added self-loops (a finite number).
        num_nodes: node count of an ``edge_index`` (default: largest id + 1).
        edge_weight: ``[E]`` weights of an ``edge_index`` or Data.

    Returns:
        a new ``[N, N]`` CSR with float values ``[nnz]``.
    """
    add_self_loops = _flag(add_self_loops, "add_self_loops", "gcn_norm")
    fill_value = _validate.real(fill_value, "gcn_norm: fill_value")
    adj = as_csr(graph, num_nodes, edge_weight=edge_weight)
    if adj.num_rows != adj.num_cols:
        raise ValueError(f"gcn_norm needs a square adjacency, got {adj.num_rows} x {adj.num_cols}")
    if adj.value is not None and adj.value.dim() != 1:
        raise ValueError("gcn_norm needs one weight per edge, got values of shape "
                         f"{list(adj.value.shape)}")
    if add_self_loops:
        edge_index, value = adj.to_edge_index()
        if value is None:
            value = torch.ones(adj.nnz, device=adj.device)
        adj = CSR.from_edge_index(edge_index, adj.num_rows, value, self_loops="add", fill_value=fill_value,
                                  index_dtype=adj.rowptr.dtype)
    elif adj.value is None:
        adj = adj.with_value(torch.ones(adj.nnz, device=adj.device))
    deg = ops.spmm(adj, torch.ones(adj.num_cols, 1, dtype=adj.value.dtype, device=adj.device)).view(-1)
    dinv = deg.pow(-0.5)
    dinv = torch.where(torch.isinf(dinv), torch.zeros_like(dinv), dinv)
    return adj.with_value(dinv[adj.row] * adj.value * dinv[adj.col.long()])


@register("conv", "gcn")
class GCNConv(nn.Module):
    r"""Graph convolution :math:`X' = \hat D^{-1/2} (A + I) \hat D^{-1/2} X W + b`
    (:func:`gcn_norm`), the layer of PyG's ``GCNConv`` with the same parameters
    (``lin.weight`` ``[F', F]``, ``bias`` ``[F']``) and the same outputs.

    Args:
        in_channels: input feature size F.
        out_channels: output feature size F'.
        improved: self-loops of weight 2 (:math:`A + 2I`).
        cached: normalise the first graph once and reuse it; every later call checks
            that it is given the same graph (ValueError otherwise). Only for one fixed
            graph (transductive training); off by default.
        add_self_loops: add :math:`I` before normalising.
        normalize: apply :func:`gcn_norm`; otherwise the graph's weights (or ones) are
            used as given (e.g. a graph normalised once by the caller).
        bias: add a learnable bias.

    Shapes:
        x ``[N, F]``; graph: anything :func:`graphlearn.sparse.as_csr` accepts, e.g. a
        ``[2, E]`` ``edge_index`` (messages flow ``edge_index[0] -> edge_index[1]``,
        ``N = x.size(0)`` nodes), a CSR (rows aggregate) or a PyG ``Data``;
        edge_weight ``[E]`` (optional) -> ``[N, F']``.

    Sizes are integers >= 1 and the options booleans (TypeError / ValueError
    otherwise). ``x`` must be a floating-point ``[N, F]`` tensor of the parameters'
    dtype; NaN or infinite features propagate to the output (not scanned, as in PyG).
    """

    def __init__(self, in_channels: int, out_channels: int, improved: bool = False, cached: bool = False,
                 add_self_loops: bool = True, normalize: bool = True, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        in_channels = layer_size(in_channels, "in_channels", name)
        out_channels = layer_size(out_channels, "out_channels", name)
        _checks.check_memory(in_channels * out_channels * 4, f"{name}({in_channels}, {out_channels}): the "
                             f"[{out_channels}, {in_channels}] weight", "check in_channels and out_channels")
        improved, cached = _flag(improved, "improved", name), _flag(cached, "cached", name)
        add_self_loops, normalize = _flag(add_self_loops, "add_self_loops", name), _flag(normalize, "normalize", name)
        bias = _flag(bias, "bias", name)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached = improved, cached
        self.add_self_loops, self.normalize = add_self_loops, normalize
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self._cache = GraphCache(f"{type(self).__name__}(cached=True)")
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Glorot weights, zero bias (as PyG), and an empty cache."""
        nn.init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self.reset_cache()

    def reset_cache(self) -> None:
        """Forgets the cached graph (``cached=True``)."""
        self._cache.clear()

    def _prepare(self, adj: CSR) -> CSR:
        if self.normalize:
            return gcn_norm(adj, self.add_self_loops, 2.0 if self.improved else 1.0)
        return adj

    def forward(self, x: Tensor, graph: Any, edge_weight: Optional[Tensor] = None) -> Tensor:
        check_features(x, self.in_channels, self.lin.weight.dtype, type(self).__name__)
        check_edge_weight(edge_weight, graph, type(self).__name__)
        if self.cached:
            adj = self._cache.get(graph, x.size(0), edge_weight, self._prepare)
        else:
            adj = self._prepare(as_csr(graph, x.size(0), edge_weight=edge_weight))
        h = self.lin(x)
        if adj.value is not None and adj.value.dtype != h.dtype:
            adj = adj.to(h.dtype)
        out = ops.spmm(adj, h, "sum")
        return out + self.bias if self.bias is not None else out

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"
