"""FastRP node embeddings (Chen et al., CIKM 2019, "Fast and Accurate Network
Embeddings via Very Sparse Random Projection").

The embedding of the nodes is

    E = norm( w_0 N(X0) + sum_{i=1..q} w_i N(M^i X0) ),   X0 = D^beta R  [ | features P ]

with ``M`` the transition matrix ``D^-1 A`` (or ``A``), ``R`` a very sparse random
projection, ``N`` an optional L2 normalisation of each row (per iteration), and
``norm`` a final standardisation of the columns (or L2 rows, or nothing).

Memory: the CSR plus three ``[n, dim]`` float32 buffers at most (the current
power, the next one and the sum), two with the paper's weights (see
:func:`propagate`). Every node's row of ``R`` is generated from
``(random_state, node key)`` alone (:func:`graphlearn.ops.fastrp_random`), so the
result does not depend on the number of threads, on node order (given keys), or
on how the graph is partitioned across processes.
"""
from __future__ import annotations

import inspect
import math
import types
from typing import Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from graphlearn import _io, _validate, ops
from graphlearn.embed.params import SPARSITY_MAX, WEIGHT_MAX, WEIGHT_TINY, flag, sparsity, weight  # noqa: F401
from graphlearn.sparse import CSR, as_csr

_FEATURE_SALT = 0x5F3759DF  # keeps feature-projection rows apart from node rows



