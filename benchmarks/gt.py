#!/usr/bin/env python
"""Times graphlearn's graph transformer layers (GraphTransformerLayer, GPSLayer) and its
Laplacian positional encoding against the same computations built from PyTorch Geometric
parts, side by side in one run.

Contenders:

  GT    graphlearn  a stack of ``graphlearn.nn.GraphTransformerLayer`` as
                    ``graphlearn.nn.GraphTransformer`` runs it (the graph converted once
                    per batch, the edge stream carried in CSR order and put back in the
                    caller's order at the end); the edge variant (``edge_dim``, edge
                    features in and out) and the plain variant.
        pyg         :class:`PyGGraphTransformerLayer` below: the same layer built from
                    PyG parts, TransformerConv-style: q/k/v/e projections, per-edge
                    products gathered with ``index_select``,
                    ``torch_geometric.utils.softmax`` over the target index,
                    ``torch_geometric.utils.scatter`` (sum) of the messages, then the
                    same output projection, residuals, BatchNorms and feed-forward
                    blocks. It is given graphlearn's weights (same module names), and
                    before any timing both are checked to compute the same outputs and
                    parameter gradients (train mode, no dropout) to 1e-4 relative on a
                    messy random graph (isolated nodes, a hub, repeated edges,
                    self-loops) and on a molecule batch; the run stops (exit 1) if not.
  GPS   graphlearn  a stack of ``GPSLayer(local="gine", global_attn="full")``: GINE plus
                    full attention over the block-diagonal complete graph of the batch
                    (sum_g n_g^2 node pairs).
        pyg         a stack of ``torch_geometric.nn.GPSConv(C, GINEConv(MLP, edge_dim=C),
                    heads)`` (``torch.nn.MultiheadAttention`` on ``to_dense_batch``
                    output: every graph padded to the largest, B * Nmax^2 pairs).
                    Different parametrisations, so no weight agreement: time and memory
                    only.
  LapPE graphlearn  ``graphlearn.transforms.AddLaplacianPE(k)``.
        pyg         ``torch_geometric.transforms.AddLaplacianEigenvectorPE(k,
                    is_undirected=True)`` (the symmetric solver, PyG's faster setting).
                    Its failures (ARPACK errors, graphs with <= k nodes, time-outs) are
                    caught and reported as failures, with the first error.

Measured:

  * GT and GPS: forward + backward (loss: the mean square of the outputs) per epoch:
    all ogbg-molesol molecules in batches of ``--batch-size`` (random node and edge
    features of the model width: the input encoders are not what is compared); GT also
    on a synthetic power-law graph of ``--synthetic-edges`` edges (one full-graph pass
    per epoch); GPS also on one batch of ``--gps-molecules`` molecules plus one
    synthetic molecule-like graph of ``--gps-large-nodes`` nodes, where padding to the
    largest graph costs B * Nmax^2. Median over ``--runs`` epochs after a warm-up epoch.
  * peak memory: the process's peak RSS (VmHWM) and the peak above the RSS after setup
    (data and model built; the mark reset through /proc/self/clear_refs).
  * LapPE: one timed pass over all molecules, and over a ``--lappe-nodes``-node
    power-law graph (made undirected), each under ``--lappe-timeout`` seconds (after
    the solvers' modules are imported and a 12-node graph is encoded, untimed); where
    a contender fails on some molecules, also the time of both on the molecules both
    finished.

Each contender runs in a fresh subprocess per measurement (``--quick``: one subprocess
per contender for all its measurements, to keep the smoke test short; the peak mark is
reset between them). Memory guard: a child never lets itself use more than
``--max-memory-gb`` (or 80% of the memory available when it starts, if less): before
a large run it extrapolates the need from a probe 1/16 the size (GT: edges; GPS: the
node pairs that contender's attention works on) and reports "skipped: would need X GB"
instead of running; beyond that its address space is capped (RLIMIT_AS), so an
allocation that would exceed the budget fails inside the child ("failed: out of
memory") rather than pushing the machine into swap.

Targets (from the issue; reported, never asserted): >= 2x faster (pyg / graphlearn
time); GT memory linear in edges, the 1M-edge graph in a few GB (<= 4 GiB above setup
here); GPS memory that follows sum n_g^2 rather than B * Nmax^2. Ratios: pyg /
graphlearn for time, graphlearn / pyg for memory.

    python benchmarks/gt.py --quick          # tiny sizes, smoke test (~1 min on 2 busy cores)
    python benchmarks/gt.py --skip-lappe     # GT and GPS only
    python benchmarks/gt.py                  # everything (tens of minutes on 2 cores)

On a machine shared with other jobs timings are noisy: ``--threads 1`` gives steadier
numbers than the default. Prints one table per part and ends with exactly one JSON line.
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import time
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)  # benchmark this checkout
sys.path.insert(0, HERE)  # the shared _bench helpers

import torch  # noqa: E402
from torch import Tensor, nn  # noqa: E402

import graphlearn  # noqa: E402
from _bench import status_kb, peak_mb, print_table, reset_peak, rss_mb  # noqa: E402
from _bench import (ratio as _ratio, mem_ratio as _mem_ratio, fmt_ratio as _fx, fmt_seconds as _fs,  # noqa: E402
                    fmt_mib as _fm, verdict as _verdict)
from graphlearn import ops  # noqa: E402
from graphlearn.datasets import default_root, power_law_graph, random_graph  # noqa: E402
from graphlearn.nn import GraphTransformerLayer  # noqa: E402
from graphlearn.nn._edges import ordered_graph, to_caller_order  # noqa: E402

warnings.filterwarnings("ignore", message=".*[Ss]parse CSR tensor support is in beta.*")

CONTENDERS = ("graphlearn", "pyg")
GT_VARIANTS = ("edge", "plain")
TARGETS = {"time": 2.0, "gt_synthetic_gib": 4.0}
CHECK_RTOL = 1e-4
PROBE_FACTOR = 16  # the memory probe is 1/16 of the real size
LAPPE_K = 8


def progress(msg: str) -> None:
    """Progress on stderr (stdout carries the tables and the final JSON line)."""
    print(f"[gt.py] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- memory


def memory_budget(args: argparse.Namespace) -> int:
    """Bytes a child may use above what it holds: ``--max-memory-gb``, or 80% of the
    memory available now if that is less."""
    from graphlearn import _validate

    budget = int(args.max_memory_gb * 2 ** 30)
    avail = _validate.available_memory()
    return budget if avail is None else min(budget, int(0.8 * avail))


def cap_address_space(budget: int) -> Optional[int]:
    """Caps this process's address space at its current size plus ``budget`` bytes
    (RLIMIT_AS), so that a run that would need more fails with an allocation error in
    this process instead of swapping the machine. Returns the cap (None: not set)."""
    try:
        import resource
        size = (status_kb("VmSize") or 0) * 1024
        cap = size + budget
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        if soft == resource.RLIM_INFINITY or soft > cap:
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        return cap
    except (ImportError, OSError, ValueError):
        return None


def _gib(b: float) -> str:
    return f"{b / 2 ** 30:.1f} GiB"


def _is_oom(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or "alloc" in str(exc).lower() and "memory" in str(exc).lower()


# ----------------------------------------------------------------------------- the PyG-parts GT layer


class _FFNRef(nn.Module):
    """``W_2 ReLU(W_1 h)`` (module names as graphlearn's, so its weights load)."""

    def __init__(self, channels: int, hidden: int, bias: bool):
        super().__init__()
        self.lin1 = nn.Linear(channels, hidden, bias=bias)
        self.lin2 = nn.Linear(hidden, channels, bias=bias)

    def forward(self, h: Tensor) -> Tensor:
        return self.lin2(torch.relu(self.lin1(h)))


class PyGGraphTransformerLayer(nn.Module):
    r"""Dwivedi & Bresson's graph transformer layer from PyTorch Geometric parts, the
    way a PyG user writes it (TransformerConv-style message passing by hand):

    per edge ``j -> i`` (``edge_index[0] -> edge_index[1]``) and head, ``q_i``/``k_j``/
    ``v_j`` gathered with ``index_select``; score ``<q_i, k_j> / sqrt(D)`` (edge
    variant: the per-dimension products times ``E e_ij``, summed);
    ``torch_geometric.utils.softmax`` over the target index; messages ``alpha v_j``
    summed per target by ``torch_geometric.utils.scatter``; then ``Norm(h + O h_attn)``
    and ``Norm(h' + FFN(h'))`` (edge variant: the same blocks on the edge stream).

    The module names are graphlearn's :class:`~graphlearn.nn.GraphTransformerLayer`'s,
    so ``load_state_dict(layer.state_dict())`` gives the same function. No dropout
    (the benchmark uses none). Shapes: x ``[N, F]``, edge_index ``[2, E]``, edge_attr
    ``[E, F_e]`` -> ``[N, F']`` or ``([N, F'], [E, F'])``.
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int, edge_dim: Optional[int] = None,
                 ffn_ratio: float = 2.0, bias: bool = True):
        super().__init__()
        self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
        self.head_channels = out_channels // heads
        self.edge_dim = edge_dim
        hidden = max(1, int(round(ffn_ratio * out_channels)))
        self.lin_query = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_key = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_value = nn.Linear(in_channels, out_channels, bias=bias)
        self.lin_out = nn.Linear(out_channels, out_channels, bias=bias)
        self.res_proj = nn.Linear(in_channels, out_channels, bias=False) if in_channels != out_channels else None
        self.norm1, self.norm2 = nn.BatchNorm1d(out_channels), nn.BatchNorm1d(out_channels)
        self.ffn = _FFNRef(out_channels, hidden, bias)
        if edge_dim is not None:
            self.lin_edge = nn.Linear(edge_dim, out_channels, bias=bias)
            self.lin_edge_out = nn.Linear(out_channels, out_channels, bias=bias)
            self.edge_res_proj = nn.Linear(edge_dim, out_channels, bias=False) if edge_dim != out_channels else None
            self.edge_norm1, self.edge_norm2 = nn.BatchNorm1d(out_channels), nn.BatchNorm1d(out_channels)
            self.edge_ffn = _FFNRef(out_channels, hidden, bias)

    @classmethod
    def from_graphlearn(cls, layer: GraphTransformerLayer) -> "PyGGraphTransformerLayer":
        """A copy of ``layer`` (BatchNorm, residual, no dropout) with its weights, dtype and device."""
        if layer.norm != "batch" or not layer.residual or layer.dropout_p or layer.attn_dropout_p:
            raise ValueError("PyGGraphTransformerLayer mirrors norm='batch', residual=True and no dropout only")
        out = cls(layer.in_channels, layer.out_channels, layer.heads, layer.edge_dim, layer.ffn_ratio, layer.bias)
        out.to(dtype=layer.lin_query.weight.dtype, device=layer.lin_query.weight.device)
        out.load_state_dict(layer.state_dict())
        return out.train(layer.training)

    @staticmethod
    def _block(inp: Tensor, attn: Tensor, lin_out: nn.Module, res_proj: Optional[nn.Module], norm1: nn.Module,
               ffn: nn.Module, norm2: nn.Module) -> Tensor:
        h = lin_out(attn) + (res_proj(inp) if res_proj is not None else inp)
        h = norm1(h)
        return norm2(ffn(h) + h)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Optional[Tensor] = None):
        from torch_geometric.utils import scatter, softmax

        n, H, D = x.size(0), self.heads, self.head_channels
        src, dst = edge_index[0], edge_index[1]
        q = self.lin_query(x).view(-1, H, D)
        k = self.lin_key(x).view(-1, H, D)
        v = self.lin_value(x).view(-1, H, D)
        scale = 1.0 / math.sqrt(D)
        prod = q.index_select(0, dst) * k.index_select(0, src)  # [E, H, D]
        w = None
        if self.edge_dim is None:
            score = prod.sum(-1) * scale
        else:
            w = prod * scale * self.lin_edge(edge_attr).view(-1, H, D)
            score = w.sum(-1)
        alpha = softmax(score, dst, num_nodes=n)  # [E, H]
        msg = v.index_select(0, src) * alpha.unsqueeze(-1)
        h = scatter(msg, dst, dim=0, dim_size=n, reduce="sum").reshape(n, self.out_channels)
        x_out = self._block(x, h, self.lin_out, self.res_proj, self.norm1, self.ffn, self.norm2)
        if w is None:
            return x_out
        e_out = self._block(edge_attr, w.reshape(-1, self.out_channels), self.lin_edge_out, self.edge_res_proj,
                            self.edge_norm1, self.edge_ffn, self.edge_norm2)
        return x_out, e_out


# ----------------------------------------------------------------------------- stacks


class GraphlearnGT(nn.Module):
    """graphlearn's GT layers as ``graphlearn.nn.GraphTransformer`` runs them: one CSR
    per batch, the edge stream in CSR order, back in the caller's order at the end."""

    def __init__(self, layers: Sequence[GraphTransformerLayer]):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Optional[Tensor] = None
                ) -> Tuple[Tensor, Optional[Tensor]]:
        adj, perm = ordered_graph(edge_index, x.size(0), "GraphlearnGT", edge_attr is not None)
        e = edge_attr if edge_attr is None or perm is None else edge_attr.index_select(0, perm)
        h = x
        for layer in self.layers:
            if e is None:
                h = layer(h, adj)
            else:
                h, e = layer(h, adj, e)
        return h, (None if e is None else to_caller_order(e, perm))


