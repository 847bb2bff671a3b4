#!/usr/bin/env python
"""Times graphlearn's subgraph GNN pipeline (SubgraphPolicy, subgraph_structure,
SubgraphGNN) against a pure-PyTorch re-implementation of the approach of the official
SSWL code (Zhang et al., ICML 2023; ``benchmarks/_subgraph_reference.py``), side by
side in one process, on the same graphs.

Contenders:

  graphlearn  ``SubgraphPolicy('distance')`` applied once per graph (the compiled k-hop
              kernel; its one-time cost reported apart), then per epoch PyG ``DataLoader``
              collation plus ``subgraph_structure(batch)``; the model is
              ``graphlearn.nn.SubgraphGNN`` (SpMM over the pair-level CSR, segment sums
              per subgraph: nothing of size n^3).
  reference   the official layout: on every access of a graph (a dataset ``transform``,
              so every epoch again) dense Floyd-Warshall on the [n, n] adjacency, all n^2
              pairs, capped distance labels, the pair-level local index for every root and
              edge (n * E entries), the n^3 index tensors of the global aggregations --
              the preset's own and the ``uG`` one the official model pools through -- and
              PyG collation with offsets (``PairData.__inc__``); the model
              ``ReferenceSubgraphGNN`` is SubgraphGNN's architecture with gather +
              ``index_add_`` over those indices, loaded with graphlearn's weights.
              "reference, scatter pooling" is a leaner variant that pools with a scatter
              over the pairs' roots instead of the official uG index (for sswl+ it then
              holds nothing of size n^3).

Measured:

  1. data pipeline per epoch (median of ``--runs`` epochs after a one-batch warm-up) on
     ``--graphs`` counting graphs (``graphlearn.datasets.counting_dataset``) and on
     ogbg-molesol when it is under ``--root`` (else that row is skipped, with a note);
     the peak RSS above the start of each phase; graphlearn's one-time transform.
  2. forward + backward (L1 loss against the counts, no optimiser step) per epoch of the
     first ``--fb-graphs`` counting graphs in batches of ``--batch-size``, presets
     "sswl+" (local aggregations only) and "gswl" (uses vG), ``--hidden`` wide,
     ``--layers`` layers; peak RSS above the setup (batches built) per contender. Before
     anything is timed both models are checked to compute the same outputs and
     parameter gradients in float64 (every preset; the run stops, exit 1, if not).
  3. scale: ``SubgraphPolicy('ego', k)`` on a ``--scale-nodes``-node random undirected
     graph of average degree ``--scale-degree``, k in ``--scale-hops``: pairs kept,
     pair-level edges, transform time and peak, one forward + backward of
     ``SubgraphGNN(preset="sswl+", hidden=--scale-hidden, layers=--scale-layers)``
     (after a warm-up pass on the k = 1 graph) and its peak. A k whose extrapolated need
     exceeds ``--max-memory-gb`` (or 80% of the available memory) is skipped with the
     estimate. What the reference's all-pairs layout would need on that graph is
     computed arithmetically, never run.

Ratios: reference / graphlearn for time (target >= 10x for the pipeline, reported, never
asserted), graphlearn / reference for memory.

    python benchmarks/subgraph.py --quick     # tiny sizes, smoke test (seconds)
    python benchmarks/subgraph.py             # defaults (a few minutes on 2 cores)

Runs on ``--threads`` threads (default 1: steadier ratios on a shared machine). Prints
one table per part and ends with exactly one JSON line.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)  # benchmark this checkout
sys.path.insert(0, HERE)  # the shared _bench helpers and the reference

import torch  # noqa: E402
from torch import Tensor, nn  # noqa: E402

import graphlearn  # noqa: E402
from _bench import peak_mb, print_table, reset_peak, rss_mb  # noqa: E402
from _bench import fmt_ratio as _fx, fmt_seconds as _fs, fmt_mib as _fm  # noqa: E402
from _subgraph_reference import (GLOBAL, LOCAL, ReferenceSubgraphGNN, ReferenceSubgraphTransform,  # noqa: E402
                                 TransformedList)
from graphlearn import ops  # noqa: E402
from graphlearn.datasets import counting_dataset, default_root, random_graph  # noqa: E402
from graphlearn.nn import SubgraphGNN  # noqa: E402
from graphlearn.nn.models.subgraph_gnn import PRESETS  # noqa: E402
from graphlearn.transforms import SubgraphPolicy, precompute, subgraph_structure  # noqa: E402

warnings.filterwarnings("ignore", message=".*[Ss]parse CSR tensor support is in beta.*")

TARGETS = {"pipeline": 10.0}
CHECK_TOL = 1e-9  # float64: max |difference| <= CHECK_TOL * max(1, max |value|)
FB_PRESETS = ("sswl+", "gswl")
# the reference pipelines of part 1: (label, aggregations, pooling index)
PIPELINE_REFERENCES = (
    ("sswl+", PRESETS["sswl+"][0], "vs"),
    ("gswl", PRESETS["gswl"][0], "vs"),
    ("sswl+, no pooling index", PRESETS["sswl+"][0], None),
)
QUICK = dict(graphs=40, min_nodes=6, max_nodes=14, batch_size=16, fb_graphs=32, hidden=16, layers=2,
             molesol_graphs=48, scale_nodes=400, scale_hops="1,2", scale_hidden=16, runs=1)


def progress(msg: str) -> None:
    """Progress on stderr (stdout carries the tables and the final JSON line)."""
    print(f"[subgraph.py] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- data


def counting_graphs(args: argparse.Namespace) -> list:
    return counting_dataset(args.graphs, min_nodes=args.min_nodes, max_nodes=args.max_nodes, seed=args.seed,
                            progress=False)


def molesol_graphs(args: argparse.Namespace) -> Optional[list]:
    """ogbg-molesol's molecules (``--molesol-graphs`` of them when set), or None when absent."""
    from graphlearn.datasets import load_ogb

    try:
        ds = load_ogb("ogbg-molesol", args.root)
    except FileNotFoundError:
        return None
    count = len(ds) if args.molesol_graphs is None else min(len(ds), args.molesol_graphs)
    return [ds[i] for i in range(count)]


