r"""Positional encodings for graph transformers, computed once per data set.

* :class:`AddLaplacianPE`: the eigenvectors of the symmetric normalised Laplacian
  :math:`L = I - D^{-1/2} A D^{-1/2}` for the ``k`` smallest non-trivial eigenvalues,
  with a deterministic sign and robust solvers (dense, Lanczos, LOBPCG, dense fallback).
* :class:`AddRandomWalkPE`: random-walk return probabilities
  :math:`\mathrm{diag}\big((D^{-1} A)^t\big)`, exact with edge weights.
* :func:`random_sign_flip` / :class:`RandomSignFlip`: the random sign of each
  eigenvector, drawn anew at every training step from a seeded generator (an
  eigenvector's sign is arbitrary, so a model must not learn one).
* :func:`precompute`: applies a transform to every graph of a data set once, with
  progress, and caches the result on disk (atomic write, ``torch.load(weights_only=True)``),
  keyed by the transform's parameters and a fingerprint of the graphs.

Two faults of PyTorch Geometric's transforms are avoided on purpose:
``AddLaplacianEigenvectorPE`` draws one sign per eigenvector at preprocessing time
from an unseeded generator (frozen for the whole training, and not reproducible) and
stops with ARPACK errors on some graphs; ``AddRandomWalkPE`` uses ``1 / deg`` as the
transition probability whatever the weights, clamped at 1 (wrong for any weighted
graph). Here the signs are fixed by a rule at preprocessing and randomised per step in
the model, the eigensolvers fall back in turn, and the random walk uses
:math:`w_{ij} / \sum_l w_{il}`.

Typical use::

    from graphlearn.datasets import load_ogb
    from graphlearn.transforms import AddLaplacianPE, RandomSignFlip, precompute

    ds = load_ogb("ogbg-molhiv", root)
    ds = precompute(ds, AddLaplacianPE(8), cache_path=os.path.dirname(ds.cache_path))
    flip = RandomSignFlip(seed=0)          # in the model; identity in eval mode
    pe = flip(batch.lap_pe, batch.batch)   # a new sign per graph and eigenvector, every step
"""
from __future__ import annotations

import copy
import hashlib
import os
import types
import warnings
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
from torch import Tensor, nn
from torch_geometric.transforms import BaseTransform

from graphlearn import _io, _validate, ops
from graphlearn.sparse import as_csr

__all__ = ["AddLaplacianPE", "AddRandomWalkPE", "random_sign_flip", "RandomSignFlip", "precompute",
           "EigensolverError"]

# Entries whose magnitudes are within this relative distance of a vector's largest
# magnitude count as tied for the sign rule (well above the solvers' error, so the
# dense and the sparse solver choose the same entry).
_SIGN_TIE = 1e-6
# The trivial eigenvector of a component is moved to this eigenvalue, outside the
# spectrum [0, 2] of L, so that no solver can return it among the smallest.
_DEFLATE = 3.0


class EigensolverError(RuntimeError):
    """No eigensolver could produce the Laplacian eigenvectors of a graph component:
    Lanczos (ARPACK) and LOBPCG did not converge and the dense fallback does not fit in
    memory. The message names the component size and what was tried."""


# ----------------------------------------------------------------- shared checks


