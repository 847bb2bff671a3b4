r"""Classic link-prediction heuristics as scorers, on graphlearn's compiled core.

Each heuristic is built from a training graph (made symmetric, deduplicated and
loop-free; see :func:`graphlearn.linkpred._utils.build_graph`) and is a callable
``scorer(pairs) -> scores``: ``pairs`` is ``[2, P]`` (PyG's ``edge_label_index`` layout)
or a ``(src, dst)`` tuple, parsed by :func:`graphlearn.sparse.as_pairs` (``[P, 2]`` is
rejected: pass ``pairs.t()``); ``scores`` is ``[P]`` float64. With :math:`N(u)` the neighbours and :math:`d_u = |N(u)|`:

================================  =============================================================
common neighbours                 :math:`|N(u) \cap N(v)|`
Adamic-Adar                       :math:`\sum_{w \in N(u) \cap N(v)} 1 / \log d_w`
resource allocation               :math:`\sum_{w \in N(u) \cap N(v)} 1 / d_w`
Jaccard                           :math:`|N(u) \cap N(v)| / |N(u) \cup N(v)|` (0 when both empty)
preferential attachment           :math:`d_u d_v`
personalized PageRank             :math:`\pi_u(v)`: stationary probability at v of a walk from u
                                  that restarts at u with probability ``alpha`` per step
Katz (truncated)                  :math:`\sum_{l=1}^{L} \beta^l (A^l)_{uv}` (walks of length <= L)
================================  =============================================================

The neighbourhood scores use :func:`graphlearn.ops.common_neighbors` (counts, or the
fused sum of :math:`1/\log d` or :math:`1/d` over the common neighbours). PPR and Katz
score all pairs that share a source at once: the sources are batched as the columns of
a dense ``[N, B]`` block and propagated with :func:`graphlearn.ops.spmm` (one sparse
product per step), so memory is ``O(N * B)``, never ``O(N^2)``.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Type

import torch
from torch import Tensor

from graphlearn import _io, _validate
from graphlearn.linkpred._utils import batch_size_arg, batches, build_graph, cpu_pairs, node_count

__all__ = [
    "Heuristic", "CommonNeighbors", "AdamicAdar", "ResourceAllocation", "Jaccard", "PreferentialAttachment",
    "PersonalizedPageRank", "Katz", "HEURISTICS", "get_heuristic", "ppr_columns", "katz_columns", "walk_matrix",
]

PAIR_BATCH = 1 << 20  # pairs per call of the common-neighbour kernel
DENSE_BUDGET = 1 << 23  # entries of the dense [N, B] block used by PPR / Katz


def default_source_batch(num_nodes: int, budget: int = DENSE_BUDGET) -> int:
    """Number of sources per dense ``[N, B]`` block (at least 1, at most 1024)."""
    return max(1, min(1024, budget // max(1, num_nodes)))


class Heuristic:
    """Base class: a link scorer computed from a training graph.

    Args:
        graph: the training graph: a :class:`graphlearn.sparse.CSR`, a PyG ``Data``, a
            ``[2, E]`` edge_index, or anything else :func:`graphlearn.sparse.as_csr`
            accepts (made symmetric, deduplicated, self-loops dropped). May be left out
            and given later to :meth:`fit`.
        num_nodes: number of nodes (default: from ``graph``).
        batch_size: pairs (neighbourhood scores) or sources (PPR/Katz) per batch, an
            integer >= 1 (default: by memory).
        progress: show a tqdm bar while scoring.
    """

    name = "heuristic"

    def __init__(self, graph: Any = None, num_nodes: Optional[int] = None, *, batch_size: Optional[int] = None,
                 progress: bool = False):
        self.batch_size = batch_size_arg(batch_size, optional=True)
        self.progress = progress
        self.adj_ = None
        self.num_nodes_: Optional[int] = None
        if graph is not None:
            self.fit(graph, num_nodes)

    def fit(self, graph: Any, num_nodes: Optional[int] = None) -> "Heuristic":
        """Builds the adjacency (and per-node quantities) from the training graph; returns self."""
        self.adj_ = build_graph(graph, node_count(num_nodes, optional=True), "graph")
        self.num_nodes_ = self.adj_.num_rows
        self.degree_ = self.adj_.degree().to(torch.float64)
        self._prepare()
        return self

    def _prepare(self) -> None:
        pass

    @property
    def fitted(self) -> bool:
        return self.adj_ is not None

    def __call__(self, pairs: Any) -> Tensor:
        """Scores ``pairs`` (``[2, P]`` or ``(src, dst)``); returns ``[P]`` float64."""
        if self.adj_ is None:
            raise ValueError(f"{type(self).__name__} has no graph yet: pass one to the constructor or call .fit(graph)")
        src, dst = cpu_pairs(pairs, self.num_nodes_, name="pairs")
        if src.numel() == 0:
            return torch.zeros(0, dtype=torch.float64)
        return self._score(src, dst)

    def _score(self, src: Tensor, dst: Tensor) -> Tensor:
        raise NotImplementedError

    def __repr__(self) -> str:
        g = f"{self.num_nodes_} nodes, {self.adj_.nnz // 2} edges" if self.adj_ is not None else "not fitted"
        return f"{type(self).__name__}({g})"


class _NeighbourhoodHeuristic(Heuristic):
    """Scores from common-neighbour sets, computed in chunks of pairs."""

    def _score(self, src: Tensor, dst: Tensor) -> Tensor:
        size = self.batch_size or PAIR_BATCH
        out = torch.empty(src.numel(), dtype=torch.float64)
        with _io.progress(src.numel(), self.name, "pairs", enabled=self.progress) as bar:
            for a, b in batches(src.numel(), size):
                out[a:b] = self._chunk(src[a:b], dst[a:b])
                bar.update(b - a)
        return out

    def _chunk(self, src: Tensor, dst: Tensor) -> Tensor:
        raise NotImplementedError


class CommonNeighbors(_NeighbourhoodHeuristic):
    r"""Common neighbours :math:`|N(u) \cap N(v)|`."""

    name = "common_neighbors"

    def _chunk(self, src, dst):
        from graphlearn import ops

        return ops.common_neighbors(self.adj_, (src, dst)).to(torch.float64)


class _WeightedCN(_NeighbourhoodHeuristic):
    def _weights(self) -> Tensor:
        raise NotImplementedError

    def _prepare(self):
        self.node_weight_ = self._weights().view(-1, 1).contiguous()

    def _chunk(self, src, dst):
        from graphlearn import ops

        return ops.common_neighbors(self.adj_, (src, dst), x=self.node_weight_)[:, 0]


class AdamicAdar(_WeightedCN):
    r"""Adamic-Adar :math:`\sum_{w \in N(u) \cap N(v)} 1/\log d_w` (nodes of degree <= 1,
    which can only be common neighbours of a node with itself, weigh 0)."""

    name = "adamic_adar"

    def _weights(self):
        d = self.degree_
        return torch.where(d > 1, 1.0 / torch.log(d.clamp_min(2)), torch.zeros_like(d))


class ResourceAllocation(_WeightedCN):
    r"""Resource allocation :math:`\sum_{w \in N(u) \cap N(v)} 1/d_w`."""

    name = "resource_allocation"

    def _weights(self):
        d = self.degree_
        return torch.where(d > 0, 1.0 / d.clamp_min(1), torch.zeros_like(d))


class Jaccard(CommonNeighbors):
    r"""Jaccard coefficient :math:`|N(u) \cap N(v)| / |N(u) \cup N(v)|` (0 when the union is empty)."""

    name = "jaccard"

    def _chunk(self, src, dst):
        cn = super()._chunk(src, dst)
        union = self.degree_[src] + self.degree_[dst] - cn
        return torch.where(union > 0, cn / union.clamp_min(1), torch.zeros_like(cn))


class PreferentialAttachment(Heuristic):
    r"""Preferential attachment :math:`d_u \cdot d_v`."""

    name = "preferential_attachment"

    def _score(self, src, dst):
        return self.degree_[src] * self.degree_[dst]


# ---------------------------------------------------------------------------------- walks


def _one_hot_columns(nodes: Tensor, num_nodes: int, dtype=torch.float64) -> Tensor:
    e = torch.zeros(num_nodes, nodes.numel(), dtype=dtype)
    e[nodes, torch.arange(nodes.numel())] = 1
    return e


def ppr_columns(adj, sources: Tensor, alpha: float = 0.15, tol: float = 1e-6, max_iter: int = 500,
                inv_degree: Optional[Tensor] = None, dtype=torch.float64, walk_adj=None) -> Tensor:
    r"""Personalized PageRank vectors of a batch of sources, by power iteration.

    Column b is :math:`\pi_{s_b}`: :math:`\pi = \alpha e_s + (1-\alpha)(A D^{-1} \pi +
    e_s \sum_{w: d_w = 0} \pi_w)` (a walk restarts at the source with probability
    ``alpha``; mass at nodes without neighbours also returns to the source, as in
    ``networkx.pagerank``). Each step is one :func:`graphlearn.ops.spmm` on ``[N, B]``
    with the weights :math:`1/d_w` folded into the adjacency. Stops when the L1 change of
    every column is at most ``alpha * tol`` (checked every 4 steps), which bounds the L1
    error of every column by ``tol``.

    Args:
        adj: symmetric :class:`graphlearn.sparse.CSR` without values.
        sources: ``[B]`` node ids.
        walk_adj: optional precomputed ``adj`` weighted by :math:`1/d` of the columns
            (see :func:`walk_matrix`).

    Returns:
        ``[N, B]`` PPR values (each column sums to 1).
    """
    from graphlearn import ops

    alpha = _check_alpha(alpha)
    tol = _validate.real(tol, "tol", min=0, min_open=True)
    max_iter = _validate.integer(max_iter, "max_iter", min=1)
    n, bsz = adj.num_rows, sources.numel()
    if inv_degree is None:
        deg = adj.degree().to(dtype)
        inv_degree = torch.where(deg > 0, 1.0 / deg.clamp_min(1), torch.zeros_like(deg))
    inv_degree = inv_degree.to(dtype)
    if walk_adj is None or walk_adj.value is None or walk_adj.value.dtype != dtype:
        walk_adj = walk_matrix(adj, inv_degree)
    dangling = (inv_degree == 0).nonzero().flatten()
    cols = torch.arange(bsz)
    x = torch.zeros(n, bsz, dtype=dtype)
    x[sources, cols] = 1
    for it in range(max_iter):
        y = ops.spmm(walk_adj, x)
        if dangling.numel():
            y[sources, cols] += x.index_select(0, dangling).sum(0)
        y.mul_(1 - alpha)
        y[sources, cols] += alpha
        done = it % 4 == 3 and float(torch.sub(y, x).abs_().sum(0).max()) <= alpha * tol
        x = y
        if done:
            break
    return x


def _check_alpha(alpha: Any) -> float:
    return _validate.real(alpha, "alpha (restart probability)", min=0, max=1, min_open=True)


def _katz_params(beta: Any, max_length: Any):
    return (_validate.real(beta, "beta", min=0, min_open=True),
            _validate.integer(max_length, "max_length", min=1))


def walk_matrix(adj, inv_degree: Tensor):
    """``adj`` with entry (v, w) weighted by ``inv_degree[w]`` (so ``spmm`` computes :math:`A D^{-1} x`)."""
    return adj.with_value(inv_degree.index_select(0, adj.col.long()))


def katz_columns(adj, sources: Tensor, beta: float = 0.005, max_length: int = 3, dtype=torch.float64) -> Tensor:
    r"""Truncated Katz vectors :math:`\sum_{l=1}^{L} \beta^l A^l e_s` of a batch of sources
    (``[N, B]``; ``L = max_length`` sparse products with :func:`graphlearn.ops.spmm`).

    Stops early once :math:`\beta^l` underflows to 0 (every further term is 0), so a
    large ``max_length`` costs only the terms that count."""
    from graphlearn import ops

    beta, max_length = _katz_params(beta, max_length)
    x = _one_hot_columns(sources, adj.num_rows, dtype)
    out = torch.zeros_like(x)
    for length in range(1, max_length + 1):
        try:
            weight = beta ** length
        except OverflowError:
            weight = math.inf
        if weight == 0.0:
            break
        x = ops.spmm(adj, x)
        out += weight * x
    return out


class _SourceBatchedHeuristic(Heuristic):
    """Scores all pairs sharing a source from one propagated column per source."""

    def _columns(self, sources: Tensor) -> Tensor:
        raise NotImplementedError

    def _score(self, src: Tensor, dst: Tensor) -> Tensor:
        uniq, inv = torch.unique(src, return_inverse=True)
        order = torch.argsort(inv, stable=True)
        inv_sorted = inv[order]
        size = self.batch_size or default_source_batch(self.num_nodes_)
        out = torch.empty(src.numel(), dtype=torch.float64)
        with _io.progress(uniq.numel(), self.name, "pairs", enabled=self.progress) as bar:
            for a, b in batches(uniq.numel(), size):
                cols = self._columns(uniq[a:b])
                lo = int(torch.searchsorted(inv_sorted, a))
                hi = int(torch.searchsorted(inv_sorted, b))
                idx = order[lo:hi]
                out[idx] = cols[dst[idx], inv[idx] - a].to(torch.float64)
                bar.update(b - a)
        return out


class PersonalizedPageRank(_SourceBatchedHeuristic):
    r"""Personalized PageRank :math:`\pi_u(v)` (see :func:`ppr_columns`).

    Args:
        alpha: restart (teleport) probability in ``(0, 1]``; ``networkx.pagerank``'s
            ``alpha`` is ``1 - alpha`` (0.85 there is 0.15 here).
        tol: L1 error bound of each PPR vector (> 0).
        max_iter: maximum number of power iterations (>= 1).
        symmetric: score :math:`\pi_u(v) + \pi_v(u)` instead.
    """

    name = "ppr"

    def __init__(self, graph: Any = None, num_nodes: Optional[int] = None, *, alpha: float = 0.15,
                 tol: float = 1e-6, max_iter: int = 500, symmetric: bool = False, **kwargs):
        self.alpha = _check_alpha(alpha)
        self.tol = _validate.real(tol, "tol", min=0, min_open=True)
        self.max_iter = _validate.integer(max_iter, "max_iter", min=1)
        self.symmetric = symmetric
        super().__init__(graph, num_nodes, **kwargs)

    def _prepare(self):
        deg = self.degree_
        self.inv_degree_ = torch.where(deg > 0, 1.0 / deg.clamp_min(1), torch.zeros_like(deg))
        self.walk_adj_ = walk_matrix(self.adj_, self.inv_degree_)

    def _columns(self, sources):
        return ppr_columns(self.adj_, sources, self.alpha, self.tol, self.max_iter, self.inv_degree_,
                           walk_adj=self.walk_adj_)

    def _score(self, src, dst):
        out = super()._score(src, dst)
        if self.symmetric:
            out = out + super()._score(dst, src)
        return out


class Katz(_SourceBatchedHeuristic):
    r"""Truncated Katz index :math:`\sum_{l=1}^{L} \beta^l (A^l)_{uv}` (counts walks).

    Args:
        beta: damping per step, a finite number > 0 (HeaRT's default 0.005).
        max_length: longest walk counted, ``L``, an integer >= 1 (default 3).
    """

    name = "katz"

    def __init__(self, graph: Any = None, num_nodes: Optional[int] = None, *, beta: float = 0.005,
                 max_length: int = 3, **kwargs):
        self.beta, self.max_length = _katz_params(beta, max_length)
        super().__init__(graph, num_nodes, **kwargs)

    def _columns(self, sources):
        cols = katz_columns(self.adj_, sources, self.beta, self.max_length)
        if not bool(torch.isfinite(cols).all()):
            raise ValueError(f"Katz scores overflow float64 with beta={self.beta} and max_length={self.max_length} "
                             "(the walk counts grow like the largest eigenvalue to the power L): lower beta or "
                             "max_length")
        return cols


HEURISTICS: Dict[str, Type[Heuristic]] = {
    "common_neighbors": CommonNeighbors,
    "adamic_adar": AdamicAdar,
    "resource_allocation": ResourceAllocation,
    "jaccard": Jaccard,
    "preferential_attachment": PreferentialAttachment,
    "ppr": PersonalizedPageRank,
    "katz": Katz,
}
ALIASES = {"cn": "common_neighbors", "common_neighbours": "common_neighbors", "aa": "adamic_adar",
           "ra": "resource_allocation", "pa": "preferential_attachment", "personalized_pagerank": "ppr",
           "pagerank": "ppr"}


def canonical_name(name: str) -> str:
    """The registry name for a heuristic name or alias (ValueError listing the choices)."""
    key = str(name).lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in HEURISTICS:
        raise ValueError(f"unknown heuristic {name!r}; choose one of {sorted(HEURISTICS)} "
                         f"(aliases: {sorted(ALIASES)})")
    return key


def get_heuristic(name: str, graph: Any = None, num_nodes: Optional[int] = None, **params) -> Heuristic:
    """Builds a heuristic scorer by name (``"adamic_adar"``, ``"cn"``, ``"ppr"``, ...)."""
    return HEURISTICS[canonical_name(name)](graph, num_nodes, **params)
