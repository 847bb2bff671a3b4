r"""Neural Common Neighbor (NCN) and NCN with Completion (NCNC), Wang, Yang & Zhang,
"Neural Common Neighbor with Completion for Link Prediction" (ICLR 2024).

An encoder computes node representations ``h`` on the message-passing graph; a
predictor scores a target pair (i, j) from

* ``h_i * h_j`` (through an MLP), and
* the common-neighbour sum :math:`\sum_{u \in N(i) \cap N(j)} h'_u` (through another MLP),
  with :math:`h' = h + \mathrm{MLP}(h)` when ``feature_mlp`` is on,

added with a learnable scale ``beta`` (the authors' code; ``combine="add"``, the
default) or concatenated (the paper's formula; ``combine="cat"``), then an MLP to one
logit. The sum is :func:`graphlearn.ops.common_neighbors` (the fused compiled kernel;
while training, the sets once and :func:`graphlearn.ops.spmm` for the gradient):
nothing dense of size N x N and no loop over pairs in Python.

NCNC (:class:`NCNCPredictor`) completes the common neighbours of an incomplete graph:
each u in :math:`N(i) \setminus N(j)` is added with weight :math:`p(u, j)`, the
predicted probability that u links to j (and symmetrically for :math:`N(j) \setminus
N(i)`), computed by the same predictor one completion level down (depth 1: by NCN)
without gradient and calibrated as the authors do: ``p0 = sigmoid(prob_scale *
(logit - prob_offset))``, ``p = alpha * pt * p0 / (pt * p0 + 1 - p0)``.

For high-degree graphs both take a degree cap: a set larger than the cap is replaced by
``cap`` members drawn uniformly with replacement, each weighted ``|set| / cap`` (an
unbiased estimate of the sum). Draws use torch's global generator in training (seeded
by the training loop) and a fixed generator (``sample_seed``) in eval mode, so
evaluation is deterministic.

:class:`NCN` bundles an :class:`NCNEncoder` and a predictor (``"ncn"``, ``"ncnc"`` or
``"gae"``: the same head on ``h_i * h_j`` alone) with the interface the link
training loop uses: ``encode(x, graph) -> h`` and ``score(h, graph, pairs) -> logits``.
"""
from __future__ import annotations

import weakref
from typing import Any, Dict, Optional, Tuple

import torch
from torch import Tensor, nn

from graphlearn import _validate
from graphlearn.nn._cache import layer_size
from graphlearn.nn.conv.gcn_conv import GCNConv, _flag
from graphlearn.nn.dropout import Dropout, dropout
from graphlearn.nn.resolver import register
from graphlearn.ops import common_neighbor_sets, common_neighbors, spmm
from graphlearn.sparse import CSR, as_csr, as_pairs

__all__ = ["NCN", "NCNC", "NCNEncoder", "NCNPredictor", "NCNCPredictor", "drop_entries", "sample_rows",
           "CONVS", "PREDICTORS"]

CONVS = ("puregcn", "puresum", "puremean", "gcn", "none")
PREDICTORS = ("ncn", "ncnc", "gae")
_MATERIALISE_ENTRIES = 1 << 22  # evaluation builds common-neighbour sets up to this many entries (32 MiB)
COMPLETION_BATCH = 4096  # NCNC default chunk of completion pairs (transient [4096, hidden] activations)
SPARSE_INPUT_DENSITY = 0.1  # sparse_input=None reads x as sparse at or below this share of non-zeros


def _probability(value: Any, name: str) -> float:
    return _validate.real(value, name, min=0, max=1, max_open=True)


def _cap(value: Any, name: str) -> Optional[int]:
    return None if value is None else _validate.integer(value, name, min=1)


# ----------------------------------------------------------------- sparse helpers

def drop_entries(adj: CSR, p: float, generator: Optional[torch.Generator] = None) -> CSR:
    """``adj`` with each stored entry kept with probability ``1 - p`` (edge dropout);
    kept entries are weighted ``1 / (1 - p)`` (times their weight), so weighted degrees
    keep their expectation. Rows stay sorted."""
    if p == 0:
        return adj
    keep = torch.rand(adj.nnz, generator=generator, device=adj.device) >= p
    scale = 1.0 / (1.0 - p)
    value = torch.full((int(keep.sum()),), scale, device=adj.device) if adj.value is None else adj.value[keep] * scale
    return CSR.from_coo(adj.row[keep], adj.col[keep], adj.num_rows, value, num_cols=adj.num_cols,
                        index_dtype=adj.rowptr.dtype)


