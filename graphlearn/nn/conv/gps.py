r"""The GPS layer (Rampášek et al., "Recipe for a General, Powerful, Scalable Graph
Transformer", NeurIPS 2022, arXiv:2205.12454) on graphlearn's sparse core: a local
message-passing layer (GIN / GINE) and global attention over all node pairs of each graph,
summed, then a feed-forward block.

The full global attention never pads graphs to the largest one: it runs on the
block-diagonal "complete graph" of the batch (:func:`batch_complete_graph`: every
``(i, j)`` in the same graph, :math:`\sum_g n_g^2` entries) with
:func:`graphlearn.ops.sddmm`, :func:`graphlearn.ops.segment_softmax` and
:func:`graphlearn.ops.spmm`, so its memory is proportional to :math:`\sum_g n_g^2`, not to
:math:`G \cdot \max_g n_g^2`. The linear attention (``global_attn="linear"``) needs
:math:`O(N H D + G H D^2)`.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphlearn import _validate, ops
from graphlearn.nn._cache import NORMS, check_features, layer_size, norm_layer
from graphlearn.nn._edges import check_edge_attr, ordered_graph
from graphlearn.nn.conv.gin_conv import GINConv, GINEConv
from graphlearn.nn.dropout import Dropout
from graphlearn.nn.resolver import register
from graphlearn.ops import _checks
from graphlearn.sparse import CSR, as_csr, index_dtype_for

__all__ = ["GPSLayer", "batch_complete_graph", "shortest_path_buckets"]

_LOCALS = ("gine", "gin", None)
_GLOBALS = ("full", "linear", None)
_BIASES = ("edge", "spd")


# ------------------------------------------------------------------ batch structure


def _check_batch(batch: Any, num_nodes: int, device: torch.device, owner: str) -> Tuple[Optional[Tensor], int]:
    """``(batch as int64 or None, number of graphs G)``: PyG's ``[N]`` graph id per node
    (ids ``0 .. G-1``; not necessarily sorted; ids without nodes are empty graphs)."""
    if batch is None:
        return None, 1
    if not isinstance(batch, Tensor):
        raise TypeError(f"{owner}: batch must be a [N] integer tensor (the graph id of every node, PyG's "
                        f"data.batch), got {type(batch).__name__}")
    if batch.dtype.is_floating_point or batch.is_complex() or batch.dtype == torch.bool:
        raise TypeError(f"{owner}: batch must hold integer graph ids, got {batch.dtype}")
    if batch.dim() != 1 or batch.numel() != num_nodes:
        raise ValueError(f"{owner}: batch must have shape [{num_nodes}] (one graph id per node of x), got "
                         f"{list(batch.shape)}")
    if batch.device != device:
        raise ValueError(f"{owner}: batch is on {batch.device} but x is on {device}")
    batch = batch.long()
    if num_nodes == 0:
        return batch, 1
    lo = int(batch.min())
    if lo < 0:
        k = int((batch < 0).nonzero()[0])
        raise ValueError(f"{owner}: batch[{k}] = {int(batch[k])} is not a graph id (ids are >= 0)")
    return batch, int(batch.max()) + 1


def _check_within_graphs(adj: CSR, batch: Optional[Tensor], perm: Optional[Tensor], owner: str) -> None:
    """Every edge joins two nodes of one graph of the batch."""
    if batch is None or adj.nnz == 0:
        return
    t, s = adj.row, adj.col.long()
    bad = batch.index_select(0, t) != batch.index_select(0, s)
    if bool(bad.any()):
        k = int(bad.nonzero()[0])
        at = int(perm[k]) if perm is not None else k
        raise ValueError(f"{owner}: edge {at} ({int(s[k])} -> {int(t[k])}) joins graph {int(batch[s[k]])} to graph "
                         f"{int(batch[t[k]])}; every edge must stay inside one graph of the batch")


def _complete(batch: Optional[Tensor], num_nodes: int, num_graphs: int, device: torch.device, per_entry: int,
              owner: str) -> Tuple[CSR, Tensor]:
    """``(full, rank)``: the block-diagonal complete graph of the batch (every ``(i, j)``
    with ``batch[i] == batch[j]``, columns sorted within rows) and ``rank [N]`` (int64),
    the position of each node among its graph's nodes, so that entry ``(i, j)`` of
    ``full`` is entry ``full.rowptr[i] + rank[j]``."""
    n = num_nodes
    if batch is None:
        batch = torch.zeros(n, dtype=torch.long, device=device)
    counts = torch.bincount(batch, minlength=num_graphs)
    nnz = int((counts * counts).sum())
    _checks.check_memory(nnz * per_entry, f"{owner}: full attention over the {nnz} node pairs of the batch "
                         f"({num_graphs} graphs, {n} nodes)",
                         "use global_attn='linear', smaller batches or fewer heads", device)
    dtype = index_dtype_for(n, nnz)
    order = torch.sort(batch, stable=True).indices  # each graph's nodes, ascending
    start = torch.cumsum(counts, 0) - counts  # first position of each graph in order
    node_start = start.index_select(0, batch)
    row_len = counts.index_select(0, batch)
    rowptr = torch.zeros(n + 1, dtype=torch.long, device=device)
    rowptr[1:] = torch.cumsum(row_len, 0)
    # col of entry e of row i: order[node_start[i] + (e - rowptr[i])]
    shift = torch.repeat_interleave(node_start - rowptr[:-1], row_len, output_size=nnz)
    col = order.index_select(0, torch.arange(nnz, device=device) + shift)
    rank = torch.empty(n, dtype=torch.long, device=device)
    rank[order] = torch.arange(n, device=device) - node_start.index_select(0, order)
    full = CSR(rowptr.to(dtype), col.to(dtype), num_cols=n, validate=False, sorted=True)
    return full, rank


def batch_complete_graph(batch: Optional[Tensor], num_nodes: int) -> CSR:
    r"""The block-diagonal "complete graph" of a batch: a ``[N, N]`` CSR with an entry
    ``(i, j)`` for every pair of nodes of the same graph (self-pairs included), columns
    sorted within rows, no values: :math:`\sum_g n_g^2` entries, never padded to the
    largest graph. Full global attention runs on it.

    Args:
        batch: ``[N]`` integer graph id per node (PyG's ``data.batch``; need not be
            sorted), or None for one graph.
        num_nodes: N.

    Raises:
        TypeError / ValueError: a batch that is not ``[N]`` non-negative integers.
        MemoryError: more pairs than fit in memory.
    """
    owner = "batch_complete_graph"
    n = _validate.integer(num_nodes, f"{owner}: num_nodes", min=1)
    device = batch.device if isinstance(batch, Tensor) else torch.device("cpu")
    batch, g = _check_batch(batch, n, device, owner)
    return _complete(batch, n, g, device, 16, owner)[0]


def _spd_entries(adj: CSR, full: CSR, rank: Tensor, max_spd: int) -> Tensor:
    """``[full.nnz]`` int64: the hop distance of every complete-graph entry ``(i, j)``
    along the adjacency's rows (:func:`graphlearn.ops.khop_distances` from every node,
    sparse), ``max_spd + 1`` where it exceeds ``max_spd`` or ``j`` is unreachable. One
    search over the whole batch is the per-graph search: no edge leaves its graph."""
    n = adj.num_rows
    roots = torch.arange(n, device=adj.device)
    root_index, node, dist = ops.khop_distances(adj, roots, max_spd, sparse=True)
    out = torch.full((full.nnz,), max_spd + 1, dtype=torch.long, device=adj.device)
    pos = full.rowptr.long().index_select(0, root_index.long()) + rank.index_select(0, node.long())
    return out.index_copy_(0, pos, dist.long())


def shortest_path_buckets(graph: Any, batch: Optional[Tensor] = None, max_spd: int = 5, *,
                          num_nodes: Optional[int] = None) -> Tensor:
    r"""Shortest-path distances of every entry of :func:`batch_complete_graph`, capped:
    ``[nnz]`` int64 in ``0 .. max_spd + 1`` (``max_spd + 1``: farther or unreachable),
    in the complete graph's entry order: what :class:`GPSLayer` with
    ``attn_bias="spd"`` embeds. Compute it once per batch and pass it to every layer as
    ``spd=`` (the layers cache nothing).

    The distance of entry ``(i, j)`` (node ``i`` attending to ``j``) is the number of
    edges on a shortest directed path ``j -> ... -> i`` (the hops ``j``'s messages need
    to reach ``i``; rows aggregate, :mod:`graphlearn.sparse`). For an undirected graph
    (both directions stored, as PyG's) it is the usual symmetric distance.

    Args:
        graph: anything :func:`graphlearn.sparse.as_csr` accepts.
        batch: ``[N]`` graph id per node, or None for one graph; no edge may join two
            graphs.
        max_spd: the largest distance kept, an integer >= 0.
        num_nodes: N (default: ``batch``'s length, else as :func:`as_csr` infers it).
    """
    owner = "shortest_path_buckets"
    max_spd = _validate.integer(max_spd, f"{owner}: max_spd", min=0, max=2**40)
    if num_nodes is None and isinstance(batch, Tensor):
        num_nodes = batch.numel()
    adj = as_csr(graph, num_nodes, name=f"{owner}: graph")
    n = adj.num_rows
    batch, g = _check_batch(batch, n, adj.device, owner)
    _check_within_graphs(adj, batch, None, owner)
    full, rank = _complete(batch, n, g, adj.device, 16, owner)
    return _spd_entries(adj, full, rank, max_spd)


# ------------------------------------------------------------------ the layer


class _FFN(nn.Module):
    r"""``dropout(W_2 dropout(ReLU(W_1 h)))``: the GPS feed-forward block."""

    def __init__(self, channels: int, hidden: int, dropout: float, bias: bool):
        super().__init__()
        self.lin1 = nn.Linear(channels, hidden, bias=bias)
        self.lin2 = nn.Linear(hidden, channels, bias=bias)
        self.dropout = Dropout(dropout)

    def forward(self, h: Tensor) -> Tensor:
        return self.dropout(self.lin2(self.dropout(torch.relu(self.lin1(h)))))


def _attn_bias(value: Any, owner: str) -> Tuple[str, ...]:
    if value is None:
        return ()
    items = (value,) if isinstance(value, str) else value
    if not isinstance(items, Sequence):
        raise TypeError(f"{owner}: attn_bias must be None, 'edge', 'spd' or a sequence of them, got "
                        f"{type(value).__name__}")
    for v in items:
        _validate.choice(v, f"{owner}: attn_bias", _BIASES)
    return tuple(b for b in _BIASES if b in items)


@register("conv", "gps")
class GPSLayer(nn.Module):
    r"""A GPS layer (Rampášek et al. 2022): local message passing and global attention
    in parallel, summed, then a feed-forward block (the paper's GPS layer, with the
    residuals, norms and dropouts placed as in the authors' implementation):

    .. math::
        X_M = \mathrm{Norm}\big(X + \mathrm{Dropout}(\mathrm{MPNN}(X, E, A))\big), \qquad
        X_T = \mathrm{Norm}\big(X + \mathrm{Dropout}(\mathrm{GlobalAttn}(X))\big),

    .. math::
        H = X_M + X_T, \qquad
        X' = \mathrm{Norm}\big(H + \mathrm{Dropout}(W_2\, \mathrm{Dropout}(\mathrm{ReLU}(W_1 H)))\big),

    each Norm with its own parameters; without a local (or global) part its term is
    left out. The edge features pass through unchanged (the layer returns ``X'`` only).

    **Local**: :class:`GINEConv` (``"gine"``, with ``edge_dim``) or :class:`GINConv`
    (``"gin"``), ``channels -> channels`` with the MLP ``Linear ReLU Linear``.

    **Full global attention** (``"full"``): multi-head attention over all node pairs
    ``(i, j)`` of each graph of the batch, with :math:`H` heads of width
    :math:`D = C / H`:

    .. math::
        s^k_{ij} = \frac{(Q^k x_i) \cdot (K^k x_j)}{\sqrt{D}} + b^k_{ij}, \qquad
        \alpha^k_{ij} = \operatorname{softmax}_{j:\, g(j) = g(i)} s^k_{ij}, \qquad
        \mathrm{GlobalAttn}(X)_i = O \big\Vert_{k=1}^{H} \sum_{j:\, g(j) = g(i)}
        \alpha^k_{ij} V^k x_j

    on the batch's complete graph (:func:`batch_complete_graph`): memory proportional
    to :math:`\sum_g n_g^2`, never padded. The optional additive bias :math:`b_{ij}`
    (``attn_bias``) sums

    * ``"edge"``: :math:`W_b e_{ji} + c` (``edge_bias``, ``[H, F_e]``) on the pairs
      that are edges ``j -> i`` (repeated edges add up), 0 elsewhere;
    * ``"spd"``: a learnable ``[max_spd + 2, H]`` table (``spd_bias``, zeros at
      first) indexed by the shortest-path distance ``j -> ... -> i``
      (:func:`shortest_path_buckets`; ``max_spd + 1`` for farther or unreachable
      pairs), computed on every call by :func:`graphlearn.ops.khop_distances` unless
      given as ``spd=``.

    **Linear global attention** (``"linear"``, for large graphs): the kernelised
    attention of Katharopoulos et al. (2020, "Transformers are RNNs"; the paper's
    Performer uses random features instead) with the feature map :math:`\phi(u) = \mathrm{elu}(u) + 1 > 0`, per head and
    graph,

    .. math::
        \mathrm{GlobalAttn}(X)_i = O \big\Vert_{k=1}^{H}
        \frac{\phi(Q^k x_i)^\top S^k_{g(i)}}{\phi(Q^k x_i)^\top z^k_{g(i)}}, \qquad
        S^k_g = \sum_{j \in g} \phi(K^k x_j)\, (V^k x_j)^\top, \quad
        z^k_g = \sum_{j \in g} \phi(K^k x_j),

    the per-graph sums by :func:`graphlearn.ops.spmm` over the ``[G, N]`` membership
    matrix (two calls per head dimension :math:`d`, each over ``[N, H, D]``), so memory
    is :math:`O(N H D + G H D^2)` and time :math:`O(N H D^2)`, with no :math:`n_g^2`
    term. No attention bias and no attention dropout apply to it.

    Args:
        channels: the model width C (input and output), divisible by ``heads``.
        heads: number of attention heads H.
        local: ``"gine"`` (default; needs ``edge_dim``), ``"gin"`` or None.
        edge_dim: edge feature size F_e; when given the layer takes ``edge_attr``.
        global_attn: ``"full"`` (default), ``"linear"`` or None.
        dropout: dropout probability on the local and attention outputs and in the
            feed-forward block (hidden layer and output).
        attn_dropout: dropout probability on the full attention weights :math:`\alpha`.
        norm: ``"batch"`` (BatchNorm1d over the nodes of the batch; the paper's
            default), ``"layer"`` (LayerNorm per node) or None.
        ffn_ratio: feed-forward hidden width as a multiple of C (2 in the paper).
        attn_bias: None, ``"edge"`` (needs ``edge_dim``), ``"spd"`` or
            ``("edge", "spd")``; only with ``global_attn="full"``.
        max_spd: the largest distance with its own bias (an integer >= 0).
        bias: learnable biases in every linear map.

    Shapes:
        x ``[N, C]``; graph: a ``[2, E]`` ``edge_index`` (messages ``edge_index[0] ->
        edge_index[1]``, ``N = x.size(0)`` nodes), a PyG ``Data`` or a CSR (rows
        aggregate); with ``edge_dim`` scipy/torch sparse matrices are refused (their
        repeats add up); edge_attr ``[E, F_e]`` in the caller's edge order; batch
        ``[N]`` graph id per node (PyG's ``data.batch``; None: one graph; no edge may
        join two graphs); spd ``[sum_g n_g^2]`` from :func:`shortest_path_buckets`
        (optional) -> ``[N, C]``.

    Sizes are integers >= 1, probabilities in [0, 1] (TypeError / ValueError
    otherwise); ``x`` and ``edge_attr`` must be floating-point tensors of the
    parameters' dtype.
    """

    def __init__(self, channels: int, heads: int = 4, *, local: Optional[str] = "gine",
                 edge_dim: Optional[int] = None, global_attn: Optional[str] = "full", dropout: float = 0.0,
                 attn_dropout: float = 0.0, norm: Optional[str] = "batch", ffn_ratio: float = 2.0,
                 attn_bias: Union[None, str, Sequence[str]] = None, max_spd: int = 5, bias: bool = True):
        super().__init__()
        name = type(self).__name__
        channels = layer_size(channels, "channels", name)
        heads = layer_size(heads, "heads", name)
        if channels % heads:
            raise ValueError(f"{name}: channels ({channels}) must be divisible by heads ({heads}): each head has "
                             f"channels / heads channels")
        if edge_dim is not None:
            edge_dim = layer_size(edge_dim, "edge_dim", name)
        local = _validate.choice(local, f"{name}: local", _LOCALS)
        global_attn = _validate.choice(global_attn, f"{name}: global_attn", _GLOBALS)
        if local is None and global_attn is None:
            raise ValueError(f"{name}: local and global_attn are both None; give at least one of them")
        if local == "gine" and edge_dim is None:
            raise ValueError(f"{name}: local='gine' needs edge features: pass edge_dim=F_e, or use local='gin'")
        dropout = _validate.real(dropout, f"{name}: dropout", min=0, max=1)
        attn_dropout = _validate.real(attn_dropout, f"{name}: attn_dropout", min=0, max=1)
        norm = _validate.choice(norm, f"{name}: norm", NORMS)
        ffn_ratio = _validate.real(ffn_ratio, f"{name}: ffn_ratio", min=0, min_open=True)
        attn_bias = _attn_bias(attn_bias, name)
        if attn_bias and global_attn != "full":
            raise ValueError(f"{name}: attn_bias={attn_bias!r} applies to global_attn='full' only, got "
                             f"global_attn={global_attn!r}")
        if "edge" in attn_bias and edge_dim is None:
            raise ValueError(f"{name}: attn_bias 'edge' needs edge features: pass edge_dim=F_e")
        max_spd = _validate.integer(max_spd, f"{name}: max_spd", min=0, max=2**40)
        bias = _checks.flag(bias, "bias", name)
        hidden = max(1, int(round(ffn_ratio * channels)))
        _checks.check_memory((6 * channels + 2 * hidden) * channels * 4, f"{name}({channels}): the weights",
                             "check channels and ffn_ratio")

        self.channels, self.heads, self.head_channels = channels, heads, channels // heads
        self.local_kind, self.edge_dim, self.global_attn = local, edge_dim, global_attn
        self.dropout_p, self.attn_dropout_p, self.norm, self.ffn_ratio = dropout, attn_dropout, norm, ffn_ratio
        self.attn_bias, self.max_spd, self.bias = attn_bias, max_spd, bias

        if local == "gine":
            self.local = GINEConv(channels, channels, edge_dim, bias=bias)
        elif local == "gin":
            self.local = GINConv(channels, channels, bias=bias)
        else:
            self.local = None
        self.norm_local = norm_layer(norm, channels) if local is not None else None
        if global_attn is not None:
            self.lin_query = nn.Linear(channels, channels, bias=bias)
            self.lin_key = nn.Linear(channels, channels, bias=bias)
            self.lin_value = nn.Linear(channels, channels, bias=bias)
            self.lin_out = nn.Linear(channels, channels, bias=bias)
            self.norm_attn = norm_layer(norm, channels)
        else:
            self.lin_query = self.lin_key = self.lin_value = self.lin_out = self.norm_attn = None
        self.edge_bias = nn.Linear(edge_dim, heads, bias=bias) if "edge" in attn_bias else None
        self.spd_bias = nn.Embedding(max_spd + 2, heads) if "spd" in attn_bias else None
        self.ffn = _FFN(channels, hidden, dropout, bias)
        self.norm_ffn = norm_layer(norm, channels)
        self.dropout = Dropout(dropout)
        self.attn_dropout = Dropout(attn_dropout)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default initialisation of every linear map, the local layer's own
        reset, zeros in the distance-bias table, unit / zero affine norms and fresh
        BatchNorm running statistics."""
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()
        if self.spd_bias is not None:
            nn.init.zeros_(self.spd_bias.weight)

    # ------------------------------------------------------------------ inputs

    def _inputs(self, x: Tensor, graph: Any, edge_attr: Optional[Tensor], batch: Any
                ) -> Tuple[CSR, Optional[Tensor], Optional[Tensor], int]:
        """``(adj, e, batch, G)``: the graph's CSR, the edge features in CSR entry order,
        the checked batch and the number of graphs."""
        name = type(self).__name__
        param = next(self.parameters())
        check_features(x, self.channels, param.dtype, name)
        batch, num_graphs = _check_batch(batch, x.size(0), x.device, name)
        adj, perm = ordered_graph(graph, x.size(0), name, self.edge_dim is not None)
        edge_attr = check_edge_attr(edge_attr, adj.nnz, self.edge_dim, x, name)
        _check_within_graphs(adj, batch, perm, name)
        e = edge_attr if edge_attr is None or perm is None else edge_attr.index_select(0, perm)
        return adj, e, batch, num_graphs

    def _check_spd(self, spd: Any, nnz: int) -> Tensor:
        name = type(self).__name__
        if not isinstance(spd, Tensor) or spd.dtype.is_floating_point or spd.dtype == torch.bool:
            raise TypeError(f"{name}: spd must be an integer tensor from shortest_path_buckets, got "
                            f"{getattr(spd, 'dtype', type(spd).__name__)}")
        if spd.device != self.lin_query.weight.device:
            raise ValueError(f"{name}: spd is on {spd.device} but the layer is on {self.lin_query.weight.device}")
        if spd.shape != (nnz,):
            raise ValueError(f"{name}: spd must have shape [{nnz}] (one distance per node pair of the batch, "
                             f"shortest_path_buckets(graph, batch, max_spd)), got {list(spd.shape)}")
        if nnz and (int(spd.min()) < 0 or int(spd.max()) > self.max_spd + 1):
            raise ValueError(f"{name}: spd values must lie in [0, {self.max_spd + 1}] (max_spd={self.max_spd}), got "
                             f"[{int(spd.min())}, {int(spd.max())}]")
        return spd.long()

    # -------------------------------------------------------------- attention

    def _global(self, x: Tensor, adj: CSR, e: Optional[Tensor], batch: Optional[Tensor], num_graphs: int,
                spd: Optional[Tensor]) -> Tensor:
        """``GlobalAttn(X)`` ``[N, C]`` (after the output map :math:`O`)."""
        H, D = self.heads, self.head_channels
        q = self.lin_query(x).view(-1, H, D)
        k = self.lin_key(x).view(-1, H, D)
        v = self.lin_value(x).view(-1, H, D)
        if self.global_attn == "full":
            h = self._full(q, k, v, adj, e, batch, num_graphs, spd)
        else:
            if spd is not None:
                raise ValueError(f"{type(self).__name__}: spd applies to attn_bias='spd' only")
            h = self._linear(q, k, v, batch, num_graphs)
        return self.lin_out(h.reshape(-1, self.channels))

    def _full(self, q: Tensor, k: Tensor, v: Tensor, adj: CSR, e: Optional[Tensor], batch: Optional[Tensor],
              num_graphs: int, spd: Optional[Tensor]) -> Tensor:
        name = type(self).__name__
        H = self.heads
        per_entry = 24 + 6 * H * q.element_size()  # indices, scores, weights, their gradients
        full, rank = _complete(batch, q.size(0), num_graphs, q.device, per_entry, name)
        score = ops.sddmm(full, q, k) * (1.0 / math.sqrt(self.head_channels))  # [nnz, H]
        if self.edge_bias is not None and adj.nnz:
            pos = full.rowptr.long().index_select(0, adj.row) + rank.index_select(0, adj.col.long())
            score = score.index_add(0, pos, self.edge_bias(e))  # repeated edges add up
        if self.spd_bias is not None:
            spd = _spd_entries(adj, full, rank, self.max_spd) if spd is None else self._check_spd(spd, full.nnz)
            score = score + self.spd_bias(spd)
        elif spd is not None:
            raise ValueError(f"{name}: spd applies to attn_bias='spd' only (this layer has attn_bias="
                             f"{self.attn_bias or None!r})")
        alpha = ops.segment_softmax(full, score)  # every row holds its own node: never empty
        return ops.spmm(full.with_value(self.attn_dropout(alpha)), v)

    def _linear(self, q: Tensor, k: Tensor, v: Tensor, batch: Optional[Tensor], num_graphs: int) -> Tensor:
        n, D = q.size(0), self.head_channels
        pq, pk = F.elu(q) + 1, F.elu(k) + 1
        nodes = torch.arange(n, device=q.device)
        if batch is None:
            member = CSR(torch.tensor([0, n], device=q.device), nodes, num_cols=n, validate=False, sorted=True)
        else:
            member = CSR.from_coo(batch, nodes, num_graphs, num_cols=n)  # [G, N]: row g = nodes of graph g
        of_node = member.t()  # [N, G]: entry i is node i's (its only one)
        pk_entries = pk if batch is None else pk.index_select(0, member.col.long())  # member's entry order
        z = ops.spmm(member, pk)  # [G, H, D]
        num = None
        for d in range(D):
            # S[:, :, d, :] = sum_j phi(k_j)[d] v_j per graph and head, then phi(q_i)[d] S_g(i)[d, :]
            s_d = ops.spmm(member.with_value(pk_entries[:, :, d]), v)
            part = ops.spmm(of_node.with_value(pq[:, :, d]), s_d)
            num = part if num is None else num + part
        den = (pq * ops.spmm(of_node, z)).sum(-1, keepdim=True)  # > 0: phi > 0
        return num / den.clamp_min(torch.finfo(q.dtype).tiny)

    def global_attention(self, x: Tensor, graph: Any, edge_attr: Optional[Tensor] = None,
                         batch: Optional[Tensor] = None, *, spd: Optional[Tensor] = None) -> Tensor:
        r"""The global attention alone, :math:`\mathrm{GlobalAttn}(X)` ``[N, C]``
        (after the output map :math:`O`, before dropout, residual and norm)."""
        if self.global_attn is None:
            raise ValueError(f"{type(self).__name__} was built with global_attn=None")
        adj, e, batch, num_graphs = self._inputs(x, graph, edge_attr, batch)
        return self._global(x, adj, e, batch, num_graphs, spd)

    # ---------------------------------------------------------------- forward

    def forward(self, x: Tensor, graph: Any, edge_attr: Optional[Tensor] = None, batch: Optional[Tensor] = None,
                *, spd: Optional[Tensor] = None) -> Tensor:
        """``[N, C]``."""
        adj, e, batch, num_graphs = self._inputs(x, graph, edge_attr, batch)
        h = None
        if self.local is not None:
            # the CSR and the edge features in its entry order: the local layer reads no order again
            out = self.local(x, adj, e) if self.local_kind == "gine" else self.local(x, adj)
            h = self.norm_local(x + self.dropout(out))
        if self.global_attn is not None:
            t = self.norm_attn(x + self.dropout(self._global(x, adj, e, batch, num_graphs, spd)))
            h = t if h is None else h + t
        elif spd is not None:
            raise ValueError(f"{type(self).__name__}: spd applies to attn_bias='spd' only")
        return self.norm_ffn(h + self.ffn(h))

    def __repr__(self) -> str:
        edge = f", edge_dim={self.edge_dim}" if self.edge_dim is not None else ""
        extra = f", attn_bias={self.attn_bias!r}" if self.attn_bias else ""
        if "spd" in self.attn_bias:
            extra += f", max_spd={self.max_spd}"
        return (f"{self.__class__.__name__}({self.channels}, heads={self.heads}, local={self.local_kind!r}{edge}, "
                f"global_attn={self.global_attn!r}{extra}, norm={self.norm!r})")