def undirected_random_graph(n: int, avg_degree: float, seed: int) -> Tensor:
    """A uniform random simple graph on ``n`` nodes with ``n * avg_degree / 2`` edges
    (no self-loops, no repeats), both directions: ``[2, n * avg_degree]``."""
    m = int(round(n * avg_degree / 2))
    g = torch.Generator().manual_seed(seed)
    keys = torch.zeros(0, dtype=torch.long)
    draw = int(m * 1.05) + 16
    while keys.numel() < m:
        e = torch.randint(0, n, (2, draw), generator=g)
        e = e[:, e[0] != e[1]]
        lo, hi = torch.minimum(e[0], e[1]), torch.maximum(e[0], e[1])
        keys = torch.unique(torch.cat([keys, lo * n + hi]))
        draw *= 2
    keys = keys[torch.randperm(keys.numel(), generator=g)[:m]].sort().values
    und = torch.stack([keys // n, keys % n])
    return torch.cat([und, und.flip(0)], 1)


def graph_sizes(graphs: Sequence[Any]) -> Dict[str, Any]:
    ns = [int(d.num_nodes) for d in graphs]
    es = [int(d.edge_index.size(1)) for d in graphs]
    return {"graphs": len(ns), "min_nodes": min(ns), "max_nodes": max(ns), "mean_nodes": round(sum(ns) / len(ns), 2),
            "edges": sum(es), "sum_n2": sum(n * n for n in ns), "sum_n3": sum(n ** 3 for n in ns),
            "sum_nE": sum(n * e for n, e in zip(ns, es))}


# ----------------------------------------------------------------------------- measuring


def _settle() -> None:
    """Frees what Python and the C allocator hold but do not use, before a phase's
    baseline is read: freed heap pages kept by glibc would otherwise count in the
    baseline and be reused unseen by the phase (both contenders share this process)."""
    gc.collect()
    try:
        import ctypes
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def measure(fn: Callable[[], Any], runs: int, warmup: Optional[Callable[[], Any]] = None) -> Dict[str, Any]:
    """Median seconds of ``runs`` calls of ``fn`` after one call of ``warmup`` (untimed),
    and the peak RSS above the RSS before the timed calls, MiB."""
    if warmup is not None:
        warmup()
    _settle()
    reset_peak()
    base = rss_mb()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"s": round(statistics.median(times), 5), "runs_s": [round(t, 5) for t in times],
            "peak_above_start_mb": round(max(0.0, peak_mb() - base), 1)}


def once(fn: Callable[[], Any]) -> Tuple[Any, float, float]:
    """``(result, seconds, peak RSS above the start in MiB)`` of one call."""
    _settle()
    reset_peak()
    base = rss_mb()
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, max(0.0, peak_mb() - base)


def loader(dataset, batch_size: int):
    from torch_geometric.loader import DataLoader

    return DataLoader(dataset, batch_size=batch_size, shuffle=False)


def _mem_ratio(ours: float, theirs: float) -> Optional[float]:
    """graphlearn / reference peak memory; None when the reference's is under 1 MiB (noise)."""
    return None if theirs < 1.0 else round(ours / theirs, 3)


def _gib(b: float) -> str:
    return f"{b / 2 ** 30:.1f} GiB"


# ----------------------------------------------------------------------------- agreement check


def _local_keys_graphlearn(d) -> Tensor:
    p = int(d.sub_sizes[0, 0])
    dst = torch.repeat_interleave(torch.arange(p), d.sub_pair_attr[:, 2])
    return torch.sort(d.sub_local[:, 0] * p + dst).values


def _local_keys_reference(r) -> Tensor:
    p = int(r.n_pairs)
    dst, src = r.index_uL
    return torch.sort(src * p + dst).values


def check_data(graphs: Sequence[Any], max_distance: int) -> Dict[str, Any]:
    """graphlearn's SubgraphPolicy('distance') and the reference transform on the same
    graphs: the same pairs in the same order (root-major), the same labels, the same
    multiset of local pair-level edges."""
    policy = SubgraphPolicy("distance", max_distance=max_distance)
    ref = ReferenceSubgraphTransform(("uL",), max_distance=max_distance, pool=None)
    bad_labels = bad_edges = bad_pairs = 0
    for d in graphs:
        a, r = policy(d.clone()), ref(d)
        n = int(d.num_nodes)
        bad_pairs += int(not torch.equal(a.sub_pair_index, torch.stack([r.pair_root, r.pair_node])))
        bad_labels += int(not torch.equal(a.sub_pair_attr[:, 0], r.d))
        bad_edges += int(not torch.equal(_local_keys_graphlearn(a), _local_keys_reference(r)))
        assert a.sub_pair_index.size(1) == n * n
    return {"graphs": len(graphs), "pairs_differ": bad_pairs, "labels_differ": bad_labels,
            "local_edges_differ": bad_edges, "passed": bad_pairs == bad_labels == bad_edges == 0}


def _messy_graph(seed: int):
    """A small symmetric graph with a hub, repeated edges, self-loops and isolated nodes."""
    from torch_geometric.data import Data

    ei = random_graph(14, 24, seed=seed)
    ei = torch.cat([ei, ei.flip(0)], 1)
    return Data(x=torch.zeros(14, 1), edge_index=ei, y=torch.zeros(1, 6), num_nodes=14)


def check_models(graphs: Sequence[Any], args: argparse.Namespace) -> Dict[str, Any]:
    """Every preset: a graphlearn SubgraphGNN and the reference with its weights on one
    float64 batch (train mode: batch statistics), outputs and parameter gradients of a
    fixed linear loss; both pooling layouts of the reference."""
    graphs = list(graphs) + [_messy_graph(args.seed)]
    policy = SubgraphPolicy("distance")
    bg = next(iter(loader([policy(d.clone()) for d in graphs], len(graphs))))
    bg.x = bg.x.double()
    checks, ok = [], True
    for preset, (aggs, pool) in PRESETS.items():
        br = next(iter(loader(TransformedList(graphs, ReferenceSubgraphTransform(aggs, pool=pool)), len(graphs))))
        br.x = br.x.double()
        torch.manual_seed(args.seed)
        gl = SubgraphGNN(1, 16, 3, 6, preset=preset).double()
        entry = {"preset": preset}
        for layout in ("global", "scatter"):
            ref = ReferenceSubgraphGNN.from_graphlearn(gl, pool_layout=layout)
            if args.perturb_reference:  # hidden flag: shows that the check can fail
                with torch.no_grad():
                    ref.convs[0].mlps[aggs[0]][0].weight.add_(1e-3)
            res = []
            for m, b in ((gl, bg), (ref, br)):
                m.zero_grad()
                out = m(b)
                w = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)
                (out * w).sum().backward()
                res.append((out.detach(), {k: p.grad.detach().clone() for k, p in m.named_parameters()
                                           if p.grad is not None}))
            (oa, ga), (ob, gb) = res
            out_diff, out_scale = float((oa - ob).abs().max()), float(oa.abs().max())
            grad_scale = max(float(g.abs().max()) for g in ga.values())
            grad_diff = float("inf") if set(ga) != set(gb) else max(float((ga[k] - gb[k]).abs().max()) for k in ga)
            passed = (out_diff <= CHECK_TOL * max(1.0, out_scale) and grad_diff <= CHECK_TOL * max(1.0, grad_scale))
            entry[layout] = {"max_abs_output_diff": out_diff, "max_abs_output": out_scale,
                             "max_abs_grad_diff": grad_diff, "max_abs_grad": grad_scale, "params_with_grad": len(ga),
                             "passed": passed}
            ok = ok and passed
        checks.append(entry)
    return {"passed": ok, "graphs": len(graphs), "pairs": int(bg.sub_pair_index.size(1)), "tolerance": CHECK_TOL,
            "checks": checks}


