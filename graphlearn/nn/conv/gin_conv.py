"""Graph isomorphism network layers on graphlearn's sparse core: GIN (Xu et al., "How
Powerful are Graph Neural Networks?", ICLR 2019) and GINE, the GIN with edge features of
Hu et al. ("Strategies for Pre-training Graph Neural Networks", ICLR 2020; the OGB
molecule baselines)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from graphlearn import _validate, ops
from graphlearn.nn._cache import NORMS, check_features, layer_size, norm_layer
from graphlearn.nn._edges import check_edge_attr, ordered_graph
from graphlearn.nn.resolver import register
from graphlearn.ops import _checks
from graphlearn.sparse import CSR

__all__ = ["GINConv", "GINEConv"]


MLPSpec = Union[None, Sequence[int], nn.Module]


# ------------------------------------------------------------------ helpers shared with gps.py


def _entry_sum(adj: CSR, messages: Tensor) -> Tensor:
    r"""``out[i] = sum_{k in row i} messages[k]``: per-entry messages ``[nnz, F]`` (in CSR
    entry order) summed per row, ``[num_rows, F]``.

    The sum is an SpMM over the "entry" matrix with the adjacency's row pointer and
    column ``k`` at entry ``k`` (``[num_rows, nnz]``, unweighted), so it runs on the
    compiled kernel and its backward (a gather of the row gradient to every entry)."""
    if adj.nnz == 0:
        return messages.new_zeros((adj.num_rows,) + tuple(messages.shape[1:]))
    cols = torch.arange(adj.nnz, dtype=adj.rowptr.dtype, device=adj.device)
    entries = CSR(adj.rowptr, cols, num_cols=adj.nnz, validate=False, sorted=True)
    return ops.spmm(entries, messages)


def _build_mlp(mlp: MLPSpec, in_channels: int, out_channels: int, norm: Optional[str], bias: bool,
               owner: str) -> nn.Module:
    """The update network: ``mlp`` itself when a module, else
    ``Linear(F, h_1) [Norm] ReLU ... Linear(h_last, F')`` with hidden sizes ``mlp``
    (default: one hidden layer of width F'; ``()``: a single linear map)."""
    if isinstance(mlp, nn.Module):
        return mlp
    if mlp is None:
        hidden = [out_channels]
    elif isinstance(mlp, (str, bytes)) or not isinstance(mlp, Sequence):
        raise TypeError(f"{owner}: mlp must be None, a sequence of hidden sizes or a torch.nn.Module mapping "
                        f"[N, {in_channels}] to [N, {out_channels}], got {type(mlp).__name__}")
    else:
        hidden = [layer_size(h, f"mlp[{i}]", owner) for i, h in enumerate(mlp)]
    sizes = [in_channels] + hidden + [out_channels]
    _checks.check_memory(sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) * 4,
                         f"{owner}({in_channels}, {out_channels}): the MLP weights",
                         "check in_channels, out_channels and mlp")
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, bias=bias))
        if i < len(sizes) - 2:
            layers += ([norm_layer(norm, b)] if norm is not None else []) + [nn.ReLU()]
    return nn.Sequential(*layers)


class _GINBase(nn.Module):
    """Shared construction: sizes, eps, the MLP."""

    def __init__(self, in_channels: int, out_channels: int, eps: float, train_eps: bool, mlp: MLPSpec,
                 norm: Optional[str], bias: bool):
        super().__init__()
        name = type(self).__name__
        self.in_channels = layer_size(in_channels, "in_channels", name)
        self.out_channels = layer_size(out_channels, "out_channels", name)
        self.initial_eps = _validate.real(eps, f"{name}: eps")
        self.train_eps = _checks.flag(train_eps, "train_eps", name)
        self.norm = _validate.choice(norm, f"{name}: norm", NORMS)
        self.bias = _checks.flag(bias, "bias", name)
        self.custom_mlp = isinstance(mlp, nn.Module)
        self.mlp = _build_mlp(mlp, self.in_channels, self.out_channels, self.norm, self.bias, name)
        if self.train_eps:
            self.eps = nn.Parameter(torch.empty(1))
        else:
            self.register_buffer("eps", torch.empty(1))

    def reset_parameters(self) -> None:
        """``eps`` back to its initial value; torch's default initialisation of every
        linear map (as PyG's ``MLP``), unit / zero affine norms, fresh running
        statistics (a custom ``mlp``'s submodules are reset the same way)."""
        with torch.no_grad():
            self.eps.fill_(self.initial_eps)
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def _update(self, x: Tensor, agg: Tensor) -> Tensor:
        return self.mlp((1 + self.eps) * x + agg)

    def _repr_options(self) -> str:
        out = ""
        if self.initial_eps != 0.0:
            out += f", eps={self.initial_eps}"
        if self.train_eps:
            out += ", train_eps=True"
        return out