def sample_rows(sets: CSR, cap: Optional[int], generator: Optional[torch.Generator] = None) -> CSR:
    """Each row with more than ``cap`` entries replaced by ``cap`` of them drawn
    uniformly with replacement, each weighted ``count / cap`` times its weight (an
    unbiased estimate of the row's weighted sum); shorter rows are kept whole (weight
    1 or their own). Repeated draws stay separate entries (SpMM sums them)."""
    if cap is None or sets.nnz == 0:
        return sets
    count = sets.degree()
    big = count > cap
    if not bool(big.any()):
        return sets
    device = sets.device
    rows = torch.arange(sets.num_rows, device=device)
    # entries of the rows kept whole
    row_of = sets.row.long()
    keep = ~big[row_of]
    k_rows, k_cols = row_of[keep], sets.col.long()[keep]
    k_val = torch.ones(k_rows.numel(), device=device) if sets.value is None else sets.value[keep].float()
    # draws for the others
    b_rows = rows[big]
    start = sets.rowptr.long()[:-1][big]
    offs = (torch.rand(b_rows.numel(), cap, generator=generator, device=device) * count[big].unsqueeze(1)).long()
    offs = torch.minimum(offs, count[big].unsqueeze(1) - 1)
    pos = (start.unsqueeze(1) + offs).reshape(-1)
    s_rows = b_rows.repeat_interleave(cap)
    s_cols = sets.col.long()[pos]
    s_val = (count[big].float() / cap).repeat_interleave(cap)
    if sets.value is not None:
        s_val = s_val * sets.value[pos].float()
    row = torch.cat([k_rows, s_rows])
    col = torch.cat([k_cols, s_cols])
    val = torch.cat([k_val, s_val])
    return CSR.from_coo(row, col, sets.num_rows, val, num_cols=sets.num_cols)  # compiled build, rows sorted


def _set_sum(adj: CSR, src: Tensor, dst: Tensor, x: Tensor, mode: str, cap: Optional[int],
             generator: Optional[torch.Generator]) -> Tensor:
    """:math:`\\sum_{u \\in set(i, j)} x_u` per pair (sampled down to ``cap`` when given)."""
    if src.numel() == 0:
        return x.new_zeros(0, x.size(1))
    if cap is None:
        return common_neighbors(adj, (src, dst), x, mode=mode)
    sets = sample_rows(common_neighbor_sets(adj, (src, dst), mode), cap, generator)
    return spmm(sets if sets.value is None else sets.with_value(sets.value.to(x.dtype)), x)


# ------------------------------------------------------------------------ encoder