def check_agreement(args: argparse.Namespace, counting: list, molesol: Optional[list]) -> Dict[str, Any]:
    data = {"counting": check_data(counting[:16], 8)}
    if molesol:
        data["molesol"] = check_data(molesol[:16], 8)
    models = check_models(counting[:8], args)
    for name, r in data.items():
        print(f"  agreement data {name}: {r['graphs']} graphs, pairs / labels / local edges differing on "
              f"{r['pairs_differ']} / {r['labels_differ']} / {r['local_edges_differ']} graphs"
              f" -> {'ok' if r['passed'] else 'DISAGREE'}", flush=True)
    worst_out = max(c[lay]["max_abs_output_diff"] for c in models["checks"] for lay in ("global", "scatter"))
    worst_grad = max(c[lay]["max_abs_grad_diff"] for c in models["checks"] for lay in ("global", "scatter"))
    for c in models["checks"]:
        g = c["global"]
        print(f"  agreement model {c['preset']:8s} float64 on {models['graphs']} graphs ({models['pairs']} pairs): "
              f"max |output diff| {g['max_abs_output_diff']:.1e} (max |output| {g['max_abs_output']:.1f}), "
              f"max |grad diff| {g['max_abs_grad_diff']:.1e} (max |grad| {g['max_abs_grad']:.1e}); scatter pooling "
              f"{c['scatter']['max_abs_output_diff']:.1e} / {c['scatter']['max_abs_grad_diff']:.1e}"
              f" -> {'ok' if c['global']['passed'] and c['scatter']['passed'] else 'DISAGREE'}", flush=True)
    passed = models["passed"] and all(r["passed"] for r in data.values())
    return {"passed": passed, "perturbed_reference": bool(args.perturb_reference), "data": data, "model": models,
            "max_abs_output_diff": worst_out, "max_abs_grad_diff": worst_grad}


