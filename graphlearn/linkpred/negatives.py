r"""Negative samples for link-prediction evaluation: random and HeaRT hard negatives.

Node pairs are ``[2, P]`` tensors (PyG's ``edge_label_index`` layout) or ``(src, dst)``
tuples, parsed by :func:`graphlearn.sparse.as_pairs`; ``[P, 2]`` is rejected.

HeaRT (Li et al., NeurIPS 2023, "Evaluating Graph Neural Networks for Link Prediction:
Current Pitfalls and New Benchmarking") gives every positive ``(a, b)`` its own hard
negatives: ``num_neg // 2`` pairs ``(a, c)`` and ``num_neg // 2`` pairs ``(c, b)``, where
the candidates ``c`` of a node are the nodes ranked highest by several heuristics on the
training graph, combined by their best (minimum) rank. :func:`heart_negatives` follows
the reference procedure (``heart_negatives/create_heart_negatives.py`` in the HeaRT
repository) with these choices made explicit:

* heuristics, computed on the training graph: resource allocation (HeaRT's default
  ``cn_metric="RA"``), personalized PageRank (restart 0.15, HeaRT's ``alpha``) and,
  when node features are given, cosine feature similarity;
* per heuristic, candidates with a score > 0 are ranked from the best, equal scores
  sharing the *worst* of their positions (HeaRT's ``rankdata(method="min")`` reversed);
  scores are compared in float32, so values that differ only by summation order tie;
  candidates scoring 0 get rank ``max + 1``; existing edges, the node itself and the
  positive's other endpoint are never candidates;
* ranks are combined by their minimum (HeaRT's default ``--agg min``; ``"mean"`` too);
  equal combined ranks are ordered by the sum of the ranks, then by a seeded random
  order (HeaRT leaves this to ``torch.topk``);
* nodes that score 0 under every heuristic come last, in seeded random order (HeaRT
  draws them at random, with replacement; here without);
* PPR is computed exactly (power iteration to an L1 error of ``ppr_tol``) instead of
  HeaRT's Andersen push with ``eps=5e-5``, whose residual threshold scales with degree
  and leaves most PPR entries of dense graphs such as ogbl-ddi at 0;
* by default every known positive edge (``exclude``: the valid and test positives in
  :func:`graphlearn.linkpred.evaluate`) is masked too, not only the training edges, so
  no negative is a true edge (HeaRT masks the training graph only).

The candidates of a node do not depend on the positive (only the positive's other
endpoint is removed from them), so each distinct node is ranked once: scoring all
nodes for a batch of ``B`` sources is one sparse product
(:func:`graphlearn.ops.spmm` of the adjacency with a dense ``[N, B]`` block) for
resource allocation and a few for PPR; nothing ``N x N`` is ever formed.
"""
from __future__ import annotations

import warnings
from typing import Any, Iterable, List, Optional, Sequence

import torch
from torch import Tensor

from graphlearn import _io, _validate
from graphlearn.linkpred._utils import (batch_size_arg, batches, build_graph, cpu_pairs, generator_seed, node_count,
                                        pair_keys, seed_arg)

__all__ = ["random_negatives", "heart_negatives", "heart_pairs", "HEART_HEURISTICS"]

HEART_HEURISTICS = ("ra", "ppr", "feat")


def random_negatives(edges: Any, num_nodes: int, num: int, *, seed: int = 0, exclude: Optional[Iterable[Any]] = None,
                     undirected: bool = True, allow_self_loops: bool = False, max_rounds: int = 100) -> Tensor:
    """Uniformly random node pairs that are not edges, without repeats.

    Args:
        edges: the true edges of the *whole* graph (all splits), ``[2, E]`` (or ``(src, dst)``).
        num_nodes: number of nodes, an integer in ``[1, 3037000499]`` (pair keys
            ``u * N + v`` must fit in int64).
        num: number of negatives (an integer >= 0; 0 gives an empty ``[2, 0]``).
        seed: an integer in ``[0, 2**63 - 1]``; the same seed gives the same pairs (on
            any number of threads).
        exclude: further pair sets (``[2, M]`` tensors, None entries ignored) that must
            not be drawn, e.g. the negatives of another split.
        undirected: ``(u, v)`` and ``(v, u)`` are the same pair.
        allow_self_loops: whether ``(u, u)`` may be drawn.
        max_rounds: rejection-sampling rounds (>= 1) before giving up (ValueError).

    Returns:
        ``[2, num]`` int64 pairs (row 0 the sources, row 1 the targets), in the order drawn.
    """
    return _random_negatives(edges, num_nodes, num, generator_seed(seed_arg(seed)), exclude=exclude,
                             undirected=undirected, allow_self_loops=allow_self_loops, max_rounds=max_rounds)


