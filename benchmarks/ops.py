#!/usr/bin/env python
"""Times graphlearn's compiled sparse ops against peers in the same run.

Sections:
  1. SpMM (sum/mean/max) vs PyG's message-passing path (index_select + scatter) and
     torch.sparse.mm (and torch_sparse's SparseTensor matmul when installed);
  2. one attention layer's sparse work (SDDMM + segment softmax + SpMM, with heads) vs PyG ops;
  3. common-neighbour counts / fused feature sums on ogbl-ddi vs an NCN-style
     sorted-key torch.searchsorted intersection;
  4. import time of graphlearn next to torch and torch_geometric;
  5. (--build-time) wall time of building the C++ extension from a clean copy.

Prints one table per section; the last line printed is a single JSON object with every
result (section -> graph -> width -> op -> {graphlearn_ms, <peer>_ms, <peer>_ratio, ...}).
Targets come from the project's issue; they are reported, not asserted.

    python benchmarks/ops.py --quick           # smoke test, well under a minute
    python benchmarks/ops.py                   # full run (about 10 minutes on 2 cores)
    python benchmarks/ops.py --build-time      # also time the extension build (~2 min)
"""
from __future__ import annotations

import argparse
import gc
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # benchmark this checkout

import torch_geometric  # noqa: E402
from torch_geometric.utils import scatter  # noqa: E402
from torch_geometric.utils import softmax as pyg_softmax  # noqa: E402

import graphlearn  # noqa: E402
from graphlearn import CSR, ops  # noqa: E402
from graphlearn.datasets import default_root, load_blogcatalog, load_planetoid, power_law_graph  # noqa: E402

try:
    import torch_sparse
except ImportError:
    torch_sparse = None

warnings.filterwarnings("ignore", message=".*[Ss]parse CSR tensor support is in beta.*")
warnings.filterwarnings("ignore", message=".*Sparse invariant checks are implicitly disabled.*")

MEM_LIMIT_GB = 8.0  # peer measurements estimated to need more are skipped
BUDGET_S = 3.0  # timed seconds per measurement: calls slower than BUDGET_S / runs are repeated less
WARMUP_S, WARMUP_CALLS = 0.25, 5  # fast ops are warmed up with up to WARMUP_CALLS calls within WARMUP_S
MIN_RUN_S = 0.02  # a timed run repeats tiny ops back to back for at least this long
CHECK_RTOL = 1e-4  # max |peer - graphlearn| / max(1, max |graphlearn|) accepted before timing
# Peak memory of PyG's scatter path, in units of nnz * F * 4 bytes (measured as peak RSS on
# BlogCatalog, F=128): forward 2 (messages, weighted messages); forward+backward sum/mean 2,
# max 6.4 (scatter_reduce's backward masks); attention forward+backward 6.2.
PYG_FACTORS = {"fwd": 2.0, "sum": 2.5, "mean": 2.5, "max": 6.5, "attention": 6.5}


# ----------------------------------------------------------------------------- timing


@dataclass
class Timing:
    """One measurement: median ms over `runs` repeats, or why it was skipped."""

    ms: Optional[float] = None
    runs: int = 0
    skipped: Optional[str] = None


@dataclass
class Impl:
    """One implementation of an op: forward only (no autograd) and/or forward+backward."""

    key: str
    fwd: Optional[Callable[[], Tensor]] = None
    train: Optional[Callable[[], Tuple[Tensor, ...]]] = None  # returns (out, *input grads)
    gb: Tuple[float, float] = (0.0, 0.0)  # estimated peak memory (fwd, fwd+bwd), GB


def timed(fn: Callable[[], object], runs: int, once: Optional[float] = None) -> Timing:
    """Median wall time of one call of `fn` in ms over `runs` runs, after warming up.

    Warm-up: one call, and for fast ops up to WARMUP_CALLS calls within WARMUP_S (the first
    calls of an op also pay for fresh memory pages). A run is enough back-to-back calls to
    last MIN_RUN_S (one call for all but tiny ops); there are fewer runs (>= 1) where a call
    takes over BUDGET_S / runs. `once`: duration (s) of a first call the caller already made."""
    if once is None:
        t0 = time.perf_counter()
        fn()
        once = time.perf_counter() - t0
    fastest, spent, calls = once, once, 1
    while calls < WARMUP_CALLS and spent + once < WARMUP_S:
        t0 = time.perf_counter()
        fn()
        took = time.perf_counter() - t0
        fastest, spent, calls = min(fastest, took), spent + took, calls + 1
    inner = max(1, int(MIN_RUN_S / max(fastest, 1e-9)))
    times: List[float] = []
    for _ in range(max(1, min(runs, int(BUDGET_S / max(fastest * inner, 1e-9))))):
        t0 = time.perf_counter()
        for _ in range(inner):
            out = fn()
            del out
        times.append((time.perf_counter() - t0) / inner)
    return Timing(1e3 * statistics.median(times), len(times))