class FastRP:
    """FastRP embeddings, scikit-learn style (``fit``, ``transform``, ``fit_transform``).

    Args:
        dim: embedding dimension ``d``.
        iteration_weights: ``w_1..w_q``, the weight of ``M^i X0`` for ``i = 1..q``
            (``q = len(iteration_weights)``): a list, tuple, 1-D array or tensor of
            numbers within float32's range (``|w| <= 3.4e38``, and ``|w| >= 1.2e-38``
            unless 0), not all zero together with ``self_influence``.
        normalization_strength: ``beta``; the initial vectors are scaled by
            ``degree ** beta`` (the paper's alpha; -0.64 on BlogCatalog). Degree is the
            weighted out-degree in the propagation matrix.
        self_influence: ``w_0``, the weight of the initial vectors themselves (the
            same range as the iteration weights).
        sparsity: ``s`` of the random projection (density ``1/s``): ``"sqrt"`` for
            ``sqrt(n)`` (scikit-learn's SparseRandomProjection default, used by the
            paper's code), or a number in ``[1, 2**53]`` (``3`` for Achlioptas'
            projection). A projection with no nonzero entry at all is refused.
        propagation: ``"transition"`` for ``M = D^-1 A`` (the paper) or ``"adjacency"``
            for ``M = A``.
        normalize_iterations: L2-normalise each row of every ``M^i X0`` before it is
            weighted and summed (the paper's ``normalization=True``). The powers
            themselves are propagated unnormalised, as in the paper's code.
        output: ``"standardize"`` (zero-mean unit-variance columns, as the paper's
            code does), ``"l2"`` (unit rows) or ``"none"``.
        direction: for directed graphs, which neighbours a node averages over:
            ``"out"`` (the targets of its edges: successors), ``"in"`` (the sources of
            the edges into it: predecessors, the rows of the graph's CSR, as in message
            passing) or ``"both"``. Undirected graphs are symmetric, where all three agree
            (``"both"`` sums the two directions of every edge, which changes nothing
            under ``"transition"``).
        isolated: nodes without neighbours (in the propagation direction) get a zero
            vector before the output normalisation (``"zero"``), or their own
            L2-normalised random vector (``"random"``), so that they remain distinct.
        feature_ratio: share of the ``dim`` columns of ``X0`` that come from a random
            projection of node features ("FastRP extended", like Neo4j GDS's
            ``propertyRatio``); 0 ignores features.
        random_state: seed of the random projection, an integer in ``[0, 2**63 - 1]``.
        progress: show a tqdm bar over the iterations.

    Integers may be Python or NumPy integers or 0-d integer tensors (never floats:
    ``random_state=1.5`` is refused, not truncated); numbers may be any of those or
    floats. ``fit`` checks every hyper-parameter first (TypeError / ValueError naming
    it), estimates the memory the run needs before allocating (MemoryError: "FastRP
    with dim=... on N nodes needs about X, but only Y of memory is available"), and
    refuses (ValueError naming the options responsible) to return an embedding with
    NaN or infinite values, or one that is all zero only because the projection or the
    degree scaling underflowed.

    Attributes:
        embedding_: ``[n, dim]`` float32 numpy array after ``fit``.
        n_nodes_, n_edges_: size of the graph that was fitted.
    """

    def __init__(self, dim: int = 256, iteration_weights: Sequence[float] = (0.0, 1.0, 1.0),
                 normalization_strength: float = 0.0, self_influence: float = 0.0,
                 sparsity: Union[str, float] = "sqrt", propagation: str = "transition",
                 normalize_iterations: bool = True, output: str = "standardize", direction: str = "out",
                 isolated: str = "zero", feature_ratio: float = 0.0, random_state: int = 0,
                 progress: bool = False):
        self.dim = dim
        self.iteration_weights = iteration_weights
        self.normalization_strength = normalization_strength
        self.self_influence = self_influence
        self.sparsity = sparsity
        self.propagation = propagation
        self.normalize_iterations = normalize_iterations
        self.output = output
        self.direction = direction
        self.isolated = isolated
        self.feature_ratio = feature_ratio
        self.random_state = random_state
        self.progress = progress

    # ------------------------------------------------------------------ presets

    @classmethod
    def paper_blogcatalog(cls, **overrides) -> "FastRP":
        """The published BlogCatalog setting: d = 512, weights (0, 0, 1, 6.67),
        beta = -0.64, per-iteration L2 normalisation, standardised output,
        transition matrix, s = sqrt(n)."""
        params = dict(dim=512, iteration_weights=(0.0, 0.0, 1.0, 6.67), normalization_strength=-0.64,
                      self_influence=0.0, sparsity="sqrt", propagation="transition",
                      normalize_iterations=True, output="standardize")
        params.update(overrides)
        return cls(**params)

    # ------------------------------------------------------- scikit-learn API

    def get_params(self, deep: bool = True) -> Dict[str, Any]:
        names = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        return {name: getattr(self, name) for name in names}

    def set_params(self, **params) -> "FastRP":
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"FastRP.set_params: unknown parameter {key!r}; valid: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if defaults.get(k) != v]
        return f"FastRP({', '.join(changed)})"

    def fit(self, graph, features=None, node_keys=None, num_nodes: Optional[int] = None) -> "FastRP":
        """Computes the embeddings of every node of ``graph``.

        Args:
            graph: anything :func:`graphlearn.sparse.as_csr` accepts, read by its
                contract: a :class:`graphlearn.sparse.CSR` (rows aggregate), a ``[2, E]``
                edge_index (sources, targets), a scipy/torch sparse adjacency matrix
                ``A[s, t]`` or a PyG ``Data``; undirected graphs store both directions.
                Edge values are edge weights (must be >= 0 for ``propagation="transition"``).
            features: optional ``[n, p]`` node features (used when ``feature_ratio > 0``).
            node_keys: optional ``[n]`` int64 keys from which each node's random vector
                is drawn (default: the node ids 0..n-1). Pass the original ids of a
                relabelled graph to make the result independent of the relabelling.
            num_nodes: number of nodes for an edge_index input (default: max id + 1).

        Returns:
            self, with ``embedding_`` set.
        """
        p = self._check_params()
        adj = as_csr(graph, num_nodes, name="FastRP.fit: graph")
        if adj.num_rows != adj.num_cols:
            raise ValueError(f"FastRP.fit: the adjacency must be square, got {adj.num_rows} x {adj.num_cols}")
        n = adj.num_rows
        if n == 0:
            raise ValueError("FastRP.fit: the graph has no nodes")
        check_memory(p, n)
        if adj.device.type != "cpu":
            adj = adj.to("cpu")
        keys = self._keys(node_keys, n)
        feats = self._features(features, n, p)
        m = self._propagation_matrix(adj, p)
        degree = self._degree(m)
        x0 = initial_vectors(keys, degree, self._s(n, p), p.dim, p.normalization_strength, p.isolated,
                             p.random_state, feats, p.feature_ratio)
        projected = bool(x0.any())
        check_projection(p, projected, bool((degree > 0).any()) or p.isolated == "random", n)
        lonely = (degree == 0).nonzero().flatten() if p.isolated == "random" else None
        lonely_rows = torch.nn.functional.normalize(x0[lonely], dim=1) if lonely is not None else None
        holder = [x0]
        del x0  # propagate() frees X0 after the first step
        report: Dict[str, Any] = {}
        acc = propagate(m, holder, p.iteration_weights, p.self_influence, p.propagation == "transition",
                        p.normalize_iterations, progress=p.progress, report=report)
        if lonely is not None and lonely.numel():
            acc[lonely] = lonely_rows
        check_embedding(p, *embedding_state(acc), stage="sum", projected=projected,
                        norm_overflow=report.get("norm_overflow"))
        finalize(acc, p.output)
        check_embedding(p, *embedding_state(acc), stage="output")
        self.embedding_ = acc.numpy()
        self.n_nodes_, self.n_edges_ = n, adj.nnz
        return self

    def transform(self, graph=None) -> np.ndarray:
        """The embeddings computed by :meth:`fit` (FastRP is transductive: ``graph``
        must be None or the fitted graph), ``[n, dim]`` float32."""
        if not hasattr(self, "embedding_"):
            raise RuntimeError("FastRP.transform: call fit() first")
        if graph is not None:
            n = as_csr(graph, name="FastRP.transform: graph").num_rows
            if n != self.n_nodes_:
                raise ValueError(f"FastRP.transform: FastRP is transductive; fitted on {self.n_nodes_} nodes, "
                                 f"got a graph with {n}. Call fit_transform on the new graph.")
        return self.embedding_

    def fit_transform(self, graph, features=None, node_keys=None, num_nodes: Optional[int] = None) -> np.ndarray:
        """``fit(...)`` then the ``[n, dim]`` float32 embeddings."""
        return self.fit(graph, features=features, node_keys=node_keys, num_nodes=num_nodes).embedding_

    # ---------------------------------------------------------------- internals

    def _check_params(self) -> types.SimpleNamespace:
        """Every hyper-parameter checked (TypeError / ValueError naming it) and
        converted to a plain Python value: the namespace ``fit`` computes with."""
        p = types.SimpleNamespace()
        p.dim = _validate.integer(self.dim, "FastRP: dim", min=1, max=_validate.INT64_MAX)
        p.iteration_weights = [weight(w, f"FastRP: iteration_weights[{i}]") for i, w in
                               enumerate(_validate.reals(self.iteration_weights, "FastRP: iteration_weights",
                                                         nonempty=False))]
        p.self_influence = weight(self.self_influence, "FastRP: self_influence")
        if all(w == 0 for w in p.iteration_weights) and p.self_influence == 0:
            raise ValueError("FastRP: iteration_weights and self_influence are all zero; the embedding would be 0")
        p.normalization_strength = _validate.real(self.normalization_strength, "FastRP: normalization_strength")
        p.sparsity = sparsity(self.sparsity, "FastRP: sparsity")
        p.propagation = _validate.choice(self.propagation, "FastRP: propagation", ("transition", "adjacency"))
        p.output = _validate.choice(self.output, "FastRP: output", ("standardize", "l2", "none"))
        p.direction = _validate.choice(self.direction, "FastRP: direction", ("out", "in", "both"))
        p.isolated = _validate.choice(self.isolated, "FastRP: isolated", ("zero", "random"))
        p.normalize_iterations = flag(self.normalize_iterations, "FastRP: normalize_iterations")
        p.feature_ratio = _validate.real(self.feature_ratio, "FastRP: feature_ratio", min=0.0, max=1.0)
        p.random_state = _validate.seed(self.random_state, "FastRP: random_state")
        p.progress = flag(self.progress, "FastRP: progress")
        return p

    def estimate_memory(self, num_nodes: int) -> int:
        """Bytes of the ``[num_nodes, dim]`` float32 buffers that ``fit`` allocates at
        its peak (two or three of them: see :func:`propagate`), besides the graph."""
        return memory_needed(self._check_params(), num_nodes)

    def _s(self, n: int, p: Optional[types.SimpleNamespace] = None) -> float:
        s = (p or self._check_params()).sparsity
        return max(1.0, math.sqrt(n)) if s == "sqrt" else s

    @staticmethod
    def _keys(node_keys, n: int) -> Tensor:
        if node_keys is None:
            return torch.arange(n, dtype=torch.int64)
        keys = torch.as_tensor(np.asarray(node_keys) if not isinstance(node_keys, Tensor) else node_keys)
        if keys.dtype.is_floating_point or keys.dtype == torch.bool or keys.shape != (n,):
            raise ValueError(f"FastRP.fit: node_keys must be an integer array of shape [{n}], "
                             f"got {keys.dtype} {list(keys.shape)}")
        return keys.long().contiguous()

    def _features(self, features, n: int, p: Optional[types.SimpleNamespace] = None) -> Optional[Tensor]:
        if (p or self._check_params()).feature_ratio == 0.0:
            return None
        if features is None:
            raise ValueError("FastRP.fit: feature_ratio > 0 needs node features (features=[n, p])")
        x = torch.as_tensor(np.asarray(features) if not isinstance(features, Tensor) else features)
        if x.dim() == 1:
            x = x[:, None]
        if x.dim() != 2 or x.size(0) != n:
            raise ValueError(f"FastRP.fit: features must have shape [{n}, p], got {list(x.shape)}")
        if not (x.dtype.is_floating_point or x.dtype in (torch.int32, torch.int64, torch.bool, torch.uint8)):
            raise TypeError(f"FastRP.fit: features must be numeric, got {x.dtype}")
        x = x.float()
        if not bool(torch.isfinite(x).all()):
            bad = (~torch.isfinite(x)).nonzero()[0].tolist()
            raise ValueError(f"FastRP.fit: features contain NaN or infinite values (first at row {bad[0]}, "
                             f"column {bad[1]})")
        return x

    def _propagation_matrix(self, adj: CSR, p: Optional[types.SimpleNamespace] = None) -> CSR:
        p = p or self._check_params()
        if adj.value is not None:
            v = adj.value
            if v.dim() != 1:
                raise ValueError(f"FastRP.fit: edge weights must be [nnz], got {list(v.shape)}")
            if not bool(torch.isfinite(v).all()):
                raise ValueError("FastRP.fit: edge weights contain NaN or infinite values")
            if p.propagation == "transition" and bool((v < 0).any()):
                raise ValueError("FastRP.fit: negative edge weights are not allowed with propagation='transition'")
            if v.dtype != torch.float32:
                adj = adj.with_value(v.float())
        # the CSR's rows gather from in-neighbours; "out" propagates along the edges'
        # direction, i.e. over the transpose (a symmetric CSR is its own transpose)
        if p.direction == "out":
            adj = adj.t()
        elif p.direction == "both":
            adj = CSR.from_coo(adj.row, adj.col, adj.num_rows, adj.value, symmetrize=True, dedupe=True,
                               index_dtype=adj.rowptr.dtype)
        return adj

    @staticmethod
    def _degree(m: CSR) -> Tensor:
        if m.value is None:
            return m.degree(0).float()
        return torch.zeros(m.num_rows, dtype=torch.float32).index_add_(0, m.row, m.value)