# ----------------------------------------------------------------------------- part 1: pipeline


def pipeline_case(graphs: list, args: argparse.Namespace) -> Dict[str, Any]:
    """graphlearn's one-time transform and per-epoch collation + structure, and each
    reference pipeline's per-epoch transform + collation."""
    B = args.batch_size
    pre, t_once, peak_once = once(lambda: precompute(graphs, SubgraphPolicy("distance"), progress=False))
    num_pairs = sum(int(d.sub_sizes[0, 0]) for d in pre)
    num_local = sum(int(d.sub_sizes[0, 1]) for d in pre)

    def gl_epoch():
        for b in loader(pre, B):
            subgraph_structure(b)

    def gl_warm():
        for b in loader(pre[:B], B):
            subgraph_structure(b)

    out: Dict[str, Any] = {"sizes": graph_sizes(graphs), "batch_size": B,
                           "graphlearn": {"one_time_s": round(t_once, 4), "one_time_peak_mb": round(peak_once, 1),
                                          "pairs": num_pairs, "local_pair_edges": num_local,
                                          "epoch": measure(gl_epoch, args.runs, gl_warm)},
                           "reference": {}}
    for label, aggs, pool in PIPELINE_REFERENCES:
        tr = ReferenceSubgraphTransform(aggs, pool=pool)
        ds = TransformedList(graphs, tr)

        def ref_epoch(ds=ds):
            for _ in loader(ds, B):
                pass

        def ref_warm(tr=tr):
            for _ in loader(TransformedList(graphs[:B], tr), B):
                pass

        res = measure(ref_epoch, args.runs, ref_warm)
        sz = out["sizes"]
        res["indices"] = list(tr.indices)
        res["index_entries_per_epoch"] = sum(
            (sz["sum_nE"] if a in LOCAL else sz["sum_n3"] if a in GLOBAL else sz["sum_n2"]) for a in tr.indices)
        res["speedup"] = round(res["s"] / max(out["graphlearn"]["epoch"]["s"], 1e-12), 3)
        saved = res["s"] - out["graphlearn"]["epoch"]["s"]
        res["break_even_epochs"] = round(t_once / saved, 2) if saved > 0 else None
        out["reference"][label] = res
    return out


# ----------------------------------------------------------------------------- part 2: forward + backward


def _fb_epoch(model: nn.Module, batches: Sequence[Any]) -> float:
    loss = 0.0
    for b in batches:
        lo = (model(b) - b.y).abs().mean()
        lo.backward()
        model.zero_grad(set_to_none=True)
        loss = float(lo.detach())
        del lo
    return loss


def fb_case(preset: str, gl_batches: list, graphs: list, args: argparse.Namespace) -> Dict[str, Any]:
    aggs, pool = PRESETS[preset]
    ref_batches = list(loader(TransformedList(graphs, ReferenceSubgraphTransform(aggs, pool=pool)), args.batch_size))
    torch.manual_seed(args.seed)
    gl = SubgraphGNN(1, args.hidden, args.layers, 6, preset=preset).train()
    contenders = {"graphlearn": (gl, gl_batches),
                  "reference": (ReferenceSubgraphGNN.from_graphlearn(gl), ref_batches)}
    if preset == "sswl+":
        contenders["reference_scatter_pool"] = (ReferenceSubgraphGNN.from_graphlearn(gl, "scatter"), ref_batches)
    first_out: Dict[str, Tensor] = {}
    out: Dict[str, Any] = {"aggregations": list(aggs), "pool": pool, "batches": len(gl_batches),
                           "graphs": len(graphs), "hidden": args.hidden, "layers": args.layers,
                           "params": sum(p.numel() for p in gl.parameters())}
    gc.collect()
    for who, (model, batches) in contenders.items():
        progress(f"forward+backward {preset} {who}")
        with torch.no_grad():  # the same weights give the same function (float32)
            first_out[who] = model(batches[0])
        _fb_epoch(model, batches[:1])  # warm-up
        res = measure(lambda: _fb_epoch(model, batches), args.runs)
        res["rss_setup_mb"] = round(rss_mb(), 1)
        out[who] = res
    for who in contenders:
        if who != "graphlearn":
            out[who]["speedup"] = round(out[who]["s"] / max(out["graphlearn"]["s"], 1e-12), 3)
            out[who]["memory_ratio"] = _mem_ratio(out["graphlearn"]["peak_above_start_mb"],
                                                  out[who]["peak_above_start_mb"])
            out[who]["first_batch_max_abs_output_diff"] = float((first_out[who] - first_out["graphlearn"]).abs().max())
    out["first_batch_max_abs_output"] = float(first_out["graphlearn"].abs().max())
    del ref_batches, contenders
    gc.collect()
    return out