class NCNEncoder(nn.Module):
    r"""The node encoder of NCN/NCNC: an input layer, ``num_layers`` propagations, and
    optional residual connections, jumping knowledge and edge dropout.

    Propagations (``conv``):

    * ``"puregcn"``: :math:`\tilde D^{-1/2} (A + I) \tilde D^{-1/2} h` without parameters
      (:math:`\tilde D = D + I`; the authors' ``puregcn``);
    * ``"puresum"``: :math:`A h`; ``"puremean"``: :math:`D^{-1} A h`;
    * ``"gcn"``: :class:`graphlearn.nn.GCNConv` layers with ReLU (and layer norm)
      between them;
    * ``"none"``: no propagation (the input layer only).

    Input: with the parameter-free propagations (or ``"none"``) ``x`` goes through
    dropout ``input_dropout`` and a Linear layer to ``hidden_channels`` (then dropout
    ``dropout``); with ``"gcn"`` the first layer reads ``x`` directly. Sparse features
    (bag-of-words such as Cora's, 1.3% non-zero) are read as a sparse matrix: the
    non-zeros are found once per feature tensor (cached while the tensor is unchanged),
    input dropout draws only for them, and the Linear layer is a
    :func:`graphlearn.ops.spmm` with its weight. That is the same function (dropout
    leaves zeros zero) at a cost proportional to the non-zeros instead of ``N x F``
    (Cora: 6.6 ms against 42 ms forward plus backward on one core). A learnable node
    embedding table (``num_embeddings``, orthogonally initialised, for graphs without
    features such as ogbl-ddi) replaces the input, or is added to it when ``x`` is
    given too.

    Args:
        in_channels: feature size F of ``x``; None for a model without features
            (``num_embeddings`` is then required).
        hidden_channels: output size (and every hidden size).
        num_layers: propagations (>= 1; 0 means ``conv="none"``).
        conv: one of :data:`CONVS`.
        num_embeddings: rows of the node embedding table (the number of nodes), or None.
        dropout: dropout after the input layer / between GCN layers (the authors' gnndp).
        input_dropout: dropout on ``x`` (xdp). tail_dropout: after the last
            parameter-free propagation (tdp). edge_dropout: of the message-passing
            graph's entries while training (gnnedp).
        layer_norm: LayerNorm between GCN layers (ln). residual: add each layer's input
            to its output when the sizes agree (res). jk: output the learnable weighted
            sum of every layer's output (jk).
        sparse_input: read ``x`` as sparse (True), dense (False), or decide per feature
            tensor (None: sparse when at most :data:`SPARSE_INPUT_DENSITY` of it is
            non-zero). Features that require grad are always read dense.

    Shapes: x ``[N, F]`` (or None), graph anything :func:`graphlearn.sparse.as_csr`
    accepts (symmetric for undirected link prediction) -> ``[N, hidden_channels]``.
    """

    def __init__(self, in_channels: Optional[int], hidden_channels: int, num_layers: int = 1, conv: str = "puregcn",
                 *, num_embeddings: Optional[int] = None, dropout: float = 0.0, input_dropout: float = 0.0,
                 tail_dropout: float = 0.0, edge_dropout: float = 0.0, layer_norm: bool = False,
                 residual: bool = False, jk: bool = False, sparse_input: Optional[bool] = None):
        super().__init__()
        name = type(self).__name__
        self.in_channels = None if in_channels is None else layer_size(in_channels, "in_channels", name)
        self.hidden_channels = layer_size(hidden_channels, "hidden_channels", name)
        self.num_layers = _validate.integer(num_layers, f"{name}: num_layers", min=0)
        self.conv = _validate.choice(conv, f"{name}: conv", CONVS)
        if self.num_layers == 0:
            self.conv = "none"
        self.num_embeddings = None if num_embeddings is None else _validate.integer(
            num_embeddings, f"{name}: num_embeddings", min=1)
        if self.in_channels is None and self.num_embeddings is None:
            raise ValueError(f"{name}: without features (in_channels=None) the encoder needs num_embeddings "
                             "(a learnable embedding per node)")
        self.dropout = _probability(dropout, f"{name}: dropout")
        self.input_dropout = _probability(input_dropout, f"{name}: input_dropout")
        self.tail_dropout = _probability(tail_dropout, f"{name}: tail_dropout")
        self.edge_dropout = _probability(edge_dropout, f"{name}: edge_dropout")
        self.layer_norm = _flag(layer_norm, "layer_norm", name)
        self.residual = _flag(residual, "residual", name)
        self.jk = _flag(jk, "jk", name) and self.conv != "none"
        self.sparse_input = None if sparse_input is None else _flag(sparse_input, "sparse_input", name)
        self._x_cache: Optional[Tuple[Any, int, Optional[CSR]]] = None  # (weakref of x, its version, CSR)
        h = self.hidden_channels
        pure = self.conv != "gcn"
        self.embedding = None
        if self.num_embeddings is not None:
            self.embedding = nn.Embedding(self.num_embeddings, h)
        self.input_lin = nn.Linear(self.in_channels, h) if (pure and self.in_channels is not None) else None
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        if self.conv == "gcn":
            first = h if self.in_channels is None else self.in_channels
            if self.embedding is not None and self.in_channels is not None:
                self.input_lin = nn.Linear(self.in_channels, h)  # x and the table meet at size h
                first = h
            for k in range(self.num_layers):
                self.convs.append(GCNConv(first if k == 0 else h, h))
                self.norms.append(nn.LayerNorm(h) if layer_norm and k < self.num_layers - 1 else nn.Identity())
        self.jk_weights = nn.Parameter(torch.empty(max(self.num_layers, 1))) if self.jk else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.embedding is not None:
            nn.init.orthogonal_(self.embedding.weight)
        if self.input_lin is not None:
            self.input_lin.reset_parameters()
        for conv in self.convs:
            conv.reset_parameters()
        for norm in self.norms:
            if isinstance(norm, nn.LayerNorm):
                norm.reset_parameters()
        if self.jk_weights is not None:
            nn.init.normal_(self.jk_weights)  # the authors' randn start

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_x_cache"] = None  # a weak reference does not pickle; the cache is rebuilt on use
        return state

    def _dropout(self, x: Tensor, p: float) -> Tensor:
        return dropout(x, p, self.training)

    def _sparse_features(self, x: Tensor) -> Optional[CSR]:
        """x's non-zeros as a ``[N, F]`` CSR (None: read x dense), cached per tensor."""
        if self.sparse_input is False or x.requires_grad:
            return None
        cache = self._x_cache
        if cache is not None and cache[0]() is x and cache[1] == x._version:
            return cache[2]
        csr = None
        nonzero = x != 0
        if self.sparse_input or int(nonzero.sum()) <= SPARSE_INPUT_DENSITY * x.numel():
            row, col = nonzero.nonzero(as_tuple=True)
            if row.numel():
                csr = CSR.from_coo(row, col, x.size(0), x[row, col], num_cols=x.size(1))
                csr._transpose_parts()  # the weight's gradient reads the transpose: computed once
        self._x_cache = (weakref.ref(x), x._version, csr)
        return csr

    def _linear_input(self, x: Tensor) -> Tensor:
        """``input_lin(dropout(x, input_dropout))``, through SpMM for sparse x."""
        xs = self._sparse_features(x)
        if xs is None:
            return self.input_lin(self._dropout(x, self.input_dropout))
        value = self._dropout(xs.value, self.input_dropout)
        out = spmm(xs.with_value(value), self.input_lin.weight.t())
        return out + self.input_lin.bias

    def _input(self, x: Optional[Tensor], n: int) -> Tensor:
        parts = []
        if x is not None:
            if self.in_channels is None:
                raise ValueError("NCNEncoder: built without features (in_channels=None), got x")
            if not isinstance(x, Tensor) or x.dim() != 2 or x.size(1) != self.in_channels:
                raise ValueError(f"NCNEncoder: x must be [N, {self.in_channels}], got "
                                 f"{list(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
            if not x.is_floating_point():
                raise TypeError(f"NCNEncoder: x must be floating point, got {x.dtype}")
            x = self._dropout(self._linear_input(x), self.dropout) if self.input_lin is not None else \
                self._dropout(x, self.input_dropout)
            parts.append(x)
        elif self.in_channels is not None and self.embedding is None:
            raise ValueError(f"NCNEncoder: expects x of shape [N, {self.in_channels}], got None")
        if self.embedding is not None:
            if n != self.num_embeddings:
                raise ValueError(f"NCNEncoder: the embedding table has {self.num_embeddings} rows, the graph "
                                 f"{n} nodes")
            parts.append(self._dropout(self.embedding.weight, self.dropout))
        return parts[0] if len(parts) == 1 else parts[0] + parts[1]

    def _propagate(self, h: Tensor, adj: CSR, k: int) -> Tensor:
        if self.conv == "gcn":
            out = self.convs[k](h, adj)
            if k < self.num_layers - 1:
                out = torch.relu(self._dropout(self.norms[k](out), self.dropout))
            return out
        w = adj if adj.value is None or adj.value.dtype == h.dtype else adj.with_value(adj.value.to(h.dtype))
        out = spmm(w, h)
        if self.conv == "puresum":
            return out
        deg = adj.degree().to(h.dtype) if adj.value is None else spmm(
            w, torch.ones(adj.num_cols, 1, dtype=h.dtype, device=h.device)).view(-1)
        if self.conv == "puremean":
            return out / deg.clamp(min=1).unsqueeze(1)
        norm = torch.rsqrt(1 + deg).unsqueeze(1)  # puregcn
        return norm * (spmm(w, norm * h) + norm * h)

    def forward(self, x: Optional[Tensor], graph: Any) -> Tensor:
        n = x.size(0) if isinstance(x, Tensor) and x.dim() >= 1 else self.num_embeddings
        adj = as_csr(graph, n)
        if adj.num_rows != n or adj.num_cols != n:
            raise ValueError(f"NCNEncoder: the graph is {adj.num_rows} x {adj.num_cols}, the features have {n} rows")
        h = self._input(x, n)
        if self.conv == "none":
            return h
        if self.training and self.edge_dropout > 0:
            adj = drop_entries(adj, self.edge_dropout)
        outs = []
        for k in range(self.num_layers):
            out = self._propagate(h, adj, k)
            h = out + h if self.residual and out.shape == h.shape else out
            outs.append(h)
        if self.conv != "gcn":
            h = self._dropout(h, self.tail_dropout)
            outs[-1] = h
        if self.jk_weights is not None:
            h = (torch.stack(outs, 0) * self.jk_weights.view(-1, 1, 1)).sum(0)
        return h

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.hidden_channels}, num_layers={self.num_layers}, conv={self.conv!r}, "
                f"num_embeddings={self.num_embeddings}")


