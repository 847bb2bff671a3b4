"""Graph transformer layer (Dwivedi & Bresson, "A Generalization of Transformer Networks
to Graphs", AAAI 2021 workshop / arXiv:2012.09699) on graphlearn's sparse core:
multi-head attention restricted to the edges, with an optional edge stream."""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from graphlearn import _validate, ops
from graphlearn.nn._cache import NORMS, check_features, layer_size, norm_layer
from graphlearn.nn._edges import check_edge_attr, ordered_graph, to_caller_order
from graphlearn.nn.dropout import Dropout
from graphlearn.nn.resolver import register
from graphlearn.ops import _checks
from graphlearn.sparse import CSR

__all__ = ["GraphTransformerLayer"]


class _FFN(nn.Module):
    """``W_2 dropout(ReLU(W_1 h))``: the position-wise feed-forward block."""

    def __init__(self, channels: int, hidden: int, dropout: float, bias: bool):
        super().__init__()
        self.lin1 = nn.Linear(channels, hidden, bias=bias)
        self.lin2 = nn.Linear(hidden, channels, bias=bias)
        self.dropout = Dropout(dropout)

    def reset_parameters(self) -> None:
        self.lin1.reset_parameters()
        self.lin2.reset_parameters()

    def forward(self, h: Tensor) -> Tensor:
        return self.lin2(self.dropout(torch.relu(self.lin1(h))))