# ----------------------------------------------------------------------------- part 3: scale


def scale_case(args: argparse.Namespace, budget: int) -> Dict[str, Any]:
    from torch_geometric.data import Data

    n = args.scale_nodes
    ei = undirected_random_graph(n, args.scale_degree, args.seed)
    E = int(ei.size(1))
    H, L = args.scale_hidden, args.scale_layers
    out: Dict[str, Any] = {"nodes": n, "edges": E, "avg_degree": round(E / n, 3), "hidden": H, "layers": L,
                           "preset": "sswl+", "hops": {}}
    last_fb: Optional[Dict[str, Any]] = None  # the last k whose forward + backward ran
    pairs_seen: List[int] = []
    transform_bytes_per_pair = 0.0
    warmed = False
    for k in args.scale_hops:
        progress(f"scale: ego k={k}")
        res: Dict[str, Any] = {"k": k}
        if pairs_seen:  # the pairs grow about geometrically with k: extrapolate the transform's need
            growth = pairs_seen[-1] / pairs_seen[-2] if len(pairs_seen) >= 2 else E / n + 1
            est_pairs = pairs_seen[-1] * max(growth, 1.0)
            est = transform_bytes_per_pair * est_pairs * 1.25
            if est > budget:
                res["skipped"] = (f"the transform would need about {_gib(est)} (about {est_pairs:,.0f} pairs, "
                                  f"extrapolated); the budget is {_gib(budget)}")
                out["hops"][str(k)] = res
                continue
        raw = Data(x=torch.ones(n, 1), edge_index=ei, y=torch.zeros(1, 1), num_nodes=n)
        data, t_tr, peak_tr = once(lambda: SubgraphPolicy("ego", k=k)(raw))
        P, Q = int(data.sub_sizes[0, 0]), int(data.sub_sizes[0, 1])
        res.update(pairs=P, local_pair_edges=Q, pairs_per_node=round(P / n, 2), transform_s=round(t_tr, 4),
                   transform_peak_mb=round(peak_tr, 1))
        pairs_seen.append(P)
        transform_bytes_per_pair = max(transform_bytes_per_pair, peak_tr * 2 ** 20 / max(P, 1))
        torch.manual_seed(args.seed)
        model = SubgraphGNN(1, H, L, 1, preset="sswl+").train()
        if last_fb is not None:  # memory linear in pairs + pair-level edges: extrapolate from the last run
            per = last_fb["fb_peak_mb"] * 2 ** 20 / max(last_fb["pairs"] + last_fb["local_pair_edges"], 1)
            est = per * (P + Q) * 1.25
            res["fb_estimate_gib"] = round(est / 2 ** 30, 2)
            if est > budget:
                res["fb_skipped"] = (f"would need about {_gib(est)} (extrapolated from k={last_fb['k']}); the "
                                     f"budget is {_gib(budget)} (--max-memory-gb, or 80% of the available memory)")
        if "fb_skipped" not in res:
            if not warmed:
                _fb_epoch(model, [data])
                warmed = True
            fb = measure(lambda: _fb_epoch(model, [data]), args.scale_runs)
            res.update(fb_s=fb["s"], fb_runs_s=fb["runs_s"], fb_peak_mb=fb["peak_above_start_mb"],
                       fb_bytes_per_pair=round(fb["peak_above_start_mb"] * 2 ** 20 / max(P, 1), 1))
            last_fb = res
        out["hops"][str(k)] = res
        raw = data = model = None  # freed before the next k
        gc.collect()
    # the reference's all-pairs layout on this graph, by arithmetic only
    # bytes per pair of the largest k that ran (the least fixed overhead per pair)
    bpp = next((h["fb_bytes_per_pair"] for h in reversed(list(out["hops"].values())) if h.get("fb_bytes_per_pair")),
               None)
    out["all_pairs_layout"] = {
        "pairs": n * n, "local_pair_edges_per_local_aggregation": n * E, "global_index_entries": n ** 3,
        "floyd_warshall_relaxations": n ** 3,
        "distance_matrix_bytes": n * n * 4,
        "pair_features_bytes_per_tensor": n * n * H * 4,
        "local_index_bytes_per_aggregation": 2 * n * E * 8,
        "global_index_bytes_per_aggregation": 2 * n ** 3 * 8,
        "sswl+_official_index_bytes": 2 * (2 * n * E + n ** 3) * 8 + n * n * 8,  # uL, vL, uG pooling; vv gather
        "activation_bytes_at_graphlearn_bytes_per_pair": None if bpp is None else round(bpp * n * n),
    }
    return out