@register("conv", "gin")
class GINConv(_GINBase):
    r"""The graph isomorphism operator of Xu et al. (2019):

    .. math::
        h'_i = \mathrm{MLP}\Big((1 + \epsilon)\, h_i + \sum_{j \in N(i)} h_j\Big)

    where :math:`N(i)` are the sources of :math:`i`'s incoming edges (rows aggregate,
    :mod:`graphlearn.sparse`), each repeated edge counted once per copy; a node
    without incoming edges gets :math:`\mathrm{MLP}((1 + \epsilon) h_i)`. The sum is
    :func:`graphlearn.ops.spmm`. Same function as PyG's ``GINConv(nn=mlp, eps,
    train_eps)`` with the same weights.

    Args:
        in_channels: input feature size F.
        out_channels: output feature size F'.
        eps: the initial :math:`\epsilon` (a finite number; 0 is GIN-0).
        train_eps: learn :math:`\epsilon` (a parameter ``[1]``), else a fixed buffer.
        mlp: the update network. None (default): ``Linear(F, F') ReLU Linear(F', F')``;
            a sequence of hidden sizes ``(h_1, ..., h_L)``: ``Linear(F, h_1) [Norm]
            ReLU ... Linear(h_L, F')`` (``()``: one linear map); or any
            ``torch.nn.Module`` mapping ``[N, F]`` to ``[N, F']``, used as it is.
        norm: ``"batch"`` (the paper's BatchNorm1d), ``"layer"`` or None (default):
            the norm after every hidden linear map of a built MLP.
        bias: biases in the built MLP's linear maps.

    Shapes:
        x ``[N, F]``; graph: anything :func:`graphlearn.sparse.as_csr` accepts (a
        ``[2, E]`` ``edge_index`` with messages ``edge_index[0] -> edge_index[1]`` and
        ``N = x.size(0)`` nodes, a CSR or a PyG ``Data``); edge weights, if any, are not
        used -> ``[N, F']``.

    Sizes are integers >= 1 and the options booleans (TypeError / ValueError
    otherwise); ``x`` must be a floating-point tensor of the parameters' dtype.
    """

    def __init__(self, in_channels: int, out_channels: int, *, eps: float = 0.0, train_eps: bool = False,
                 mlp: MLPSpec = None, norm: Optional[str] = None, bias: bool = True):
        super().__init__(in_channels, out_channels, eps, train_eps, mlp, norm, bias)
        self.reset_parameters()

    def forward(self, x: Tensor, graph: Any) -> Tensor:
        """``[N, F']``."""
        name = type(self).__name__
        check_features(x, self.in_channels, self.eps.dtype, name)
        adj, _ = ordered_graph(graph, x.size(0), name, False)
        return self._update(x, ops.spmm(adj, x))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}{self._repr_options()})"


@register("conv", "gine")
class GINEConv(_GINBase):
    r"""GIN with edge features (Hu et al. 2020, the OGB molecule baselines):

    .. math::
        h'_i = \mathrm{MLP}\Big((1 + \epsilon)\, h_i + \sum_{j \to i}
               \mathrm{ReLU}\big(h_j + W e_{ji} + b\big)\Big)

    summed over the incoming edges :math:`j \to i` (each repeated edge with its own
    features :math:`e_{ji}`), :math:`W` ``[F, F_e]`` (``lin_edge``) projecting the edge
    features to the node width. The messages ``[E, F]`` are formed per CSR entry and
    summed per target row by :func:`graphlearn.ops.spmm` on the ``[N, E]`` entry
    matrix. Same function as PyG's ``GINEConv(nn=mlp, eps, train_eps, edge_dim)`` with
    the same weights (``lin_edge`` is PyG's ``lin``).

    Args:
        in_channels: input feature size F.
        out_channels: output feature size F'.
        edge_dim: edge feature size F_e.
        eps, train_eps, mlp, norm, bias: as in :class:`GINConv` (``bias`` also for
            ``lin_edge``).

    Shapes:
        x ``[N, F]``; graph: a ``[2, E]`` ``edge_index``, a PyG ``Data`` or a CSR (its
        stored entries are the edges; scipy/torch sparse matrices, whose repeats add
        up, are refused); edge_attr ``[E, F_e]`` in the caller's edge order (of
        ``edge_index``, of ``data.edge_index``, or of the CSR's stored entries) ->
        ``[N, F']``.
    """

    def __init__(self, in_channels: int, out_channels: int, edge_dim: int, *, eps: float = 0.0,
                 train_eps: bool = False, mlp: MLPSpec = None, norm: Optional[str] = None, bias: bool = True):
        super().__init__(in_channels, out_channels, eps, train_eps, mlp, norm, bias)
        self.edge_dim = layer_size(edge_dim, "edge_dim", type(self).__name__)
        self.lin_edge = nn.Linear(self.edge_dim, self.in_channels, bias=self.bias)
        self.reset_parameters()

    def forward(self, x: Tensor, graph: Any, edge_attr: Tensor) -> Tensor:
        """``[N, F']``."""
        name = type(self).__name__
        check_features(x, self.in_channels, self.eps.dtype, name)
        adj, perm = ordered_graph(graph, x.size(0), name, True)
        edge_attr = check_edge_attr(edge_attr, adj.nnz, self.edge_dim, x, name)
        e = edge_attr if perm is None else edge_attr.index_select(0, perm)
        messages = torch.relu(x.index_select(0, adj.col.long()) + self.lin_edge(e))  # [nnz, F], CSR order
        return self._update(x, _entry_sum(adj, messages))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, edge_dim={self.edge_dim}"
                f"{self._repr_options()})")