class PyGGT(nn.Module):
    """The PyG-parts layers, each called with the ``edge_index`` (as a PyG model does)."""

    def __init__(self, layers: Sequence[PyGGraphTransformerLayer]):
        super().__init__()
        self.layers = nn.ModuleList(layers)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Optional[Tensor] = None
                ) -> Tuple[Tensor, Optional[Tensor]]:
        h, e = x, edge_attr
        for layer in self.layers:
            if e is None:
                h = layer(h, edge_index)
            else:
                h, e = layer(h, edge_index, e)
        return h, e


def build_gt(who: str, channels: int, heads: int, layers: int, edge: bool, seed: int) -> nn.Module:
    """A GT stack of one contender; the same seed gives both the same weights."""
    torch.manual_seed(seed)
    gl = GraphlearnGT([GraphTransformerLayer(channels, channels, heads, edge_dim=channels if edge else None)
                       for _ in range(layers)])
    if who == "graphlearn":
        return gl
    return PyGGT([PyGGraphTransformerLayer.from_graphlearn(layer) for layer in gl.layers])


class GraphlearnGPS(nn.Module):
    """graphlearn's GPS layers: one CSR per batch, edge features in CSR order."""

    def __init__(self, channels: int, heads: int, layers: int):
        super().__init__()
        from graphlearn.nn.conv.gps import GPSLayer

        self.layers = nn.ModuleList(GPSLayer(channels, heads, local="gine", edge_dim=channels, global_attn="full")
                                    for _ in range(layers))

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor) -> Tensor:
        adj, perm = ordered_graph(edge_index, x.size(0), "GraphlearnGPS", True)
        e = edge_attr if perm is None else edge_attr.index_select(0, perm)
        h = x
        for layer in self.layers:
            h = layer(h, adj, e, batch)
        return h