# ----------------------------------------------------------------------------- printing


def _fb(b: Optional[float]) -> str:
    if b is None:
        return "-"
    for unit, scale in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20)):
        if b >= scale:
            return f"{b / scale:,.1f} {unit}"
    return f"{b / 1024:,.1f} KiB"


def print_pipeline(results: Dict[str, Any], args: argparse.Namespace, molesol_note: Optional[str]) -> None:
    header = ["data set", "measure", "graphlearn", "reference", "ratio", "target", "met"]
    rows = []
    for name, r in results.items():
        s = r["sizes"]
        label = f"{name} ({s['graphs']} graphs, {s['min_nodes']}-{s['max_nodes']} nodes)"
        g = r["graphlearn"]
        rows.append([label, "one-time SubgraphPolicy('distance')", _fs(g["one_time_s"]), "(none: per epoch)", "", "",
                     ""])
        rows.append([label, "  peak above start, one-time", _fm(g["one_time_peak_mb"]), "", "", "", ""])
        for ref_label, ref in r["reference"].items():
            met = ref["speedup"] >= TARGETS["pipeline"]
            rows.append([label, f"per epoch, vs reference {ref_label} [{','.join(ref['indices'])}]",
                         _fs(g["epoch"]["s"]), _fs(ref["s"]), _fx(ref["speedup"]),
                         f">= {TARGETS['pipeline']:g}x", "yes" if met else "no"])
            rows.append([label, "  peak above start, epoch", _fm(g["epoch"]["peak_above_start_mb"]),
                         _fm(ref["peak_above_start_mb"]),
                         _fx(_mem_ratio(g["epoch"]["peak_above_start_mb"], ref["peak_above_start_mb"])), "", ""])
            rows.append([label, "  epochs until the one-time cost is repaid",
                         "-" if ref["break_even_epochs"] is None else f"{ref['break_even_epochs']:.2f}", "", "", "",
                         ""])
    notes = [f"batches of {args.batch_size} graphs, PyG DataLoader (no workers, no shuffle); median of {args.runs} "
             "epochs after a one-batch warm-up; time ratio = reference / graphlearn, memory ratio = graphlearn / "
             "reference",
             "graphlearn per epoch: collation + subgraph_structure(batch); reference per epoch: its transform on "
             "every graph (Floyd-Warshall, all pairs, labels, indices) + collation",
             "[...] = the indices the reference builds: the preset's aggregations plus uG, through which the official "
             "model pools (the last row omits it: no n^3 index for sswl+)"]
    for name, r in results.items():
        s = r["sizes"]
        notes.append(f"{name}: {s['sum_n2']:,} pairs, {r['graphlearn']['local_pair_edges']:,} local pair-level edges "
                     f"(graphlearn holds these once); reference per epoch: sum n^3 = {s['sum_n3']:,} entries per "
                     f"global index, sum n*E = {s['sum_nE']:,} per local one")
    if molesol_note:
        notes.append(molesol_note)
    print_table("Data pipeline per epoch: graphlearn vs the official all-pairs layout", header, rows, notes)


def print_fb(results: Dict[str, Any], args: argparse.Namespace) -> None:
    header = ["preset", "measure", "graphlearn", "reference", "ratio", "reference layout"]
    rows = []
    for preset, r in results.items():
        g = r["graphlearn"]
        for who, lay in (("reference", "official (uG pooling index)"), ("reference_scatter_pool", "scatter pooling")):
            if who not in r:
                continue
            ref = r[who]
            rows.append([preset, f"fwd+bwd per epoch ({r['batches']} batches)", _fs(g["s"]), _fs(ref["s"]),
                         _fx(ref["speedup"]), lay])
            rows.append([preset, "  peak above setup", _fm(g["peak_above_start_mb"]), _fm(ref["peak_above_start_mb"]),
                         _fx(ref["memory_ratio"]), lay])
    first = next(iter(results.values()))
    notes = [f"{first['graphs']} counting graphs in batches of {args.batch_size}; SubgraphGNN(hidden={args.hidden}, "
             f"layers={args.layers}) and the reference with its weights (float32); L1 loss against the counts, no "
             f"optimiser step; median of {args.runs} epochs after a one-batch warm-up; time ratio = reference / "
             "graphlearn, memory ratio = graphlearn / reference",
             "graphlearn's forward includes subgraph_structure(batch) (SubgraphGNN.forward computes it)"]
    for preset, r in results.items():
        diffs = ", ".join(f"{w} {r[w]['first_batch_max_abs_output_diff']:.1e}" for w in r
                          if w.startswith("reference"))
        notes.append(f"{preset} [{','.join(r['aggregations'])}]: max |output difference| on the first batch (same "
                     f"weights, float32; max |output| {r['first_batch_max_abs_output']:.1f}): {diffs}")
    print_table("Forward + backward per epoch: SubgraphGNN vs the reference (gather + index_add_)", header, rows, notes)