def check_close(ref: Sequence[Tensor], got: Sequence[Tensor], what: str) -> None:
    """Exits non-zero when a peer's result differs from graphlearn's (exact for integers)."""
    for i, (a, b) in enumerate(zip(ref, got)):
        a, b = a.detach(), b.detach()
        if a.shape != b.shape:
            bad = f"shape {list(b.shape)} != {list(a.shape)}"
        elif not a.dtype.is_floating_point:
            bad = "" if torch.equal(a, b) else f"{int((a != b).sum())} of {a.numel()} counts differ"
        else:
            err = float((a - b).abs().max()) / max(1.0, float(a.abs().max())) if a.numel() else 0.0
            bad = "" if err <= CHECK_RTOL else f"relative error {err:.2e} > {CHECK_RTOL:g}"
        if bad:
            print(f"error: {what}: result {i} ({'output' if i == 0 else 'gradient'}) disagrees with "
                  f"graphlearn: {bad}", file=sys.stderr)
            sys.exit(1)


def measure(impls: Sequence[Impl], runs: int, what: str) -> Dict[str, Dict[str, Timing]]:
    """Runs every impl once (forward+backward where timed, else forward) and checks the result
    against the first impl's (graphlearn) before timing its forward and forward+backward.

    Returns ``{impl key: {"fwd": Timing, "fwd+bwd": Timing}}`` for the modes each impl has."""
    ref: Optional[Tuple[Tensor, ...]] = None
    result: Dict[str, Dict[str, Timing]] = {}
    for impl in impls:
        timings: Dict[str, Timing] = {}
        todo: Dict[str, Callable[[], object]] = {}
        for mode, fn, gb in (("fwd", impl.fwd, impl.gb[0]), ("fwd+bwd", impl.train, impl.gb[1])):
            if fn is None:
                continue
            if gb > MEM_LIMIT_GB:
                timings[mode] = Timing(skipped=f"skipped (needs ~{gb:.1f} GB)")
            else:
                todo[mode] = fn
        if todo:
            first = "fwd+bwd" if "fwd+bwd" in todo else "fwd"
            t0 = time.perf_counter()
            warm = todo[first]()
            once = time.perf_counter() - t0
            warm = warm if isinstance(warm, tuple) else (warm,)
            if ref is None:
                ref = warm
            else:
                check_close(ref, warm, f"{what}: {impl.key}")
            del warm
            for mode, fn in todo.items():
                timings[mode] = timed(fn, runs, once if mode == first else None)
        result[impl.key] = timings
        gc.collect()
    return result


def train_fn(fn: Callable[..., Tensor], inputs: Sequence[Tensor],
             grad_out: Tensor) -> Callable[[], Tuple[Tensor, ...]]:
    """Forward of fn(*inputs) and backward of a fixed output gradient; returns (out, *grads)."""

    def run() -> Tuple[Tensor, ...]:
        out = fn(*inputs)
        grads = torch.autograd.grad(out, list(inputs), grad_out)
        return (out.detach(),) + tuple(grads)

    return run


def fwd_fn(fn: Callable[..., Tensor], inputs: Sequence[Tensor]) -> Callable[[], Tensor]:
    """Forward of fn(*inputs) without autograd."""

    def run() -> Tensor:
        with torch.no_grad():
            return fn(*inputs)

    return run


# ----------------------------------------------------------------------------- reporting


@dataclass
class Peer:
    """A peer column: JSON key and table label."""

    key: str
    label: str