# ---------------------------------------------------------------------- predictors

class NCNPredictor(nn.Module):
    r"""The NCN pair scorer: logits for pairs (i, j) from node representations.

    ``logit = head(cn_branch(sum_{u in N(i) ∩ N(j)} h'_u) * beta + pair_branch(h_i * h_j))``
    (``combine="add"``) or ``head(cat(cn_branch(...), pair_branch(...)))`` (``"cat"``).

    Args:
        hidden_channels: size of h (and of every hidden layer).
        dropout: dropout in the MLPs (the authors' predp).
        edge_dropout: dropout of the graph's entries before the common neighbours are
            taken, while training (preedp).
        layer_norm: LayerNorm in the MLPs (lnnn).
        beta: start of the learnable scale of the common-neighbour branch (add only).
        combine: ``"add"`` (the authors' code, default) or ``"cat"`` (the paper).
        feature_mlp: sum :math:`h + \mathrm{MLP}(h)` over the common neighbours instead
            of h (use_xlin).
        tail_activation: the two branch MLPs end on their activation, without a last
            Linear layer (tailact).
        two_layer_head: a head of two hidden layers instead of one (twolayerlin).
        cn_max_degree: degree cap on the common-neighbour sets (cndeg), None: none.
        use_cn: False gives the GAE ablation: the head on ``h_i * h_j`` alone.
        sample_seed: seed of the eval-mode draws under a degree cap.
    """

    def __init__(self, hidden_channels: int, *, dropout: float = 0.0, edge_dropout: float = 0.0,
                 layer_norm: bool = False, beta: float = 1.0, combine: str = "add", feature_mlp: bool = False,
                 tail_activation: bool = False, two_layer_head: bool = False, cn_max_degree: Optional[int] = None,
                 use_cn: bool = True, sample_seed: int = 0):
        super().__init__()
        name = type(self).__name__
        h = self.hidden_channels = layer_size(hidden_channels, "hidden_channels", name)
        self.dropout = _probability(dropout, f"{name}: dropout")
        self.edge_dropout = _probability(edge_dropout, f"{name}: edge_dropout")
        ln = self.layer_norm = _flag(layer_norm, "layer_norm", name)
        self.combine = _validate.choice(combine, f"{name}: combine", ("add", "cat"))
        self.use_cn = _flag(use_cn, "use_cn", name)
        self.feature_mlp = _flag(feature_mlp, "feature_mlp", name) and self.use_cn
        tail = _flag(tail_activation, "tail_activation", name)
        two = _flag(two_layer_head, "two_layer_head", name)
        self.cn_max_degree = _cap(cn_max_degree, f"{name}: cn_max_degree")
        self.sample_seed = _validate.seed(sample_seed, f"{name}: sample_seed")
        beta = _validate.real(beta, f"{name}: beta")
        self.beta = nn.Parameter(torch.full((1,), beta))
        d = self.dropout
        self.xlin = nn.Sequential(nn.Linear(h, h), Dropout(d), nn.ReLU(), nn.Linear(h, h),
                                  nn.LayerNorm(h) if ln else nn.Identity(), Dropout(d), nn.ReLU()) \
            if self.feature_mlp else None
        if self.use_cn:
            self.cn_branch = nn.Sequential(nn.Linear(h, h), Dropout(d), nn.ReLU(), nn.Linear(h, h),
                                           nn.LayerNorm(h) if ln else nn.Identity(), Dropout(d), nn.ReLU(),
                                           nn.Identity() if tail else nn.Linear(h, h))
        else:
            self.cn_branch = None
        self.pair_branch = nn.Sequential(nn.Linear(h, h), nn.LayerNorm(h) if ln else nn.Identity(), Dropout(d),
                                         nn.ReLU(), nn.Identity() if tail else nn.Linear(h, h))
        head_in = 2 * h if (self.use_cn and self.combine == "cat") else h
        head = [nn.Linear(head_in, h), nn.LayerNorm(h) if ln else nn.Identity(), Dropout(d), nn.ReLU()]
        if two:
            head += [nn.Linear(h, h), nn.LayerNorm(h) if ln else nn.Identity(), Dropout(d), nn.ReLU()]
        self.head = nn.Sequential(*head, nn.Linear(h, 1))

    # the parts NCNC reuses -------------------------------------------------------
    def _generator(self, device) -> Optional[torch.Generator]:
        if self.training:
            return None
        gen = torch.Generator(device=device)
        gen.manual_seed(self.sample_seed)
        return gen

    def _prepare(self, h: Tensor, graph: Any, pairs: Any) -> Tuple[CSR, Tensor, Tensor]:
        name = type(self).__name__
        if not isinstance(h, Tensor) or h.dim() != 2 or h.size(1) != self.hidden_channels:
            raise ValueError(f"{name}: h must be [N, {self.hidden_channels}], got "
                             f"{list(h.shape) if isinstance(h, Tensor) else type(h).__name__}")
        adj = as_csr(graph, h.size(0))
        if adj.num_rows != h.size(0) or adj.num_cols != h.size(0):
            raise ValueError(f"{name}: the graph is {adj.num_rows} x {adj.num_cols}, h has {h.size(0)} rows")
        src, dst = as_pairs(pairs, h.size(0))
        src, dst = src.to(h.device), dst.to(h.device)
        if self.use_cn:
            if not adj.is_sorted:
                adj = adj.sort()
            if self.training and self.edge_dropout > 0:
                adj = drop_entries(adj, self.edge_dropout)
        return adj, src, dst

    def _features(self, h: Tensor) -> Tensor:
        return h + self.xlin(h) if self.xlin is not None else h

    def _cn_sum(self, h: Tensor, adj: CSR, src: Tensor, dst: Tensor, gen: Optional[torch.Generator]) -> Tensor:
        r""":math:`\sum_{u \in N(i) \cap N(j)} h'_u` per pair, with :math:`h'` (``feature_mlp``)
        computed only for the nodes that are in some pair's set when those are at most
        half of the graph (the MLP is row-wise, so that is the same function; on Cora a
        batch's sets cover about 15% of the nodes)."""
        cap = self.cn_max_degree
        if self.xlin is None or src.numel() == 0:
            return _set_sum(adj, src, dst, self._features(h), "intersection", cap, gen)
        n = h.size(0)
        training = torch.is_grad_enabled() and h.requires_grad
        if not training and cap is None:
            deg = adj.degree()
            # an upper bound of the sets' total size; when large, do not materialise them:
            # the fused kernel on every row
            if int(torch.minimum(deg[src], deg[dst]).sum()) > max(2 * n, _MATERIALISE_ENTRIES):
                return common_neighbors(adj, (src, dst), self._features(h))
        sets = sample_rows(common_neighbor_sets(adj, (src, dst), "intersection"), cap, gen)
        if sets.nnz == 0:
            return h.new_zeros(src.numel(), h.size(1))
        member = torch.zeros(n, dtype=torch.bool, device=h.device)
        member[sets.col] = True  # O(nnz + N), no sort
        count = int(member.sum())
        if count <= n // 2:
            used = member.nonzero().view(-1)
            new_id = torch.cumsum(member, 0, dtype=sets.rowptr.dtype) - 1  # increasing: rows stay sorted
            hf = self._features(h.index_select(0, used))
            sets = CSR(sets.rowptr, new_id[sets.col], sets.value, num_cols=count, validate=False, sorted=True)
        else:
            hf = self._features(h)
        return spmm(sets if sets.value is None else sets.with_value(sets.value.to(hf.dtype)), hf)

    def _logits(self, xcn: Optional[Tensor], xij: Tensor) -> Tensor:
        xij = self.pair_branch(xij)
        if xcn is None:
            return self.head(xij).view(-1)
        xcn = self._cn_branch(xcn)
        z = xcn * self.beta + xij if self.combine == "add" else torch.cat([xcn, xij], 1)
        return self.head(z).view(-1)

    def _cn_branch(self, xcn: Tensor) -> Tensor:
        """``cn_branch(xcn)``; without dropout (eval mode, or dropout 0) the rows that are
        exactly zero (pairs without common neighbours: most negatives, most NCNC completion
        pairs, most ``predict_topk`` candidates) share one evaluation of ``cn_branch(0)``."""
        if (self.training and self.dropout > 0) or xcn.size(0) < 2:
            return self.cn_branch(xcn)
        nonzero = xcn.ne(0).any(1)
        rows = nonzero.nonzero().view(-1)
        if rows.numel() > xcn.size(0) // 2:
            return self.cn_branch(xcn)
        out = self.cn_branch(torch.cat([xcn.new_zeros(1, xcn.size(1)), xcn.index_select(0, rows)]))
        which = torch.zeros(xcn.size(0), dtype=torch.long, device=xcn.device)
        which[rows] = torch.arange(1, rows.numel() + 1, device=xcn.device)
        return out.index_select(0, which)

    def forward(self, h: Tensor, graph: Any, pairs: Any) -> Tensor:
        """Logits ``[P]`` of the pairs (``[2, P]`` or ``(src, dst)``) given ``h [N, D]``
        and the graph whose common neighbours count."""
        adj, src, dst = self._prepare(h, graph, pairs)
        xij = h[src] * h[dst]
        if not self.use_cn:
            return self._logits(None, xij)
        return self._logits(self._cn_sum(h, adj, src, dst, self._generator(h.device)), xij)


