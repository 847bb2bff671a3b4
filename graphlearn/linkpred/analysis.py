r"""Per-node analysis of link-prediction results: degree buckets and Topological Concentration.

Topological Concentration (TC; Wang et al., ICLR 2024, "A Topological Perspective on
Demystifying GNN-Based Link Prediction Performance") measures how much a node's
neighbourhood in the training graph overlaps with the neighbourhoods of the nodes it
links to in an evaluation split. For node i with evaluation neighbours
:math:`N^{e}_i` and :math:`H^k_v` the nodes exactly k hops from v in the training graph:

.. math::
    TC_i = \frac{1}{|N^{e}_i|} \sum_{j \in N^{e}_i} \sum_{k_1=1}^{K} \sum_{k_2=1}^{K}
           \beta^{k_1 + k_2 - 2} \frac{|H^{k_1}_i \cap H^{k_2}_j|}{g(H^{k_1}_i, H^{k_2}_j)}

with :math:`g` the union size (``normalize="union"``, each term a Jaccard index) or
:math:`|H^{k_1}_i|` (``"source"``, as in the authors' analysis code). The scalable
approximation (the paper's random-projection estimate) propagates Gaussian random
vectors :math:`R^0` with the mean-aggregation operator :math:`\tilde D^{-1}\tilde A`
(self-loops added), averages :math:`\bar R = \frac1K\sum_{k=1}^K R^k`, and takes
:math:`TC_i \approx \frac{1}{|N^{e}_i|}\sum_j \cos(\bar R_i, \bar R_j)`.

Bucketed reports (:func:`bucket_report`) average a per-node metric (e.g. the node's mean
Hits@K over its evaluation edges) within ranges of a node property (degree, TC).
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from torch import Tensor

from graphlearn import _io, _validate
from graphlearn.linkpred._utils import batch_size_arg, batches, build_graph, cpu_pairs, node_count, seed_arg

__all__ = ["node_average", "bucketize", "bucket_report", "topological_concentration",
           "approx_topological_concentration", "degree"]


def degree(graph: Any, num_nodes: int) -> Tensor:
    """``[N]`` int64 degrees of the (symmetrised, loop-free) graph."""
    return build_graph(graph, node_count(num_nodes)).degree()


def node_average(edges: Any, values: Tensor, num_nodes: int, endpoints: str = "both") -> Tensor:
    """Mean of a per-edge value over each node's edges.

    Args:
        edges: ``[2, P]`` (or ``(src, dst)``) evaluation edges.
        values: ``[P]`` per-edge values (e.g. 0/1 hits, reciprocal ranks).
        endpoints: ``"both"`` (an edge counts for both its nodes) or ``"source"``.

    Returns:
        ``[N]`` float64, NaN for nodes without edges.
    """
    num_nodes = node_count(num_nodes)
    endpoints = _validate.choice(endpoints, "endpoints", ("both", "source"))
    src, dst = cpu_pairs(edges, num_nodes, name="edges")
    values = _real_tensor(values, "values").reshape(-1)
    if values.numel() != src.numel():
        raise ValueError(f"values has {values.numel()} entries but there are {src.numel()} edges")
    _check_finite(values, "values")
    nodes = torch.cat([src, dst]) if endpoints == "both" else src
    vals = torch.cat([values, values]) if endpoints == "both" else values
    total = torch.zeros(num_nodes, dtype=torch.float64).index_add_(0, nodes, vals)
    count = torch.zeros(num_nodes, dtype=torch.float64).index_add_(0, nodes, torch.ones_like(vals))
    return torch.where(count > 0, total / count.clamp_min(1), torch.full_like(total, float("nan")))


def _real_tensor(values: Any, name: str) -> Tensor:
    """``values`` as a float64 CPU tensor (TypeError for anything that is not real numbers)."""
    if isinstance(values, Tensor):
        if values.dtype == torch.bool or values.is_complex():
            raise TypeError(f"{name} must hold real numbers, got {values.dtype}")
        return values.detach().to("cpu", torch.float64)
    try:
        out = torch.as_tensor(values, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be a tensor or array of numbers, got {type(values).__name__}") from exc
    return out


def _check_finite(values: Tensor, name: str) -> None:
    bad = ~torch.isfinite(values)
    if bool(bad.any()):
        i = int(bad.nonzero()[0])
        raise ValueError(f"{name}[{i}] = {values[i].item()} is not finite: per-edge values must not be NaN or "
                         "infinite (they would poison the mean of every node of that edge)")


def bucketize(values: Tensor, bins: Union[str, Sequence[float]] = "quantile", num_buckets: int = 5) -> Tensor:
    """Bucket edges for `values` (NaN ignored).

    Args:
        bins: explicit increasing edges (numbers, ``-inf``/``inf`` allowed, NaN not),
            ``"quantile"`` (``num_buckets`` equal-count buckets, an integer >= 1) or
            ``"log2"`` (0, 1, 2, 4, 8, ... up to the maximum; for degrees).

    Returns:
        ``[B + 1]`` float64 edges; bucket b is ``[edges[b], edges[b + 1])``, the last one closed.
    """
    v = _real_tensor(values, "values").reshape(-1)
    v = v[~torch.isnan(v)]
    if v.numel() == 0:
        raise ValueError("bucketize: no finite values")
    if isinstance(bins, str):
        bins = _validate.choice(bins, "bins", ("quantile", "log2"))
        if bins == "quantile":
            num_buckets = _validate.integer(num_buckets, "num_buckets", min=1)
            q = torch.quantile(v, torch.linspace(0, 1, num_buckets + 1, dtype=torch.float64))
            return torch.unique(q)
        if bins == "log2":
            top = float(v.max())
            if not math.isfinite(top):
                raise ValueError(f"bins='log2' needs finite values, got a maximum of {top}")
            edges = [0.0, 1.0]
            while edges[-1] <= top:
                edges.append(edges[-1] * 2)
            return torch.tensor(edges, dtype=torch.float64)
    edges = torch.tensor(_validate.reals(bins, "bins", finite=False), dtype=torch.float64)
    if edges.numel() < 2 or bool((edges[1:] <= edges[:-1]).any()):
        raise ValueError(f"bins must be at least two strictly increasing edges, got {list(bins)}")
    return edges


def bucket_report(node_metric: Dict[str, Tensor], node_property: Tensor, bins: Union[str, Sequence[float]] = "quantile",
                  num_buckets: int = 5, property_name: str = "degree") -> List[Dict[str, Any]]:
    """Averages per-node metrics within buckets of a node property.

    Args:
        node_metric: ``{"hits@20": [N] tensor, ...}`` per-node values (NaN = node not
            evaluated; see :func:`node_average`).
        node_property: ``[N]`` e.g. training degree or TC.
        bins, num_buckets: see :func:`bucketize` (computed over evaluated nodes).

    Returns:
        One dict per bucket: ``{"property", "low", "high", "nodes", <metric>: mean}``.
    """
    prop = _real_tensor(node_property, "node_property").reshape(-1)
    evaluated = torch.zeros_like(prop, dtype=torch.bool)
    for name, v in node_metric.items():
        if not isinstance(v, Tensor) or v.shape != prop.shape:
            raise ValueError(f"node_metric[{name!r}] must be a [{prop.numel()}] tensor (one value per node, like "
                             f"node_property), got {list(getattr(v, 'shape', [])) or type(v).__name__}")
        evaluated |= ~torch.isnan(v)
    nan_prop = evaluated & torch.isnan(prop)
    if bool(nan_prop.any()):
        i = int(nan_prop.nonzero()[0])
        raise ValueError(f"node_property[{i}] is NaN for an evaluated node: every node with a metric needs a "
                         "property value to be put in a bucket")
    edges = bucketize(prop[evaluated], bins, num_buckets)
    rows = []
    nb = edges.numel() - 1
    for i in range(max(nb, 1)):
        lo, hi = float(edges[i]), float(edges[min(i + 1, edges.numel() - 1)])
        if nb == 0:
            inb = evaluated & (prop == lo)
        elif i == nb - 1:
            inb = evaluated & (prop >= lo) & (prop <= hi)
        else:
            inb = evaluated & (prop >= lo) & (prop < hi)
        row: Dict[str, Any] = {"property": property_name, "low": lo, "high": hi, "nodes": int(inb.sum())}
        for name, v in node_metric.items():
            sel = v[inb]
            sel = sel[~torch.isnan(sel)]
            row[name] = float(sel.mean()) if sel.numel() else float("nan")
        rows.append(row)
    return rows


# ---------------------------------------------------------------------- Topological Concentration


def _eval_neighbours(edges: Any, num_nodes: int):
    src, dst = cpu_pairs(edges, num_nodes, name="edges")
    keep = src != dst
    s = torch.cat([src[keep], dst[keep]])
    d = torch.cat([dst[keep], src[keep]])
    keys = torch.unique(s * num_nodes + d)  # each (i, j) once, both directions
    return keys // num_nodes, keys % num_nodes


def _hop_sets(adj, roots: Tensor, k: int):
    """For each hop 1..min(k, farthest), a CSR [R, N] whose row r lists the nodes exactly
    that many hops from roots[r] (hops beyond the farthest node reached are empty for
    every root and are left out)."""
    from graphlearn import ops
    from graphlearn.sparse import CSR

    root_index, node, dist = ops.khop_distances(adj, roots, k, sparse=True)
    farthest = int(dist.max()) if dist.numel() else 0
    out = []
    for hop in range(1, min(k, farthest) + 1):
        m = dist == hop
        ri, nd = root_index[m], node[m]
        counts = torch.bincount(ri, minlength=roots.numel())
        rowptr = torch.zeros(roots.numel() + 1, dtype=torch.long)
        rowptr[1:] = torch.cumsum(counts, 0)
        out.append(CSR(rowptr, nd.long(), None, num_cols=adj.num_rows, validate=False, sorted=True))
    return out


def _pair_intersections(a, b, ra: Tensor, rb: Tensor) -> Tensor:
    """|row ra[p] of a  &  row rb[p] of b| for CSRs with the same columns (via common_neighbors)."""
    from graphlearn import ops
    from graphlearn.sparse import CSR

    n_cols = a.num_cols
    size = max(a.num_rows + b.num_rows, n_cols)
    rowptr = torch.cat([a.rowptr, a.rowptr[-1] + b.rowptr[1:],
                        torch.full((size - a.num_rows - b.num_rows,), int(a.rowptr[-1] + b.rowptr[-1]))])
    col = torch.cat([a.col, b.col])
    both = CSR(rowptr, col, None, num_cols=size, validate=False, sorted=True)
    return ops.common_neighbors(both, (ra, rb + a.num_rows)).to(torch.float64)


def _decay(beta: float, power: int) -> float:
    try:
        return beta ** power
    except OverflowError:
        raise ValueError(f"beta ** {power} overflows float64 (beta = {beta}): lower beta or k") from None


def topological_concentration(graph: Any, edges: Any, num_nodes: int, k: int = 1, beta: Optional[float] = None,
                              normalize: str = "union", batch_size: int = 20000,
                              progress: bool = False) -> Tensor:
    r"""Exact Topological Concentration of every node (see the module docstring).

    Args:
        graph: the training graph (CSR, ``Data``, ``[2, E]`` edges).
        edges: ``[2, P]`` (or ``(src, dst)``) evaluation edges (``N^e`` of both endpoints).
        num_nodes: number of nodes.
        k: number of hops ``K`` (an integer >= 1; hops beyond the farthest node add
            nothing and cost nothing).
        beta: hop decay, a finite number > 0 (default: ``1 / mean degree``, as in the
            authors' code; unused for k=1).
        normalize: ``"union"`` or ``"source"``.
        batch_size: (node, neighbour) pairs per batch (>= 1).

    Returns:
        ``[N]`` float64; NaN for nodes without evaluation edges.
    """
    k = _validate.integer(k, "k", min=1)
    normalize = _validate.choice(normalize, "normalize", ("union", "source"))
    batch_size = batch_size_arg(batch_size)
    num_nodes = node_count(num_nodes)
    if beta is not None:
        beta = _validate.real(beta, "beta", min=0, min_open=True)
    adj = build_graph(graph, num_nodes)
    if beta is None:
        mean_deg = adj.nnz / max(1, num_nodes)
        beta = 1.0 / mean_deg if mean_deg > 0 else 1.0
    i_all, j_all = _eval_neighbours(edges, num_nodes)
    value = torch.zeros(i_all.numel(), dtype=torch.float64)
    with _io.progress(i_all.numel(), "TC", "pairs", enabled=progress) as bar:
        for lo, hi in batches(i_all.numel(), batch_size):
            i, j = i_all[lo:hi], j_all[lo:hi]
            roots, inv = torch.unique(torch.cat([i, j]), return_inverse=True)
            ri, rj = inv[: i.numel()], inv[i.numel():]
            hops = _hop_sets(adj, roots, k)  # only the hops that reach a node: the terms of empty ones are 0
            sizes = [h.degree().to(torch.float64) for h in hops]
            total = torch.zeros(i.numel(), dtype=torch.float64)
            for k1 in range(len(hops)):
                for k2 in range(len(hops)):
                    inter = _pair_intersections(hops[k1], hops[k2], ri, rj)
                    if normalize == "union":
                        denom = sizes[k1][ri] + sizes[k2][rj] - inter
                    else:
                        denom = sizes[k1][ri]
                    term = torch.where(denom > 0, inter / denom.clamp_min(1e-300), torch.zeros_like(inter))
                    total += _decay(beta, k1 + k2) * term
            value[lo:hi] = total
            bar.update(hi - lo)
    return node_average((i_all, j_all), value, num_nodes, endpoints="source")


def approx_topological_concentration(graph: Any, edges: Any, num_nodes: int, k: int = 1, dim: int = 64,
                                     seed: int = 0) -> Tensor:
    r"""Random-projection estimate of Topological Concentration (see the module docstring).

    ``k`` propagation steps of ``dim`` Gaussian vectors with :func:`graphlearn.ops.spmm`
    (mean over neighbours and self), so the cost is ``O(k * nnz * dim)``. ``graph`` and
    ``edges`` as in :func:`topological_concentration`; ``k`` and ``dim`` are integers
    >= 1, ``seed`` an integer in ``[0, 2**63 - 1]``.

    Returns:
        ``[N]`` float64 mean cosine similarity to the evaluation neighbours (NaN for
        nodes without evaluation edges).
    """
    from graphlearn import ops
    from graphlearn.sparse import CSR

    k = _validate.integer(k, "k", min=1)
    dim = _validate.integer(dim, "dim", min=1)
    seed = seed_arg(seed)
    num_nodes = node_count(num_nodes)
    _validate.check_memory(num_nodes * dim * 8 * 3, f"approx_topological_concentration: {dim} random vectors for "
                           f"{num_nodes} nodes", hint="lower dim")
    adj = build_graph(graph, num_nodes)
    row, col = adj.row.long(), adj.col.long()
    loops = torch.arange(num_nodes)
    prop = CSR.from_edge_index(torch.stack([torch.cat([row, loops]), torch.cat([col, loops])]), num_nodes)
    gen = torch.Generator().manual_seed(seed)
    r = torch.randn(num_nodes, dim, generator=gen, dtype=torch.float64) / math.sqrt(dim)
    acc = torch.zeros_like(r)
    for _ in range(k):
        r = ops.spmm(prop, r, reduce="mean")
        acc += r
    acc /= k
    i, j = _eval_neighbours(edges, num_nodes)
    cos = torch.nn.functional.cosine_similarity(acc[i], acc[j], dim=1, eps=1e-12)
    return node_average((i, j), cos, num_nodes, endpoints="source")