@register("conv", "graph_transformer")
class GraphTransformerLayer(nn.Module):
    r"""The graph transformer layer of Dwivedi & Bresson (2020): multi-head attention
    over each node's incoming edges, then the transformer's residual, norm and
    feed-forward blocks.

    With :math:`H` heads of width :math:`D = F' / H`, for every edge :math:`j \to i`
    and head :math:`k`:

    .. math::
        s^k_{ij} = \frac{(Q^k h_i) \cdot (K^k h_j)}{\sqrt{D}}, \qquad
        \alpha^k_{ij} = \operatorname{softmax}_{j \in N(i)} s^k_{ij}, \qquad
        \hat h_i = O_h \big\Vert_{k=1}^{H} \sum_{j \in N(i)} \alpha^k_{ij} V^k h_j

    where :math:`N(i)` are the sources of :math:`i`'s incoming edges (rows aggregate,
    :mod:`graphlearn.sparse`); a node without incoming edges gets :math:`\hat h_i = O_h 0`
    (a zero message, never NaN). Then

    .. math::
        h'_i = \mathrm{Norm}(h_i + \hat h_i), \qquad
        h''_i = \mathrm{Norm}(h'_i + W_2\, \mathrm{ReLU}(W_1 h'_i)).

    **Edge variant** (``edge_dim`` given): the per-dimension products are modulated by a
    projection of the edge feature, the score is their sum, and that vector is the edge
    stream's new value:

    .. math::
        \hat w^k_{ij} = \frac{(Q^k h_i) \odot (K^k h_j)}{\sqrt{D}} \odot E^k e_{ij}
        \in \mathbb{R}^D, \qquad s^k_{ij} = \textstyle\sum_d \hat w^k_{ij,d}, \qquad
        \hat e_{ij} = O_e \big\Vert_{k=1}^{H} \hat w^k_{ij},

    and :math:`e'_{ij} = \mathrm{Norm}(e_{ij} + \hat e_{ij})`,
    :math:`e''_{ij} = \mathrm{Norm}(e'_{ij} + W_{e,2}\, \mathrm{ReLU}(W_{e,1} e'_{ij}))`,
    with the edge stream's own weights and norms.

    Differences from the authors' code: the softmax is a real (max-subtracted) softmax
    over each node's incoming edges (:func:`graphlearn.ops.segment_softmax`), not
    ``exp(clamp(s, -5, 5))`` normalised by a sum; an empty row gives zeros.

    Args:
        in_channels: input node feature size F.
        out_channels: output size F' (the model width), divisible by ``heads``.
        heads: number of attention heads H.
        edge_dim: edge feature size F_e; when given the layer takes ``edge_attr`` and
            also returns the updated edge features.
        dropout: dropout probability on the attention output (before :math:`O`) and on
            the feed-forward hidden layer, in both streams.
        attn_dropout: dropout probability on the attention weights :math:`\alpha`.
        norm: ``"batch"`` (BatchNorm1d over the nodes, and over the edges for the edge
            stream; the paper's default), ``"layer"`` (LayerNorm) or None.
        residual: add the block inputs (the paper's residual connections). When
            ``in_channels != out_channels`` (or ``edge_dim != out_channels``) the input
            goes through a learnable linear projection (no bias) before it is added.
        ffn_ratio: width of the feed-forward hidden layer, as a multiple of
            ``out_channels`` (2 in the paper).
        bias: learnable biases in every linear map (Q, K, V, E, O and the FFNs).

    Shapes:
        x ``[N, F]``; graph: anything :func:`graphlearn.sparse.as_csr` accepts (a
        ``[2, E]`` ``edge_index`` with messages ``edge_index[0] -> edge_index[1]`` and
        ``N = x.size(0)`` nodes, a CSR (rows aggregate; entry ``(t, s)`` is the edge
        ``s -> t``) or a PyG ``Data``); edge weights, if the graph has any, are not
        used. edge_attr ``[E, F_e]`` in the order of the edges (of ``edge_index``, of
        ``data.edge_index``, or of the CSR's stored entries) ->
        ``[N, F']``, or ``([N, F'], [E, F'])`` with ``edge_dim`` (the edge output in the
        caller's edge order). Repeated edges are kept as separate entries (each with its
        own features), so scipy/torch sparse matrices, whose repeats add up, are refused
        for the edge variant.

    Sizes are integers >= 1, probabilities in [0, 1] and ``residual`` / ``bias``
    booleans (TypeError / ValueError otherwise). ``x`` (and ``edge_attr``) must be
    floating-point tensors of the parameters' dtype.
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 8, *, edge_dim: Optional[int] = None,
                 dropout: float = 0.0, attn_dropout: float = 0.0, norm: Optional[str] = "batch",
                 residual: bool = True, ffn_ratio: float = 2.0, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        in_channels = layer_size(in_channels, "in_channels", name)
        out_channels = layer_size(out_channels, "out_channels", name)
        heads = layer_size(heads, "heads", name)
        if out_channels % heads:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by heads ({heads}): "
                             f"each head has out_channels / heads channels")
        if edge_dim is not None:
            edge_dim = layer_size(edge_dim, "edge_dim", name)
        dropout = _validate.real(dropout, f"{name}: dropout", min=0, max=1)
        attn_dropout = _validate.real(attn_dropout, f"{name}: attn_dropout", min=0, max=1)
        norm = _validate.choice(norm, f"{name}: norm", NORMS)
        residual, bias = _checks.flag(residual, "residual", name), _checks.flag(bias, "bias", name)
        ffn_ratio = _validate.real(ffn_ratio, f"{name}: ffn_ratio", min=0, min_open=True)
        hidden = max(1, int(round(ffn_ratio * out_channels)))
        _checks.check_memory((3 * in_channels + 2 * hidden + out_channels) * out_channels * 4,
                             f"{name}({in_channels}, {out_channels}): the weights",
                             "check in_channels, out_channels and ffn_ratio")

        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.head_channels = out_channels // heads
        self.edge_dim, self.norm, self.residual = edge_dim, norm, residual
        self.dropout_p, self.attn_dropout_p, self.ffn_ratio = dropout, attn_dropout, ffn_ratio
        self.bias = bias

        self.lin_query = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_key = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_value = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_out = nn.Linear(out_channels, out_channels, bias=bias)
        self.res_proj = (nn.Linear(in_channels, out_channels, bias=False)
                         if residual and in_channels != out_channels else None)
        self.norm1, self.norm2 = norm_layer(norm, out_channels), norm_layer(norm, out_channels)
        self.ffn = _FFN(out_channels, hidden, dropout, bias)
        self.dropout = Dropout(dropout)
        self.attn_dropout = Dropout(attn_dropout)
        if edge_dim is not None:
            self.lin_edge = nn.Linear(edge_dim, out_channels, bias=bias)
            self.lin_edge_out = nn.Linear(out_channels, out_channels, bias=bias)
            self.edge_res_proj = (nn.Linear(edge_dim, out_channels, bias=False)
                                  if residual and edge_dim != out_channels else None)
            self.edge_norm1, self.edge_norm2 = norm_layer(norm, out_channels), norm_layer(norm, out_channels)
            self.edge_ffn = _FFN(out_channels, hidden, dropout, bias)
        else:
            self.lin_edge = self.lin_edge_out = self.edge_res_proj = None
            self.edge_norm1 = self.edge_norm2 = self.edge_ffn = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default initialisation of every linear map (as the authors' code), unit
        / zero affine norms and fresh BatchNorm running statistics."""
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    # ------------------------------------------------------------------ graph

    # -------------------------------------------------------------- attention

    def _attend(self, x: Tensor, adj: CSR, e: Optional[Tensor]) -> Tuple[Tensor, Optional[Tensor], Tensor]:
        """Attention on a CSR with edge features ``e`` ``[nnz, F_e]`` in CSR order.

        Returns ``(h [N, H, D], w [nnz, H * D] or None, alpha [nnz, H])``: the
        aggregated messages, the edge vectors :math:`\\hat w` and the attention weights
        (before attention dropout), all in CSR entry order."""
        H, D = self.heads, self.head_channels
        q = self.lin_query(x).view(-1, H, D)
        k = self.lin_key(x).view(-1, H, D)
        v = self.lin_value(x).view(-1, H, D)
        scale = 1.0 / math.sqrt(D)
        w = None
        if e is None:
            score = ops.sddmm(adj, q, k) * scale  # [nnz, H]: <q[target], k[source]>
        else:
            # the products are needed per dimension (modulated by E e), not just their sum
            w = (q.index_select(0, adj.row) * k.index_select(0, adj.col.long())) * scale
            w = w * self.lin_edge(e).view(-1, H, D)
            score = w.sum(-1)
            w = w.reshape(-1, H * D)
        alpha = ops.segment_softmax(adj, score)
        h = ops.spmm(adj.with_value(self.attn_dropout(alpha)), v)  # empty rows: 0
        return h, w, alpha

    def attention(self, x: Tensor, graph: Any, edge_attr: Optional[Tensor] = None, *,
                  return_attention_weights: bool = False) -> Union[Tensor, Tuple[Tensor, ...]]:
        r"""The multi-head attention alone: :math:`\Vert_k \sum_{j} \alpha^k_{ij} V^k h_j`,
        ``[N, F']`` (heads concatenated), before the output projection, residual and norm
        (PyG's ``TransformerConv(concat=True, beta=False, root_weight=False)`` without
        edge features).

        Returns the messages; with ``edge_dim`` also :math:`\hat w` ``[E, F']`` (before
        :math:`O_e`); with ``return_attention_weights`` also :math:`\alpha` ``[E, H]``
        (before attention dropout). Edge outputs follow the caller's edge order."""
        check_features(x, self.in_channels, self.lin_query.weight.dtype, type(self).__name__)
        return_attention_weights = _checks.flag(return_attention_weights, "return_attention_weights",
                                                type(self).__name__)
        adj, perm = ordered_graph(graph, x.size(0), type(self).__name__,
                                  self.edge_dim is not None or return_attention_weights)
        edge_attr = check_edge_attr(edge_attr, adj.nnz, self.edge_dim, x, type(self).__name__)
        e = edge_attr if edge_attr is None or perm is None else edge_attr.index_select(0, perm)
        h, w, alpha = self._attend(x, adj, e)
        out = (h.reshape(-1, self.out_channels),)
        if w is not None:
            out += (to_caller_order(w, perm),)
        if return_attention_weights:
            out += (to_caller_order(alpha, perm),)
        return out[0] if len(out) == 1 else out

    # ---------------------------------------------------------------- forward

    def forward(self, x: Tensor, graph: Any, edge_attr: Optional[Tensor] = None
                ) -> Union[Tensor, Tuple[Tensor, Tensor]]:
        """``x_out [N, F']``, or ``(x_out [N, F'], e_out [E, F'])`` with ``edge_dim``
        (``e_out`` in the caller's edge order)."""
        check_features(x, self.in_channels, self.lin_query.weight.dtype, type(self).__name__)
        adj, perm = ordered_graph(graph, x.size(0), type(self).__name__, self.edge_dim is not None)
        edge_attr = check_edge_attr(edge_attr, adj.nnz, self.edge_dim, x, type(self).__name__)
        e = edge_attr if edge_attr is None or perm is None else edge_attr.index_select(0, perm)
        h, w, _ = self._attend(x, adj, e)
        x_out = self._block(x, h.reshape(-1, self.out_channels), self.lin_out, self.res_proj, self.norm1,
                            self.ffn, self.norm2)
        if w is None:
            return x_out
        # the edge stream runs in the caller's order (row-wise maps; norms over all edges)
        e_out = self._block(edge_attr, to_caller_order(w, perm), self.lin_edge_out, self.edge_res_proj,
                            self.edge_norm1, self.edge_ffn, self.edge_norm2)
        return x_out, e_out

    def _block(self, inp: Tensor, attn: Tensor, lin_out: nn.Module, res_proj: Optional[nn.Module],
               norm1: nn.Module, ffn: nn.Module, norm2: nn.Module) -> Tensor:
        """``Norm(h' + FFN(h'))`` with ``h' = Norm(inp + O dropout(attn))``."""
        h = lin_out(self.dropout(attn))
        if self.residual:
            h = h + (res_proj(inp) if res_proj is not None else inp)
        h = norm1(h)
        out = ffn(h)
        if self.residual:
            out = out + h
        return norm2(out)

    def __repr__(self) -> str:
        edge = f", edge_dim={self.edge_dim}" if self.edge_dim is not None else ""
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, heads={self.heads}{edge}, "
                f"norm={self.norm!r})")
