#!/usr/bin/env python
"""FastRP end to end, side by side: ``graphlearn embed`` vs the paper's reference code and peers.

Contenders, each run end to end (edge list file in -> ``.npy`` embeddings out) in a
subprocess of its own, timed by wall clock, peak memory = the child's ``ru_maxrss``
(``os.wait4``), under a memory cap (``RLIMIT_AS``) and a time cap:

  graphlearn  ``python -m graphlearn.cli embed INPUT -o OUT.npy --dim D --weights W --beta B
              --threads T --quiet --json`` (compute = the CLI's ``embed_s``: FastRP.fit)
  reference   ``benchmarks/_fastrp_reference.py``: the authors' algorithm with their libraries
              (pandas.read_csv, scipy csr_matrix, sklearn SparseRandomProjection, scipy sparse
              products, sklearn normalize / scale; single-threaded); compute = its ``fastrp_s``
              (transition matrix, projection, products, merge)
  ProNE       nodevectors' ProNE (n_components = D, its default step = 10), CSR built with pandas +
              scipy as above; compute = ``fit_transform``. A different algorithm: speed peer only.
  RandNE      karateclub's RandNE (dimensions = D, one alpha per FastRP power), NetworkX input.

Graphs: BlogCatalog (written to a TSV from ``load_blogcatalog``), SNAP soc-Slashdot0902
(the shared ``.txt.gz``, directed; every contender treats it as undirected), and
synthetic power-law TSVs (``power_law_graph``, ``edges / 10`` nodes; 10M and 50M lines)
generated into a temporary folder and deleted afterwards (``--keep-files`` keeps them).

Also: propagation throughput (``ops.fastrp_step`` over the FastRP iterations on the
10M graph, in this process) in edges x dim per second per core, next to a bound from
the memory bandwidth measured here (STREAM-like triad) and to the rate at which
``torch.index_select`` copies random rows of a matrix of the same shape (the
propagation is a random-row gather), and what the CLI imports.

Prints one table per graph, the throughput section, and ends with exactly one JSON line.

    python benchmarks/embed.py --quick                       # smoke test (tiny graph, ~30 s)
    python benchmarks/embed.py --skip-large                  # real graphs only
    python benchmarks/embed.py                               # everything (~30+ min on 2 cores)
    make peers && python benchmarks/embed.py                 # with ProNE and RandNE (see below)

Peers are looked up in this interpreter's environment plus ``--peers-path`` (a folder
put on the peers' PYTHONPATH; default ``$GRAPHLEARN_BENCH_PEERS``, else ``.peers/`` of the
repository when it exists). ``make peers`` fills ``.peers/`` with nodevectors and karateclub
installed ``--no-deps`` (karateclub 1.3.3 pins numpy<1.23, networkx<2.7 and pandas<=1.3.5,
which would downgrade the environment; its RandNE runs on the current ones).
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
REFERENCE = os.path.join(HERE, "_fastrp_reference.py")
DEFAULT_PEERS = os.path.join(REPO, ".peers")  # made by `make peers`
SLASHDOT = os.path.join("snap_soc_slashdot0902", "soc-Slashdot0902.txt.gz")
# Measured by the issue's author for the reference on a synthetic 1M-node, 10M-edge TSV, d=128, 4 powers.
ISSUE_REFERENCE_10M = {"wall_s": 50.0, "fastrp_s": 43.0, "peak_gb": 5.0}
TARGET_SPEEDUP, TARGET_MEMORY = 5.0, 0.5  # end to end on the large graphs, vs the reference
PRONE_STEP = 10  # nodevectors' default
PEER_MAX_EDGES = 10_000_000  # peers are not run on larger graphs (hours / tens of GB there)
QUALITY_PAIRS = 10_000  # edges and random node pairs for the cosine-similarity agreement ours vs reference
OOM_MARKERS = ("MemoryError", "Unable to allocate", "out of memory", "std::bad_alloc", "Cannot allocate memory")


def progress(msg: str) -> None:
    """Progress on stderr (stdout carries the tables and the final JSON line)."""
    print(f"[embed.py] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- subprocess runs


@dataclass
class Run:
    """One end-to-end run of a contender in a subprocess."""

    status: str  # "ok", "out of memory", "timeout", "failed", "not run", "not installed"
    wall_s: Optional[float] = None
    peak_mb: Optional[float] = None  # child's ru_maxrss
    report: dict = field(default_factory=dict)  # the child's JSON line
    detail: str = ""


def _limits(mem_cap_bytes: int):
    """preexec_fn for a child: address-space cap, and make it the OOM killer's first choice."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_cap_bytes, mem_cap_bytes))
        try:
            with open("/proc/self/oom_score_adj", "w") as f:
                f.write("1000")
        except OSError:
            pass

    return apply


def run_child(cmd: List[str], env: Dict[str, str], mem_cap_gb: float, timeout_s: float, workdir: str) -> Run:
    """Runs ``cmd`` (stdout/stderr to files), returns its wall time, peak RSS and last JSON line.

    The child's peak memory comes from ``os.wait4`` (``ru_maxrss`` of that child only).
    A child that exceeds ``timeout_s`` is killed with its process group."""
    out_path, err_path = os.path.join(workdir, "child.out"), os.path.join(workdir, "child.err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO, start_new_session=True,
                                preexec_fn=_limits(int(mem_cap_gb * 2**30)))
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    peak_mb = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024) / 2**20
    with open(out_path, "r", errors="replace") as f:
        stdout = f.read()
    with open(err_path, "r", errors="replace") as f:
        stderr = f.read()
    report: dict = {}
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            try:
                report = json.loads(line)
                break
            except json.JSONDecodeError:
                pass
    tail = " | ".join(stderr.strip().splitlines()[-3:])[-400:]
    if timed_out.is_set():
        return Run("timeout", wall, peak_mb, report, f"killed after {timeout_s:.0f} s")
    if proc.returncode == 0 and report:
        return Run("ok", wall, peak_mb, report)
    if any(m in stderr for m in OOM_MARKERS) or proc.returncode in (-signal.SIGKILL, 137):
        why = "killed by SIGKILL (OOM killer?)" if proc.returncode in (-signal.SIGKILL, 137) else tail
        return Run("out of memory", wall, peak_mb, report, f"cap {mem_cap_gb:.1f} GB address space; {why}")
    return Run("failed", wall, peak_mb, report, f"exit {proc.returncode}: {tail}")