def _check_attr(value: Any, name: str, where: str, optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{where}: {name} must be an attribute name (a string), got {value!r}")
    if not value.isidentifier():
        raise ValueError(f"{where}: {name} must be a valid attribute name like 'pe', got {value!r}")
    return value


def _num_nodes(data: Any, where: str) -> int:
    """The node count of a homogeneous Data with an ``edge_index``; ValueError when empty."""
    from torch_geometric.data import HeteroData

    if isinstance(data, HeteroData):
        raise TypeError(f"{where} takes a homogeneous PyG Data, got a HeteroData (apply it to data.to_homogeneous())")
    if getattr(data, "edge_index", None) is None:
        raise ValueError(f"{where} needs a Data with edge_index")
    n = data.num_nodes
    if n is None or int(n) == 0:
        raise ValueError(f"{where}: empty graph (the Data has {n} nodes); a positional encoding needs at least "
                         "one node (set data.num_nodes)")
    return int(n)


def _edge_weights(data: Any, where: str) -> Tensor:
    """``[E]`` float64 weights: a 1-D ``data.edge_weight`` (finite, >= 0), else ones
    (an edge_weight of another shape, e.g. ``[E, 1]`` features, is not a weight)."""
    ei = data.edge_index
    w = getattr(data, "edge_weight", None)
    if not isinstance(w, Tensor) or w.dim() != 1:
        return torch.ones(ei.size(1), dtype=torch.float64, device=ei.device)
    if w.numel() != ei.size(1):
        raise ValueError(f"{where}: data.edge_weight has {w.numel()} entries but edge_index has {ei.size(1)} edges")
    if w.is_complex():
        raise TypeError(f"{where}: data.edge_weight must hold real numbers, got {w.dtype}")
    w = w.detach().to(torch.float64)
    bad = ~torch.isfinite(w)
    if bool(bad.any()):
        k = int(bad.nonzero()[0, 0])
        raise ValueError(f"{where}: data.edge_weight[{k}] = {w[k].item()} is not finite (NaN or inf edge weight)")
    if bool((w < 0).any()):
        k = int((w < 0).nonzero()[0, 0])
        raise ValueError(f"{where}: data.edge_weight[{k}] = {w[k].item()} is negative; edge weights must be >= 0")
    return w


# ----------------------------------------------------------------- Laplacian eigenvectors


def _fix_signs(vecs: np.ndarray) -> np.ndarray:
    """Makes, in every column, the entry of largest magnitude positive; among entries
    tied within a relative ``_SIGN_TIE`` the one of the smallest row decides."""
    if vecs.size == 0:
        return vecs
    mag = np.abs(vecs)
    top = mag.max(axis=0)
    first = np.argmax(mag >= top * (1.0 - _SIGN_TIE), axis=0)
    signs = np.sign(vecs[first, np.arange(vecs.shape[1])])
    signs[signs == 0] = 1.0
    return vecs * signs


class AddLaplacianPE(BaseTransform):
    r"""Sets ``data[attr]`` (default ``data.lap_pe``) to the Laplacian eigenvector
    positional encoding: ``[N, k]`` float32, column ``j`` the unit eigenvector of

    .. math::
        L = I - D^{-1/2} A D^{-1/2}, \qquad D_{ii} = \textstyle\sum_j A_{ij},

    for the ``j``-th smallest *non-trivial* eigenvalue :math:`\lambda_j` (eigenvalues
    are dimensionless, in ``[0, 2]``).

    The graph is read through :func:`graphlearn.sparse.as_csr` as its undirected view
    :math:`A = W + W^\top` (``W[s, t]``: the summed weights of the edges ``s -> t``,
    from a 1-D ``data.edge_weight``, else 1 per edge; repeated edges add up). A graph
    that stores both directions of every edge, as PyG's undirected graphs do, gets
    :math:`2W`, which gives the same :math:`L` (it does not change under scaling of
    :math:`A`). Self-loops are dropped, as are edges of weight 0; weights must be
    finite and >= 0.

    **Trivial eigenvectors.** Every connected component with an edge has exactly one
    eigenvalue 0, with eigenvector :math:`D^{1/2}\mathbf 1` on the component; these
    carry no position and are left out. An isolated node (no edge of positive weight)
    is a component of its own whose only eigenvector is its indicator: it is left out
    too, so isolated nodes get all-zero rows. (Its row of :math:`L` is the identity
    row, :math:`D^{-1/2} := 0`, so its eigenvalue is 1, not 0: the rule counts
    components, it does not threshold eigenvalues. Keeping those indicators would
    make the encoding depend on the node order, as the eigenvalue 1 is then repeated
    once per isolated node.) The columns are the ``k`` smallest remaining eigenvalues
    over all components (ties in the order of the components' smallest node);
    missing columns, when the graph has fewer than ``k`` non-trivial eigenvectors
    (``N <= k`` nodes, or many small components), are zero.

    **Solvers.** :math:`L` is block-diagonal by component, so each component is
    solved on its own (``scipy.sparse.csgraph.connected_components``) and its trivial
    eigenvector :math:`u = D^{1/2}\mathbf 1 / \lVert D^{1/2}\mathbf 1\rVert` is
    deflated exactly (moved to eigenvalue 3, above the spectrum), so no solver ever
    has to find or recognise it:

    1. components of at most ``dense_threshold`` nodes (or of at most ``2k + 2``,
       where Lanczos would save nothing): dense ``scipy.linalg.eigh`` of :math:`L + 3uu^\top`, O(n^3);
    2. larger components: Lanczos (``scipy.sparse.linalg.eigsh``, ARPACK) for the
       largest eigenvalues of :math:`D^{-1/2} A D^{-1/2} - 3uu^\top` (:math:`1 - \lambda`),
       which needs only sparse products (memory O(n k)), from a start vector drawn
       from ``seed``; shift-invert is not used, as its LU factor can take far more
       memory than the graph;
    3. if ARPACK raises (``ArpackNoConvergence``, ``ArpackError``): LOBPCG on
       :math:`L` constrained to the complement of :math:`u`, seeded, accepted when every
       residual :math:`\lVert Lv - \lambda v\rVert_2 \le 100\,\mathrm{tol}`;
    4. else the dense solver when the component's matrix fits in memory (with a
       RuntimeWarning: O(n^3) time), else :class:`EigensolverError`.

    **Sign.** An eigenvector's sign is arbitrary; it is fixed so that the entry of
    largest magnitude is positive (among entries tied within a relative 1e-6, the one
    of the smallest node id), so the same graph gives the same encoding on every run.
    Randomise it during training with :class:`RandomSignFlip` (per step, per graph),
    not here. Within a repeated eigenvalue the basis is whatever the solver returns.

    Args:
        k: number of eigenvectors (columns), >= 1.
        attr: the attribute to set.
        dense_threshold: largest component (nodes) solved densely.
        eigval_attr: when given, also set ``data[eigval_attr]``: ``[N, k]`` float32,
            every row the ``k`` eigenvalues of the columns (0 in missing columns; a
            real non-trivial eigenvalue is > 0), node-level so that PyG batches it.
        tol: accuracy asked of the sparse solvers (ARPACK's relative tolerance,
            LOBPCG's residual tolerance), in (0, 1).
        maxiter: iteration limit of the sparse solvers (None: ARPACK's ``10 n``,
            LOBPCG's 500).
        seed: seed of the sparse solvers' start vectors.

    Every option is checked when the transform is built (TypeError / ValueError).
    ``forward`` raises ValueError for an empty graph, NaN/inf or negative weights.
    """

    def __init__(self, k: int, attr: str = "lap_pe", *, dense_threshold: int = 1000,
                 eigval_attr: Optional[str] = None, tol: float = 1e-8, maxiter: Optional[int] = None,
                 seed: int = 0):
        where = "AddLaplacianPE"
        self.k = _validate.integer(k, f"{where}: k", min=1)
        self.attr = _check_attr(attr, "attr", where)
        self.eigval_attr = _check_attr(eigval_attr, "eigval_attr", where, optional=True)
        if self.eigval_attr == self.attr:
            raise ValueError(f"{where}: attr and eigval_attr must differ, both are {attr!r}")
        self.dense_threshold = _validate.integer(dense_threshold, f"{where}: dense_threshold", min=0)
        self.tol = _validate.real(tol, f"{where}: tol", min=0, max=1, min_open=True, max_open=True)
        self.maxiter = None if maxiter is None else _validate.integer(maxiter, f"{where}: maxiter", min=1)
        self.seed = _validate.seed(seed, f"{where}: seed")

    def forward(self, data: Any) -> Any:
        _num_nodes(data, "AddLaplacianPE")
        w = _edge_weights(data, "AddLaplacianPE")
        adj = as_csr(data, edge_weight=w, symmetrize=True, self_loops="remove", name="data")
        vecs, vals = self._eigenpairs(adj.to_scipy())
        device = data.edge_index.device
        data[self.attr] = torch.from_numpy(vecs).to(device=device, dtype=torch.float32)
        if self.eigval_attr is not None:
            rows = np.broadcast_to(vals, (vecs.shape[0], self.k))
            data[self.eigval_attr] = torch.from_numpy(np.ascontiguousarray(rows)).to(device=device,
                                                                                     dtype=torch.float32)
        return data

    # the computation, on a symmetric scipy matrix without self-loops

    def _eigenpairs(self, a) -> Tuple[np.ndarray, np.ndarray]:
        """``([N, k] eigenvectors, [k] eigenvalues)``, float64, zero-padded."""
        from scipy.sparse import csgraph

        a = a.astype(np.float64).tocsr()
        a.eliminate_zeros()
        n, k = a.shape[0], self.k
        ncomp, labels = csgraph.connected_components(a, directed=False)
        order = np.argsort(labels, kind="stable")  # nodes grouped by component, components by smallest node
        starts = np.concatenate([[0], np.cumsum(np.bincount(labels, minlength=ncomp))])
        ap = a if bool((order == np.arange(n)).all()) else a[order][:, order].tocsr()
        deg = np.asarray(ap.sum(axis=1)).ravel()
        dense = ap.toarray() if n <= self.dense_threshold else None  # small graphs: no sparse slicing
        found: List[Tuple[int, np.ndarray, np.ndarray]] = []  # (component, eigenvalues, eigenvectors)
        for c in range(ncomp):
            lo, hi = int(starts[c]), int(starts[c + 1])
            if hi - lo < 2:  # an isolated node: only its indicator, the trivial vector
                continue
            block = dense[lo:hi, lo:hi] if dense is not None else ap[lo:hi, lo:hi]
            vals, vecs = self._component(block, deg[lo:hi], min(k, hi - lo - 1), c)
            found.append((c, vals, vecs))
        out = np.zeros((n, k))
        out_vals = np.zeros(k)
        if found:
            lam = np.concatenate([f[1] for f in found])
            comp = np.concatenate([np.full(len(f[1]), i) for i, f in enumerate(found)])
            col = np.concatenate([np.arange(len(f[1])) for f in found])
            pick = np.lexsort((col, comp, lam))[:k]
            for j, p in enumerate(pick):
                c, _, vecs = found[comp[p]]
                out[order[starts[c]:starts[c + 1]], j] = vecs[:, col[p]]
                out_vals[j] = lam[p]
        return _fix_signs(out), out_vals

    def _component(self, a, deg: np.ndarray, m: int, index: int) -> Tuple[np.ndarray, np.ndarray]:
        """The ``m`` smallest non-trivial eigenpairs (ascending) of one connected
        component (``a`` its symmetric adjacency, scipy sparse or a dense array; every
        degree > 0)."""
        import scipy.sparse as sp

        n = a.shape[0]
        dinv = 1.0 / np.sqrt(deg)
        u = np.sqrt(deg)
        u /= np.linalg.norm(u)
        if n <= self.dense_threshold or n <= 2 * m + 2:
            a = a.toarray() if sp.issparse(a) else a
            return self._dense(dinv[:, None] * a * dinv[None, :], u, m)
        s = (sp.diags(dinv) @ a @ sp.diags(dinv)).tocsr()  # D^-1/2 A D^-1/2
        s = ((s + s.T) * 0.5).tocsr()  # exactly symmetric despite rounding
        rng = np.random.default_rng([self.seed, index])
        return self._sparse(s, u, m, rng)

    @staticmethod
    def _dense(s, u: np.ndarray, m: int) -> Tuple[np.ndarray, np.ndarray]:
        """Dense eigh of L + 3uu^T = I - S + 3uu^T (``s``: S, sparse or dense; eigh
        reads one triangle, so S need not be symmetric to the last bit)."""
        import scipy.linalg
        import scipy.sparse as sp

        lap = _DEFLATE * np.outer(u, u) - (s.toarray() if sp.issparse(s) else s)
        lap[np.diag_indices_from(lap)] += 1.0
        vals, vecs = scipy.linalg.eigh(lap, subset_by_index=[0, m - 1])
        return vals, vecs

    def _sparse(self, s, u: np.ndarray, m: int, rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray]:
        import scipy.sparse as sp
        from scipy.sparse import linalg as spla

        n = s.shape[0]

        def matvec(x):  # (D^-1/2 A D^-1/2 - 3 u u^T) x
            x = np.ravel(x)
            return s @ x - _DEFLATE * u * (u @ x)

        def matmat(x):
            return s @ x - _DEFLATE * np.outer(u, u @ x)

        op = spla.LinearOperator((n, n), matvec=matvec, matmat=matmat, rmatvec=matvec, dtype=np.float64)
        v0 = rng.standard_normal(n)
        v0 -= u * (u @ v0)
        guess = None
        try:
            mu, vecs = spla.eigsh(op, k=m, which="LA", v0=v0, tol=self.tol, maxiter=self.maxiter,
                                  ncv=min(n, max(2 * m + 1, m + 20)))
            lam = 1.0 - mu
            order = np.argsort(lam, kind="stable")
            return lam[order], vecs[:, order]
        except spla.ArpackError as exc:  # ArpackNoConvergence included
            arpack = f"{type(exc).__name__}: {exc}"
            part = getattr(exc, "eigenvectors", None)
            if isinstance(part, np.ndarray) and part.ndim == 2 and part.shape[0] == n and part.shape[1]:
                guess = part[:, :m]
        warnings.warn(f"AddLaplacianPE: ARPACK failed on a component of {n} nodes ({arpack}); trying LOBPCG",
                      RuntimeWarning, stacklevel=4)
        lap = (sp.identity(n, format="csr") - s).tocsr()
        x0 = rng.standard_normal((n, m))
        if guess is not None:
            x0[:, :guess.shape[1]] = guess
        residual = np.inf
        try:
            with warnings.catch_warnings():  # LOBPCG warns when it stops early: checked below
                warnings.simplefilter("ignore")
                lam, vecs = spla.lobpcg(lap, x0, Y=u[:, None], largest=False, tol=self.tol,
                                        maxiter=self.maxiter or 500)
            lam, vecs = np.asarray(lam, dtype=np.float64), np.asarray(vecs, dtype=np.float64)
            order = np.argsort(lam, kind="stable")
            lam, vecs = lam[order], vecs[:, order]
            vecs = vecs / np.linalg.norm(vecs, axis=0)
            residual = float(np.linalg.norm(lap @ vecs - vecs * lam, axis=0).max())
            if np.isfinite(residual) and residual <= 100 * self.tol:
                return lam, vecs
            lobpcg = f"largest residual {residual:.3g} > {100 * self.tol:.3g}"
        except Exception as exc:  # LOBPCG raises assorted LinAlgErrors on breakdown
            lobpcg = f"{type(exc).__name__}: {exc}"
        need = 3 * 8 * n * n
        avail = _validate.available_memory()
        if avail is not None and need > avail:
            raise EigensolverError(
                f"AddLaplacianPE: no eigensolver converged on a connected component of {n} nodes "
                f"(ARPACK: {arpack}; LOBPCG: {lobpcg}), and the dense fallback needs about "
                f"{_validate.format_bytes(need)} but {_validate.format_bytes(avail)} are available; "
                f"try a larger tol (now {self.tol}) or maxiter (now {self.maxiter}), or a smaller k (now {self.k})")
        warnings.warn(f"AddLaplacianPE: LOBPCG failed on a component of {n} nodes ({lobpcg}); using the dense "
                      f"solver (about {_validate.format_bytes(need)} of memory, O(n^3) time)", RuntimeWarning,
                      stacklevel=4)
        return self._dense(s, u, m)

    def __repr__(self) -> str:
        args = [f"k={self.k}"]
        defaults = dict(attr="lap_pe", dense_threshold=1000, eigval_attr=None, tol=1e-8, maxiter=None, seed=0)
        args += [f"{name}={getattr(self, name)!r}" for name, v in defaults.items() if getattr(self, name) != v]
        return f"{type(self).__name__}({', '.join(args)})"


# ----------------------------------------------------------------- random-walk PE


class AddRandomWalkPE(BaseTransform):
    r"""Sets ``data[attr]`` (default ``data.rw_pe``) to the random-walk encoding
    ``[N, walk_length]`` float32: column ``t - 1`` holds the probabilities that a
    walk of ``t`` steps started at each node is back there,

    .. math::
        \mathrm{PE}_{i, t-1} = \big[(D^{-1} W)^t\big]_{ii}, \quad t = 1, \dots,
        \mathrm{walk\_length}, \qquad D_{ii} = \textstyle\sum_j W_{ij},

    with ``W[s, t]`` the summed weights of the edges ``s -> t`` (a 1-D
    ``data.edge_weight``, else 1 per edge; repeated edges add up; self-loops are steps
    like any other). Walks follow the edge directions; PyG's undirected graphs store
    both. A node without outgoing weight has a zero row of :math:`D^{-1}W` and so a
    zero encoding. Weights only set the transition probabilities
    :math:`w_{ij} / \sum_l w_{il}` (computed after dividing each row by its largest
    weight, so no weight, however large or small, overflows or underflows a degree);
    every entry of the result lies in ``[0, 1]``. Weights must be finite and >= 0.

    Graphs of at most ``dense_threshold`` nodes use dense matrix powers (O(N^3) per
    step). Larger ones are computed exactly, ``walk_length`` sparse products
    (:func:`graphlearn.ops.spmm`) per block of columns of the identity: with
    :math:`X_0 = I_{:, B}`, :math:`X_t = P X_{t-1}` and :math:`\mathrm{PE}_{i, t-1} =
    (X_t)_{i, i}` for ``i`` in the block ``B``. Cost ``walk_length * nnz * N``
    multiply-adds in all; memory about ``3 * 8 * N * |B|`` bytes, with ``|B|`` as large
    as ``max_memory`` allows (at least 1).

    Args:
        walk_length: number of steps, >= 1.
        attr: the attribute to set.
        dense_threshold: largest graph (nodes) computed densely.
        max_memory: bytes the blocks of the sparse path may use.
        progress: show a tqdm bar over the sparse path's blocks.

    Every option is checked when the transform is built (TypeError / ValueError).
    ``forward`` raises ValueError for an empty graph, NaN/inf or negative weights.
    """

    def __init__(self, walk_length: int, attr: str = "rw_pe", *, dense_threshold: int = 256,
                 max_memory: int = 256 << 20, progress: bool = False):
        where = "AddRandomWalkPE"
        self.walk_length = _validate.integer(walk_length, f"{where}: walk_length", min=1)
        self.attr = _check_attr(attr, "attr", where)
        self.dense_threshold = _validate.integer(dense_threshold, f"{where}: dense_threshold", min=0)
        self.max_memory = _validate.integer(max_memory, f"{where}: max_memory", min=1)
        self.progress = _validate.flag(progress, f"{where}: progress")

    def forward(self, data: Any) -> Any:
        n = _num_nodes(data, "AddRandomWalkPE")
        w = _edge_weights(data, "AddRandomWalkPE")
        # rows are the sources: row s lists the targets of the edges s -> t
        adj = as_csr(data, edge_weight=w, flow="target_to_source", name="data")
        row, col = adj.row, adj.col.long()
        value = adj.value if adj.value is not None else torch.ones(adj.nnz, dtype=torch.float64, device=row.device)
        ones = torch.ones(n, 1, dtype=torch.float64, device=row.device)
        value = value.to(torch.float64)
        top = ops.spmm(adj.with_value(value), ones, "max").view(-1)  # largest weight per row (0: empty row)
        scaled = value / torch.where(top > 0, top, torch.ones_like(top)).index_select(0, row)  # in [0, 1]
        deg = ops.spmm(adj.with_value(scaled), ones).view(-1)
        deg_row = deg.index_select(0, row)
        prob = torch.where(deg_row > 0, scaled / torch.where(deg_row > 0, deg_row, torch.ones_like(deg_row)),
                           torch.zeros_like(scaled))
        if n <= self.dense_threshold:
            pe = self._dense(row, col, prob, n)
        else:
            pe = self._sparse(adj.with_value(prob), n)
        data[self.attr] = pe.to(torch.float32)
        return data

    def _dense(self, row: Tensor, col: Tensor, prob: Tensor, n: int) -> Tensor:
        p = torch.zeros(n, n, dtype=torch.float64, device=row.device).index_put_((row, col), prob, accumulate=True)
        out = torch.empty(n, self.walk_length, dtype=torch.float64, device=row.device)
        power = p
        out[:, 0] = power.diagonal()
        for t in range(1, self.walk_length):
            power = power @ p
            out[:, t] = power.diagonal()
        return out

    def _sparse(self, p, n: int) -> Tensor:
        from graphlearn import ops

        block = max(1, min(n, self.max_memory // (3 * 8 * n)))
        out = torch.empty(n, self.walk_length, dtype=torch.float64, device=p.device)
        blocks = (n + block - 1) // block
        with _io.progress(blocks * self.walk_length, "random-walk PE", "step", enabled=self.progress) as bar:
            for lo in range(0, n, block):
                hi = min(n, lo + block)
                nodes = torch.arange(lo, hi, device=p.device)
                cols = torch.arange(hi - lo, device=p.device)
                x = torch.zeros(n, hi - lo, dtype=torch.float64, device=p.device)
                x[nodes, cols] = 1.0
                for t in range(self.walk_length):
                    x = ops.spmm(p, x)
                    out[lo:hi, t] = x[nodes, cols]
                    bar.update()
        return out

    def __repr__(self) -> str:
        args = [f"walk_length={self.walk_length}"]
        defaults = dict(attr="rw_pe", dense_threshold=256, max_memory=256 << 20, progress=False)
        args += [f"{name}={getattr(self, name)!r}" for name, v in defaults.items() if getattr(self, name) != v]
        return f"{type(self).__name__}({', '.join(args)})"


# ----------------------------------------------------------------- random sign flip


def random_sign_flip(pe: Tensor, batch: Optional[Tensor] = None, generator: Optional[torch.Generator] = None,
                     *, num_graphs: Optional[int] = None) -> Tensor:
    r"""``pe`` with every column multiplied by a random sign, drawn independently for
    every graph of the batch: :math:`\mathrm{out}_{i,j} = s_{g(i), j}\, \mathrm{pe}_{i,j}`
    with :math:`s_{g,j} \in \{-1, +1\}` uniform and independent, :math:`g(i)` the graph
    of node ``i``.

    Call it at every training step (a new draw each time), not at preprocessing: an
    eigenvector's sign is arbitrary, and the model should not be able to rely on one.
    Use the same generator, seeded once by the caller per run (``torch.Generator().
    manual_seed(seed)``), for a reproducible run; None draws from torch's global
    generator of ``pe``'s device.

    Args:
        pe: ``[N, k]`` float tensor (e.g. ``batch.lap_pe``); zero (padding) columns
            stay zero. Differentiable.
        batch: ``[N]`` graph id of every node (PyG's ``batch.batch``); None: one graph.
        generator: where the signs come from (its own device, moved to ``pe``'s).
        num_graphs: the number of graphs (default ``batch.max() + 1``; pass it to avoid
            reading the batch vector back from a GPU).

    Returns:
        ``[N, k]``, same dtype and device as ``pe``.
    """
    where = "random_sign_flip"
    if not isinstance(pe, Tensor):
        raise TypeError(f"{where}: pe must be a torch.Tensor, got {type(pe).__name__}")
    if pe.dim() != 2:
        raise ValueError(f"{where}: pe must have shape [N, k], got {list(pe.shape)}")
    if not pe.dtype.is_floating_point:
        raise TypeError(f"{where}: pe must be a float tensor, got {pe.dtype}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"{where}: generator must be a torch.Generator or None, got {type(generator).__name__}")
    if batch is None:
        graphs = 1 if num_graphs is None else _validate.integer(num_graphs, f"{where}: num_graphs", min=1)
    else:
        if not isinstance(batch, Tensor) or batch.dtype.is_floating_point or batch.dtype == torch.bool \
                or batch.is_complex():
            raise TypeError(f"{where}: batch must be an integer tensor of graph ids, got "
                            f"{batch.dtype if isinstance(batch, Tensor) else type(batch).__name__}")
        if batch.dim() != 1 or batch.numel() != pe.size(0):
            raise ValueError(f"{where}: batch must have shape [{pe.size(0)}] (one graph id per row of pe), "
                             f"got {list(batch.shape)}")
        if num_graphs is not None:
            graphs = _validate.integer(num_graphs, f"{where}: num_graphs", min=1)
        else:
            graphs = int(batch.max()) + 1 if batch.numel() else 1
        if batch.numel() and (int(batch.min()) < 0 or (num_graphs is not None and int(batch.max()) >= graphs)):
            raise ValueError(f"{where}: batch holds graph ids outside [0, {graphs})")
    device = generator.device if generator is not None else pe.device
    bits = torch.randint(0, 2, (graphs, pe.size(1)), generator=generator, device=device)
    signs = (bits * 2 - 1).to(device=pe.device, dtype=pe.dtype)
    return pe * (signs[0] if batch is None else signs.index_select(0, batch.to(pe.device).long()))


class RandomSignFlip(nn.Module):
    """:func:`random_sign_flip` as a module: in training mode a new sign per graph
    and column at every call; in eval mode the identity (``pe`` returned as it is).

    Args:
        seed: seeds a generator owned by the module (a reproducible run: the draws
            follow from the seed and the number of calls); None uses torch's global
            generator. The generator's state is not part of ``state_dict``.

    Shapes: ``forward(pe [N, k], batch [N] or None) -> [N, k]``.
    """

    def __init__(self, seed: Optional[int] = None):
        super().__init__()
        self.seed = None if seed is None else _validate.seed(seed, "RandomSignFlip: seed")
        self.generator = None if seed is None else torch.Generator().manual_seed(self.seed)

    def forward(self, pe: Tensor, batch: Optional[Tensor] = None, num_graphs: Optional[int] = None) -> Tensor:
        if not self.training:
            return pe
        return random_sign_flip(pe, batch, self.generator, num_graphs=num_graphs)

    def extra_repr(self) -> str:
        return "" if self.seed is None else f"seed={self.seed}"


# ----------------------------------------------------------------- precompute and cache

_CACHE_KEY = "graphlearn-precompute"
_CACHE_VERSION = 1  # bump when the payload layout or a transform's results change


def _describe(obj: Any, depth: int = 0) -> str:
    """A stable text of a transform and its parameters (nested transforms, tensors by
    content), for the cache key. PyG's ``repr`` of a transform omits its parameters."""
    if depth > 12:
        return "..."
    if obj is None or isinstance(obj, (bool, int, float, str, bytes, torch.dtype, torch.device)):
        return repr(obj)
    if isinstance(obj, Tensor):
        return f"Tensor({obj.dtype},{list(obj.shape)},{_tensor_digest(obj)})"
    if isinstance(obj, np.ndarray):
        return _describe(torch.from_numpy(np.ascontiguousarray(obj)), depth)
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_describe(v, depth + 1) for v in obj) + "]"
    if isinstance(obj, dict):
        return "{" + ",".join(f"{k!r}:{_describe(v, depth + 1)}" for k, v in sorted(obj.items(), key=repr)) + "}"
    if isinstance(obj, torch.Generator):
        return f"Generator({_tensor_digest(obj.get_state())})"
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, type)):
        return f"{obj.__module__}.{obj.__qualname__}"
    cls = type(obj)
    state = getattr(obj, "__dict__", None)
    if state is None:
        return f"{cls.__module__}.{cls.__qualname__}:{obj!r}"
    items = ",".join(f"{k}={_describe(v, depth + 1)}" for k, v in sorted(state.items()))
    return f"{cls.__module__}.{cls.__qualname__}({items})"


def _tensor_digest(t: Tensor) -> str:
    h = hashlib.blake2b(digest_size=16)
    _hash_tensor(h, t)
    return h.hexdigest()


def _hash_tensor(h, t: Tensor) -> None:
    t = t.detach().cpu().contiguous()
    h.update(f"T{t.dtype}{list(t.shape)}|".encode())
    if t.numel():
        h.update(t.reshape(-1).view(torch.uint8).numpy().data)


def _hash_graph(h, g: Any) -> None:
    keys = sorted(g.keys()) if callable(getattr(g, "keys", None)) else []
    h.update(f"G{type(g).__qualname__}{len(keys)}|".encode())
    for key in keys:
        v = g[key]
        h.update(f"K{key}|".encode())
        if isinstance(v, Tensor):
            _hash_tensor(h, v)
        else:
            h.update(f"V{type(v).__qualname__}:{v!r}|".encode())


_SCALARS = (bool, int, float, str)


def _payload(inputs: List[Any], outputs: List[Any]) -> Optional[Dict[str, Any]]:
    """What the transform changed in every graph, as plain tensors/lists: ``attrs``
    (name -> per-graph values concatenated along dim 0 with their ``sizes``, or a
    ``list`` of per-graph values, None where absent) and ``removed`` (per graph, the
    names it deleted). None when a changed value cannot be stored (e.g. a CSR)."""
    changed: List[Dict[str, Any]] = []
    removed: List[List[str]] = []
    names: Dict[str, None] = {}
    for g, out in zip(inputs, outputs):
        diff = {k: v for k, v in out.items() if k not in g or v is not g[k]}
        for k, v in diff.items():
            if not (v is None or isinstance(v, Tensor) or isinstance(v, _SCALARS)):
                warnings.warn(f"precompute: cannot cache attribute {k!r} of type {type(v).__name__} (tensors and "
                              "numbers only); the result is not cached", RuntimeWarning, stacklevel=3)
                return None
            names.setdefault(k)
        changed.append(diff)
        removed.append(sorted(k for k in g.keys() if k not in out))
    attrs: Dict[str, Any] = {}
    for name in names:
        values = [d.get(name) for d in changed]
        tensors = [v for v in values if isinstance(v, Tensor)]
        if (len(tensors) == len(values) and all(v.dim() >= 1 for v in tensors)
                and len({(v.dtype, tuple(v.shape[1:])) for v in tensors}) == 1):
            attrs[name] = {"values": torch.cat([v.detach().cpu() for v in tensors]),
                           "sizes": torch.tensor([v.size(0) for v in tensors], dtype=torch.long)}
        else:
            attrs[name] = {"list": [v.detach().cpu() if isinstance(v, Tensor) else v for v in values]}
    return {"num_graphs": len(inputs), "attrs": attrs, "removed": removed}


def _apply_payload(inputs: List[Any], payload: Any) -> Optional[List[Any]]:
    """The graphs with the cached changes applied; None when the payload does not fit."""
    if not (isinstance(payload, dict) and payload.get("num_graphs") == len(inputs)
            and isinstance(payload.get("attrs"), dict) and isinstance(payload.get("removed"), list)
            and len(payload["removed"]) == len(inputs)):
        return None
    per_graph: Dict[str, List[Any]] = {}
    for name, entry in payload["attrs"].items():
        if isinstance(entry, dict) and isinstance(entry.get("values"), Tensor) and isinstance(entry.get("sizes"),
                                                                                            Tensor):
            sizes = entry["sizes"].tolist()
            if len(sizes) != len(inputs) or sum(sizes) != entry["values"].size(0):
                return None
            per_graph[name] = list(torch.split(entry["values"], sizes))
        elif isinstance(entry, dict) and isinstance(entry.get("list"), list) and len(entry["list"]) == len(inputs):
            per_graph[name] = entry["list"]
        else:
            return None
    outputs = []
    for i, g in enumerate(inputs):
        out = copy.copy(g)
        for name in payload["removed"][i]:
            if name in out:
                del out[name]
        for name, values in per_graph.items():
            if values[i] is not None:
                out[name] = values[i]
        outputs.append(out)
    return outputs


def _cache_file(cache_path: Any, key: str) -> str:
    path = os.fspath(cache_path)
    if os.path.isdir(path) or path.endswith(os.sep) or (os.altsep and path.endswith(os.altsep)):
        return os.path.join(path, f"precompute-{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}.pt")
    return path


def precompute(dataset: Any, transform: Callable[[Any], Any], cache_path: Optional[Any] = None, *,
               progress: bool = True) -> Any:
    """Applies ``transform`` to every graph of ``dataset`` once (a tqdm bar shows the
    progress), optionally caching the result on disk so that later runs load it.

    Args:
        dataset: a PyG ``Dataset`` (its graphs are read with ``dataset.get(i)`` for
            ``i`` in ``dataset.indices()``, i.e. *without* its own ``transform``,
            which the result keeps and applies on access as before), a list/tuple of
            ``Data``, or one ``Data``.
        transform: a callable ``Data -> Data`` (e.g. :class:`AddLaplacianPE`, or a
            PyG ``Compose``); it gets a shallow copy, so the input graphs are unchanged.
        cache_path: None (no cache), a file path, or a folder (an existing one, or a
            path ending in ``/``), in which the file is named after the transform's
            parameters so that several transforms keep their own caches (e.g.
            ``os.path.dirname(load_ogb(...).cache_path)``, beside the processed graphs).
        progress: show the progress bar.

    Returns:
        for an ``InMemoryDataset``, a copy of it (same class and attributes, e.g.
        ``get_idx_split()`` of an OGB dataset) holding the transformed graphs (for a
        subset, ``dataset[idx]``, the copy holds only those graphs, renumbered from 0,
        as PyG's ``InMemoryDataset.copy`` does); otherwise a list of ``Data``.

    The cache file holds only what the transform changed (new or replaced attributes
    and deleted names, as tensors, numbers and strings), written atomically (to a
    temporary file, then renamed; a failed write leaves no file and only warns) and
    read back with ``torch.load(weights_only=True)``. It is used only when its key
    matches: a digest of the transform (class and every parameter, recursively, so a
    changed ``k`` or a different transform recomputes), of graphlearn's version and of
    every input graph (every attribute's dtype, shape and bytes). A damaged file is
    recomputed with a warning (:mod:`graphlearn.datasets._cache` checks its checksum).
    A transform that produces attributes other than tensors and numbers (a CSR) is
    applied but not cached (with a warning).

    Raises:
        TypeError: ``transform`` is not callable, ``dataset`` is not a data set, or the
            transform returned something that is not a graph.
    """
    from torch_geometric.data import Data, Dataset, InMemoryDataset

    import graphlearn
    from graphlearn.datasets import _cache

    if not callable(transform):
        raise TypeError(f"precompute: transform must be callable (Data -> Data), got {type(transform).__name__}")
    progress = _validate.flag(progress, "precompute: progress")
    if isinstance(dataset, Data):
        dataset = [dataset]
    if isinstance(dataset, Dataset):
        inputs = [dataset.get(int(i)) for i in dataset.indices()]
    elif isinstance(dataset, (list, tuple)):
        inputs = list(dataset)
    else:
        raise TypeError(f"precompute: dataset must be a PyG Dataset, a list of Data or a Data, got "
                        f"{type(dataset).__name__}")
    for i, g in enumerate(inputs):
        if not hasattr(g, "keys") or not hasattr(g, "items"):
            raise TypeError(f"precompute: graph {i} is a {type(g).__name__}, not a PyG Data")
    name = type(transform).__name__
    path = key = digest = None
    outputs: Optional[List[Any]] = None
    if cache_path is not None:
        key = f"{_CACHE_KEY}-v{_CACHE_VERSION}|graphlearn {graphlearn.__version__}|{_describe(transform)}"
        path = _cache_file(cache_path, key)
        h = hashlib.blake2b(key.encode(), digest_size=16)
        h.update(f"|{len(inputs)}|".encode())
        for g in inputs:
            _hash_graph(h, g)
        digest = h.hexdigest()
        payload = _cache.read_cache(path, _CACHE_KEY, digest)
        if payload is not None:
            outputs = _apply_payload(inputs, payload)
    if outputs is None:
        outputs = []
        with _io.progress(len(inputs), f"precompute {name}", "graph", enabled=progress) as bar:
            for i, g in enumerate(inputs):
                out = transform(copy.copy(g))
                if not hasattr(out, "keys") or not hasattr(out, "items"):
                    raise TypeError(f"precompute: {name} returned a {type(out).__name__} for graph {i}, not a Data")
                outputs.append(out)
                bar.update()
        if path is not None:
            payload = _payload(inputs, outputs)
            if payload is not None:
                _cache.write_cache(path, _CACHE_KEY, digest, payload)
    if isinstance(dataset, InMemoryDataset):
        result = copy.copy(dataset)
        result._indices = None
        result._data_list = None
        result._data, result.slices = dataset.collate(outputs)
        return result
    return outputs