@dataclass
class Section:
    """Rows of one section's table, and its part of the JSON result."""

    title: str
    width_label: str
    peers: List[Peer]
    notes: List[str] = field(default_factory=list)
    rows: List[List[str]] = field(default_factory=list)
    json: Dict[str, Dict[str, Dict[str, dict]]] = field(default_factory=dict)

    def add(self, graph: str, width: str, op: str, timings: Dict[str, Timing],
            targets: Sequence[Tuple[str, float]] = ()) -> None:
        """Adds one row: graphlearn's time, each peer's time and ratio, and the targets."""
        gl = timings["graphlearn"]
        entry: dict = {"graphlearn_ms": _round(gl.ms), "runs": {"graphlearn": gl.runs}}
        times, ratios = [], []
        for peer in self.peers:
            t = timings.get(peer.key)
            if t is None:
                times.append("-")
                ratios.append("-")
                continue
            if t.ms is None:
                times.append(t.skipped or "skipped")
                ratios.append("-")
                entry[f"{peer.key}_ms"] = None
                entry[f"{peer.key}_skipped"] = t.skipped
                continue
            ratio = t.ms / gl.ms
            times.append(_fmt_ms(t.ms))
            ratios.append(_fmt_ratio(ratio))
            entry[f"{peer.key}_ms"] = _round(t.ms)
            entry[f"{peer.key}_ratio"] = round(ratio, 3)
            entry["runs"][peer.key] = t.runs
        verdict, met = judge(gl.ms, timings, targets, {p.key: p.label for p in self.peers})
        if targets:
            entry["target"] = {self._label(k): f">= {x:g}x" for k, x in targets}
            entry["target_met"] = met
        self.rows.append([graph, width, op, _fmt_ms(gl.ms)] + times + ratios + [verdict])
        self.json.setdefault(graph, {}).setdefault(width, {})[op] = entry

    def skip(self, graph: str, reason: str) -> None:
        """Records a graph that could not be benchmarked."""
        self.rows.append([graph, "-", f"skipped: {reason}"] + [""] * (2 * len(self.peers) + 2))
        self.json[graph] = {"skipped": reason}

    def _label(self, key: str) -> str:
        """The table label of a peer key."""
        return next(p.label for p in self.peers if p.key == key)

    def print(self) -> None:
        """Prints the section's table."""
        header = (["graph", self.width_label, "op", "graphlearn ms"] + [f"{p.label} ms" for p in self.peers]
                  + [f"{p.label}/gl" for p in self.peers] + ["target met"])
        print_table(self.title, header, self.rows, self.notes)


def judge(gl_ms: Optional[float], timings: Dict[str, Timing], targets: Sequence[Tuple[str, float]],
          labels: Dict[str, str]) -> Tuple[str, Optional[bool]]:
    """'yes' / 'no (...)' / 'n/a (...)' for speed-up targets [(peer key, min ratio)], and the bool."""
    if not targets:
        return "-", None
    failed, missing, measured = [], [], 0
    for key, need in targets:
        t = timings.get(key)
        if t is None or t.ms is None or gl_ms is None:
            missing.append(labels[key])
            continue
        measured += 1
        if t.ms / gl_ms < need:
            failed.append(f"{labels[key]} {_fmt_ratio(t.ms / gl_ms)} < {need:g}x")
    if measured == 0:
        return f"n/a ({', '.join(missing)} skipped)", None
    note = [*failed] + ([f"{', '.join(missing)} skipped"] if missing else [])
    verdict = "no" if failed else "yes"
    return verdict + (f" ({'; '.join(note)})" if note else ""), not failed


def print_table(title: str, header: List[str], rows: List[List[str]], notes: Sequence[str] = ()) -> None:
    """Prints an aligned text table (first three and last column left-aligned)."""
    print(f"\n== {title} ==")
    for note in notes:
        print(f"   {note}")
    skipped = [len(r) > 2 and r[2].startswith("skipped:") for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r, skip in zip(rows, skipped) if i < 2 or not skip])
              for i, h in enumerate(header)]

    def line(cells: List[str]) -> str:
        out = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            left = i < 3 or i == len(header) - 1
            out.append(cell.ljust(w) if left else cell.rjust(w))
        return "  ".join(out).rstrip()

    print(line(header))
    print(line(["-" * w for w in widths]))
    for r, skip in zip(rows, skipped):
        if skip:
            print("  ".join([r[0].ljust(widths[0]), r[1].ljust(widths[1]), r[2]]))
        else:
            print(line(r))


def _round(ms: Optional[float]) -> Optional[float]:
    """ms for the JSON (microsecond resolution)."""
    return None if ms is None else round(ms, 3)


def _fmt_ms(ms: Optional[float]) -> str:
    """ms for the table, about four significant digits."""
    if ms is None:
        return "-"
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.1f}" if ms < 10_000 else f"{ms:.0f}"


def _fmt_ratio(r: float) -> str:
    """A speed-up such as '5.3x'."""
    return f"{r:.2f}x" if r < 10 else f"{r:.1f}x"


