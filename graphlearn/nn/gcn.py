"""Graph convolution (Kipf & Welling, ICLR 2017) on graphlearn's sparse core."""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor, nn

from graphlearn import ops
from graphlearn.sparse import CSR


def gcn_norm(adj: CSR, add_self_loops: bool = True, fill_value: float = 1.0) -> CSR:
    r"""Symmetric normalisation :math:`\hat A = D^{-1/2} (A + I) D^{-1/2}`.

    ``D`` holds the weighted row sums of ``A + I`` (with the orientation of
    :meth:`CSR.from_data`, rows are targets, i.e. in-degrees as in PyG's
    ``gcn_norm``). Existing self-loops keep their weight; missing ones get
    ``fill_value``. Returns a new CSR with float values.
    """
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


class GCNConv(nn.Module):
    r"""Graph convolution :math:`X' = \hat A X W + b` with :math:`\hat A` from :func:`gcn_norm`.

    Args:
        in_channels: input feature size F.
        out_channels: output feature size F'.
        normalize: apply :func:`gcn_norm` to the adjacency (otherwise its values,
            or ones, are used as given).
        cached: normalise once and reuse (transductive training on a fixed graph).
        bias: add a learnable bias.

    Shapes:
        x ``[N, F]``, adj a :class:`CSR` (rows aggregate, see :meth:`CSR.from_data`)
        or a PyG ``edge_index [2, E]`` (messages flow ``edge_index[0] -> edge_index[1]``)
        -> ``[N, F']``.
    """

    def __init__(self, in_channels: int, out_channels: int, normalize: bool = True, cached: bool = False,
                 bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.normalize, self.cached = normalize, cached
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self._cache: Optional[CSR] = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._cache = None

    def _adjacency(self, adj: Union[CSR, Tensor], num_nodes: int) -> CSR:
        if self.cached and self._cache is not None:
            return self._cache
        if isinstance(adj, Tensor):
            adj = CSR.from_edge_index(adj.flip(0), num_nodes)
        if self.normalize:
            adj = gcn_norm(adj)
        if self.cached:
            self._cache = adj
        return adj

    def forward(self, x: Tensor, adj: Union[CSR, Tensor]) -> Tensor:
        adj = self._adjacency(adj, x.size(0))
        h = self.lin(x)
        if adj.value is not None and adj.value.dtype != h.dtype:
            adj = adj.to(h.dtype)
        out = ops.spmm(adj, h, "sum")
        return out + self.bias if self.bias is not None else out

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"


class GCN(nn.Module):
    """The node-classification GCN of Kipf & Welling: ``num_layers`` :class:`GCNConv`
    layers with ReLU and dropout in between (dropout also on the input).

    Shapes: x ``[N, in_channels]``, adj a :class:`CSR` (normalised once and cached
    when ``cached=True``) or ``edge_index`` -> logits ``[N, out_channels]``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int = 2,
                 dropout: float = 0.5, cached: bool = True):
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(GCNConv(a, b, cached=cached) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout = dropout

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()

    def forward(self, x: Tensor, adj: Union[CSR, Tensor]) -> Tensor:
        for i, conv in enumerate(self.convs):
            x = torch.nn.functional.dropout(x, self.dropout, self.training)
            x = conv(x, adj)
            if i < len(self.convs) - 1:
                x = torch.relu(x)
        return x