def _random_negatives(edges: Any, num_nodes: int, num: int, gen_seed: int, *, exclude: Optional[Iterable[Any]] = None,
                      undirected: bool = True, allow_self_loops: bool = False, max_rounds: int = 100) -> Tensor:
    """:func:`random_negatives` with a generator seed in ``[0, 2**64)``: the callers that
    derive one seed per split or epoch from the user's (:func:`generator_seed`)."""
    num = _validate.integer(num, "num", min=0)
    n = node_count(num_nodes)
    max_rounds = _validate.integer(max_rounds, "max_rounds", min=1)
    src, dst = cpu_pairs(edges, n, name="edges")
    taken = [pair_keys(src, dst, n, undirected)]
    for i, ex in enumerate(exclude or ()):
        if ex is None:
            continue
        es, ed = cpu_pairs(ex, n, name=f"exclude[{i}]")
        taken.append(pair_keys(es, ed, n, undirected))
    taken_keys = torch.unique(torch.cat(taken))
    if not allow_self_loops:
        taken_keys = taken_keys[(taken_keys // n) != (taken_keys % n)]
    total = n * (n - 1) // 2 + (n if allow_self_loops else 0) if undirected else n * n - (0 if allow_self_loops else n)
    free = total - taken_keys.numel()
    if num > free:
        raise ValueError(f"cannot draw {num} distinct negatives: the graph with {n} nodes has only {free} node pairs "
                         f"that are not edges")
    if num == 0:
        return torch.empty(2, 0, dtype=torch.long)
    gen = torch.Generator().manual_seed(gen_seed)
    out_src: List[Tensor] = []
    out_dst: List[Tensor] = []
    got = 0
    seen = taken_keys
    for _ in range(max_rounds):
        if got >= num:
            break
        need = num - got
        density = 1.0 - free / max(total, 1)
        draw = int(need * (1.2 + 2 * density) / max(1e-3, 1 - density)) + 64
        u = torch.randint(0, n, (draw,), generator=gen)
        v = torch.randint(0, n, (draw,), generator=gen)
        ok = torch.ones(draw, dtype=torch.bool) if allow_self_loops else u != v
        u, v = u[ok], v[ok]
        keys = pair_keys(u, v, n, undirected)
        pos = torch.searchsorted(seen, keys).clamp_max(max(seen.numel() - 1, 0))
        fresh = ~(seen[pos] == keys) if seen.numel() else torch.ones_like(keys, dtype=torch.bool)
        u, v, keys = u[fresh], v[fresh], keys[fresh]
        # drop repeats within this draw, keeping the first occurrence
        uniq, inv = torch.unique(keys, return_inverse=True)
        first = torch.full((uniq.numel(),), keys.numel(), dtype=torch.long).scatter_reduce(
            0, inv, torch.arange(keys.numel()), "amin")
        keep = torch.zeros(keys.numel(), dtype=torch.bool)
        keep[first] = True
        u, v, keys = u[keep][:need], v[keep][:need], keys[keep][:need]
        out_src.append(u)
        out_dst.append(v)
        got += u.numel()
        seen = torch.sort(torch.cat([seen, keys])).values
    if got < num:
        raise ValueError(f"drew only {got} of {num} negatives in {max_rounds} rounds: the graph is too dense "
                         f"for rejection sampling")
    return torch.stack([torch.cat(out_src), torch.cat(out_dst)])


# ------------------------------------------------------------------------------ HeaRT


def _scatter_rows(adj, nodes: Tensor, values: Optional[Tensor], num_nodes: int, dtype=torch.float64) -> Tensor:
    """Dense ``[N, B]`` block whose column b is row ``nodes[b]`` of ``adj`` (values or ones)."""
    starts, ends = adj.rowptr[nodes].long(), adj.rowptr[nodes + 1].long()
    counts = ends - starts
    col_of = torch.repeat_interleave(torch.arange(nodes.numel()), counts)
    offs = torch.arange(int(counts.sum())) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
    entry = torch.repeat_interleave(starts, counts) + offs
    rows = adj.col[entry].long()
    out = torch.zeros(num_nodes, nodes.numel(), dtype=dtype)
    out[rows, col_of] = 1 if values is None else values[rows].to(dtype)
    return out


def _pessimistic_ranks(scores: Tensor, evidence: Tensor) -> Tensor:
    """Per row: rank of each evidence entry = #evidence entries with score >= it (1 = best);
    others get ``#evidence + 1`` (HeaRT's ``max + 1`` for zero scores)."""
    vals = torch.where(evidence, scores, torch.full_like(scores, float("-inf")))
    srt = torch.sort(vals, dim=1).values.contiguous()
    n = scores.size(1)
    count_ge = n - torch.searchsorted(srt, vals.contiguous(), right=False)
    num_ev = evidence.sum(1, keepdim=True)
    return torch.where(evidence, count_ge, num_ev + 1).to(torch.float64)


def _tie_keys(nodes: Tensor, num_nodes: int, seed: int) -> Tensor:
    """``[B, N]`` seeded random tie-break keys, independent of how nodes are batched."""
    gen = torch.Generator().manual_seed(int(seed))
    perm = torch.randperm(num_nodes, generator=gen)
    shift = torch.randperm(num_nodes, generator=gen)
    cols = torch.arange(num_nodes)
    return perm[(cols.view(1, -1) + shift[nodes].view(-1, 1)) % num_nodes]


def _sort_rows(order: Tensor, key: Tensor) -> Tensor:
    """Stable re-sort of each row's `order` by `key` (gathered in the current order)."""
    k = torch.gather(key, 1, order)
    return torch.gather(order, 1, torch.argsort(k, dim=1, stable=True))


def heart_pairs(pos: Any, candidates: Tensor, num_source: Optional[int] = None) -> Tensor:
    """Expands :func:`heart_negatives` output to pairs.

    Args:
        pos: ``[2, P]`` positives ``(a, b)`` (or ``(src, dst)``).
        candidates: ``[P, M]`` candidate nodes.
        num_source: how many leading columns replace the target (pairs ``(a, c)``),
            an integer in ``[0, M]``; the rest replace the source (pairs ``(c, b)``).
            Default ``M - M // 2``.

    Returns:
        ``[2, P, M]`` negative pairs: pair ``j`` of positive ``p`` is
        ``(out[0, p, j], out[1, p, j])``.
    """
    a, b = cpu_pairs(pos, name="pos")
    if not isinstance(candidates, Tensor) or candidates.dim() != 2 or candidates.size(0) != a.numel():
        raise ValueError(f"candidates must be a [{a.numel()}, M] tensor (one row per positive), got "
                         f"{list(getattr(candidates, 'shape', [])) or type(candidates).__name__}")
    if candidates.dtype.is_floating_point or candidates.is_complex() or candidates.dtype == torch.bool:
        raise TypeError(f"candidates must hold integer node ids, got {candidates.dtype}")
    candidates = candidates.to(a.device, torch.long)
    m = candidates.size(1)
    k = m - m // 2 if num_source is None else _validate.integer(num_source, "num_source", min=0, max=m)
    src = torch.cat([a.view(-1, 1).expand(-1, k), candidates[:, k:]], 1)
    dst = torch.cat([candidates[:, :k], b.view(-1, 1).expand(-1, m - k)], 1)
    return torch.stack([src, dst])


def heart_negatives(graph: Any, pos: Any, num_nodes: Optional[int] = None, *, num_neg: int = 500,
                    x: Optional[Tensor] = None, exclude: Optional[Sequence[Any]] = None,
                    heuristics: Optional[Sequence[str]] = None, agg: str = "min", ppr_alpha: float = 0.15,
                    ppr_tol: float = 1e-4, ppr_dtype: torch.dtype = torch.float32, seed: int = 0, batch_size: Optional[int] = None,
                    progress: bool = True) -> Tensor:
    """HeaRT hard negatives: for each positive ``(a, b)``, ``num_neg`` candidate nodes.

    See the module docstring for the procedure and where it differs from HeaRT's script.

    Args:
        graph: the training graph (CSR, PyG ``Data``, ``[2, E]`` edges or anything
            :func:`graphlearn.sparse.as_csr` accepts); the heuristics run on it and its
            edges are never negatives.
        pos: ``[2, P]`` (or ``(src, dst)``) positive edges of the split.
        num_nodes: number of nodes (default: from ``graph``).
        num_neg: candidates per positive, an integer >= 2 (HeaRT: 500);
            ``num_neg - num_neg // 2`` replace the target, ``num_neg // 2`` the source.
        x: optional ``[N, F]`` node features (adds cosine similarity, as HeaRT does for
            Cora/Citeseer/Pubmed).
        exclude: further true edges (``[2, E]`` tensors) that must not be negatives.
        heuristics: subset of ``("ra", "ppr", "feat")`` (default: all that apply).
        agg: ``"min"`` (HeaRT's default) or ``"mean"`` of the per-heuristic ranks.
        ppr_alpha, ppr_tol: PPR restart probability in ``(0, 1]`` and L1 error bound (> 0).
        ppr_dtype: float32 (default; half the memory traffic) or float64.
        seed: seeds the tie-breaking and the fill-in of zero-score nodes (an integer
            in ``[0, 2**63 - 1]``).
        batch_size: nodes ranked per batch, >= 1 (default: by memory, ``~2^23 / N``).
        progress: tqdm progress bar.

    Returns:
        ``[P, num_neg]`` int64 candidate nodes ``c``: columns ``[0, k)`` are negatives
        ``(a, c)`` and columns ``[k, num_neg)`` negatives ``(c, b)``, with
        ``k = num_neg - num_neg // 2``; :func:`heart_pairs` turns them into pairs.
        Within each half, candidates are ordered from the hardest.

    Raises:
        ValueError: bad arguments, ids out of range, or a node with no possible negative
            (connected to every other node). A node with fewer than ``k`` possible
            negatives repeats them (with a warning).
    """
    from graphlearn import ops
    from graphlearn.linkpred.heuristics import default_source_batch, ppr_columns, walk_matrix

    num_neg = _validate.integer(num_neg, "num_neg", min=2)
    agg = _validate.choice(agg, "agg", ("min", "mean"))
    ppr_alpha = _validate.real(ppr_alpha, "ppr_alpha", min=0, max=1, min_open=True)
    ppr_tol = _validate.real(ppr_tol, "ppr_tol", min=0, min_open=True)
    ppr_dtype = _validate.choice(ppr_dtype, "ppr_dtype", (torch.float32, torch.float64))
    seed = seed_arg(seed)
    batch_size = batch_size_arg(batch_size, optional=True)
    adj = build_graph(graph, node_count(num_nodes, optional=True), "graph")
    n = adj.num_rows
    a, b = cpu_pairs(pos, n, name="pos")
    _validate.check_memory(a.numel() * num_neg * 8 * 2, f"heart_negatives: {num_neg} candidates for each of the "
                           f"{a.numel()} positives", hint="lower num_neg")
    if heuristics is None:
        heuristics = ("ra", "ppr") + (("feat",) if x is not None else ())
    if isinstance(heuristics, str):
        raise TypeError(f"heuristics must be a sequence of names from {HEART_HEURISTICS}, e.g. ('ra', 'ppr'), got "
                        f"{heuristics!r}")
    heuristics = tuple(heuristics)
    for h in heuristics:
        if h not in HEART_HEURISTICS:
            raise ValueError(f"unknown HeaRT heuristic {h!r}; choose from {HEART_HEURISTICS}")
    if not heuristics:
        raise ValueError("heuristics must name at least one of ('ra', 'ppr', 'feat')")
    xn = None
    if "feat" in heuristics:
        if x is None:
            raise ValueError("heuristic 'feat' needs node features x")
        if not isinstance(x, Tensor):
            raise TypeError(f"x must be a [{n}, F] tensor of node features, got {type(x).__name__}")
        if x.dtype == torch.bool or x.is_complex():
            raise TypeError(f"x must hold real node features, got {x.dtype}")
        if x.dim() != 2 or x.size(0) != n:
            raise ValueError(f"x must be a [{n}, F] tensor, got {list(x.shape)}")
        finite = torch.isfinite(x)
        if not bool(finite.all()):
            i, j = (~finite).nonzero()[0].tolist()
            raise ValueError(f"x[{i}, {j}] = {x[i, j].item()} is not finite: node features must not be NaN or "
                             "infinite (the cosine similarity would rank every candidate of that node at random)")
        xn = torch.nn.functional.normalize(x.detach().to(torch.float64), dim=1)

    # the mask graph: training edges plus every excluded true edge
    mask_adj = adj
    extra = [e for e in (exclude or ()) if e is not None]
    if extra:
        parts = [torch.stack(cpu_pairs(e, n, name=f"exclude[{i}]")) for i, e in enumerate(extra)]
        row, col = adj.row.long(), adj.col.long()
        allp = torch.cat([torch.stack([row, col])] + parts, 1)
        mask_adj = build_graph(allp, n, "exclude")

    k_src, k_dst = num_neg - num_neg // 2, num_neg // 2
    width = max(k_src, k_dst) + 1  # one spare: the positive's other endpoint may be a candidate
    nodes = torch.unique(torch.cat([a, b]))
    deg = adj.degree().to(torch.float64)
    inv_deg = torch.where(deg > 0, 1.0 / deg.clamp_min(1), torch.zeros_like(deg))
    inv_deg32 = inv_deg.to(ppr_dtype)
    walk32 = walk_matrix(adj, inv_deg32)
    cand = torch.empty(nodes.numel(), min(width, n), dtype=torch.long)
    avail = torch.empty(nodes.numel(), dtype=torch.long)
    size = batch_size or max(1, default_source_batch(n, 1 << 22))
    with _io.progress(nodes.numel(), "HeaRT negatives", "pairs", enabled=progress) as bar:
        for lo, hi in batches(nodes.numel(), size):
            u = nodes[lo:hi]
            bsz = u.numel()
            masked = _scatter_rows(mask_adj, u, None, n, torch.bool).t().contiguous()
            masked[torch.arange(bsz), u] = True
            scores = []
            if "ra" in heuristics:
                scores.append(ops.spmm(adj, _scatter_rows(adj, u, inv_deg, n)).t())
            if "ppr" in heuristics:
                scores.append(ppr_columns(adj, u, ppr_alpha, ppr_tol, inv_degree=inv_deg32, dtype=ppr_dtype,
                                          walk_adj=walk32).t())
            if "feat" in heuristics:
                scores.append(xn[u] @ xn.t())
            rank_list = []
            any_evidence = torch.zeros(bsz, n, dtype=torch.bool)
            for s in scores:
                s = s.to(torch.float32)  # compare at float32 precision: sums equal up to rounding tie
                ev = (s > 0) & ~masked
                any_evidence |= ev
                rank_list.append(_pessimistic_ranks(s.contiguous(), ev))
            stacked = torch.stack(rank_list)
            combined = stacked.min(0).values if agg == "min" else stacked.mean(0)
            total = stacked.sum(0)
            category = torch.where(masked, 2, torch.where(any_evidence, 0, 1))
            order = torch.argsort(_tie_keys(u, n, seed), dim=1, stable=True)
            order = _sort_rows(order, total)
            order = _sort_rows(order, combined)
            order = _sort_rows(order, category)
            cand[lo:hi] = order[:, :cand.size(1)]
            avail[lo:hi] = n - masked.sum(1)
            bar.update(bsz)

    row_a = torch.searchsorted(nodes, a)
    row_b = torch.searchsorted(nodes, b)
    src_side = _take(cand[row_a], avail[row_a], b, k_src, a)
    dst_side = _take(cand[row_b], avail[row_b], a, k_dst, b)
    return torch.cat([src_side, dst_side], 1)


def _take(lists: Tensor, avail: Tensor, other: Tensor, k: int, owner: Tensor) -> Tensor:
    """First `k` valid candidates per row, skipping `other` (the positive's other endpoint)."""
    p, w = lists.shape
    valid = torch.arange(w).view(1, -1) < avail.view(-1, 1)
    keep = valid & (lists != other.view(-1, 1))
    front = torch.argsort((~keep).to(torch.int8), dim=1, stable=True)
    lists = torch.gather(lists, 1, front)
    count = keep.sum(1)
    if bool((count == 0).any()):
        i = int((count == 0).nonzero()[0])
        raise ValueError(f"node {int(owner[i])} is linked to every other node: it has no possible negative")
    if bool((count < k).any()):
        few = int((count < k).sum())
        warnings.warn(f"{few} positives have fewer than {k} possible negatives on one side; their candidates repeat",
                      stacklevel=3)
        cols = torch.arange(k).view(1, -1) % count.view(-1, 1)
        return torch.gather(lists, 1, cols)
    return lists[:, :k]