def print_scale(r: Dict[str, Any]) -> None:
    header = ["graph", "k", "pairs", "pair-level edges", "transform", "transform peak", "fwd+bwd", "fwd+bwd peak",
              "note"]
    rows = []
    label = f"random, {r['nodes']:,} nodes, {r['edges']:,} edges"
    for k, h in r["hops"].items():
        if "skipped" in h:
            rows.append([label, k, "-", "-", "-", "-", "-", "-", f"skipped: {h['skipped']}"])
            continue
        rows.append([label, k, f"{h['pairs']:,}", f"{h['local_pair_edges']:,}", _fs(h["transform_s"]),
                     _fm(h["transform_peak_mb"]), _fs(h.get("fb_s")), _fm(h.get("fb_peak_mb")),
                     f"skipped: {h['fb_skipped']}" if "fb_skipped" in h else
                     f"{h['pairs_per_node']:.1f} pairs/node, {h['fb_bytes_per_pair']:,.0f} B/pair"])
    notes = [f"SubgraphPolicy('ego', k); one forward + backward of SubgraphGNN(preset='sswl+', hidden={r['hidden']}, "
             f"layers={r['layers']}) on the whole graph (after a warm-up pass on the first k), loss = mean square; "
             "peaks: RSS above the start of each phase"]
    print_table("Scale: the ego policy on one large graph (graphlearn)", header, rows, notes)
    a = r["all_pairs_layout"]
    rows = [["pairs (n^2)", f"{a['pairs']:,}", ""],
            ["local pair-level edges per local aggregation (n*E)", f"{a['local_pair_edges_per_local_aggregation']:,}",
             _fb(a["local_index_bytes_per_aggregation"]) + " of int64 index"],
            ["global index entries per global aggregation (n^3)", f"{a['global_index_entries']:,}",
             _fb(a["global_index_bytes_per_aggregation"]) + " of int64 index"],
            ["Floyd-Warshall relaxations per access (n^3)", f"{a['floyd_warshall_relaxations']:,}",
             _fb(a["distance_matrix_bytes"]) + " distance matrix"],
            ["one [n^2, hidden] float32 pair tensor", "", _fb(a["pair_features_bytes_per_tensor"])],
            ["sswl+ indices as the official code builds them (uL, vL, vv, uG)", "",
             _fb(a["sswl+_official_index_bytes"])]]
    if a["activation_bytes_at_graphlearn_bytes_per_pair"] is not None:
        rows.append(["fwd+bwd memory at graphlearn's bytes/pair (largest k) x n^2", "",
                     _fb(a["activation_bytes_at_graphlearn_bytes_per_pair"])])
    print_table(f"What the reference's all-pairs layout would need on that graph (arithmetic, not run; n = "
                f"{r['nodes']:,}, E = {r['edges']:,})", ["quantity", "count", "bytes"], rows)