# ------------------------------------------------------------ parameter checks


def buffers_needed(weights: Sequence[float], self_influence: float) -> int:
    """How many ``[n, dim]`` float32 buffers :func:`propagate` holds at its peak: two
    when the sum before the last weighted power is at most one scaled power (the one
    just before it), three otherwise."""
    q = len(weights)
    while q > 0 and weights[q - 1] == 0.0:
        q -= 1
    terms = [self_influence] + list(weights[:q])  # terms[i]: the weight of M^i X0
    early = [i for i in range(q) if terms[i] != 0.0]  # nonzero terms before the last power
    return 2 if all(i == q - 1 for i in early) else 3


def memory_needed(p: types.SimpleNamespace, num_rows: int, extra_rows: int = 0) -> int:
    """Bytes of the float32 buffers of a FastRP run over ``num_rows`` rows (plus
    ``extra_rows`` rows that only the propagated powers hold, the halo of a
    distributed block); a Python int of any size."""
    row = 4 * int(p.dim)
    k = buffers_needed(p.iteration_weights, p.self_influence)
    return k * int(num_rows) * row + 2 * int(extra_rows) * row


def check_memory(p: types.SimpleNamespace, num_rows: int, extra_rows: int = 0, *, what: Optional[str] = None,
                 hint: str = "lower dim") -> None:
    """MemoryError before allocating when the run needs more memory than the machine
    has: "FastRP with dim=... on N nodes needs about X, but only Y of memory is
    available; lower dim"."""
    _validate.check_memory(memory_needed(p, num_rows, extra_rows),
                           what or f"FastRP with dim={p.dim} on {int(num_rows):,} nodes", hint=hint)


