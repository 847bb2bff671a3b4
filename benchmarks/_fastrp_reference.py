#!/usr/bin/env python
"""FastRP as the paper's reference code computes it, for benchmarks/embed.py.

Chen et al., "Fast and Accurate Network Embeddings via Very Sparse Random Projection"
(CIKM 2019), reference code GTmac/FastRP (fastrp.py). This module reimplements their
algorithm with the same libraries and the same sequence of operations; it does not
import torch or graphlearn, so it can run in a process of its own:

1. the edge list is read with ``pandas.read_csv`` and turned into a scipy
   ``csr_matrix`` A (undirected: A + A^T, entries set to 1; only nodes that occur in
   an edge get a row, in increasing id order, as ``graphlearn embed`` does);
2. M = D^-1 A (``scipy.sparse.spdiags`` of 1 / row sums, times A);
3. ``sklearn.random_projection.SparseRandomProjection(n_components=dim)`` is fitted
   on M (density 1 / sqrt(n)); its ``components_`` ([dim, n], sparse) are multiplied
   by ``spdiags(degree ** beta)``, and ``transform(M)`` gives U_1 = M D^beta R^T
   (a scipy sparse matrix, as scikit-learn returns for sparse input);
4. U_i = M U_{i-1} for i = 2..q (scipy sparse times sparse products; all powers are
   kept, as the reference code keeps its list);
5. every U_i is L2-normalised per row (``sklearn.preprocessing.normalize``), the
   weighted sum sum_i w_i U_i is formed densely, and ``sklearn.preprocessing.scale``
   standardises its columns. By default the powers are freed one by one as they are
   added and ``scale`` works in place (``--merge lean``); ``--merge list`` keeps the
   reference code's list of every normalised copy, which doubles the peak memory
   (measured on the 10M-edge power-law graph: 10.5 GB instead of 5.7 GB) without
   changing a number. The benchmark uses the lean merge, so as not to flatter our
   memory ratio.

One deviation: nodes of degree 0 cannot occur (every node is in an edge), but when
``degree ** beta`` would be infinite for some other reason it is set to 0 rather than
propagating inf / NaN.

Command line (writes float32 ``[n, dim]`` with ``np.save``, atomically, and prints one
JSON line with the phase timings on stdout)::

    python benchmarks/_fastrp_reference.py INPUT OUTPUT.npy --dim 128 --weights 0,0,1,6.67 --beta -0.64
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
import warnings
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize, scale
from sklearn.random_projection import SparseRandomProjection


def read_edge_list(path: str, sep: Optional[str] = None) -> Tuple[sp.csr_matrix, np.ndarray]:
    """Reads an integer edge list with pandas into a symmetric 0/1 scipy CSR matrix.

    Args:
        path: text file (plain or compressed, as pandas infers from the extension),
            two integer columns ``src dst`` (further columns are ignored); lines
            starting with ``#`` are comments.
        sep: column separator; None: tab if the first data line has one, else whitespace.

    Returns:
        ``(A, ids)``: ``A`` is ``[n, n]`` float64 CSR with A[i, j] = A[j, i] = 1 for
        every edge, ``ids`` the ``[n]`` original id of every row (increasing).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"edge list not found: {path}")
    if sep is None:
        sep = "\t" if _first_data_line(path).count("\t") else r"\s+"
    df = pd.read_csv(path, sep=sep, header=None, comment="#", usecols=[0, 1], names=["src", "dst"],
                     dtype=np.int64, engine="c")
    if len(df) == 0:
        raise ValueError(f"{path}: no edges")
    src, dst = df["src"].to_numpy(), df["dst"].to_numpy()
    del df
    if min(src.min(), dst.min()) < 0:
        raise ValueError(f"{path}: negative node ids")
    present = np.zeros(int(max(src.max(), dst.max())) + 1, dtype=bool)
    present[src] = True
    present[dst] = True
    rank = np.cumsum(present, dtype=np.int64) - 1
    ids = np.flatnonzero(present)
    n = ids.size
    src, dst = rank[src], rank[dst]
    del rank, present
    a = sp.csr_matrix((np.ones(src.size), (src, dst)), shape=(n, n))
    del src, dst
    a = a + a.T
    a.data[:] = 1.0
    return a, ids


def _first_data_line(path: str) -> str:
    """The first line that is not a comment (for the separator guess)."""
    import gzip

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                return line
    return ""


def fastrp_projection(a: sp.csr_matrix, q: int, dim: int, beta: float, seed: int,
                      timings: Dict[str, float]) -> List[sp.csr_matrix]:
    """Steps 2-4: ``[U_1, ..., U_q]`` with ``U_i = M^i D^beta R^T`` (scipy sparse, ``[n, dim]``)."""
    n = a.shape[0]
    t0 = time.perf_counter()
    degree = np.asarray(a.sum(axis=1)).ravel()
    with np.errstate(divide="ignore"):
        m = sp.spdiags(1.0 / degree, 0, n, n) @ a
    transformer = SparseRandomProjection(n_components=dim, random_state=seed)
    transformer.fit(m)
    with np.errstate(divide="ignore"):
        scale_by = np.power(degree, beta)
    scale_by[~np.isfinite(scale_by)] = 0.0
    transformer.components_ = transformer.components_ @ sp.spdiags(scale_by, 0, n, n)
    t1 = time.perf_counter()
    u = transformer.transform(m)
    powers = [u]
    for _ in range(2, q + 1):
        u = m @ u
        powers.append(u)
    timings["projection_s"] = t1 - t0
    timings["products_s"] = time.perf_counter() - t1
    timings["peak_mb_after_products"] = peak_rss_mb()
    return powers