# ----------------------------------------------------------------------------- main


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=default_root(), help="dataset folder (default: %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="timed repeats per measurement, median reported")
    p.add_argument("--seed", type=int, default=0, help="seed of the graphs and weights")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1: steadier ratios)")
    p.add_argument("--quick", action="store_true", help="smoke test: tiny sizes, one run")
    p.add_argument("--graphs", type=int, default=1000, help="counting graphs for the pipeline (default %(default)s)")
    p.add_argument("--min-nodes", type=int, default=10, help="smallest counting graph (default %(default)s)")
    p.add_argument("--max-nodes", type=int, default=40, help="largest counting graph (default %(default)s)")
    p.add_argument("--molesol-graphs", type=int, default=None, help="ogbg-molesol molecules used (default: all)")
    p.add_argument("--batch-size", type=int, default=64, help="graphs per batch (default %(default)s)")
    p.add_argument("--fb-graphs", type=int, default=256,
                   help="counting graphs in the forward+backward epoch (the first ones; default %(default)s)")
    p.add_argument("--hidden", type=int, default=64, help="width of the forward+backward models")
    p.add_argument("--layers", type=int, default=4, help="layers of the forward+backward models")
    p.add_argument("--scale-nodes", type=int, default=10_000, help="nodes of the scale graph (default %(default)s)")
    p.add_argument("--scale-degree", type=float, default=5.0, help="its average degree (default %(default)s)")
    p.add_argument("--scale-hops", default="1,2,3", help="ego radii k, comma-separated (default %(default)s)")
    p.add_argument("--scale-hidden", type=int, default=32, help="width of the scale model (default %(default)s)")
    p.add_argument("--scale-layers", type=int, default=2, help="layers of the scale model (default %(default)s)")
    p.add_argument("--scale-runs", type=int, default=1, help="timed forward+backward passes per k (default 1)")
    p.add_argument("--max-memory-gb", type=float, default=12.0,
                   help="memory a scale measurement may use (default %(default)s; 80%% of the available if less)")
    p.add_argument("--skip-scale", action="store_true", help="no scale part")
    p.add_argument("--perturb-reference", action="store_true", help=argparse.SUPPRESS)  # tests: must fail
    args = p.parse_args(argv)
    if args.quick:
        given = {tok[2:].split("=")[0].replace("-", "_")
                 for tok in (sys.argv[1:] if argv is None else argv) if tok.startswith("--")}
        for k, v in QUICK.items():
            if k not in given:  # explicit flags win
                setattr(args, k, v)
    try:
        args.scale_hops = sorted({int(t) for t in str(args.scale_hops).split(",") if t.strip()})
    except ValueError:
        p.error(f"--scale-hops must be comma-separated integers, got {args.scale_hops!r}")
    if not args.scale_hops or min(args.scale_hops) < 0:
        p.error("--scale-hops must name at least one k >= 0")
    for key in ("runs", "threads", "graphs", "min_nodes", "batch_size", "fb_graphs", "hidden", "layers",
                "scale_nodes", "scale_hidden", "scale_layers", "scale_runs"):
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')} must be >= 1")
    if args.max_nodes < args.min_nodes:
        p.error("--max-nodes must be >= --min-nodes")
    if args.molesol_graphs is not None and args.molesol_graphs < 1:
        p.error("--molesol-graphs must be >= 1")
    if args.scale_degree <= 0 or args.scale_degree >= args.scale_nodes - 1 or args.max_memory_gb <= 0:
        p.error("--scale-degree must be in (0, scale_nodes - 1) and --max-memory-gb > 0")
    args.fb_graphs = min(args.fb_graphs, args.graphs)
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    if not ops.compiled():
        print(f"error: graphlearn's compiled core is not loaded ({ops.load_error()}); nothing to benchmark",
              file=sys.stderr)
        return 1
    import torch_geometric
    from graphlearn import _validate

    t_start = time.perf_counter()
    print(f"graphlearn {graphlearn.__version__} (compiled core), torch {torch.__version__}, torch_geometric "
          f"{torch_geometric.__version__}, {args.threads} thread{'s' if args.threads != 1 else ''} "
          "(--threads; 1 by default for steadier ratios), float32 timings")
    print(f"1-min load average at start: {os.getloadavg()[0]:.2f} (other busy processes distort timings)")
    progress("building the counting graphs")
    counting = counting_graphs(args)
    molesol = molesol_graphs(args)
    molesol_note = None
    if molesol is None:
        molesol_note = (f"ogbg-molesol: skipped, not found under {args.root} (set --root or $GRAPHLEARN_DATA)")
        print(f"ogbg-molesol not found under {args.root}: its pipeline row is skipped")

    progress("agreement check")
    agreement = check_agreement(args, counting, molesol)
    if not agreement["passed"]:
        print("error: the reference disagrees with graphlearn (see the DISAGREE lines); nothing was timed",
              file=sys.stderr)
        return 1

    results: Dict[str, Any] = {"pipeline": {}, "forward_backward": {}}
    progress("pipeline: counting graphs")
    results["pipeline"]["counting"] = pipeline_case(counting, args)
    if molesol is not None:
        progress("pipeline: ogbg-molesol")
        results["pipeline"]["molesol"] = pipeline_case(molesol, args)
    print_pipeline(results["pipeline"], args, molesol_note)

    fb_graphs = counting[:args.fb_graphs]
    gl_batches = list(loader(precompute(fb_graphs, SubgraphPolicy("distance"), progress=False), args.batch_size))
    for preset in FB_PRESETS:
        results["forward_backward"][preset] = fb_case(preset, gl_batches, fb_graphs, args)
    del gl_batches
    print_fb(results["forward_backward"], args)

    if not args.skip_scale:
        budget = int(args.max_memory_gb * 2 ** 30)
        avail = _validate.available_memory()
        budget = budget if avail is None else min(budget, int(0.8 * avail))
        results["scale"] = scale_case(args, budget)
        results["scale"]["budget_gib"] = round(budget / 2 ** 30, 2)
        print_scale(results["scale"])

    total = time.perf_counter() - t_start
    print(f"\ntotal benchmark time: {total:.1f} s; 1-min load average at end: {os.getloadavg()[0]:.2f}")
    meta = {"graphlearn": graphlearn.__version__, "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__, "threads": args.threads, "runs": args.runs,
            "seed": args.seed, "quick": args.quick, "molesol": molesol is not None,
            "sizes": {k: getattr(args, k) for k in ("graphs", "min_nodes", "max_nodes", "batch_size", "fb_graphs",
                                                    "hidden", "layers", "molesol_graphs", "scale_nodes",
                                                    "scale_degree", "scale_hops", "scale_hidden", "scale_layers",
                                                    "scale_runs")},
            "targets": {"pipeline": f">= {TARGETS['pipeline']:g}x (reference / graphlearn per epoch)"},
            "total_s": round(total, 1)}
    print(json.dumps({"agreement": agreement, "results": results, "meta": meta}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