class NCNCPredictor(NCNPredictor):
    r"""The NCNC pair scorer: NCN with the common neighbours completed.

    For a pair (i, j), each u in :math:`N(i) \setminus N(j)` joins the common-neighbour
    sum with weight :math:`p(u, j)` and each u in :math:`N(j) \setminus N(i)` with
    :math:`p(i, u)`, the calibrated probabilities the predictor itself gives one
    completion level down (no gradient; at depth 0 the predictor is NCN):

    ``p0 = sigmoid(prob_scale * (logit - prob_offset))``,
    ``p = alpha * pt * p0 / (pt * p0 + 1 - p0)``.

    As in the authors' code, the lower level scores the transformed representations
    :math:`h'` (:class:`NCNPredictor`'s ``feature_mlp``), and in training each lower-level
    call (each completion chunk) drops ``edge_dropout`` of the entries again from the
    graph its caller used (the authors' predictor applies its edge dropout on every
    call, the recursive ones included).

    Args (beyond :class:`NCNPredictor`'s):
        depth: completion levels (1: NCNC; 2: completion by NCNC; 0: NCN).
        prob_scale, prob_offset, pt, alpha: the calibration above (probscale,
            proboffset, pt, alpha).
        learnable_pt: ``pt`` predicted per pair from ``h_i * h_j`` by a small MLP.
        train_max_degree, test_max_degree: degree caps on the two difference sets in
            training / evaluation (trndeg, tstdeg), None: none.
        completion_batch: score the completion pairs in chunks of this many (memory),
            None: chunks of :data:`COMPLETION_BATCH` (the same scores, except for
            the dropout draws of training mode).
    """

    def __init__(self, hidden_channels: int, *, depth: int = 1, prob_scale: float = 5.0, prob_offset: float = 3.0,
                 pt: float = 0.5, alpha: float = 1.0, learnable_pt: bool = False,
                 train_max_degree: Optional[int] = None, test_max_degree: Optional[int] = None,
                 completion_batch: Optional[int] = None, **kwargs):
        super().__init__(hidden_channels, **kwargs)
        name = type(self).__name__
        if not self.use_cn:
            raise ValueError(f"{name}: completion needs the common-neighbour branch (use_cn=True)")
        self.depth = _validate.integer(depth, f"{name}: depth", min=0)
        self.prob_scale = _validate.real(prob_scale, f"{name}: prob_scale")
        self.prob_offset = _validate.real(prob_offset, f"{name}: prob_offset")
        self.pt = _validate.real(pt, f"{name}: pt", min=0, max=1)
        self.alpha = _validate.real(alpha, f"{name}: alpha", min=0)
        self.train_max_degree = _cap(train_max_degree, f"{name}: train_max_degree")
        self.test_max_degree = _cap(test_max_degree, f"{name}: test_max_degree")
        self.completion_batch = _cap(completion_batch, f"{name}: completion_batch")
        h = self.hidden_channels
        self.pt_mlp = nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, 1), nn.Sigmoid()) \
            if _flag(learnable_pt, "learnable_pt", name) else None

    def calibrate(self, logits: Tensor, pt: Any = None) -> Tensor:
        """The completion weight of a predicted logit (see the class docstring)."""
        pt = self.pt if pt is None else pt
        p0 = torch.sigmoid(self.prob_scale * (logits - self.prob_offset))
        return self.alpha * pt * p0 / (pt * p0 + 1 - p0)

    def _score(self, h: Tensor, adj: CSR, src: Tensor, dst: Tensor, depth: int) -> Tensor:
        gen = self._generator(h.device)
        xij = h[src] * h[dst]
        if depth == 0 or src.numel() == 0:  # NCN
            return self._logits(self._cn_sum(h, adj, src, dst, gen), xij)
        hf = self._features(h)
        xcn = _set_sum(adj, src, dst, hf, "intersection", self.cn_max_degree, gen)
        cap = self.train_max_degree if self.training else self.test_max_degree
        pt = self.pt_mlp(xij) if self.pt_mlp is not None else None
        for mode, other, this in (("src_minus_dst", dst, src), ("dst_minus_src", src, dst)):
            sets = sample_rows(common_neighbor_sets(adj, (src, dst), mode), cap, gen)
            if sets.nnz == 0:
                continue
            rows, nodes = sets.row.long(), sets.col.long()
            # u in N(i) \ N(j) completes (i, j) when u links to j: score (j, u)
            with torch.no_grad():
                logits = self._chunked(hf, adj, other[rows], nodes, depth - 1)
            weight = self.calibrate(logits, None if pt is None else pt[rows].view(-1))
            if sets.value is not None:
                weight = weight * sets.value.to(weight.dtype)
            xcn = xcn + spmm(sets.with_value(weight.to(hf.dtype)), hf)
        return self._logits(xcn, xij)

    def _chunked(self, h: Tensor, adj: CSR, src: Tensor, dst: Tensor, depth: int) -> Tensor:
        size = self.completion_batch or COMPLETION_BATCH
        redrop = self.training and self.edge_dropout > 0
        return torch.cat([self._score(h, drop_entries(adj, self.edge_dropout) if redrop else adj,
                                      src[i:i + size], dst[i:i + size], depth)
                          for i in range(0, src.numel(), size)]) if src.numel() else h.new_zeros(0)

    def forward(self, h: Tensor, graph: Any, pairs: Any, depth: Optional[int] = None) -> Tensor:
        """Logits ``[P]``; ``depth`` overrides the completion depth for this call."""
        depth = self.depth if depth is None else _validate.integer(depth, "depth", min=0)
        adj, src, dst = self._prepare(h, graph, pairs)
        return self._score(h, adj, src, dst, depth)