def _options(p: types.SimpleNamespace, *names: str) -> str:
    return ", ".join(f"{k}={getattr(p, k)!r}" for k in names)


def check_projection(p: types.SimpleNamespace, nonzero: bool, scaled: bool, n: int) -> None:
    """Refuses an all-zero random projection (ValueError naming ``sparsity``):
    ``nonzero``: whether X0 has a nonzero entry; ``scaled``: whether some node has a
    nonzero degree scale (else zero vectors are what ``isolated="zero"`` asks for)."""
    if nonzero or not scaled:
        return
    s = f"sqrt(n) = {math.sqrt(n):.6g}" if p.sparsity == "sqrt" else f"{p.sparsity:g}"
    raise ValueError(f"FastRP: the random projection is all zero: with sparsity s = {s} (density 1/s) none of the "
                     f"{int(n):,} x {p.dim} entries was drawn nonzero, so the embedding would be 0; use a smaller "
                     f"sparsity (such as 3) or a larger dim")


def embedding_state(acc: Tensor) -> Tuple[bool, bool]:
    """``(finite, nonzero)`` of a ``[rows, dim]`` float32 buffer, in row blocks (no
    ``[rows, dim]`` temporary)."""
    finite, nonzero = True, False
    for b in range(0, acc.size(0), 1 << 14):
        # one reduction pass per block (NaN propagates into min/max); isfinite().all() and
        # any() were two passes with bool temporaries, ~15x slower on a 1M x 128 output
        lo, hi = (float(v) for v in torch.aminmax(acc[b:b + (1 << 14)]))
        finite = finite and math.isfinite(lo) and math.isfinite(hi)
        nonzero = nonzero or lo != 0 or hi != 0
    return finite, nonzero


