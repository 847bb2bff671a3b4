#!/usr/bin/env python
"""Times graphlearn.linkpred against plain scipy code written the way users write it.

Sections (on ogbl-ddi, or a synthetic power-law graph with --quick):

  1. heuristic scores of every valid/test pair (positives and OGB's negatives):
     graphlearn's scorers (common-neighbour kernel, batched SpMM for PPR/Katz) vs scipy:
     ``A[src].multiply(A[dst]).sum(1)`` (SEAL/HeaRT style) for CN/AA/RA/Jaccard, degree
     products for PA, ``A @ A`` powers for truncated Katz, and a scipy power iteration
     ``X <- alpha E + (1 - alpha) A D^-1 X`` on the same blocks of sources for PPR;
  2. HeaRT hard negatives (500 per positive) for the valid positives: graphlearn's
     ``heart_negatives`` (each node ranked once, batched SpMM) vs the reference recipe
     (precompute ``A D^-1 A`` with scipy and a dense PPR matrix by inverting
     ``I - (1 - alpha) A D^-1``, then per positive: rank both rows with
     ``scipy.stats.rankdata``, combine by minimum, take the top 250 per side). The
     per-positive loop is timed on ``--baseline-positives`` positives and extrapolated
     (marked ``*``); both run on that subset too and their candidate sets are compared.

Scores are checked against each other before timing is reported (max abs difference).
Prints one table per section and ends with one JSON line.

    python benchmarks/linkpred.py --quick        # synthetic graph, well under a minute
    python benchmarks/linkpred.py                # ogbl-ddi (several minutes on 2 cores)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from typing import Callable, Dict, List

import numpy as np
import scipy.sparse as sp
import torch
from scipy.stats import rankdata

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from graphlearn.datasets import default_root, power_law_graph  # noqa: E402
from graphlearn.linkpred import get_heuristic, heart_negatives, random_edge_split  # noqa: E402
from graphlearn.linkpred._utils import build_graph  # noqa: E402
from graphlearn.linkpred.heuristics import canonical_name  # noqa: E402
from graphlearn.linkpred.splits import ogb_split  # noqa: E402

HEURISTICS = ("common_neighbors", "adamic_adar", "resource_allocation", "jaccard", "preferential_attachment",
              "ppr", "katz")
ALPHA, BETA, KATZ_L = 0.15, 0.005, 3


def timed(fn: Callable, runs: int):
    """(median seconds, last result)."""
    times, out = [], None
    for _ in range(max(1, runs)):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


# ------------------------------------------------------------------------- scipy baselines


def scipy_adj(train: torch.Tensor, n: int) -> sp.csr_matrix:
    """Symmetric 0/1 adjacency of ``[2, E]`` training edges."""
    s, d = train.numpy()
    A = sp.coo_matrix((np.ones(2 * len(s)), (np.r_[s, d], np.r_[d, s])), shape=(n, n)).tocsr()
    A.data[:] = 1.0  # duplicates merged
    A.setdiag(0)
    A.eliminate_zeros()
    return A


def scipy_heuristic(name: str, A: sp.csr_matrix, src: np.ndarray, dst: np.ndarray, batch: int = 50000) -> np.ndarray:
    deg = np.asarray(A.sum(1)).ravel()
    if name == "preferential_attachment":
        return deg[src] * deg[dst]
    if name == "katz":
        A2 = A @ A
        A3 = A2 @ A
        K = BETA * A + BETA ** 2 * A2 + BETA ** 3 * A3
        return np.asarray(K[src, dst]).ravel()
    if name == "ppr":
        out = np.empty(len(src))
        inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
        W = A @ sp.diags(inv)
        uniq, invs = np.unique(src, return_inverse=True)
        n = A.shape[0]
        for lo in range(0, len(uniq), 1024):
            u = uniq[lo:lo + 1024]
            E = np.zeros((n, len(u)))
            E[u, np.arange(len(u))] = 1
            X = E.copy()
            for _ in range(1000):
                Xn = ALPHA * E + (1 - ALPHA) * (W @ X)
                delta = np.abs(Xn - X).sum(0).max()
                X = Xn
                if delta <= ALPHA * 1e-6:
                    break
            sel = (invs >= lo) & (invs < lo + len(u))
            out[sel] = X[dst[sel], invs[sel] - lo]
        return out
    out = np.empty(len(src))
    w = None
    if name == "adamic_adar":
        w = np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
    elif name == "resource_allocation":
        w = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
    for lo in range(0, len(src), batch):
        s, d = src[lo:lo + batch], dst[lo:lo + batch]
        prod = A[s].multiply(A[d])
        if w is None:
            cn = np.asarray(prod.sum(1)).ravel()
            if name == "jaccard":
                union = deg[s] + deg[d] - cn
                cn = np.divide(cn, union, out=np.zeros_like(cn), where=union > 0)
            out[lo:lo + batch] = cn
        else:
            out[lo:lo + batch] = np.asarray(prod @ w).ravel()
    return out


def heart_reference_precompute(A: sp.csr_matrix):
    """RA matrix (sparse) and a dense PPR matrix (row s = PPR from s), as the reference recipe needs."""
    n = A.shape[0]
    deg = np.asarray(A.sum(1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    RA = (A @ sp.diags(inv) @ A).tocsr()
    M = np.eye(n) - (1 - ALPHA) * (A @ sp.diags(inv)).toarray()
    PPR = (ALPHA * np.linalg.inv(M)).T  # column s of the solution is PPR from s
    return RA, np.ascontiguousarray(PPR)


def heart_reference_edges(A, RA, PPR, pos: np.ndarray, k: int) -> np.ndarray:
    """Per-positive HeaRT ranking (HeaRT's create_heart_negatives loop, RA + PPR, min aggregation)
    of ``[2, P]`` positives; ``[P, 2k]`` candidates."""
    n = A.shape[0]

    def ranks(row):
        out = row.copy()
        good = row > 0
        if good.any():
            r = rankdata(row[good], method="min")
            r = r.max() - r + 1
            mx = r.max()
        else:
            r, mx = [], 0
        out[good] = r
        out[row == 0] = mx + 1
        out[row < 0] = mx + 2
        return out

    def side(u, other):
        mask = np.zeros(n, bool)
        mask[A.indices[A.indptr[u]:A.indptr[u + 1]]] = True
        mask[u] = mask[other] = True
        ra = RA[u].toarray().ravel()
        pp = PPR[u].copy()
        ra[mask], pp[mask] = -1, -1
        comb = np.minimum(ranks(ra), ranks(pp))
        return np.argsort(comb, kind="stable")[:k]

    out = np.empty((pos.shape[1], 2 * k), dtype=np.int64)
    for i, (a, b) in enumerate(zip(pos[0].tolist(), pos[1].tolist())):
        out[i, :k] = side(a, b)
        out[i, k:] = side(b, a)
    return out


# ------------------------------------------------------------------------------------- main


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=None, help="data folder (default $GRAPHLEARN_DATA or ../shared/datasets)")
    p.add_argument("--runs", type=int, default=1, help="timed repeats (median reported)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="small synthetic graph (smoke test)")
    p.add_argument("--baseline-positives", type=int, default=300,
                   help="positives the per-positive HeaRT reference loop is timed on (then extrapolated)")
    p.add_argument("--heuristics", nargs="+", default=list(HEURISTICS))
    p.add_argument("--skip-heart", action="store_true")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    args.heuristics = [canonical_name(h) for h in args.heuristics]
    torch.manual_seed(args.seed)

    if args.quick:
        n = 600
        split = random_edge_split(power_law_graph(n, 5000, seed=args.seed), n, seed=args.seed, name="synthetic")
        baseline_pos = min(args.baseline_positives, 30)
        num_neg = 60
    else:
        root = args.root or default_root()
        split = ogb_split("ogbl-ddi", root=os.path.join(root, "ogbl_ddi") if os.path.isdir(
            os.path.join(root, "ogbl_ddi")) else root)
        baseline_pos = args.baseline_positives
        num_neg = 500
    n = split.num_nodes
    pairs = torch.cat([split.valid_pos, split.valid_neg, split.test_pos, split.test_neg], 1)  # [2, P]
    src, dst = pairs[0].numpy().copy(), pairs[1].numpy().copy()
    print(f"graph {split.name}: {n} nodes, {split.train_pos.size(1)} training edges; scoring {pairs.size(1)} pairs; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    A = scipy_adj(split.train_pos, n)
    results: Dict[str, Dict[str, float]] = {}
    rows: List[List[str]] = []
    train_adj = build_graph(split.train_pos, n)  # both sides get their adjacency prebuilt
    for name in args.heuristics:
        t_gl, s_gl = timed(lambda: get_heuristic(name, train_adj, n)(pairs), args.runs)
        t_sp, s_sp = timed(lambda: scipy_heuristic(name, A, src, dst), args.runs)
        s_gl = s_gl.numpy()
        diff = float(np.max(np.abs(s_gl - s_sp)) / max(1.0, float(np.max(np.abs(s_sp)))))
        results[name] = {"graphlearn_s": round(t_gl, 4), "scipy_s": round(t_sp, 4), "ratio": round(t_sp / t_gl, 2),
                         "max_rel_diff": diff}
        rows.append([name, f"{t_gl:.3f}", f"{t_sp:.3f}", f"{t_sp / t_gl:.1f}x", f"{diff:.1e}"])
        print(f"  {name}: graphlearn {t_gl:.3f}s, scipy {t_sp:.3f}s", flush=True)
    head = ["heuristic (all valid+test pairs)", "graphlearn s", "scipy s", "speedup", "max rel diff"]
    _table(head, rows)

    heart = {}
    if not args.skip_heart:
        pos = split.valid_pos
        sub = pos[:, :baseline_pos]
        k = num_neg // 2
        exclude = []  # the reference masks the training graph only; so does this comparison
        t_gl_full, neg_full = timed(lambda: heart_negatives(split.train_pos, pos, n, num_neg=num_neg, exclude=exclude,
                                                            seed=args.seed, progress=False), args.runs)
        t_gl_sub, neg_sub = timed(lambda: heart_negatives(split.train_pos, sub, n, num_neg=num_neg, heuristics=(
            "ra", "ppr"), exclude=exclude, seed=args.seed, progress=False), args.runs)
        t_pre, (RA, PPR) = timed(lambda: heart_reference_precompute(A), 1)
        t_loop, ref_sub = timed(lambda: heart_reference_edges(A, RA, PPR, sub.numpy(), k), 1)
        per_pos = t_loop / max(1, sub.size(1))
        t_ref_full = t_pre + per_pos * pos.size(1)
        overlap = []
        got = neg_sub.numpy()
        for i in range(sub.size(1)):
            for lo, hi in ((0, k), (k, 2 * k)):
                a, b = set(got[i, lo:hi].tolist()), set(ref_sub[i, lo:hi].tolist())
                overlap.append(len(a & b) / max(1, len(a | b)))
        heart = {"positives": pos.size(1), "num_neg": num_neg, "graphlearn_s": round(t_gl_full, 3),
                 "reference_s_extrapolated": round(t_ref_full, 3), "reference_precompute_s": round(t_pre, 3),
                 "reference_per_positive_ms": round(1000 * per_pos, 3), "ratio": round(t_ref_full / t_gl_full, 2),
                 "subset_positives": sub.size(1), "graphlearn_subset_s": round(t_gl_sub, 3),
                 "reference_subset_s": round(t_pre + t_loop, 3),
                 "candidate_jaccard_vs_reference": round(float(np.mean(overlap)), 4)}
        _table(["HeaRT negatives", "graphlearn s", "reference s", "speedup", "candidate overlap"], [
            [f"valid, {pos.size(1)} positives x {num_neg}", f"{t_gl_full:.2f}", f"{t_ref_full:.2f}*",
             f"{t_ref_full / t_gl_full:.1f}x", ""],
            [f"subset, {sub.size(1)} positives", f"{t_gl_sub:.2f}", f"{t_pre + t_loop:.2f}",
             f"{(t_pre + t_loop) / t_gl_sub:.1f}x", f"{np.mean(overlap):.3f}"]])
        print(f"* reference = precompute {t_pre:.2f}s + {1000 * per_pos:.2f} ms per positive (timed on "
              f"{sub.size(1)} positives) x {pos.size(1)}")
    print(json.dumps({"dataset": split.name, "num_nodes": n, "pairs": pairs.size(1), "threads": torch.get_num_threads(),
                      "seed": args.seed, "runs": args.runs, "heuristics": results, "heart": heart}))
    return 0


def _table(head: List[str], rows: List[List[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print()
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths)))


if __name__ == "__main__":
    sys.exit(main())