def check_output(path: str, nodes: Optional[int], dim: int) -> str:
    """'' when ``path`` holds a finite ``[nodes, dim]`` float32 matrix, else what is wrong."""
    if not os.path.isfile(path):
        return f"no output file {path}"
    emb = np.load(path, mmap_mode="r")
    if emb.ndim != 2 or emb.shape[1] != dim or (nodes is not None and emb.shape[0] != nodes):
        return f"output has shape {list(emb.shape)}, expected [{nodes}, {dim}]"
    rows = np.random.default_rng(0).integers(0, emb.shape[0], min(emb.shape[0], 10_000))
    if not np.isfinite(np.asarray(emb[np.sort(rows)])).all():
        return "output has non-finite values"
    return ""


def cosine_agreement(path_a: str, path_b: str, edge_path: str, pairs: int, seed: int) -> Dict[str, float]:
    """How alike two embeddings of the same rows are: Pearson correlation of the cosine
    similarities of the same node pairs, for ``pairs`` edges of the input file (``u v`` ->
    rows through ``path_a + ".ids"``; read from the first 2M lines) and ``pairs`` random
    node pairs. Random pairs of a sparse graph have cosines near 0 plus projection noise, so
    that correlation is low even between two seeds of one implementation; edge pairs show
    whether the two agree on the neighbourhoods. Returns ``{"edges": r, "random": r}``."""
    import pandas as pd

    a, b = np.load(path_a, mmap_mode="r"), np.load(path_b, mmap_mode="r")
    if a.shape[0] != b.shape[0] or a.shape[0] < 2:
        return {}
    ids = pd.read_csv(path_a + ".ids", header=None, dtype=np.int64).iloc[:, 0].to_numpy()
    sep = "\t" if "\t" in _first_data_line(edge_path) else r"\s+"
    df = pd.read_csv(edge_path, sep=sep, header=None, comment="#", usecols=[0, 1], dtype=np.int64,
                     nrows=2_000_000)
    u, v = np.searchsorted(ids, df.iloc[:, 0].to_numpy()), np.searchsorted(ids, df.iloc[:, 1].to_numpy())
    rng = np.random.default_rng(seed)
    ok = np.flatnonzero(u != v)
    pick = rng.choice(ok, min(pairs, ok.size), replace=False)
    ri, rj = rng.integers(0, a.shape[0], (2, pairs))
    keep = ri != rj

    def cos(e: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        order = np.argsort(np.concatenate([i, j]), kind="stable")
        rows = np.empty((2 * i.size, e.shape[1]))
        rows[order] = np.asarray(e[np.concatenate([i, j])[order]], dtype=np.float64)
        x, y = rows[: i.size], rows[i.size:]
        den = np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1)
        return (x * y).sum(1) / np.where(den > 0, den, 1.0)

    out = {}
    for name, (i, j) in (("edges", (u[pick], v[pick])), ("random", (ri[keep], rj[keep]))):
        out[name] = float(np.corrcoef(cos(a, i, j), cos(b, i, j))[0, 1])
    return out


def _first_data_line(path: str) -> str:
    """The first non-comment line of a text file (gzip allowed)."""
    import gzip

    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        for line in f:
            if line.strip() and not line.startswith(("#", "%")):
                return line
    return ""


# ----------------------------------------------------------------------------- contenders


@dataclass
class Contender:
    """A contender: table label, JSON key and how to build its command line."""

    key: str
    label: str
    available: bool
    why_not: str = ""


def contenders(args: argparse.Namespace) -> List[Contender]:
    """graphlearn, reference, and the peers that import here (else the reason why not)."""
    if args.no_peers:
        return [Contender("graphlearn", "graphlearn embed", True),
                Contender("reference", "reference (scipy/sklearn)", True)]
    found = {name: peer_importable(name, args.peers_path) for name in ("nodevectors", "karateclub")}
    return [
        Contender("graphlearn", "graphlearn embed", True),
        Contender("reference", "reference (scipy/sklearn)", True),
        Contender("prone", "nodevectors ProNE", found["nodevectors"] == "",
                  found["nodevectors"] or ""),
        Contender("randne", "karateclub RandNE", found["karateclub"] == "", found["karateclub"] or ""),
    ]