def check_embedding(p: types.SimpleNamespace, finite: bool, nonzero: bool, stage: str = "output",
                    projected: bool = False, norm_overflow: Optional[int] = None) -> None:
    """Refuses (ValueError naming the options responsible) an embedding with NaN or
    infinite values; ``stage="sum"``: the weighted sum before the output
    normalisation, ``"output"``: the result. At the sum, ``projected`` (X0 had a
    nonzero entry) and an all-zero sum mean that every weighted power vanished;
    ``norm_overflow``: the iteration whose power had rows too large for a float32 norm
    (their terms were lost: :func:`propagate`)."""
    if norm_overflow is not None:
        if p.propagation == "adjacency":
            why = (f"propagation='adjacency' makes the powers M^i X0 grow like degree**i: use "
                   f"propagation='transition' or fewer iteration_weights (now {len(p.iteration_weights)})")
        else:
            why = (f"the initial vectors are too large ({_options(p, 'normalization_strength', 'sparsity')}): use a "
                   "smaller normalization_strength or sparsity")
        raise ValueError(f"FastRP: at iteration {norm_overflow} the propagated vectors are too large for float32 "
                         f"(their norms overflow, so their terms would be lost); {why}")
    if finite and (nonzero or not projected or stage != "sum"):
        return
    if finite:
        raise ValueError(f"FastRP: the embedding is all zero: every weighted power M^i X0 vanished "
                         f"({_options(p, 'iteration_weights', 'self_influence', 'direction')}): the graph has no "
                         "walks of those lengths (a directed graph? try direction='both', or weight earlier "
                         "iterations or self_influence)")
    causes = []
    total = abs(p.self_influence) + sum(abs(w) for w in p.iteration_weights)
    if total > 1e30:
        causes.append(f"the weights are huge ({_options(p, 'iteration_weights', 'self_influence')}): scale them "
                      "down together (the standardised output does not depend on their common scale)")
    if p.propagation == "adjacency":
        causes.append(f"propagation='adjacency' makes the powers M^i X0 grow like degree**i "
                      f"({len(p.iteration_weights)} iterations): use propagation='transition' or fewer "
                      "iteration_weights")
    if abs(p.normalization_strength) > 1 and not causes:
        causes.append(f"normalization_strength={p.normalization_strength!r} scales the initial vectors by "
                      "degree**beta: use |normalization_strength| <= 1")
    if not causes:
        causes.append(f"check {_options(p, 'iteration_weights', 'self_influence', 'normalization_strength', 'propagation', 'normalize_iterations', 'output')}")
    where = "the weighted sum" if stage == "sum" else f"the output normalisation (output={p.output!r})"
    raise ValueError(f"FastRP: the embedding has NaN or infinite values after {where} (float32 overflow); "
                     + "; ".join(causes))