# ------------------------------------------------------------------------- models

@register("model", "ncn")
class NCN(nn.Module):
    """A node encoder plus an NCN-family pair scorer: the link predictor as one module.

    ``NCN(1433, 256)`` builds :class:`NCNEncoder` ``(in_channels, hidden_channels,
    **encoder)`` and the predictor named by ``predictor`` (``"ncn"``:
    :class:`NCNPredictor`, ``"ncnc"``: :class:`NCNCPredictor`, ``"gae"``: the head on
    ``h_i * h_j`` alone) with ``**predictor_options``. ``NCN.from_modules(enc, pred)``
    wraps modules built by hand.

    The interface of :func:`graphlearn.train.train_link_predictor` (and of
    :func:`graphlearn.linkpred.predict_topk`): ``encode(x, graph) -> h [N, D]``,
    ``score(h, graph, pairs) -> [P]`` logits, ``forward(x, graph, pairs)`` both.
    """

    def __init__(self, in_channels: Optional[int], hidden_channels: int = 256, *, predictor: str = "ncn",
                 encoder_options: Optional[Dict[str, Any]] = None,
                 predictor_options: Optional[Dict[str, Any]] = None):
        super().__init__()
        kind = _validate.choice(predictor, "NCN: predictor", PREDICTORS)
        self.encoder = NCNEncoder(in_channels, hidden_channels, **(encoder_options or {}))
        opts = dict(predictor_options or {})
        if kind == "ncnc":
            self.predictor: nn.Module = NCNCPredictor(hidden_channels, **opts)
        else:
            if kind == "gae":
                opts["use_cn"] = False
            self.predictor = NCNPredictor(hidden_channels, **opts)
        self.kind = kind

    @classmethod
    def from_modules(cls, encoder: nn.Module, predictor: nn.Module) -> "NCN":
        """An NCN of an encoder ``encoder(x, graph) -> h`` and a scorer
        ``predictor(h, graph, pairs) -> logits`` built by hand (e.g. an NCNC predictor
        on a trained NCN's encoder: the authors' two-stage recipe)."""
        self = cls.__new__(cls)
        nn.Module.__init__(self)
        self.encoder, self.predictor = encoder, predictor
        self.kind = "ncnc" if isinstance(predictor, NCNCPredictor) else (
            "ncn" if getattr(predictor, "use_cn", True) else "gae")
        return self

    def pair_cost(self, graph: Any) -> float:
        """Pairs scored per requested pair (memory planning, e.g. :func:`predict_topk`):
        1 for NCN; for NCNC about ``(1 + 2 d) ** depth`` with d the mean degree (capped
        by the difference sets' degree cap), the completion pairs of every level."""
        depth = getattr(self.predictor, "depth", 0)
        if not isinstance(self.predictor, NCNCPredictor) or depth == 0:
            return 1.0
        adj = as_csr(graph)
        d = adj.nnz / max(adj.num_rows, 1)
        cap = self.predictor.test_max_degree
        if cap is not None:
            d = min(d, cap)
        return float((1 + 2 * d) ** depth)

    def encode(self, x: Optional[Tensor], graph: Any) -> Tensor:
        return self.encoder(x, graph)

    def score(self, h: Tensor, graph: Any, pairs: Any) -> Tensor:
        return self.predictor(h, graph, pairs)

    def forward(self, x: Optional[Tensor], graph: Any, pairs: Any) -> Tensor:
        return self.score(self.encode(x, graph), graph, pairs)


@register("model", "ncnc")
class NCNC(NCN):
    """:class:`NCN` with the completion predictor (:class:`NCNCPredictor`)."""

    def __init__(self, in_channels: Optional[int], hidden_channels: int = 256, *,
                 encoder_options: Optional[Dict[str, Any]] = None,
                 predictor_options: Optional[Dict[str, Any]] = None):
        super().__init__(in_channels, hidden_channels, predictor="ncnc", encoder_options=encoder_options,
                         predictor_options=predictor_options)