class PyGGPS(nn.Module):
    """``torch_geometric.nn.GPSConv`` layers with a ``GINEConv`` local model (the MLP
    ``Linear(C, C) ReLU Linear(C, C)``, as graphlearn's GINE default)."""

    def __init__(self, channels: int, heads: int, layers: int):
        super().__init__()
        from torch_geometric.nn import GINEConv, GPSConv

        def local():
            return GINEConv(nn.Sequential(nn.Linear(channels, channels), nn.ReLU(), nn.Linear(channels, channels)),
                            edge_dim=channels)

        self.layers = nn.ModuleList(GPSConv(channels, local(), heads=heads, attn_type="multihead")
                                    for _ in range(layers))

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor, batch: Tensor) -> Tensor:
        h = x
        for layer in self.layers:
            h = layer(h, edge_index, batch, edge_attr=edge_attr)
        return h


def build_gps(who: str, channels: int, heads: int, layers: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return (GraphlearnGPS if who == "graphlearn" else PyGGPS)(channels, heads, layers)


# ----------------------------------------------------------------------------- data


def molesol_graphs(args: argparse.Namespace) -> Optional[List[Tuple[int, Tensor]]]:
    """``[(num_nodes, edge_index)]`` of ogbg-molesol's molecules in a seeded order
    (``--quick``: the first 96), or None when the data set is absent."""
    from graphlearn.datasets import load_ogb

    try:
        ds = load_ogb("ogbg-molesol", args.root)
    except FileNotFoundError:
        return None
    perm = torch.randperm(len(ds), generator=torch.Generator().manual_seed(args.seed)).tolist()
    if args.quick:
        perm = perm[:96]
    out = []
    for i in perm:
        d = ds[i]
        out.append((int(d.num_nodes), d.edge_index))
    return out


def collate(graphs: Sequence[Tuple[int, Tensor]]) -> Tuple[int, Tensor, Tensor, List[int]]:
    """``(N, edge_index [2, E], batch [N], sizes)`` of a batch of graphs."""
    sizes = [n for n, _ in graphs]
    offsets = torch.tensor([0] + sizes[:-1]).cumsum(0).tolist()
    ei = torch.cat([e + o for (_, e), o in zip(graphs, offsets)], 1) if graphs else torch.empty(2, 0, dtype=torch.long)
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    return sum(sizes), ei, batch, sizes


def molecule_like_graph(n: int, seed: int) -> Tensor:
    """A connected sparse graph like a large molecule: a chain plus n / 5 random chords,
    both directions of every edge (``[2, E]``, about 2.4 n entries)."""
    g = torch.Generator().manual_seed(seed)
    chain = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
    chords = torch.randint(0, n, (2, max(1, n // 5)), generator=g)
    chords = chords[:, chords[0] != chords[1]]
    und = torch.cat([chain, chords], 1)
    return torch.cat([und, und.flip(0)], 1)


def undirected_power_law(n: int, m: int, seed: int) -> Tensor:
    """``power_law_graph(n, m)`` without self-loops and repeats, both directions."""
    ei = power_law_graph(n, m, seed=seed)
    ei = ei[:, ei[0] != ei[1]]
    lo, hi = torch.minimum(ei[0], ei[1]), torch.maximum(ei[0], ei[1])
    key = torch.unique(lo * n + hi)
    und = torch.stack([key // n, key % n])
    return torch.cat([und, und.flip(0)], 1)


def features(num_nodes: int, num_edges: int, channels: int, edge: bool, gen: torch.Generator
             ) -> Tuple[Tensor, Optional[Tensor]]:
    x = torch.randn(num_nodes, channels, generator=gen)
    return x, (torch.randn(num_edges, channels, generator=gen) if edge else None)


def pair_counts(sizes: Sequence[int]) -> Dict[str, int]:
    """sum n_g^2 (graphlearn's full attention) and B * Nmax^2 (padded attention)."""
    return {"graphs": len(sizes), "max_nodes": max(sizes), "sum_n2": sum(s * s for s in sizes),
            "padded_B_nmax2": len(sizes) * max(sizes) ** 2}


# ----------------------------------------------------------------------------- agreement check


def _compare(gl: nn.Module, ref: nn.Module, n: int, ei: Tensor, channels: int, edge: bool, seed: int,
             dtype: torch.dtype) -> Dict[str, Any]:
    """Outputs and parameter gradients of a random linear loss (a mean square after
    BatchNorm is nearly constant, so its gradients would make the comparison vacuous)."""
    gen = torch.Generator().manual_seed(seed)
    x, e = features(n, ei.size(1), channels, edge, gen)
    rh = torch.randn(n, channels, generator=gen)
    re_ = torch.randn(ei.size(1), channels, generator=gen) if edge else None
    x, rh = x.to(dtype), rh.to(dtype)
    e, re_ = (None, None) if e is None else (e.to(dtype), re_.to(dtype))
    results = []
    for m in (gl, ref):
        m.to(dtype).train()
        m.zero_grad()
        h, eo = m(x, ei, e)
        loss = (h * rh).sum() + ((eo * re_).sum() if eo is not None else 0.0)
        loss.backward()
        results.append((h.detach(), None if eo is None else eo.detach(),
                        {k: p.grad.detach().clone() for k, p in m.named_parameters() if p.grad is not None}))
    (ha, ea, ga), (hb, eb, gb) = results
    diff, scale = float((ha - hb).abs().max()), float(ha.abs().max())
    if ea is not None:
        diff = max(diff, float((ea - eb).abs().max()))
        scale = max(scale, float(ea.abs().max()))
    grad_scale = max((float(a.abs().max()) for a in ga.values()), default=0.0)
    grad_diff = grad_rel = float("inf") if set(ga) != set(gb) else 0.0
    for k, a in ga.items():
        if k in gb:
            d = float((a - gb[k]).abs().max())
            grad_diff = max(grad_diff, d)
            # the biases feeding a BatchNorm have zero gradient up to rounding: floor the scale
            grad_rel = max(grad_rel, d / max(float(a.abs().max()), 1e-3 * grad_scale, 1e-30))
    return {"max_abs_diff": diff, "max_abs_output": scale, "max_abs_grad_diff": grad_diff, "max_abs_grad": grad_scale,
            "max_param_rel_grad_diff": grad_rel, "params_with_grad": len(ga)}


def check_agreement(args: argparse.Namespace, molecules: Optional[List[Tuple[int, Tensor]]]) -> Dict[str, Any]:
    """graphlearn's GT stack (2 layers) and the PyG-parts one with the same weights, in
    train mode (batch statistics; no dropout in either), on a messy random graph and a
    molecule batch, both variants:

    * float32 (the dtype timed): max abs difference of the outputs (node and edge
      streams) <= 1e-4 * max(1, max |output|), and of the parameter gradients <= 1e-4 *
      max(1, the largest gradient);
    * float64: every parameter's gradient within 1e-4 of its own largest entry (floored
      at 1e-3 of the largest gradient of all), so that no parameter's gradient can be
      wrong unseen below float32 rounding.

    ``main`` exits non-zero when any fails."""
    C, H, L = args.channels, args.heads, 2
    graphs = {"random (hub, repeats, self-loops, isolated nodes)": (60, random_graph(60, 400, seed=args.seed))}
    if molecules:
        n, ei, _, sizes = collate(molecules[:32])
        graphs[f"molesol batch ({len(sizes)} molecules)"] = (n, ei)
    out: Dict[str, Any] = {"passed": True, "rtol": CHECK_RTOL, "perturbed_reference": bool(args.perturb_reference),
                           "checks": []}
    for variant in GT_VARIANTS:
        edge = variant == "edge"
        for gname, (n, ei) in graphs.items():
            gl = build_gt("graphlearn", C, H, L, edge, args.seed)
            ref = PyGGT([PyGGraphTransformerLayer.from_graphlearn(layer) for layer in gl.layers])
            if args.perturb_reference:  # hidden flag: shows that the check can fail
                with torch.no_grad():
                    ref.layers[0].lin_key.weight.add_(1e-2)
            f32 = _compare(gl, ref, n, ei, C, edge, args.seed + 1, torch.float32)
            f64 = _compare(gl, ref, n, ei, C, edge, args.seed + 1, torch.float64)
            ok32 = (f32["max_abs_diff"] <= CHECK_RTOL * max(1.0, f32["max_abs_output"])
                    and f32["max_abs_grad_diff"] <= CHECK_RTOL * max(1.0, f32["max_abs_grad"]))
            ok64 = (f64["max_abs_diff"] <= CHECK_RTOL * max(1.0, f64["max_abs_output"])
                    and f64["max_param_rel_grad_diff"] <= CHECK_RTOL)
            ok = ok32 and ok64
            out["checks"].append({"variant": variant, "graph": gname, "nodes": n, "edges": int(ei.size(1)),
                                  "float32": f32, "float64": f64, "passed": ok})
            print(f"  agreement GT {variant} on {gname}: float32 max |output diff| {f32['max_abs_diff']:.1e} "
                  f"(max |output| {f32['max_abs_output']:.1f}), max |grad diff| {f32['max_abs_grad_diff']:.1e} "
                  f"(max |grad| {f32['max_abs_grad']:.1e}); float64 worst per-parameter relative grad diff "
                  f"{f64['max_param_rel_grad_diff']:.1e} over {f64['params_with_grad']} parameters"
                  f" -> {'ok' if ok else 'DISAGREE'}", flush=True)
            if not ok:
                out["passed"] = False
                print(f"error: GT {variant} on {gname}: the PyG-parts layer disagrees with graphlearn's (float32: "
                      f"outputs {f32['max_abs_diff']:.2e}, gradients {f32['max_abs_grad_diff']:.2e}; float64: "
                      f"outputs {f64['max_abs_diff']:.2e}, per-parameter relative gradients "
                      f"{f64['max_param_rel_grad_diff']:.2e}; tolerance {CHECK_RTOL:g})", file=sys.stderr)
    return out


# ----------------------------------------------------------------------------- timing (child process)


def _loss(out) -> Tensor:
    if isinstance(out, tuple):
        h, e = out
        return h.square().mean() + (e.square().mean() if e is not None else 0.0)
    return out.square().mean()


def _one_pass(model: nn.Module, inputs: Sequence[tuple]) -> float:
    """Forward + loss + backward over every batch; returns the last loss."""
    loss = 0.0
    for b in inputs:
        lo = _loss(model(*b))
        lo.backward()
        model.zero_grad(set_to_none=True)
        loss = float(lo.detach())
        del lo
    return loss


def measure_fb(model: nn.Module, inputs: Sequence[tuple], runs: int) -> Dict[str, Any]:
    """Median seconds per epoch (forward + backward over ``inputs``) over ``runs``
    after a warm-up epoch, and the peak RSS above the RSS before the warm-up."""
    model.train()
    gc.collect()
    reset_peak()
    base = rss_mb()
    times, first_loss = [], None
    for r in range(runs + 1):
        t0 = time.perf_counter()
        loss = _one_pass(model, inputs)
        if r == 0:
            first_loss = loss
        else:
            times.append(time.perf_counter() - t0)
    return {"s_per_epoch": round(statistics.median(times), 5), "runs_s": [round(t, 5) for t in times],
            "batches_per_epoch": len(inputs), "peak_above_setup_mb": round(max(0.0, peak_mb() - base), 1),
            "rss_setup_mb": round(base, 1), "last_batch_loss": first_loss,
            "params": sum(p.numel() for p in model.parameters())}


def probe_peak_mb(model: nn.Module, inputs: Sequence[tuple]) -> float:
    """Peak RSS above the current RSS of one forward + backward pass, MiB."""
    model.train()
    gc.collect()
    reset_peak()
    base = rss_mb()
    _one_pass(model, inputs)
    return max(0.0, peak_mb() - base)


def guarded(estimate_bytes: Optional[float], budget: int, probe_note: str) -> Optional[Dict[str, Any]]:
    """A "skipped" result when the extrapolated need exceeds the budget, else None."""
    if estimate_bytes is not None and estimate_bytes > budget:
        return {"skipped": f"would need about {_gib(estimate_bytes)} ({probe_note}); the budget is {_gib(budget)} "
                           f"(--max-memory-gb, or 80% of the available memory)",
                "estimate_gib": round(estimate_bytes / 2 ** 30, 2)}
    return None


def job_gt(job: Dict[str, Any], args: argparse.Namespace, budget: int) -> Dict[str, Any]:
    who, edge = job["contender"], job["variant"] == "edge"
    C, H = args.channels, args.heads
    gen = torch.Generator().manual_seed(args.seed + 7)
    result: Dict[str, Any] = {}
    if job["setting"] == "molesol":
        graphs = molesol_graphs(args)
        if graphs is None:
            return {"skipped": f"ogbg-molesol not found under {args.root}"}
        L = args.layers
        inputs = []
        for lo in range(0, len(graphs), args.batch_size):
            n, ei, _, _ = collate(graphs[lo:lo + args.batch_size])
            x, e = features(n, ei.size(1), C, edge, gen)
            inputs.append((x, ei, e))
        result.update(molecules=len(graphs), batch_size=args.batch_size)
    else:
        L = args.synthetic_layers
        n, m = args.synthetic_nodes, args.synthetic_edges
        ei = power_law_graph(n, m, seed=args.seed)
        x, e = features(n, m, C, edge, gen)
        inputs = [(x, ei, e)]
        if m >= 16 * 20000:  # probe 1/16 of the graph, extrapolate linearly in edges
            pn, pm = max(2, n // PROBE_FACTOR), m // PROBE_FACTOR
            pei = power_law_graph(pn, pm, seed=args.seed)
            px, pe = features(pn, pm, C, edge, gen)
            probe = probe_peak_mb(build_gt(who, C, H, L, edge, args.seed), [(px, pei, pe)])
            estimate = probe * 2 ** 20 * (m / pm) * 1.25
            result.update(probe_edges=pm, probe_peak_above_setup_mb=round(probe, 1),
                          estimate_gib=round(estimate / 2 ** 30, 2))
            skip = guarded(estimate, budget, f"extrapolated from a {pm:,}-edge probe")
            if skip:
                return {**result, **skip}
        result.update(nodes=n)
    model = build_gt(who, C, H, L, edge, args.seed)
    result.update(layers=L, channels=C, heads=H, edges=sum(int(b[1].size(1)) for b in inputs))
    result.update(measure_fb(model, inputs, args.runs))
    return result


def job_gps(job: Dict[str, Any], args: argparse.Namespace, budget: int) -> Dict[str, Any]:
    who = job["contender"]
    C, H, L = args.channels, args.gps_heads, args.layers
    gen = torch.Generator().manual_seed(args.seed + 11)
    graphs = molesol_graphs(args)
    if graphs is None:
        return {"skipped": f"ogbg-molesol not found under {args.root}"}

    def batch_of(gs):
        n, ei, batch, sizes = collate(gs)
        x, e = features(n, ei.size(1), C, True, gen)
        return (x, ei, e, batch), sizes

    result: Dict[str, Any] = {"layers": L, "channels": C, "heads": H}
    if job["setting"] == "molesol":
        inputs, pairs = [], {"sum_n2": 0, "padded_B_nmax2": 0, "graphs": 0}
        for lo in range(0, len(graphs), args.batch_size):
            b, sizes = batch_of(graphs[lo:lo + args.batch_size])
            inputs.append(b)
            p = pair_counts(sizes)
            for k in pairs:
                pairs[k] += p[k]
        result.update(pairs=pairs, molecules=len(graphs), batch_size=args.batch_size)
    else:
        big = args.gps_large_nodes
        mols = graphs[:args.gps_molecules]
        b, sizes = batch_of(mols + [(big, molecule_like_graph(big, args.seed))])
        inputs = [b]
        pairs = pair_counts(sizes)
        result.update(pairs=pairs, molecules=len(mols), large_nodes=big)
        work = "sum_n2" if who == "graphlearn" else "padded_B_nmax2"
        if pairs[work] >= 20_000_000:  # probe with the large graph 1/4 the size: pairs / 16
            pbig = max(2, big // 4)
            pb, psizes = batch_of(mols + [(pbig, molecule_like_graph(pbig, args.seed))])
            probe = probe_peak_mb(build_gps(who, C, H, L, args.seed), [pb])
            scale = pairs[work] / pair_counts(psizes)[work]
            estimate = probe * 2 ** 20 * scale * 1.25
            result.update(probe_large_nodes=pbig, probe_peak_above_setup_mb=round(probe, 1),
                          estimate_gib=round(estimate / 2 ** 30, 2))
            skip = guarded(estimate, budget, f"extrapolated from a probe with a {pbig}-node graph, in proportion "
                                             f"to {'sum n_g^2' if who == 'graphlearn' else 'B * Nmax^2'}")
            if skip:
                return {**result, **skip}
    model = build_gps(who, C, H, L, args.seed)
    result.update(measure_fb(model, inputs, args.runs))
    return result


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that no solver's ``except Exception`` swallows it."""


def job_lappe(job: Dict[str, Any], args: argparse.Namespace, budget: int) -> Dict[str, Any]:
    from torch_geometric.data import Data

    who = job["contender"]
    if who == "graphlearn":
        from graphlearn.transforms import AddLaplacianPE
        transform = AddLaplacianPE(LAPPE_K)
    else:
        from torch_geometric.transforms import AddLaplacianEigenvectorPE
        transform = AddLaplacianEigenvectorPE(LAPPE_K, attr_name="lap_pe", is_undirected=True)
    if job["setting"] == "molesol":
        graphs = molesol_graphs(args)
        if graphs is None:
            return {"skipped": f"ogbg-molesol not found under {args.root}"}
        items = [Data(edge_index=ei, num_nodes=n) for n, ei in graphs]
        result: Dict[str, Any] = {"graphs": len(items), "nodes": sum(n for n, _ in graphs)}
    else:
        n = args.lappe_nodes
        ei = undirected_power_law(n, args.lappe_edges, args.seed)
        items = [Data(edge_index=ei, num_nodes=n)]
        result = {"graphs": 1, "nodes": n, "edges": int(ei.size(1))}
    # not timed: the solvers' modules (both import them on first use) and one small graph
    import importlib
    for module in ("numpy.linalg", "scipy.linalg", "scipy.sparse.csgraph", "scipy.sparse.linalg"):
        importlib.import_module(module)
    try:
        transform(Data(edge_index=molecule_like_graph(12, args.seed), num_nodes=12))
    except Exception:
        pass
    gc.collect()
    reset_peak()
    base = rss_mb()
    failures: Dict[str, int] = {}
    first_error, bad_shape, done = None, 0, 0
    per_graph: List[Optional[float]] = [None] * len(items)  # seconds of each graph that finished
    caught: List[str] = []

    def on_alarm(signum, frame):
        raise _Timeout()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, args.lappe_timeout)
    t0 = time.perf_counter()
    timed_out = False
    try:
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            for i, d in enumerate(items):
                try:
                    t1 = time.perf_counter()
                    out = transform(d)
                    per_graph[i] = time.perf_counter() - t1
                    pe = out["lap_pe"]
                    if tuple(pe.shape) != (d.num_nodes, LAPPE_K):
                        bad_shape += 1
                    done += 1
                except Exception as exc:  # a failure of the contender: counted and reported
                    kind = type(exc).__name__
                    failures[kind] = failures.get(kind, 0) + 1
                    if first_error is None:
                        first_error = f"{kind}: {str(exc).splitlines()[0][:300] if str(exc) else ''} " \
                                      f"(a graph of {d.num_nodes} nodes)"
            caught = [f"{w.category.__name__}: {str(w.message)[:200]}" for w in rec]
    except _Timeout:
        timed_out = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    elapsed = time.perf_counter() - t0
    result.update(seconds=round(elapsed, 4), completed=done, graphs_failed=sum(failures.values()), failures=failures,
                  first_error=first_error, wrong_shape=bad_shape, warnings=len(caught),
                  first_warning=caught[0] if caught else None, timed_out=timed_out,
                  timeout_s=args.lappe_timeout, peak_above_setup_mb=round(max(0.0, peak_mb() - base), 1),
                  per_graph_s=per_graph)
    if timed_out:
        result["first_error"] = (first_error or "") + f" timed out after {args.lappe_timeout:g} s " \
                                                      f"({done} of {len(items)} graphs done)"
    return result


JOBS = {"gt": job_gt, "gps": job_gps, "lappe": job_lappe}


def run_jobs(spec: Dict[str, Any]) -> List[Dict[str, Any]]:
    """A child's jobs, one after the other; every job's failure is its own result."""
    args = argparse.Namespace(**spec["args"])
    if args.threads:
        torch.set_num_threads(args.threads)
    budget = memory_budget(args)
    cap = cap_address_space(budget)
    out = []
    for job in spec["jobs"]:
        progress(f"{job['case']} {job['setting']} {job.get('variant', '')} {job['contender']}".replace("  ", " "))
        try:
            res = JOBS[job["case"]](job, args, budget)
        except Exception as exc:
            res = {"failed": (f"out of memory within the {_gib(budget)} budget: " if _is_oom(exc) else "")
                   + f"{type(exc).__name__}: {str(exc)[:400]}"}
        res.update(job=job, threads=torch.get_num_threads(), peak_rss_mb=round(peak_mb(), 1),
                   address_space_cap_gib=None if cap is None else round(cap / 2 ** 30, 1))
        out.append(res)
        gc.collect()
    return out


def spawn(jobs: List[Dict[str, Any]], args: argparse.Namespace) -> List[Dict[str, Any]]:
    """Runs ``jobs`` in a fresh interpreter and returns their results (in order)."""
    spec = {"jobs": jobs, "args": vars(args)}
    cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    lappe_only = all(j["case"] == "lappe" for j in jobs)
    timeout = (args.lappe_timeout + 300) * len(jobs) if lappe_only else None  # backstop to the child's alarm
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [{"job": j, "failed": f"the process did not finish within {timeout} s"} for j in jobs]
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("[")]
    if proc.returncode != 0 or not lines:
        why = f"exit {proc.returncode} (its stderr is above)" if proc.returncode else "no result line"
        return [{"job": j, "failed": why, "crashed": True} for j in jobs]
    return json.loads(lines[-1])


# ----------------------------------------------------------------------------- report


def _state(r: Dict[str, Any]) -> Optional[str]:
    """'skipped: ...' / 'failed: ...' for a result that has no measurement."""
    if "skipped" in r:
        return f"skipped: {r['skipped']}"
    if "failed" in r:
        return f"failed: {r['failed']}"
    return None


def _round(d: Dict[str, Optional[float]]) -> Dict[str, Optional[float]]:
    return {k: None if v is None else round(v, 3) for k, v in d.items()}


def summarize_fb(label: str, gl: Dict[str, Any], ref: Dict[str, Any], case: str
                 ) -> Tuple[Dict[str, Any], List[list], List[str]]:
    """JSON entry, table rows and notes of one forward+backward comparison."""
    entry: Dict[str, Any] = {"graphlearn": gl, "pyg": ref}
    notes: List[str] = []
    sg, sr = _state(gl), _state(ref)
    if sg:  # nothing to compare with
        return entry, [[label, "-", sg, sr or "(measured)", "", "", ""]], []
    rows = []
    tg = gl.get("s_per_epoch")
    tr = None if sr else ref.get("s_per_epoch")
    speed = _ratio(tr, tg)
    mem = None if sr else _mem_ratio(gl.get("peak_above_setup_mb"), ref.get("peak_above_setup_mb"))
    what = f"fwd+bwd s/epoch ({gl.get('batches_per_epoch')} batch{'es' if gl.get('batches_per_epoch') != 1 else ''})"
    rows.append([label, what, _fs(tg), sr or _fs(tr), _fx(speed), ">= 2x",
                 _verdict(None if speed is None else speed >= TARGETS["time"])])
    rows.append([label, "  peak above setup", _fm(gl.get("peak_above_setup_mb")),
                 "" if sr else _fm(ref.get("peak_above_setup_mb")), _fx(mem), "< 1x",
                 _verdict(None if mem is None else mem < 1)])
    rows.append([label, "  peak RSS of the process", _fm(gl.get("peak_rss_mb")),
                 "" if sr else _fm(ref.get("peak_rss_mb")),
                 _fx(None if sr else _mem_ratio(gl.get("peak_rss_mb"), ref.get("peak_rss_mb"))), "", ""])
    entry["speedup"] = None if speed is None else round(speed, 3)
    entry["memory_ratio"] = None if mem is None else round(mem, 3)
    entry["target_met"] = {"time": None if speed is None else speed >= TARGETS["time"]}
    if case == "gt_synthetic":
        gib = gl["peak_above_setup_mb"] / 1024
        per_edge = gl["peak_above_setup_mb"] * 2 ** 20 / max(1, gl["edges"])
        rows.append([label, f"  graphlearn peak above setup, {gl['edges']:,} edges", f"{gib:.2f} GiB", "", "",
                     f"<= {TARGETS['gt_synthetic_gib']:g} GiB", _verdict(gib <= TARGETS["gt_synthetic_gib"])])
        entry["target_met"]["few_gib"] = gib <= TARGETS["gt_synthetic_gib"]
        entry["bytes_per_edge"] = round(per_edge, 1)
        if gl.get("probe_edges"):
            probe_per_edge = gl["probe_peak_above_setup_mb"] * 2 ** 20 / gl["probe_edges"]
            lin = per_edge / max(probe_per_edge, 1e-9)
            entry["bytes_per_edge_probe"] = round(probe_per_edge, 1)
            entry["linear_in_edges_ratio"] = round(lin, 3)
            rows.append([label, f"  bytes/edge: probe ({gl['probe_edges']:,} edges) -> full",
                         f"{probe_per_edge:,.0f} -> {per_edge:,.0f}", "", f"{lin:.2f}x", "~1x (linear)", ""])
    if case.startswith("gps"):
        p = gl["pairs"]
        rows.insert(0, [label, "node pairs attended: sum n_g^2 | B*Nmax^2", f"{p['sum_n2']:,}",
                        f"{p['padded_B_nmax2']:,}", _fx(p["sum_n2"] / max(1, p["padded_B_nmax2"])), "", ""])
        entry["pairs"] = p
        if not sr:
            bg = gl["peak_above_setup_mb"] * 2 ** 20 / max(1, p["sum_n2"])
            br = ref["peak_above_setup_mb"] * 2 ** 20 / max(1, p["padded_B_nmax2"])
            entry["bytes_per_pair"] = {"graphlearn_per_sum_n2": round(bg, 2), "pyg_per_padded_pair": round(br, 2)}
            notes.append(f"{label}: memory per attended pair: graphlearn {bg:.1f} B per sum n_g^2 pair, "
                         f"PyG {br:.1f} B per padded pair (B*Nmax^2)")
    if not sr and gl.get("last_batch_loss") is not None and case.startswith("gt"):
        d = abs(gl["last_batch_loss"] - ref["last_batch_loss"])
        entry["loss_abs_diff"] = d
        notes.append(f"{label}: |loss difference| on the last batch of the warm-up epoch {d:.1e} (same weights)")
    if sr:
        notes.append(f"{label}: PyG {sr}")
    return entry, rows, notes


def summarize_lappe(label: str, gl: Dict[str, Any], ref: Dict[str, Any]) -> Tuple[Dict[str, Any], List[list],
                                                                                   List[str]]:
    entry: Dict[str, Any] = {"graphlearn": gl, "pyg": ref}
    a, b = gl.pop("per_graph_s", None), ref.pop("per_graph_s", None)  # the raw lists stay out of the JSON line
    sg, sr = _state(gl), _state(ref)
    if sg or sr:
        return entry, [[label, "-", sg or "", sr or "", "", "", ""]], []
    complete = {w: r["graphs_failed"] == 0 and not r["timed_out"] for w, r in (("graphlearn", gl), ("pyg", ref))}
    speed = _ratio(ref["seconds"], gl["seconds"]) if all(complete.values()) else None
    mem = _mem_ratio(gl["peak_above_setup_mb"], ref["peak_above_setup_mb"])

    def t(r):
        s = _fs(r["seconds"])
        return f"{s} (timed out)" if r["timed_out"] else s

    rows = [[label, f"precompute time ({gl['graphs']:,} graph{'s' if gl['graphs'] != 1 else ''}, "
                    f"{gl['nodes']:,} nodes)", t(gl), t(ref), _fx(speed), "", ""]]
    if speed is None and a and b and len(a) == len(b) and len(a) > 1:
        both = [(u, v) for u, v in zip(a, b) if u is not None and v is not None]
        if both:
            ta, tb = sum(u for u, _ in both), sum(v for _, v in both)
            common = _ratio(tb, ta)
            entry["speedup_on_graphs_both_finished"] = None if common is None else round(common, 3)
            entry["graphs_both_finished"] = len(both)
            rows.append([label, f"  time on the {len(both):,} graphs both finished", _fs(ta), _fs(tb), _fx(common),
                         "", ""])
    rows += [
            [label, "  graphs failed", f"{gl['graphs_failed']:,}", f"{ref['graphs_failed']:,}", "", "0",
             _verdict(gl["graphs_failed"] == 0)],
            [label, "  peak above setup", _fm(gl["peak_above_setup_mb"]), _fm(ref["peak_above_setup_mb"]), _fx(mem),
             "", ""]]
    notes = []
    for who, r in (("graphlearn", gl), ("PyG", ref)):
        if r["first_error"]:
            notes.append(f"{label}: {who}: {r['graphs_failed']} graphs failed ({r['failures']}); first: "
                         f"{r['first_error']}")
        if r["wrong_shape"]:
            notes.append(f"{label}: {who}: {r['wrong_shape']} results not of shape [N, {LAPPE_K}]")
        if r["warnings"]:
            notes.append(f"{label}: {who}: {r['warnings']} warnings; first: {r['first_warning']}")
    if speed is None:
        notes.append(f"{label}: no whole-pass time ratio: a contender did not finish every graph (failures or "
                     "time-out)")
    entry.update(speedup=None if speed is None else round(speed, 3),
                 memory_ratio=None if mem is None else round(mem, 3), completed_all=complete)
    return entry, rows, notes


# ----------------------------------------------------------------------------- main


QUICK = dict(channels=32, heads=4, gps_heads=4, layers=2, batch_size=32, synthetic_nodes=2000,
             synthetic_edges=20000, synthetic_layers=1, gps_molecules=8, gps_large_nodes=300, lappe_nodes=1000,
             lappe_edges=4000, lappe_timeout=20.0, runs=1)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line flags."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=default_root(), help="dataset folder (default: %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="timed epochs after a warm-up epoch, median reported")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, features, graphs and batch order")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's; 1 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: tiny sizes (96 molecules, a 20k-edge graph, ...), one run, one process per "
                        "contender")
    p.add_argument("--channels", type=int, default=64, help="model width C (default %(default)s)")
    p.add_argument("--heads", type=int, default=8, help="GT attention heads (default %(default)s)")
    p.add_argument("--gps-heads", type=int, default=4, help="GPS attention heads (default %(default)s)")
    p.add_argument("--layers", type=int, default=4, help="layers on molecule batches, GT and GPS (default %(default)s)")
    p.add_argument("--batch-size", type=int, default=128, help="molecules per batch (default %(default)s)")
    p.add_argument("--synthetic-nodes", type=int, default=100_000, help="nodes of the GT synthetic graph")
    p.add_argument("--synthetic-edges", type=int, default=1_000_000, help="edges of the GT synthetic graph")
    p.add_argument("--synthetic-layers", type=int, default=1, help="GT layers on the synthetic graph")
    p.add_argument("--gps-molecules", type=int, default=32, help="molecules in the GPS batch with one large graph")
    p.add_argument("--gps-large-nodes", type=int, default=3000, help="nodes of that large graph (default %(default)s)")
    p.add_argument("--lappe-nodes", type=int, default=100_000, help="nodes of the LapPE synthetic graph")
    p.add_argument("--lappe-edges", type=int, default=500_000,
                   help="power-law edges drawn for it (before removing repeats and adding the reverse direction)")
    p.add_argument("--lappe-timeout", type=float, default=900.0,
                   help="seconds each LapPE measurement may take; beyond, it is reported as timed out")
    p.add_argument("--max-memory-gb", type=float, default=12.0,
                   help="memory a contender's process may use above its start (default %(default)s; 80%% of the "
                        "available memory if less)")
    p.add_argument("--skip-gt", action="store_true", help="no GraphTransformerLayer timings (the agreement check runs)")
    p.add_argument("--skip-gps", action="store_true", help="no GPS timings")
    p.add_argument("--skip-lappe", action="store_true", help="no Laplacian PE timings")
    p.add_argument("--skip-synthetic", action="store_true",
                   help="no large synthetic graphs: neither the GT 1M-edge graph nor the LapPE 100k-node graph")
    p.add_argument("--perturb-reference", action="store_true", help=argparse.SUPPRESS)  # tests: must fail
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick and args.child is None:
        given = {tok[2:].split("=")[0].replace("-", "_")
                 for tok in (sys.argv[1:] if argv is None else argv) if tok.startswith("--")}
        for k, v in QUICK.items():
            if k not in given:  # explicit flags win
                setattr(args, k, v)
    for key in ("runs", "channels", "heads", "gps_heads", "layers", "batch_size", "synthetic_nodes",
                "synthetic_edges", "synthetic_layers", "gps_molecules", "gps_large_nodes", "lappe_nodes",
                "lappe_edges"):
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')} must be >= 1")
    if args.channels % args.heads or args.channels % args.gps_heads:
        p.error("--channels must be divisible by --heads and --gps-heads")
    if args.lappe_timeout <= 0 or args.max_memory_gb <= 0:
        p.error("--lappe-timeout and --max-memory-gb must be > 0")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be >= 1")
    if args.quick and args.threads is None and args.child is None:
        args.threads = 1  # a smoke test: one thread keeps it steady on a busy machine
    return args


def plan(args: argparse.Namespace, have_molesol: bool) -> List[Dict[str, Any]]:
    """Every (case, setting, variant) to measure, once per contender."""
    jobs: List[Dict[str, Any]] = []

    def add(**job):
        for who in CONTENDERS:
            jobs.append({**job, "contender": who})

    if not args.skip_gt:
        for setting in (["molesol"] if have_molesol else []) + ([] if args.skip_synthetic else ["synthetic"]):
            for variant in GT_VARIANTS:
                add(case="gt", setting=setting, variant=variant)
    if not args.skip_gps and have_molesol:
        add(case="gps", setting="molesol")
        add(case="gps", setting="mixed")
    if not args.skip_lappe:
        for setting in (["molesol"] if have_molesol else []) + ([] if args.skip_synthetic else ["synthetic"]):
            add(case="lappe", setting=setting)
    return jobs


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Checks agreement, runs the contenders in their own processes, prints the tables and the JSON line."""
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_jobs(json.loads(args.child))), flush=True)
        return 0
    if args.threads:
        torch.set_num_threads(args.threads)
    if not ops.compiled():
        print(f"error: graphlearn's compiled core is not loaded ({ops.load_error()}); nothing to benchmark",
              file=sys.stderr)
        return 1
    import torch_geometric

    t_start = time.perf_counter()
    threads = args.threads or torch.get_num_threads()
    print(f"graphlearn {graphlearn.__version__} (compiled core), torch {torch.__version__}, torch_geometric "
          f"{torch_geometric.__version__}, {threads} threads, float32")
    print(f"1-min load average at start: {os.getloadavg()[0]:.2f} (other busy processes distort timings)")
    per_job = not args.quick
    print(f"{'each measurement' if per_job else 'each contender'} runs in a fresh process; times are medians of "
          f"{args.runs} epochs after a warm-up epoch; width {args.channels}, GT heads {args.heads}, GPS heads "
          f"{args.gps_heads}")
    if not per_job:
        print("--quick: a contender's measurements share one process (memory already held by the allocator from an "
              "earlier one is not counted again), and the sizes are tiny: the memory figures are indicative only")
    molecules = molesol_graphs(args)
    if molecules is None:
        print(f"ogbg-molesol not found under {args.root} (set --root or $GRAPHLEARN_DATA): the molecule "
              "measurements are skipped; the agreement check uses a random graph only")
    progress("agreement check (GT)")
    agreement = {"gt": check_agreement(args, molecules)}
    if not agreement["gt"]["passed"]:
        print("error: the agreement check failed; nothing was timed", file=sys.stderr)
        return 1

    jobs = plan(args, molecules is not None)
    groups = [[j] for j in jobs] if per_job else [[j for j in jobs if j["contender"] == w] for w in CONTENDERS]
    by_key: Dict[Tuple, Dict[str, Any]] = {}
    status = 0
    for group in groups:
        if not group:
            continue
        progress(f"spawning {len(group)} job(s): " + ", ".join(
            f"{j['case']}/{j['setting']}{'/' + j['variant'] if 'variant' in j else ''}/{j['contender']}"
            for j in group))
        for res in spawn(group, args):
            j = res["job"]
            by_key[(j["case"], j["setting"], j.get("variant"), j["contender"])] = res
            if res.get("crashed") or (j["contender"] == "graphlearn" and "failed" in res):
                status = 1

    header = ["setting", "measure", "graphlearn", "PyG", "ratio", "target", "met"]
    results: Dict[str, Any] = {"gt": {}, "gps": {}, "lappe": {}}

    def pair(case, setting, variant=None):
        return (by_key.get((case, setting, variant, "graphlearn")), by_key.get((case, setting, variant, "pyg")))

    # GT
    rows, notes = [], ["time ratio = PyG / graphlearn, memory ratio = graphlearn / PyG; forward + backward, "
                       "loss = mean square of the outputs, no optimiser step"]
    for setting in ("molesol", "synthetic"):
        for variant in GT_VARIANTS:
            gl, ref = pair("gt", setting, variant)
            if gl is None:
                continue
            label = f"{setting} {variant}"
            entry, r, n = summarize_fb(label, gl, ref, f"gt_{setting}")
            results["gt"].setdefault(setting, {})[variant] = entry
            rows += r
            notes += n
    g0 = next((by_key[k] for k in by_key if k[0] == "gt" and "s_per_epoch" in by_key[k]), None)
    if g0 is not None:
        notes.insert(0, f"{args.layers} layers on molecule batches of {args.batch_size} "
                        f"({len(molecules) if molecules else 0} molecules), {args.synthetic_layers} on the "
                        f"synthetic power-law graph ({args.synthetic_nodes:,} nodes, {args.synthetic_edges:,} edges); "
                        f"edge = with edge features in and out, plain = without")
    if not args.skip_gt:
        print_table("GraphTransformerLayer: graphlearn vs the same layer from PyG parts", header, rows, notes)
    elif not rows:
        results.pop("gt")

    # GPS
    if not args.skip_gps:
        rows, notes = [], [f"GPSLayer(local='gine', global_attn='full') vs GPSConv(GINEConv, heads={args.gps_heads}); "
                           f"{args.layers} layers; different parametrisations, time and memory only"]
        for setting in ("molesol", "mixed"):
            gl, ref = pair("gps", setting)
            if gl is None:
                continue
            label = "molesol" if setting == "molesol" else \
                f"{args.gps_molecules} mols + {args.gps_large_nodes}-node graph"
            entry, r, n = summarize_fb(label, gl, ref, f"gps_{setting}")
            results["gps"][setting] = entry
            rows += r
            notes += n
        if molecules is None:
            notes.append("skipped: ogbg-molesol not found (the GPS batches are built from its molecules)")
        print_table("GPS: graphlearn GPSLayer vs PyG GPSConv (padded dense attention)", header, rows, notes)
    else:
        results.pop("gps")

    # LapPE
    if not args.skip_lappe:
        rows, notes = [], [f"AddLaplacianPE(k={LAPPE_K}) vs AddLaplacianEigenvectorPE(k={LAPPE_K}, is_undirected=True);"
                           f" one pass, each under {args.lappe_timeout:g} s; time ratio = PyG / graphlearn, only when "
                           "both finished every graph"]
        for setting in ("molesol", "synthetic"):
            gl, ref = pair("lappe", setting)
            if gl is None:
                continue
            label = "molesol" if setting == "molesol" else f"power-law {args.lappe_nodes:,} nodes"
            entry, r, n = summarize_lappe(label, gl, ref)
            results["lappe"][setting] = entry
            rows += r
            notes += n
        if molecules is None:
            notes.append("molesol: skipped (ogbg-molesol not found)")
        print_table("Laplacian PE precompute: graphlearn vs PyG", header, rows, notes)
    else:
        results.pop("lappe")

    total = time.perf_counter() - t_start
    print(f"\ntotal benchmark time: {total:.1f} s; 1-min load average at end: {os.getloadavg()[0]:.2f}")
    meta = {"graphlearn": graphlearn.__version__, "torch": torch.__version__,
            "torch_geometric": torch_geometric.__version__, "threads": threads, "runs": args.runs, "seed": args.seed,
            "quick": args.quick, "process_per_measurement": per_job, "molesol": molecules is not None,
            "sizes": {k: getattr(args, k) for k in QUICK if k != "runs"}, "max_memory_gb": args.max_memory_gb,
            "targets": {"time": ">= 2x (PyG / graphlearn)",
                        "gt_memory": f"linear in edges; synthetic graph <= {TARGETS['gt_synthetic_gib']:g} GiB above "
                                     "setup",
                        "gps_memory": "follows sum n_g^2, not B * Nmax^2"},
            "total_s": round(total, 1)}
    print(json.dumps({"agreement": agreement, "results": results, "meta": meta}))
    return status


if __name__ == "__main__":
    sys.exit(main())