def initial_vectors(keys: Tensor, degree: Tensor, s: float, dim: int, beta: float, isolated: str, seed: int,
                    features: Optional[Tensor] = None, feature_ratio: float = 0.0) -> Tensor:
    """``X0 = D^beta [R | features P]`` for the nodes with the given keys, ``[n, dim]`` float32.

    ``degree`` is ``[n]`` (weighted) degree in the propagation matrix; nodes of degree
    0 get scale 0 (or 1 when ``isolated == "random"``, so they keep their own vector).
    The feature part has ``round(feature_ratio * dim)`` columns: the features times a
    ``[p, k]`` random projection (s = 3) drawn from ``(seed, feature index)``.
    """
    deg = degree.to(torch.float64)
    positive = deg > 0
    scale = torch.where(positive, deg.clamp_min(1e-300) ** beta, torch.zeros_like(deg))
    if isolated == "random":
        scale = torch.where(positive, scale, torch.ones_like(scale))
    scale = scale.float()
    if not bool(torch.isfinite(scale).all()):
        raise ValueError(f"FastRP: degree ** normalization_strength overflows float32 (normalization_strength="
                         f"{beta!r}, largest degree {float(deg.max()):g}); use a smaller |normalization_strength|")
    under = positive & (scale == 0)
    if bool(under.any()):
        raise ValueError(f"FastRP: degree ** normalization_strength underflows to 0 in float32 for "
                         f"{int(under.sum()):,} nodes (normalization_strength={beta!r}, degrees up to "
                         f"{float(deg.max()):g}), which would get zero vectors; use a smaller "
                         "|normalization_strength|")
    k = int(round(feature_ratio * dim)) if features is not None else 0
    if k == 0:
        return ops.fastrp_random(keys, dim, s, seed, scale)
    x0 = torch.empty(keys.numel(), dim, dtype=torch.float32)
    if k < dim:
        x0[:, : dim - k] = ops.fastrp_random(keys, dim - k, s, seed, scale)
    p = features.size(1)
    proj = ops.fastrp_random(torch.arange(p, dtype=torch.int64) + _FEATURE_SALT, k, 3.0, seed)
    torch.mm(features, proj, out=x0[:, dim - k:]) if k == dim else x0[:, dim - k:].copy_(features @ proj)
    x0[:, dim - k:] *= scale[:, None]
    return x0