def peer_importable(module: str, peers_path: Optional[str]) -> str:
    """'' when ``module`` imports in a child with the peers' PYTHONPATH, else why not."""
    code = f"import {module}"
    proc = subprocess.run([sys.executable, "-c", code], env=peer_env(peers_path), capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    if proc.returncode == 0:
        return ""
    last = (proc.stderr.strip().splitlines() or ["?"])[-1]
    if "No module named" in last and module in last:
        if module == "karateclub":
            return ("not installed: karateclub 1.3.3 (the latest) pins numpy<1.23, networkx<2.7, pandas<=1.3.5, "
                    "which would downgrade this environment; `make peers` installs it apart without those pins")
        return f"not installed ({last}; `make peers` installs the peers into .peers/)"
    return f"does not import: {last[:200]}"


def peer_env(peers_path: Optional[str], threads: Optional[int] = None) -> Dict[str, str]:
    """Environment of a child: PYTHONPATH += peers_path; thread counts when given."""
    env = dict(os.environ)
    if peers_path:
        env["PYTHONPATH"] = os.pathsep.join([p for p in (env.get("PYTHONPATH"), peers_path) if p])
    if threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env[var] = str(threads)
    return env


def command(key: str, path: str, out: str, args: argparse.Namespace) -> List[str]:
    """The command line of contender ``key`` embedding ``path`` into ``out``."""
    weights = ",".join(f"{w:g}" for w in args.weights)
    if key == "graphlearn":
        return [sys.executable, "-m", "graphlearn.cli", "embed", path, "-o", out, "--dim", str(args.dim),
                "--weights", weights, "--beta", f"{args.beta:g}", "--seed", str(args.seed),
                "--threads", str(args.threads), "--quiet", "--json"]
    if key == "reference":
        return [sys.executable, REFERENCE, path, out, "--dim", str(args.dim), "--weights", weights,
                "--beta", f"{args.beta:g}", "--seed", str(args.seed)]
    return [sys.executable, os.path.abspath(__file__), "--peer", key, path, out, "--dim", str(args.dim),
            "--weights", weights, "--seed", str(args.seed)]


def compute_of(key: str, report: dict) -> Tuple[Optional[float], Optional[float]]:
    """(seconds reading the file into a graph, seconds computing embeddings) from a child's JSON."""
    if key == "graphlearn":
        read = report.get("parse_s", 0.0) + report.get("build_s", 0.0) if "parse_s" in report else None
        return read, report.get("embed_s")
    if key == "reference":
        return report.get("read_s"), report.get("fastrp_s")
    return report.get("read_s"), report.get("fit_s")


def run_peer(argv: Sequence[str]) -> int:
    """``--peer prone|randne INPUT OUTPUT``: one peer end to end in this (light) process.

    Reads the edge list like the reference (pandas + scipy CSR, symmetric 0/1), embeds,
    writes ``[n, dim]`` float32 with np.save, prints one JSON line of timings."""
    t_start = time.perf_counter()
    p = argparse.ArgumentParser(prog="embed.py --peer")
    p.add_argument("--peer", choices=("prone", "randne"), required=True)
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--weights", default="0,0,1,6.67")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    sys.path.insert(0, HERE)
    from _fastrp_reference import _save_atomic, read_edge_list

    t_ready = time.perf_counter()
    adj, _ = read_edge_list(a.input)
    t_read = time.perf_counter()
    if a.peer == "prone":
        from nodevectors import ProNE

        t_read = time.perf_counter()  # numba / gensim imports count as startup, not reading
        emb = ProNE(n_components=a.dim, step=PRONE_STEP, verbose=False).fit_transform(adj)
    else:
        import networkx as nx
        from karateclub import RandNE

        t_read = time.perf_counter()
        graph = nx.from_scipy_sparse_array(adj)
        q = len(a.weights.split(","))
        model = RandNE(dimensions=a.dim, alphas=[1.0 / q] * q, seed=a.seed)
        model.fit(graph)
        emb = model.get_embedding()
    t_fit = time.perf_counter()
    _save_atomic(a.output, np.asarray(emb, dtype=np.float32))
    t_end = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 2**20
    print(json.dumps({"nodes": int(adj.shape[0]), "read_s": round(t_read - t_ready, 3),
                      "fit_s": round(t_fit - t_read, 3), "write_s": round(t_end - t_fit, 3),
                      "total_s": round(t_end - t_start, 3), "peak_rss_mb": round(peak, 1)}), flush=True)
    return 0


# ----------------------------------------------------------------------------- inputs


@dataclass
class Graph:
    """An input file and what is known about it."""

    name: str
    path: Optional[str]
    edges: Optional[int] = None  # lines of the edge list
    note: str = ""
    large: bool = False
    skipped: str = ""


def parse_size(text: str) -> int:
    """'10M' -> 10_000_000, '200k' -> 200_000, '5000' -> 5000."""
    t = text.strip().lower()
    mult = {"k": 10**3, "m": 10**6, "g": 10**9}.get(t[-1:], 1)
    try:
        value = float(t[:-1] if mult > 1 else t) * mult
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 10M,50M, got {text!r}") from None
    if value < 10 or value != int(value):
        raise argparse.ArgumentTypeError(f"edge counts must be integers >= 10, got {text!r}")
    return int(value)


def size_name(edges: int) -> str:
    """10_000_000 -> '10M'."""
    for unit, div in (("M", 10**6), ("k", 10**3)):
        if edges >= div and edges % (div // 10) == 0:
            return f"{edges / div:g}{unit}"
    return str(edges)


def write_tsv(path: str, src: np.ndarray, dst: np.ndarray) -> None:
    """``src\\tdst`` lines (no header) with pyarrow's CSV writer, atomically."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from graphlearn import _io

    table = pa.table({"src": pa.array(src, pa.int64()), "dst": pa.array(dst, pa.int64())})
    with _io.atomic_paths([path]) as (tmp,):
        pacsv.write_csv(table, tmp, pacsv.WriteOptions(include_header=False, delimiter="\t", batch_size=1 << 20))


def blogcatalog_tsv(root: str, folder: str) -> Graph:
    """BlogCatalog's undirected edges (u < v, from ``load_blogcatalog``) as a TSV."""
    from graphlearn.datasets import load_blogcatalog

    try:
        adj, _ = load_blogcatalog(root)
    except FileNotFoundError as exc:
        return Graph("BlogCatalog", None, skipped=str(exc))
    row, col = adj.row.numpy(), adj.col.numpy()
    keep = row < col
    path = os.path.join(folder, "blogcatalog.tsv")
    write_tsv(path, row[keep], col[keep])
    return Graph("BlogCatalog", path, int(keep.sum()), "undirected edges u<v from blogcatalog.mat")


def slashdot(root: str) -> Graph:
    """The shared SNAP Slashdot file, read in place (gzip, directed, CRLF, self-loops)."""
    path = os.path.join(root, SLASHDOT)
    if not os.path.isfile(path):
        return Graph("Slashdot", None, skipped=f"not found: {path}")
    return Graph("Slashdot", path, 948_464, "SNAP soc-Slashdot0902.txt.gz as is: directed lines, treated as "
                 "undirected by every contender (graphlearn embed's default; A + A^T for the others)")


def synthetic_tsv(edges: int, seed: int, folder: str) -> Graph:
    """A power-law (Chung-Lu, exponent 2.2) edge list with ``edges`` lines and ``edges // 10`` nodes."""
    from graphlearn.datasets import power_law_graph

    nodes = max(2, edges // 10)
    name = f"power-law {size_name(edges)}"
    progress(f"generating {name}: power_law_graph({nodes:_}, {edges:_}, seed={seed})")
    ei = power_law_graph(nodes, edges, seed=seed).numpy()
    path = os.path.join(folder, f"powerlaw_{size_name(edges)}.tsv")
    write_tsv(path, ei[0], ei[1])
    del ei
    gc.collect()
    mb = os.path.getsize(path) / 2**20
    return Graph(name, path, edges, f"power_law_graph({nodes:,} nodes, {edges:,} lines, exponent 2.2, "
                 f"seed {seed}): {mb:,.0f} MiB TSV; repeated edges and self-loops as drawn", large=edges >= 10**7)


# ----------------------------------------------------------------------------- throughput


def memory_bandwidth(threads: int, mib: int, reps: int) -> Dict[str, float]:
    """Best GB/s (1e9 bytes/s) over ``reps`` of STREAM-like kernels on float32 arrays of
    ``mib`` MiB each with ``threads`` torch threads: copy (2 arrays moved), triad
    ``a = b + s c`` (3), and read (sum of one array, 1)."""
    import torch

    torch.set_num_threads(threads)
    n = mib * 2**20 // 4
    a, b, c = torch.empty(n), torch.rand(n), torch.rand(n)
    a.copy_(b)  # first touch
    kernels = {"copy": (lambda: a.copy_(b), 2), "triad": (lambda: torch.add(b, c, alpha=3.0, out=a), 3),
               "read": (lambda: b.sum(), 1)}
    best: Dict[str, float] = {}
    for name, (fn, arrays) in kernels.items():
        fn()
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        best[f"{name}_gb_s"] = round(arrays * 4 * n / min(times) / 1e9, 2)
    del a, b, c
    return best


def random_gather_rate(rows: int, dim: int, threads: int, gathers: int, reps: int, seed: int) -> float:
    """Best rows per second over ``reps`` of ``torch.index_select`` copying ``gathers``
    uniformly random rows out of a ``[rows, dim]`` float32 matrix (``threads`` threads):
    the rate at which this machine fetches random rows at all, a tighter bound for a
    gather-bound propagation than streaming bandwidth (random 4*dim-byte rows are limited
    by memory latency and outstanding misses, not by bandwidth)."""
    import torch

    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(max(rows, 1), dim, generator=gen)
    idx = torch.randint(0, max(rows, 1), (gathers,), generator=gen)
    out = torch.empty(gathers, dim)
    torch.index_select(x, 0, idx, out=out)  # first touch of out
    best = math.inf
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.index_select(x, 0, idx, out=out)
        best = min(best, time.perf_counter() - t0)
    del x, idx, out
    return gathers / best


def propagation_throughput(path: str, dim: int, weights: Sequence[float], threads: int, runs: int,
                           seed: int) -> dict:
    """Times the FastRP propagation alone (``ops.fastrp_step`` for every power, as FastRP.fit
    runs it: transition matrix, per-row L2 normalisation, accumulation) on the graph that
    ``graphlearn embed`` builds from ``path``. Median over ``runs`` after one warm-up."""
    import torch

    from graphlearn import ops
    from graphlearn.datasets.edgelist import read_edge_list

    torch.set_num_threads(threads)
    edges = read_edge_list(path, progress=False).compact()
    adj = edges.to_csr(directed=False)
    del edges
    q = len(weights)
    while q > 0 and weights[q - 1] == 0:
        q -= 1
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.randn(adj.num_rows, dim, generator=gen)
    times = []
    for r in range(runs + 1):
        acc = torch.zeros(adj.num_rows, dim)
        x = x0
        t0 = time.perf_counter()
        for w in weights[:q]:
            x = ops.fastrp_step(adj, x, acc, float(w), mean=True, normalize=True)
        took = time.perf_counter() - t0
        if r > 0:
            times.append(took)
        del x, acc
    sec = statistics.median(times)
    nnz, rows = adj.nnz, adj.num_rows
    idx_bytes = adj.col.element_size()
    ptr_bytes = adj.rowptr.element_size()
    del adj, x0
    gc.collect()
    rate = nnz * dim * q / sec
    # unavoidable traffic of one step without cache reuse: per stored entry the gathered row
    # (dim floats) and its column index; per row the write of out, read + write of acc, rowptr
    bytes_per_step = nnz * (4 * dim + idx_bytes) + rows * (12 * dim + ptr_bytes)
    return {"nodes": rows, "stored_entries": nnz, "dim": dim, "steps": q, "threads": threads,
            "seconds": round(sec, 4), "runs": len(times), "edges_dim_per_s": rate,
            "edges_dim_per_s_per_core": rate / threads, "bytes_per_step": bytes_per_step,
            "bytes_per_edge_dim": bytes_per_step / (nnz * dim)}


# ----------------------------------------------------------------------------- reporting


def fmt_s(s: Optional[float]) -> str:
    """Seconds with about three significant digits."""
    if s is None:
        return "-"
    return f"{s:.3f}" if s < 1 else f"{s:.2f}" if s < 10 else f"{s:.1f}" if s < 1000 else f"{s:.0f}"


def fmt_x(r: Optional[float], bound: bool = False) -> str:
    """A ratio such as '5.3x' ('>=5.3x' for a lower bound)."""
    if r is None:
        return "-"
    return (">=" if bound else "") + (f"{r:.2f}x" if r < 10 else f"{r:.1f}x")


def print_table(title: str, header: List[str], rows: List[List[str]], notes: Sequence[str] = ()) -> None:
    """Aligned text table (first column left-aligned, the others right-aligned, last left)."""
    print(f"\n== {title} ==")
    for note in notes:
        print(f"   {note}")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]

    def line(cells: List[str]) -> str:
        return "  ".join(c.ljust(w) if i in (0, len(header) - 1) else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    print(line(header))
    print(line(["-" * w for w in widths]))
    for r in rows:
        print(line(r))


def summarize(runs: List[Run]) -> Run:
    """The median run of successful repeats (by wall time), or the first failure."""
    bad = [r for r in runs if r.status != "ok"]
    if bad:
        return bad[0]
    ordered = sorted(runs, key=lambda r: r.wall_s or 0.0)
    return ordered[(len(ordered) - 1) // 2]


def median_of(runs: List[Run], key: str, getter) -> Optional[float]:
    """Median over successful runs of getter(run)."""
    vals = [v for v in (getter(r) for r in runs if r.status == "ok") if v is not None]
    return statistics.median(vals) if vals else None


# ----------------------------------------------------------------------------- main


def bench_graph(graph: Graph, cands: List[Contender], args: argparse.Namespace, workdir: str) -> dict:
    """Runs every contender on one graph; prints its table; returns its JSON part."""
    result: dict = {"edges": graph.edges, "note": graph.note, "contenders": {}}
    runs = args.large_runs if graph.large else args.runs
    outputs: Dict[str, str] = {}
    summary: Dict[str, Run] = {}
    detail: Dict[str, dict] = {}
    nodes: Optional[int] = None
    for c in cands:
        if not c.available:
            summary[c.key] = Run("not installed", detail=c.why_not)
            continue
        if c.key in ("prone", "randne") and graph.edges and graph.edges > args.peer_max_edges:
            summary[c.key] = Run("not run", detail=f"peers run up to {size_name(args.peer_max_edges)} edges "
                                 "(--peer-max-edges)")
            continue
        timeout = args.timeout_s if c.key in ("graphlearn", "reference") else min(args.timeout_s, args.peer_timeout_s)
        env = peer_env(args.peers_path if c.key in ("prone", "randne") else None,
                       args.threads if c.key != "graphlearn" else None)
        done: List[Run] = []
        for r in range(runs):
            out = os.path.join(workdir, f"{c.key}.npy")
            progress(f"{graph.name}: {c.label} run {r + 1}/{runs} (load average {os.getloadavg()[0]:.1f}, "
                     f"this process {_rss_mb():,.0f} MiB, available {_mem_available_gb():.1f} GiB)")
            run = run_child(command(c.key, graph.path, out, args), env, args.mem_cap_gb, timeout, workdir)
            if run.status == "ok":
                n = run.report.get("nodes")
                problem = check_output(out, n, args.dim)
                if problem:
                    run = Run("failed", run.wall_s, run.peak_mb, run.report, problem)
                elif nodes is None:
                    nodes = n
                elif n != nodes:
                    run = Run("failed", run.wall_s, run.peak_mb, run.report, f"{n} rows, others have {nodes}")
            progress(f"  -> {run.status} {fmt_s(run.wall_s)} s, peak {run.peak_mb or 0:,.0f} MiB {run.detail}")
            done.append(run)
            if run.status != "ok":
                break
            if r == runs - 1 and c.key in ("graphlearn", "reference"):
                keep = os.path.join(workdir, f"{c.key}.kept.npy")
                os.replace(out, keep)
                if os.path.exists(out + ".ids"):
                    os.replace(out + ".ids", keep + ".ids")
                outputs[c.key] = keep
            else:
                os.remove(out)
        for extra in (out + ".ids",):
            if os.path.exists(extra):
                os.remove(extra)
        summary[c.key] = summarize(done)
        detail[c.key] = {
            "wall_s": median_of(done, "wall", lambda x: x.wall_s),
            "read_s": median_of(done, "read", lambda x: compute_of(c.key, x.report)[0]),
            "compute_s": median_of(done, "compute", lambda x: compute_of(c.key, x.report)[1]),
            "peak_mb": median_of(done, "peak", lambda x: x.peak_mb),
            "runs": len([x for x in done if x.status == "ok"]),
        }
    agreement: Dict[str, float] = {}
    if "graphlearn" in outputs and "reference" in outputs:
        agreement = cosine_agreement(outputs["graphlearn"], outputs["reference"], graph.path, QUALITY_PAIRS,
                                     args.seed)
    for path in outputs.values():
        os.remove(path)
        if os.path.exists(path + ".ids"):
            os.remove(path + ".ids")

    ref, ref_d = summary["reference"], detail.get("reference", {})
    rows: List[List[str]] = []
    for c in cands:
        run, d = summary[c.key], detail.get(c.key, {})
        entry: dict = {"status": run.status}
        if run.detail:
            entry["detail"] = run.detail
        if run.status == "ok":
            entry.update({k: (round(v, 3) if isinstance(v, float) else v) for k, v in d.items()})
            entry["report"] = run.report
        elif run.wall_s is not None:
            entry.update({"wall_s_at_failure": round(run.wall_s, 3), "peak_mb_at_failure": round(run.peak_mb or 0, 1)})
        speed = cspeed = mem = None
        bound = False
        if run.status == "ok" and c.key != "reference":
            if ref.status == "ok":
                speed = ref_d["wall_s"] / d["wall_s"]
                if ref_d.get("compute_s") and d.get("compute_s"):
                    cspeed = ref_d["compute_s"] / d["compute_s"]
                mem = d["peak_mb"] / ref_d["peak_mb"]
            elif ref.status in ("out of memory", "timeout") and ref.wall_s:
                # the reference would have needed at least this long and this much memory
                speed, bound = ref.wall_s / d["wall_s"], True
                mem = d["peak_mb"] / max(ref.peak_mb or 0.0, 1.0)
            if speed is not None:
                entry["speedup_vs_reference"] = round(speed, 3)
                entry["memory_vs_reference"] = round(mem, 3)
                entry["ratios_are_bounds"] = bound
            if cspeed is not None:
                entry["compute_speedup_vs_reference"] = round(cspeed, 3)
        target = "-"
        if c.key == "graphlearn" and graph.large:
            if speed is None:
                target = "n/a (no reference time)"
                entry["target_met"] = None
            else:
                met = speed >= TARGET_SPEEDUP and mem <= TARGET_MEMORY
                entry["target_met"] = met
                target = ("yes" if met else "no") + f" (>= {TARGET_SPEEDUP:g}x, <= {TARGET_MEMORY:g}x)"
        if run.status == "ok":
            status = f"ok ({d['runs']})"
            other = d["wall_s"] - (d["read_s"] or 0) - (d["compute_s"] or 0)
            rows.append([c.label, status, fmt_s(d["wall_s"]), fmt_s(d["read_s"]), fmt_s(d["compute_s"]),
                         fmt_s(other), f"{d['peak_mb']:,.0f}", fmt_x(speed, bound), fmt_x(cspeed),
                         "-" if mem is None else ("<=" if bound else "") + f"{mem:.2f}x", target])
        else:
            at = f" at {fmt_s(run.wall_s)} s / {run.peak_mb:,.0f} MiB" if run.wall_s is not None else ""
            rows.append([c.label, run.status + at, "-", "-", "-", "-", "-", "-", "-", "-", run.detail[:120]])
        result["contenders"][c.key] = entry
    result["nodes"] = nodes
    result["cosine_agreement_vs_reference"] = {k: round(v, 4) for k, v in agreement.items()} or None
    notes = [graph.note, f"nodes (rows written): {nodes:,}" if nodes else "no contender finished"]
    if agreement:
        notes.append(f"graphlearn vs reference (different random projections): correlation of the cosine "
                     f"similarities of {QUALITY_PAIRS:,} edges {agreement['edges']:.3f}, of {QUALITY_PAIRS:,} random "
                     f"pairs {agreement['random']:.3f} (1 = same geometry; random pairs of a sparse graph are mostly "
                     "projection noise, low even between two seeds of one implementation)")
    print_table(f"{graph.name}: end to end (file -> .npy), d={args.dim}, weights {args.weights}, "
                f"beta {args.beta:g}", ["contender", "status (runs)", "e2e s", "read s", "compute s", "other s",
                                        "peak MiB", "speedup e2e", "speedup compute", "memory vs ref", "target"],
                rows, notes)
    return result


def cli_imports(path: str, args: argparse.Namespace, workdir: str) -> dict:
    """Runs ``graphlearn embed`` once on ``path`` and lists the heavy modules it imported."""
    heavy = ["torch", "torch_geometric", "scipy", "sklearn", "pandas", "networkx", "pyarrow", "tqdm"]
    out = os.path.join(workdir, "imports.npy")
    code = ("import atexit, json, sys\n"
            f"heavy = {heavy!r}\n"
            "atexit.register(lambda: print('IMPORTS ' + json.dumps([m for m in heavy if m in sys.modules]), "
            "file=sys.stderr))\n"
            "from graphlearn.cli import main\n"
            f"sys.exit(main(['embed', {path!r}, '-o', {out!r}, '--dim', '8', '--quiet']))\n")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600)
    wall = time.perf_counter() - t0
    for f in (out, out + ".ids"):
        if os.path.exists(f):
            os.remove(f)
    line = next((ln for ln in proc.stderr.splitlines() if ln.startswith("IMPORTS ")), None)
    mods = json.loads(line[len("IMPORTS "):]) if line else None
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], cwd=REPO, check=True)
    torch_s = time.perf_counter() - t0
    return {"modules": mods, "wall_s": round(wall, 3), "import_torch_s": round(torch_s, 3), "ok": proc.returncode == 0}


def throughput_of(graph: Graph, args: argparse.Namespace) -> dict:
    """propagation_throughput on one graph's file, labelled with the graph's name."""
    progress(f"throughput of the propagation on {graph.name}")
    out = propagation_throughput(graph.path, args.dim, args.weights, args.threads, args.runs, args.seed)
    out["graph"] = graph.name
    return out


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line flags."""
    from graphlearn.datasets._paths import default_root

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    avail_gb = _mem_available_gb()
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=default_root(), help="dataset folder (default: %(default)s)")
    p.add_argument("--runs", type=int, default=3,
                   help="end-to-end repeats on graphs under 10M edges and throughput repeats; median "
                        "(default %(default)s)")
    p.add_argument("--large-runs", type=int, default=1, help="repeats on graphs of >= 10M edges (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic graphs and of the embeddings")
    p.add_argument("--dim", type=int, default=128, help="embedding dimension (default %(default)s)")
    p.add_argument("--weights", default="0,0,1,6.67", help="FastRP weights of powers 1..q (default %(default)s)")
    p.add_argument("--beta", type=float, default=-0.64, help="degree exponent (default %(default)s)")
    p.add_argument("--threads", type=int, default=cores, help="threads for graphlearn (default: all cores, "
                   "%(default)s)")
    p.add_argument("--sizes", default="10M,50M", help="synthetic graph sizes in edge-list lines "
                   "(default %(default)s)")
    p.add_argument("--skip-large", action="store_true", help="no synthetic graphs of >= 10M edges")
    p.add_argument("--skip-real", action="store_true", help="no BlogCatalog / Slashdot (synthetic graphs only)")
    p.add_argument("--quick", action="store_true", help="smoke test: one tiny synthetic graph, one run each")
    p.add_argument("--keep-files", action="store_true", help="keep the generated edge lists (printed path)")
    p.add_argument("--tmpdir", default=None, help="where the temporary edge lists go (default: system temp)")
    p.add_argument("--mem-cap-gb", type=float, default=round(min(20.0, 0.9 * avail_gb), 1),
                   help="address-space cap of every child (default: min(20, 0.9 x available) = %(default)s)")
    p.add_argument("--timeout-s", type=float, default=1800.0, help="time cap of every child (default %(default)s)")
    p.add_argument("--peer-timeout-s", type=float, default=600.0, help="time cap of peer runs (default %(default)s)")
    p.add_argument("--peer-max-edges", type=parse_size, default=PEER_MAX_EDGES,
                   help="largest graph the peers run on (default 10M)")
    p.add_argument("--peers-path",
                   default=os.environ.get("GRAPHLEARN_BENCH_PEERS") or (DEFAULT_PEERS if os.path.isdir(DEFAULT_PEERS)
                                                                       else None),
                   help="extra PYTHONPATH folder holding peers (default: $GRAPHLEARN_BENCH_PEERS, else .peers/ "
                        "when `make peers` made it)")
    p.add_argument("--no-peers", action="store_true", help="graphlearn and reference only")
    p.add_argument("--bandwidth-mib", type=int, default=512, help="array size of the bandwidth test (MiB)")
    args = p.parse_args(argv)
    try:
        args.weights = [float(w) for w in args.weights.split(",")]
    except ValueError:
        p.error(f"--weights: expected comma-separated numbers, got {args.weights!r}")
    if not args.weights or not all(math.isfinite(w) for w in args.weights) or not any(args.weights):
        p.error("--weights: need finite numbers, not all zero")
    try:
        args.sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    except argparse.ArgumentTypeError as exc:
        p.error(f"--sizes: {exc}")
    if args.skip_real and args.skip_large and not args.quick:
        p.error("--skip-real with --skip-large leaves nothing to run")
    if min(args.runs, args.large_runs, args.dim, args.threads) < 1:
        p.error("--runs, --large-runs, --dim and --threads must be >= 1")
    if args.mem_cap_gb <= 0.5 or args.timeout_s <= 0 or args.peer_timeout_s <= 0:
        p.error("--mem-cap-gb must be > 0.5 and the timeouts > 0")
    if args.quick:
        args.runs = args.large_runs = 1
        args.bandwidth_mib = min(args.bandwidth_mib, 64)
    return args


def _rss_mb() -> float:
    """Current resident memory of this process in MiB (0 if unknown)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def _mem_available_gb() -> float:
    """MemAvailable from /proc/meminfo in GiB (total memory elsewhere; 16 if unknown)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return 16.0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs everything, prints the tables and the JSON line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--peer":
        return run_peer(argv)
    args = parse_args(argv)
    t_start = time.perf_counter()
    import torch

    import graphlearn
    from graphlearn import ops

    if not ops.compiled():
        print(f"error: graphlearn's compiled core is not loaded ({ops.load_error()})", file=sys.stderr)
        return 1
    cands = contenders(args)
    load0 = os.getloadavg()[0]
    print(f"graphlearn {graphlearn.__version__}, torch {torch.__version__}, numpy {np.__version__}; "
          f"{args.threads} threads for graphlearn ({os.cpu_count()} cores here); reference and peers as their "
          f"libraries run them (scipy sparse products are single-threaded)")
    print(f"1-min load average at start: {load0:.2f} (other busy processes slow every contender down)")
    print(f"each contender: a subprocess, file in -> .npy out, wall clock; peak = its ru_maxrss; caps: "
          f"{args.mem_cap_gb:g} GB address space, {args.timeout_s:g} s ({args.peer_timeout_s:g} s for peers)")
    print("columns: read = file -> graph (graphlearn: parse + CSR build; others: pandas + scipy csr), compute = "
          "embedding (graphlearn: FastRP.fit; reference: transition matrix, projection, products, merge; "
          "peers: fit), other = interpreter start, imports, writing; speedup = reference / contender; "
          "memory = contender / reference")
    for c in cands:
        if not c.available:
            print(f"{c.label}: {c.why_not}")

    workdir = tempfile.mkdtemp(prefix="graphlearn-bench-embed-", dir=args.tmpdir)
    results: dict = {"graphs": {}}
    try:
        graphs: List[Graph] = []
        if args.quick:
            graphs.append(synthetic_tsv(20_000, args.seed, workdir))
        elif not args.skip_real:
            graphs.append(blogcatalog_tsv(args.root, workdir))
            graphs.append(slashdot(args.root))
        for g in graphs:
            if g.path is None:
                print(f"\n== {g.name}: skipped ({g.skipped}) ==")
                results["graphs"][g.name] = {"skipped": g.skipped}
                continue
            results["graphs"][g.name] = bench_graph(g, cands, args, workdir)
        imports_path = next((g.path for g in graphs if g.path), None)
        # throughput graph: the 10M synthetic one (else the smallest synthetic one), the tiny one
        # with --quick, the largest real one with --skip-large
        real = [g for g in graphs if g.path]
        tp_graph: Optional[Graph] = real[-1] if real else None
        tp_size = 10**7 if 10**7 in args.sizes else (min(args.sizes) if args.sizes else None)
        if not args.quick and not args.skip_large:
            for size in args.sizes:
                g = synthetic_tsv(size, args.seed, workdir)
                results["graphs"][g.name] = bench_graph(g, cands, args, workdir)
                if size == tp_size:
                    results["throughput"] = throughput_of(g, args)
                    tp_graph = None
                if not args.keep_files:
                    os.remove(g.path)
        if tp_graph is not None:
            results["throughput"] = throughput_of(tp_graph, args)

        progress("memory bandwidth")
        bw = memory_bandwidth(args.threads, args.bandwidth_mib, 3 if args.quick else 7)
        bw.update(array_mib=args.bandwidth_mib, threads=args.threads)
        results["bandwidth"] = bw
        rows = [[k.replace("_gb_s", ""), f"{v:.2f}"] for k, v in bw.items() if k.endswith("_gb_s")]
        print_table(f"Memory bandwidth ({args.threads} threads, float32 arrays of {args.bandwidth_mib} MiB, best of "
                    "reps)", ["kernel", "GB/s"], rows,
                    ["copy b -> a counts 2 arrays, triad a = b + 3c counts 3, read (sum b) counts 1 (STREAM "
                     "convention: write-allocate traffic not counted)"])
        tp = results.get("throughput")
        if tp:
            bound = bw["triad_gb_s"] * 1e9 / tp["bytes_per_edge_dim"]
            tp["bandwidth_bound_edges_dim_per_s"] = bound
            tp["ratio_to_bound"] = tp["edges_dim_per_s"] / bound
            progress("random row gathers (torch.index_select)")
            gathers = 1 << 16 if args.quick else 1 << 21
            gather_rate = random_gather_rate(tp["nodes"], args.dim, args.threads, gathers, 3 if args.quick else 5,
                                             args.seed)
            tp["row_gathers_per_s"] = tp["stored_entries"] * tp["steps"] / tp["seconds"]
            tp["index_select_rows_per_s"] = gather_rate
            tp["ratio_to_random_gather"] = tp["row_gathers_per_s"] / gather_rate
            print_table(f"Propagation throughput on {tp['graph']} (ops.fastrp_step x {tp['steps']}, median of "
                        f"{tp['runs']})",
                        ["what", "value"],
                        [["stored entries (nnz)", f"{tp['stored_entries']:,}"], ["rows", f"{tp['nodes']:,}"],
                         ["seconds for all steps", fmt_s(tp["seconds"])],
                         ["edges x dim / s", f"{tp['edges_dim_per_s'] / 1e9:.3f} G"],
                         ["edges x dim / s / core", f"{tp['edges_dim_per_s_per_core'] / 1e9:.3f} G "
                                                    f"({tp['threads']} threads)"],
                         ["bytes per step (no cache reuse)", f"{tp['bytes_per_step'] / 1e9:.3f} GB"],
                         ["bandwidth bound (triad GB/s / bytes per edge x dim)", f"{bound / 1e9:.3f} G edges x dim / s"],
                         ["achieved / bound", f"{tp['ratio_to_bound']:.2f}"],
                         ["row gathers / s (entries x steps / s)", f"{tp['row_gathers_per_s'] / 1e6:.1f} M"],
                         [f"torch.index_select of {gathers:,} random rows / s (same [rows, {args.dim}] matrix)",
                          f"{gather_rate / 1e6:.1f} M"],
                         ["achieved / random-gather rate", f"{tp['ratio_to_random_gather']:.2f}"]],
                        ["per step: every stored entry gathers one row of dim float32 (+ its column index), every "
                         "row writes out and reads + writes acc (+ rowptr);",
                         "hub rows of a power-law graph stay in cache, so the achieved rate can exceed this bound;",
                         "random rows are bound by memory latency, not bandwidth: index_select's rate of copying "
                         "random rows is the closer bound"])
        if imports_path and not args.quick:
            progress("imports of graphlearn embed")
            results["cli_imports"] = cli_imports(imports_path, args, workdir)
            ci = results["cli_imports"]
            print(f"\ngraphlearn embed imported: {', '.join(ci['modules'] or ['?'])} "
                  f"(run on {os.path.basename(imports_path)} at --dim 8: {ci['wall_s']:.2f} s wall; "
                  f"`python -c 'import torch'` alone: {ci['import_torch_s']:.2f} s)")
    finally:
        if args.keep_files:
            print(f"\nkept the generated files in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    total = time.perf_counter() - t_start
    load1 = os.getloadavg()[0]
    print(f"\ntotal benchmark time: {total:.1f} s; 1-min load average at end: {load1:.2f}")
    results["meta"] = {"graphlearn": graphlearn.__version__, "torch": torch.__version__, "numpy": np.__version__,
                       "threads": args.threads, "cores": os.cpu_count(), "dim": args.dim, "weights": args.weights,
                       "beta": args.beta, "runs": args.runs, "large_runs": args.large_runs, "seed": args.seed,
                       "quick": args.quick, "skip_real": args.skip_real, "skip_large": args.skip_large,
                       "sizes": args.sizes, "mem_cap_gb": args.mem_cap_gb, "timeout_s": args.timeout_s,
                       "issue_reference_10M": ISSUE_REFERENCE_10M, "load_average": [round(load0, 2), round(load1, 2)],
                       "total_s": round(total, 1)}
    print(json.dumps(results, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