def fastrp_merge(powers: List[sp.csr_matrix], weights: Sequence[float], lean: bool = True) -> np.ndarray:
    """Step 5: ``scale(sum_i w_i normalize(U_i))``, dense float64 ``[n, dim]``.

    ``lean`` (default): powers are taken off the list (freed) one at a time, normalised
    and added into one dense float64 sum, which is standardised in place: the same
    arithmetic with about half the peak memory. ``lean=False`` follows the reference
    code's data flow: a list of all normalised copies next to the powers, their weighted
    sum (sparse here), then a densified copy and ``scale``'s copy. Empties ``powers``."""
    if not lean:
        normalized = [normalize(u, norm="l2", axis=1) for u in powers]
        total = None
        for u, w in zip(normalized, weights):
            total = u * w if total is None else total + u * w
        del normalized
        powers.clear()
        return scale(total.toarray() if sp.issparse(total) else np.asarray(total))
    total = np.zeros(powers[0].shape, dtype=np.float64)
    block = 1 << 16  # rows densified at a time (no full-size dense temporary)
    for w in weights:
        u = normalize(powers.pop(0), norm="l2", axis=1, copy=False)  # in place: the power is not needed again
        if sp.issparse(u):
            u = u.tocsr()
            u.data *= w
            for lo in range(0, u.shape[0], block):
                total[lo:lo + block] += u[lo:lo + block].toarray()
        else:
            total += u * w
        del u
    return scale(total, copy=False)


def fastrp(a: sp.csr_matrix, dim: int, weights: Sequence[float], beta: float, seed: int = 42,
           timings: Optional[Dict[str, float]] = None, lean_merge: bool = True) -> np.ndarray:
    """FastRP embeddings of the symmetric adjacency ``a`` (``[n, n]``): ``[n, dim]`` float64.

    ``weights`` are w_1..w_q of the powers M^1..M^q; ``beta`` the degree exponent
    (the reference code's ``alpha``); ``seed`` the projection's ``random_state``;
    ``lean_merge`` see :func:`fastrp_merge`.
    ``timings`` (if given) receives projection_s, products_s and merge_s in seconds and
    the peak memory so far after the products and after the merge (MiB)."""
    timings = {} if timings is None else timings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)
        powers = fastrp_projection(a, len(weights), dim, beta, seed, timings)
        t0 = time.perf_counter()
        emb = fastrp_merge(powers, weights, lean_merge)
    timings["merge_s"] = time.perf_counter() - t0
    timings["peak_mb_after_merge"] = peak_rss_mb()
    return emb


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def _save_atomic(path: str, array: np.ndarray) -> None:
    """np.save to a temporary file next to ``path``, then rename it into place."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".ref.", suffix=".npy", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _weights(text: str) -> List[float]:
    try:
        values = [float(x) for x in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not values or not all(np.isfinite(values)):
        raise argparse.ArgumentTypeError(f"expected finite numbers, got {text!r}")
    return values


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Command line: read, embed, write; prints one JSON line with the timings."""
    t_start = time.perf_counter()
    p = argparse.ArgumentParser(description="FastRP as in the paper's reference code (scipy/scikit-learn)")
    p.add_argument("input", help="edge list text file (src dst per line; .gz allowed)")
    p.add_argument("output", help="output .npy file ([n, dim] float32)")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--weights", type=_weights, default=[0.0, 0.0, 1.0, 6.67], help="w_1..w_q")
    p.add_argument("--beta", type=float, default=-0.64, help="degree exponent (the code's alpha)")
    p.add_argument("--seed", type=int, default=42, help="random_state of SparseRandomProjection")
    p.add_argument("--merge", choices=("lean", "list"), default="lean",
                   help="weighted sum: dense accumulation freeing each power (lean, default) or the reference "
                        "code's list of all normalised copies (list: about twice the peak memory)")
    p.add_argument("--sep", default=None, help="separator (default: tab if present, else whitespace)")
    args = p.parse_args(argv)
    if args.dim < 1:
        p.error("--dim must be >= 1")
    t_ready = time.perf_counter()
    a, ids = read_edge_list(args.input, args.sep)
    t_read = time.perf_counter()
    timings: Dict[str, float] = {"peak_mb_after_read": peak_rss_mb()}
    emb = fastrp(a, args.dim, args.weights, args.beta, args.seed, timings, lean_merge=args.merge == "lean")
    t_fastrp = time.perf_counter()
    nodes, stored = a.shape[0], a.nnz
    del a
    _save_atomic(args.output, emb.astype(np.float32))
    t_end = time.perf_counter()
    print(json.dumps({"nodes": int(nodes), "stored_entries": int(stored), "dim": args.dim,
                      "startup_s": round(t_ready - t_start, 3), "read_s": round(t_read - t_ready, 3),
                      "fastrp_s": round(t_fastrp - t_read, 3),
                      **{k: round(v, 3) for k, v in timings.items()},
                      "write_s": round(t_end - t_fastrp, 3), "total_s": round(t_end - t_start, 3),
                      "peak_rss_mb": peak_rss_mb()}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