def propagate(m: CSR, x0, weights: Sequence[float], self_influence: float, mean: bool, normalize: bool,
              progress: bool = False, exchange=None, report: Optional[Dict[str, Any]] = None) -> Tensor:
    """``acc = w_0 N(X0) + sum_i w_i N(M^i X0)`` with the fused step, ``[rows, dim]`` float32.

    Memory: at most three ``[n, dim]`` buffers (the current power, the next one and
    the sum), and two when the only term before the last power is the power just
    before it (as with the paper's weights ``0, 0, 1, 6.67``, or ``0, 1, 1``): a sum
    that is still one row-scaled power is kept as that power plus a scale per row,
    and the last power is added to the sum row by row without being stored.

    Args:
        m: propagation matrix (CSR, ``[rows, cols]``).
        x0: ``[cols, dim]`` float32 initial vectors, or a one-element list holding
            them: the list is emptied so that X0 is freed after the first step.
        weights: ``w_1..w_q``; trailing zero weights are skipped (those powers are
            never needed).
        self_influence: ``w_0``.
        mean: divide rows by their degree (``M = D^-1 A``).
        normalize: L2-normalise each row of every power before weighting it.
        exchange: for row-partitioned graphs (torch.distributed): a callable that
            turns the ``[rows, dim]`` local power into the ``[cols, dim]`` input of the
            next step (own rows first, then the neighbour rows held by other
            processes); ``x0`` then holds the local rows and ``exchange(x0)`` is
            called first.
        report: a dict that receives ``"norm_overflow"`` (the first iteration whose
            power had a row too large for a float32 norm: the normalisation would drop
            that row's term) and ``"max_abs"`` (its largest entry), when that happens.

    With ``normalize``, a row whose float32 norm overflows (entries beyond about
    ``1.8e19 / sqrt(dim)``) contributes nothing to the sum; when the values come near
    that bound (``propagation="adjacency"`` grows them every step; in transition mode
    only X0 matters) the power is kept and checked, and the step reported.
    """
    x = x0.pop() if isinstance(x0, list) else x0
    rows = m.num_rows
    q = len(weights)
    while q > 0 and weights[q - 1] == 0.0:
        q -= 1
    # The sum so far is either nothing (acc None, scale None), explicit (acc), or
    # implicit: scale[:, None] * x[:rows], x being the current power.
    acc: Optional[Tensor] = None
    scale: Optional[Tensor] = _term_scale(x[:rows], self_influence, normalize) if self_influence != 0.0 else None
    bar = None
    if progress and q:
        bar = _io.progress(q, "FastRP iterations", "it")
    # entries whose row norm stays finite in float32; growth bounds |next| / |current|
    safe = 1.8e19 / math.sqrt(max(int(x.size(1)), 1))
    growth = 1.0 if mean else _max_row_sum(m)
    for i in range(q):
        last = i == q - 1
        if exchange is not None:
            x = exchange(x)
        risky = normalize and (not mean or i == 0) and float(x.abs().max()) * growth > safe if x.numel() else False
        if risky:
            last = False  # keep this power to check its norms (one more buffer, only here)
        w = float(weights[i])
        if acc is None and (scale is not None or last):
            # the sum becomes explicit in this step (written in full, no zero pass first)
            acc = torch.empty(rows, x.size(1), dtype=torch.float32)
            if scale is None:
                scale = torch.zeros(rows, dtype=torch.float32)
            out = ops.fastrp_step(m, x, acc, w, mean=mean, normalize=normalize, acc_scale=scale, keep_out=not last)
            scale = None
        elif acc is None and w != 0.0:
            out = ops.fastrp_step(m, x, None, 0.0, mean=mean, normalize=normalize)
            scale = _term_scale(out, w, normalize)  # the sum is w N(out), kept implicitly
        else:
            out = ops.fastrp_step(m, x, acc, w if acc is not None else 0.0, mean=mean, normalize=normalize,
                                  keep_out=not last)
        if risky and out.numel():
            norms = torch.linalg.vector_norm(out, dim=1)
            if not bool(torch.isfinite(norms).all()) and report is not None and "norm_overflow" not in report:
                report["norm_overflow"] = i + 1
                report["max_abs"] = float(out.abs().max())
        x = out  # frees the previous power
        del out
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    if acc is None:  # no propagation step at all: the sum is w_0 N(X0) or zero
        acc = torch.zeros(rows, x.size(1), dtype=torch.float32)
        if scale is not None:
            acc.addcmul_(x[:rows], scale[:, None])
    return acc