def progress(msg: str) -> None:
    """Progress on stderr (stdout carries the tables and the final JSON line)."""
    print(f"[ops.py] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- graphs


def small_graphs(args: argparse.Namespace) -> List[Tuple[str, Optional[CSR], str]]:
    """Cora and (unless --quick) BlogCatalog: (name, adjacency or None, why it is missing)."""
    graphs: List[Tuple[str, Optional[CSR], str]] = [("Cora", CSR.from_data(load_planetoid("cora")), "")]
    if not args.quick:
        try:
            graphs.append(("BlogCatalog", load_blogcatalog(args.root)[0], ""))
        except FileNotFoundError as exc:
            graphs.append(("BlogCatalog", None, str(exc)))
    return graphs


def synthetic_graph(args: argparse.Namespace) -> Tuple[str, Optional[CSR], str]:
    """The power-law graph: 10M edges (200k with --quick), deduped; None with --skip-large."""
    n, e, name = (20_000, 200_000, "power-law 200k") if args.quick else (1_000_000, 10_000_000, "power-law 10M")
    if args.skip_large and not args.quick:
        return name, None, "--skip-large"
    progress(f"building {name} (power_law_graph({n:_}, {e:_}), dedupe=True)")
    return name, CSR.from_edge_index(power_law_graph(n, e, seed=args.seed), n, dedupe=True), ""


def describe(adj: CSR) -> str:
    """'N nodes, E entries'."""
    return f"{adj.num_rows:,} nodes, {adj.nnz:,} entries"


# ----------------------------------------------------------------------------- 1. SpMM


def spmm_section() -> Section:
    """Section 1's table: SpMM vs PyG's scatter path, torch.sparse.mm (and torch_sparse)."""
    peers = [Peer("pyg", "PyG scatter"), Peer("torch_sparse_mm", "torch.sparse.mm")]
    if torch_sparse is not None:
        peers.append(Peer("torch_sparse", "torch_sparse"))
    sec = Section("1. SpMM: out[i] = reduce_j w_ij x[j]", "width", peers, notes=[
        "edge weights w random in [0.5, 1.5); graphlearn: ops.spmm(adj.with_value(w), x, reduce), "
        "transpose cached, as in training",
        "PyG scatter: scatter(x.index_select(0, col) * w, row, reduce=...) (PyG 2.8 MessagePassing default)",
        "torch.sparse.mm: sum only; mean = torch.sparse.mm(A, x) / degree",
        "fwd: x without grad; fwd+bwd: x.requires_grad, backward of a fixed random output gradient",
        "targets: sum fwd >= 1x torch.sparse.mm; sum fwd+bwd >= 2x torch.sparse.mm and >= 5x PyG; "
        "mean/max fwd+bwd >= 5x PyG",
        f"PyG measurements needing > {MEM_LIMIT_GB:g} GB are skipped (estimate: nnz * F * 4 B * "
        f"{PYG_FACTORS['fwd']:g} fwd, {PYG_FACTORS['sum']:g} sum/mean fwd+bwd, {PYG_FACTORS['max']:g} max fwd+bwd)",
    ] + ([] if torch_sparse is not None else ["torch_sparse / torch_scatter: not installed (no further peer)"]))
    return sec


SPMM_TARGETS = {
    "sum fwd": [("torch_sparse_mm", 1.0)],
    "sum fwd+bwd": [("torch_sparse_mm", 2.0), ("pyg", 5.0)],
    "mean fwd+bwd": [("pyg", 5.0)],
    "max fwd+bwd": [("pyg", 5.0)],
}


def bench_spmm(sec: Section, name: str, adj: CSR, args: argparse.Namespace, runs: int) -> None:
    """SpMM sum/mean/max on one graph: graphlearn vs the section's peers."""
    sec.notes.append(f"{name}: {describe(adj)}")
    gen = torch.Generator().manual_seed(args.seed)
    w = torch.rand(adj.nnz, generator=gen) + 0.5
    adj_w = adj.with_value(w)
    a_torch = adj_w.to_torch()
    st = None
    if torch_sparse is not None:
        st = torch_sparse.SparseTensor(rowptr=adj.rowptr, col=adj.col, value=w,
                                       sparse_sizes=adj.shape, is_sorted=True).fill_cache_()
    row, col, n, w_col = adj.row, adj.col, adj.num_rows, w.unsqueeze(-1)
    inv_deg = 1.0 / adj.degree().clamp_min(1).float().unsqueeze(-1)
    for width in widths_for(name, args):
        x = torch.randn(adj.num_cols, width, generator=gen)
        x_grad = x.clone().requires_grad_()
        grad_out = torch.randn(n, width, generator=gen)
        for reduce in ("sum", "mean", "max"):
            progress(f"spmm {name} F={width} {reduce}")

            def gl(x_: Tensor, r: str = reduce) -> Tensor:
                return ops.spmm(adj_w, x_, r)

            def pyg(x_: Tensor, r: str = reduce) -> Tensor:
                return scatter(x_.index_select(0, col) * w_col, row, dim=0, dim_size=n, reduce=r)

            unit = adj.nnz * width * 4 / 1e9
            impls = [Impl("graphlearn", fwd_fn(gl, [x]), train_fn(gl, [x_grad], grad_out)),
                     Impl("pyg", fwd_fn(pyg, [x]), train_fn(pyg, [x_grad], grad_out),
                          gb=(unit * PYG_FACTORS["fwd"], unit * PYG_FACTORS[reduce]))]
            if reduce != "max":
                def sparse_mm(x_: Tensor, r: str = reduce) -> Tensor:
                    out = torch.sparse.mm(a_torch, x_)
                    return out * inv_deg if r == "mean" else out

                impls.append(Impl("torch_sparse_mm", fwd_fn(sparse_mm, [x]), train_fn(sparse_mm, [x_grad], grad_out)))
            if st is not None:
                def ts(x_: Tensor, r: str = reduce) -> Tensor:
                    return torch_sparse.matmul(st, x_, reduce=r)

                impls.append(Impl("torch_sparse", fwd_fn(ts, [x]), train_fn(ts, [x_grad], grad_out)))
            result = measure(impls, runs, f"spmm {reduce} on {name}, F={width}")
            for mode in ("fwd", "fwd+bwd"):
                op = f"{reduce} {mode}"
                sec.add(name, str(width), op, {k: v[mode] for k, v in result.items() if mode in v},
                        SPMM_TARGETS.get(op, ()))


def widths_for(graph: str, args: argparse.Namespace) -> List[int]:
    """Feature widths: 64 (and 256; 128 too on BlogCatalog, where the issue quotes d=128)."""
    if args.quick:
        return [64]
    return [64, 128, 256] if graph == "BlogCatalog" else [64, 256]


# ----------------------------------------------------------------------------- 2. attention


def attention_section() -> Section:
    """Section 2's table: SDDMM + segment softmax + SpMM with heads vs the same in PyG ops."""
    return Section("2. Attention layer's sparse work (SDDMM + segment softmax + SpMM), fwd+bwd", "heads x dim",
                  [Peer("pyg", "PyG ops")], notes=[
                      "graphlearn: s = ops.sddmm(adj, q, k); a = ops.segment_softmax(adj, s); "
                      "out = ops.spmm(adj.with_value(a), v); transpose cached, as in training",
                      "PyG ops: (q[row] * k[col]).sum(-1); torch_geometric.utils.softmax(s, row); "
                      "scatter(a * v[col], row, reduce='sum')",
                      "q, k, v [N, H, D] require grad; backward of a fixed random output gradient; target >= 2x",
                      f"PyG measurements needing > {MEM_LIMIT_GB:g} GB "
                      f"(nnz * H * D * 4 B * {PYG_FACTORS['attention']}) are skipped",
                  ])


def bench_attention(sec: Section, name: str, adj: CSR, args: argparse.Namespace, runs: int) -> None:
    """One attention layer's sparse work on one graph, forward+backward: graphlearn vs PyG ops."""
    gen = torch.Generator().manual_seed(args.seed)
    row, col, n = adj.row, adj.col, adj.num_rows

    def gl(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        s = ops.sddmm(adj, q, k)
        return ops.spmm(adj.with_value(ops.segment_softmax(adj, s)), v)

    def pyg(q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        s = (q.index_select(0, row) * k.index_select(0, col)).sum(-1)
        alpha = pyg_softmax(s, row, num_nodes=n)
        return scatter(alpha.unsqueeze(-1) * v.index_select(0, col), row, dim=0, dim_size=n, reduce="sum")

    for heads, dim in [(4, 16)] if args.quick else [(4, 16), (4, 64)]:
        progress(f"attention {name} H={heads} D={dim}")
        qkv = [torch.randn(n, heads, dim, generator=gen).requires_grad_() for _ in range(3)]
        grad_out = torch.randn(n, heads, dim, generator=gen)
        gb = adj.nnz * heads * dim * 4 * PYG_FACTORS["attention"] / 1e9
        result = measure([Impl("graphlearn", train=train_fn(gl, qkv, grad_out)),
                          Impl("pyg", train=train_fn(pyg, qkv, grad_out), gb=(0.0, gb))],
                         runs, f"attention on {name}, H={heads}, D={dim}")
        sec.add(name, f"{heads}x{dim}", "fwd+bwd", {k: v["fwd+bwd"] for k, v in result.items()}, [("pyg", 2.0)])


def bench_graph(spmm: Section, attention: Section, name: str, adj: Optional[CSR], reason: str,
                args: argparse.Namespace, runs: int) -> None:
    """Sections 1 and 2 on one graph (or a 'skipped' row in both when it is missing)."""
    if adj is None:
        spmm.skip(name, reason)
        attention.skip(name, reason)
        return
    adj._transpose_parts()  # cached, as after the first training step
    bench_spmm(spmm, name, adj, args, runs)
    bench_attention(attention, name, adj, args, runs)
    gc.collect()


# ----------------------------------------------------------------------------- 3. common neighbours


def sorted_keys(rowptr: Tensor, col: Tensor, nodes: Tensor, num_nodes: int) -> Tensor:
    """Key ``p * num_nodes + u`` for every neighbour u of nodes[p]: the CSR rows of `nodes`
    gathered one after another, so the keys come out sorted (rows are sorted)."""
    start = rowptr[nodes]
    count = rowptr[nodes + 1] - start
    end = torch.cumsum(count, 0)
    total = int(end[-1]) if end.numel() else 0
    pair = torch.repeat_interleave(torch.arange(nodes.numel()), count, output_size=total)
    # entry t of the output is col[start[pair] + t - (first output slot of pair)]
    pos = torch.arange(total) + torch.repeat_interleave(start - (end - count), count, output_size=total)
    return pair * num_nodes + col[pos]


def searchsorted_intersection(adj: CSR, src: Tensor, dst: Tensor) -> Tuple[Tensor, Tensor]:
    """NCN-style common neighbours: (pair index, common neighbour) of every match, sorted by pair.

    The smaller sorted key array is searched in the larger one with torch.searchsorted."""
    n = adj.num_rows
    a, b = sorted_keys(adj.rowptr, adj.col, src, n), sorted_keys(adj.rowptr, adj.col, dst, n)
    small, large = (a, b) if a.numel() <= b.numel() else (b, a)
    if large.numel() == 0:
        empty = small.new_empty(0)
        return empty, empty
    pos = torch.searchsorted(large, small).clamp_max_(large.numel() - 1)
    common = small[large[pos] == small]
    return common // n, common % n


def load_ddi(root: str) -> Tuple[Tensor, int]:
    """ogbl-ddi's training edges ([2, E]) and number of nodes from the OGB raw folder."""
    raw = os.path.join(root, "ogbl_ddi", "raw")
    path = os.path.join(raw, "edge.csv.gz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"ogbl-ddi not found: no {path} (pass --root or set GRAPHLEARN_DATA)")
    edges = torch.from_numpy(np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2).T.copy())
    nodes_path = os.path.join(raw, "num-node-list.csv.gz")
    num_nodes = int(np.loadtxt(nodes_path, dtype=np.int64, ndmin=1)[0]) if os.path.isfile(nodes_path) \
        else int(edges.max()) + 1
    return edges, num_nodes


def bench_common_neighbors(args: argparse.Namespace, runs: int) -> Section:
    """Common-neighbour counts and fused sums vs a sorted-key searchsorted intersection."""
    peers = [Peer("searchsorted_scatter", "searchsorted+scatter"),
             Peer("searchsorted_sparse_mm", "searchsorted+sparse.mm")]
    sec = Section("3. Common neighbours of node pairs", "width", peers, notes=[
        "graph: symmetrized, deduped training edges; pairs: a seeded random batch of training edges",
        "graphlearn: ops.common_neighbors(adj, pairs[, x]) (sum: fused sum of x over N(i) & N(j))",
        "peers (pure PyTorch, NCN adjoverlap-style): gather the CSR rows of src and dst, keys pair * N + nbr "
        "(sorted), torch.searchsorted the smaller key array into the larger, keep matches;",
        "  then counts = bincount (both columns), sums = zeros.index_add(pair, x[nbr]) ('scatter') or "
        "torch.sparse.mm(CSR of matches, x) (as NCN's spmm_add)",
        "sum: x [N, F] requires grad, forward+backward of a fixed random output gradient; "
        "target >= 3x vs every peer measured",
        f"peer measurements needing > {MEM_LIMIT_GB:g} GB are skipped (keys ~32 B * gathered entries; "
        "index_add: + 2 * matches * F * 4 B)",
    ])
    cases: List[Tuple[str, Optional[CSR], Optional[Tensor], str]] = []
    data = load_planetoid("cora")
    cases.append(("Cora", CSR.from_data(data), data.edge_index, ""))
    if not args.quick:
        try:
            edges, num_nodes = load_ddi(args.root)
            cases.append(("ogbl-ddi", CSR.from_edge_index(edges, num_nodes, symmetrize=True), edges, ""))
        except FileNotFoundError as exc:
            cases.append(("ogbl-ddi", None, None, str(exc)))
    widths = [64] if args.quick else [64, 256]
    for name, adj, edges, reason in cases:
        if adj is None or edges is None:
            sec.skip(name, reason)
            continue
        gen = torch.Generator().manual_seed(args.seed)
        pairs = edges[:, torch.randperm(edges.size(1), generator=gen)[: args.cn_pairs]]
        src, dst = pairs[0].contiguous(), pairs[1].contiguous()
        num_pairs, n = src.numel(), adj.num_rows
        deg = adj.degree()
        key_gb = 32 * int(deg[src].sum() + deg[dst].sum()) / 1e9
        progress(f"common neighbours {name} counts")

        def gl_count() -> Tensor:
            return ops.common_neighbors(adj, pairs)

        def peer_count() -> Tensor:
            return torch.bincount(searchsorted_intersection(adj, src, dst)[0], minlength=num_pairs)

        result = measure([Impl("graphlearn", fwd=gl_count),
                          Impl("searchsorted_scatter", fwd=peer_count, gb=(key_gb, 0))],
                         runs, f"common-neighbour counts on {name}")
        matches = int(gl_count().sum())
        sec.notes.append(f"{name}: {describe(adj)}; {num_pairs:,} pairs, {matches:,} common neighbours in all")
        sec.add(name, "-", "count", {k: v["fwd"] for k, v in result.items()}, [("searchsorted_scatter", 3.0)])

        def gl_sum(x: Tensor) -> Tensor:
            return ops.common_neighbors(adj, pairs, x)

        def peer_index_add(x: Tensor) -> Tensor:
            pair, nbr = searchsorted_intersection(adj, src, dst)
            return x.new_zeros(num_pairs, x.size(1)).index_add(0, pair, x.index_select(0, nbr))

        def peer_sparse_mm(x: Tensor) -> Tensor:
            pair, nbr = searchsorted_intersection(adj, src, dst)
            crow = torch.zeros(num_pairs + 1, dtype=torch.long)
            torch.cumsum(torch.bincount(pair, minlength=num_pairs), 0, out=crow[1:])
            a = torch.sparse_csr_tensor(crow, nbr, x.new_ones(nbr.numel()), (num_pairs, n))
            return torch.sparse.mm(a, x)

        for width in widths:
            progress(f"common neighbours {name} sum F={width}")
            x = torch.randn(n, width, generator=gen).requires_grad_()
            grad_out = torch.randn(num_pairs, width, generator=gen)
            result = measure([Impl("graphlearn", train=train_fn(gl_sum, [x], grad_out)),
                              Impl("searchsorted_scatter", train=train_fn(peer_index_add, [x], grad_out),
                                   gb=(0, key_gb + 2 * matches * width * 4 / 1e9)),
                              Impl("searchsorted_sparse_mm", train=train_fn(peer_sparse_mm, [x], grad_out),
                                   gb=(0, key_gb + 24 * matches / 1e9))],
                             runs, f"common-neighbour sums on {name}, F={width}")
            sec.add(name, str(width), "sum fwd+bwd", {k: v["fwd+bwd"] for k, v in result.items()},
                    [(p.key, 3.0) for p in peers])
    return sec


# ----------------------------------------------------------------------------- 4. import time


def bench_import(runs: int) -> Tuple[dict, List[List[str]]]:
    """Median wall time of ``python -c "import M"`` in a subprocess (file cache already warm:
    this process imported all three), for torch, torch_geometric and graphlearn."""
    medians: Dict[str, float] = {}
    rows: List[List[str]] = []
    pulls_pyg = False
    for module in ("torch", "torch_geometric", "graphlearn"):
        code = f"import {module}"
        if module == "graphlearn":
            code += "; import sys; print(int('torch_geometric' in sys.modules))"
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            if proc.returncode != 0:
                print(f"error: `python -c \"import {module}\"` failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
                sys.exit(1)
            if module == "graphlearn":
                pulls_pyg = proc.stdout.strip() == "1"
        medians[module] = 1e3 * statistics.median(times)
    for module, ms in medians.items():
        note = ""
        if module != "torch":
            note = f"{ms - medians['torch']:+.0f} ms over import torch"
        if module == "graphlearn":
            note += "; imports torch_geometric: " + ("yes" if pulls_pyg else "no")
        rows.append([module, _fmt_ms(ms), str(runs), note])
    result = {f"{m}_ms": round(ms, 1) for m, ms in medians.items()}
    result.update(graphlearn_over_torch_ms=round(medians["graphlearn"] - medians["torch"], 1),
                  graphlearn_imports_torch_geometric=pulls_pyg, runs=runs)
    return result, rows


# ----------------------------------------------------------------------------- 5. build time


def bench_build() -> dict:
    """Builds the extension from a copy of the sources (no .so files) in a temp dir:
    ``MAX_JOBS=2 python setup.py -q build_ext --inplace``; returns wall seconds and success."""
    with tempfile.TemporaryDirectory(prefix="graphlearn-build-") as tmp:
        shutil.copytree(os.path.join(REPO, "csrc"), os.path.join(tmp, "csrc"))
        shutil.copytree(os.path.join(REPO, "graphlearn"), os.path.join(tmp, "graphlearn"),
                        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
        for name in ("setup.py", "pyproject.toml", "README.md"):
            shutil.copy2(os.path.join(REPO, name), tmp)
        progress("building the extension in a temp dir (MAX_JOBS=2)")
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=tmp,
                              env=dict(os.environ, MAX_JOBS="2"), capture_output=True, text=True)
        wall = time.perf_counter() - t0
        built = bool(glob.glob(os.path.join(tmp, "graphlearn", "_C*.so")))
        if proc.returncode != 0 or not built:
            print(f"error: extension build failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}", file=sys.stderr)
    return {"wall_s": round(wall, 1), "ok": proc.returncode == 0 and built, "target_s": 300,
            "target_met": proc.returncode == 0 and built and wall < 300}


# ----------------------------------------------------------------------------- main


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line flags."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=default_root(), help="dataset folder (default: %(default)s)")
    p.add_argument("--runs", type=int, default=5,
                   help="timing repeats, median reported (fewer, >= 1, where one call takes over "
                        f"{BUDGET_S:g} s / runs; default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed for graphs, features and pairs")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default %(default)s)")
    p.add_argument("--cn-pairs", type=int, default=65_536, help="pairs per common-neighbour batch")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: Cora and a 200k-edge synthetic graph, width 64, few repeats")
    p.add_argument("--skip-large", action="store_true", help="skip the 10M-edge synthetic graph")
    p.add_argument("--build-time", action="store_true", help="also time the extension build (~2 min)")
    args = p.parse_args(argv)
    if args.runs < 1 or args.threads < 1 or args.cn_pairs < 1:
        p.error("--runs, --threads and --cn-pairs must be >= 1")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs every section, prints the tables and the JSON line; returns the exit status."""
    args = parse_args(argv)
    t_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if not ops.compiled():
        print(f"error: graphlearn's compiled core is not loaded ({ops.load_error()}); "
              "nothing to benchmark", file=sys.stderr)
        return 1
    runs = min(args.runs, 2) if args.quick else args.runs
    print(f"graphlearn {graphlearn.__version__} (compiled core), torch {torch.__version__}, "
          f"torch_geometric {torch_geometric.__version__}, {torch.get_num_threads()} threads, float32")
    print(f"1-min load average at start: {os.getloadavg()[0]:.2f} "
          "(other busy processes distort multi-thread timings)")
    print(f"ms per call: median of up to {runs} runs after warm-up (fewer where one call takes over "
          f"{BUDGET_S / runs:.2f} s; a run of a tiny op is {MIN_RUN_S * 1e3:g} ms of back-to-back calls)")
    print("every peer's result is checked against graphlearn's before timing")

    # Graph by graph, small ones first: the huge allocations of the 10M graph leave the
    # allocator in a state that slows later small ops down (fresh pages on every call).
    spmm, attention = spmm_section(), attention_section()
    for name, adj, reason in small_graphs(args):
        bench_graph(spmm, attention, name, adj, reason, args, runs)
    common = bench_common_neighbors(args, runs)
    bench_graph(spmm, attention, *synthetic_graph(args), args, runs)
    for sec in (spmm, attention, common):
        sec.print()

    progress("import times")
    imports, import_rows = bench_import(1 if args.quick else 3)
    print_table("4. Import time (python -c 'import M' in a subprocess)", ["module", "median ms", "runs", "note"],
                import_rows)
    results: dict = {"spmm": spmm.json, "attention": attention.json, "common_neighbors": common.json,
                     "import": imports}
    status = 0
    if args.build_time:
        build = bench_build()
        results["build"] = build
        status = 0 if build["ok"] else 1
        print_table("5. Extension build (MAX_JOBS=2 setup.py build_ext --inplace, clean copy)",
                    ["what", "wall s", "target", "target met"],
                    [["build_ext", f"{build['wall_s']:.1f}" if build["ok"] else "failed", "< 300 s",
                      "yes" if build["target_met"] else "no"]])
    total = time.perf_counter() - t_start
    print(f"\ntotal benchmark time: {total:.1f} s; 1-min load average at end: {os.getloadavg()[0]:.2f}")
    results["meta"] = {"graphlearn": graphlearn.__version__, "torch": torch.__version__,
                       "torch_geometric": torch_geometric.__version__, "threads": torch.get_num_threads(),
                       "runs": runs, "quick": args.quick, "seed": args.seed, "cn_pairs": args.cn_pairs,
                       "torch_sparse": torch_sparse is not None, "total_s": round(total, 1)}
    print(json.dumps(results))
    return status


if __name__ == "__main__":
    sys.exit(main())