def _max_row_sum(m: CSR) -> float:
    """The largest row sum of ``|M|``: no entry of ``M x`` exceeds it times ``max |x|``."""
    if m.num_rows == 0 or m.nnz == 0:
        return 0.0
    if m.value is None:
        return float((m.rowptr[1:] - m.rowptr[:-1]).max())
    row = torch.repeat_interleave(torch.arange(m.num_rows), (m.rowptr[1:] - m.rowptr[:-1]).long())
    return float(torch.zeros(m.num_rows, dtype=torch.float64).index_add_(0, row, m.value.abs().double()).max())


def _term_scale(x: Tensor, weight: float, normalize: bool) -> Tensor:
    """Per-row factor c with ``c[:, None] * x == weight * N(x)`` (zero rows get 0)."""
    if not normalize:
        return torch.full((x.size(0),), float(weight), dtype=torch.float32)
    nrm = torch.linalg.vector_norm(x, dim=1)
    return torch.where(nrm > 0, weight / torch.where(nrm > 0, nrm, torch.ones_like(nrm)), torch.zeros_like(nrm))


def finalize(acc: Tensor, output: str, all_reduce=None, num_rows: Optional[int] = None,
             chunk: int = 1 << 12) -> Tensor:
    """In place: standardise the columns (population std; constant columns are only
    centred, as scikit-learn's ``scale`` does), L2-normalise the rows, or nothing.

    Column sums and sums of squares are accumulated in float64 in one pass over row
    blocks of ``chunk`` rows, each block converted to float64 first (a 2 MiB
    temporary at d = 128; torch's float64-accumulating reductions of float32 data
    are 10x slower: 9 s instead of 0.9 s for 5M x 128). The rows are rescaled in a
    second pass. For row-partitioned embeddings, ``all_reduce`` sums a float64 tensor
    across processes in place and ``num_rows`` is the global count.
    """
    if output == "standardize":
        n = max(acc.size(0) if num_rows is None else num_rows, 1)
        d = acc.size(1)
        stats = torch.zeros(2 * d, dtype=torch.float64)  # column sums, then sums of squares
        for b in range(0, acc.size(0), chunk):
            blk = acc[b:b + chunk].double()
            stats[:d] += blk.sum(0)
            stats[d:] += (blk * blk).sum(0)
        if all_reduce is not None:
            all_reduce(stats)  # one collective for both statistics
        mean = stats[:d] / n
        # one pass in float64 over float32 data: E[x^2] - E[x]^2 loses nothing that matters
        # unless |mean| / std exceeds ~1e6, far from what FastRP produces
        var = (stats[d:] / n - mean * mean).clamp_min(0)
        std = var.sqrt()
        inv = torch.where(std > 0, 1.0 / std, torch.ones_like(std))
        inv32, shift32 = inv.float(), (-mean * inv).float()
        # 1/std beyond float32's normal range (huge or tiny weights): rescale in float64
        wide = bool(((inv > 1e37) | (inv < 1e-37)).any()) or not bool(torch.isfinite(shift32).all())
        for b in range(0, acc.size(0), chunk):
            blk = acc[b:b + chunk]
            if wide:
                blk.copy_(blk.double() * inv - mean * inv)
            else:
                torch.addcmul(shift32, blk, inv32, out=blk)  # (x - mean) / std in one pass
    elif output == "l2":
        for b in range(0, acc.size(0), chunk):
            blk = acc[b:b + chunk]
            nrm = blk.norm(dim=1, keepdim=True)
            if bool(torch.isfinite(nrm).all()) and bool((nrm == 0).eq(blk.eq(0).all(1, keepdim=True)).all()):
                blk.div_(nrm.clamp_min(1e-30))
            else:  # the float32 norm overflowed or underflowed: in float64
                wide = blk.double()
                blk.copy_(wide / wide.norm(dim=1, keepdim=True).clamp_min(1e-300))
    return acc
