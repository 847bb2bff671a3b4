#!/usr/bin/env python
"""Times graphlearn's NCN / NCNC link predictors against a pure-PyTorch re-implementation
of the authors' approach (GraphPKU/NeuralCommonNeighbor), side by side in one run.

Contenders (same module structure, hyper-parameters and initial weights; the only
difference is how the common-neighbour sets are found and summed, and how the
per-batch graph of target link removal is built):

  graphlearn  graphlearn.nn.NCN: ``ops.common_neighbors`` (the fused compiled kernel;
              in training the sets once via ``ops.common_neighbor_sets`` + ``ops.spmm``),
              per-batch graph by ``linkpred._utils.build_graph`` (what
              ``train_link_predictor(target_link_removal=True)`` does).
  reference   benchmarks/_ncn_reference.py: graphlearn's modules with the sets computed as
              the authors do: the adjacency rows of the pair endpoints gathered, each
              entry an int64 key ``pair << 32 | node`` (sorted), one ``torch.searchsorted``
              of one key array in the other (NCNC: the set differences from the
              unmatched keys), the keys back to a coalesced sparse [P, N] matrix and the
              sums by ``torch.sparse.mm``; per-batch graph by ``torch.unique`` of keys.
              The encoder is graphlearn's in both (its SpMM is not what is compared).

Measured per contender in a fresh subprocess of its own (so peak memory is its own):

  * training: graph rebuild (target link removal) + forward + backward + Adam step on
    the same batches (the same permutation, one random negative per positive drawn
    before timing, BCE loss); Cora: seconds per epoch, ogbl-ddi: seconds per batch
    over ``--ddi-batches`` batches (the rebuild share is shown too). graphlearn scores
    a batch's positives and negatives in one call, as ``train_link_predictor`` does
    (the per-call work, such as the predictor's edge dropout, once per batch); the
    reference in two, as the authors' training loop does. Dropout draws differ between
    the two, so their losses agree in distribution, not value;
  * inference: encoding + scoring the validation positives and negatives (eval mode,
    no grad; on ogbl-ddi the first ``--ddi-eval-pairs`` of them, half each);
  * ``predict_topk`` on ogbl-ddi: query nodes per second (k = 100, ``--topk-queries``);
  * peak memory: the process's peak RSS (VmHWM) and the peak of each phase above the
    RSS it started from (the high-water mark is reset per phase via /proc/self/clear_refs).

Before timing, the two are checked to agree: same weights, eval mode, max abs
difference of the logits (and of the parameter gradients of a BCE loss); the run stops
if they differ by more than 1e-4 relative. Timings: median over ``--runs`` after a
warm-up. Targets (from the issue, reported, not asserted): training >= 2x faster,
inference >= 3x faster, lower peak memory. Ratios: reference / graphlearn for time,
graphlearn / reference for memory.

Hyper-parameters: Cora as examples/linkpred_planetoid.py (the authors' Cora command:
puregcn, hidden 256, batch 1152); ogbl-ddi as the authors' ddi commands (no features: a
learnable embedding per node, puresum, hidden 224, residual, two-layer head, batch
24576; NCNC: probscale 10, proboffset 3, pt 0.1, alpha 0.5, completion chunks of
262144). NCNC on ogbl-ddi is far heavier on a CPU (every pair scores ~1000 completion
pairs), so it runs on smaller batches (``--ddi-ncnc-batch-size``) and fewer evaluation
pairs, and its predict_topk is off unless ``--topk-ncnc-queries`` is given.

    python benchmarks/ncn.py --quick                 # small synthetic graph, both settings (~30 s)
    python benchmarks/ncn.py --skip-ddi              # Cora only (~1.5 min)
    python benchmarks/ncn.py                         # Cora and ogbl-ddi (estimated 20-30 min on 2 cores)

On Cora the MLPs and the 1433 -> 256 input layer take nearly all of the reference's
time; graphlearn's gain there comes from computing the same functions with less work
(see benchmarks/_ncn_reference.py: sparse input, the feature MLP only on the nodes
that are some pair's common neighbour, one common-neighbour MLP evaluation for all
pairs without common neighbours in eval mode, a cheaper dropout). The
common-neighbour path itself matters on ogbl-ddi (degree ~500). Timings on a machine shared with other jobs are noisy: on 2 busy cores
``--threads 1`` gives steadier numbers than the default.

Prints one table per dataset and ends with exactly one JSON line.
"""
from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)  # benchmark this checkout
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor  # noqa: E402

import graphlearn  # noqa: E402
from _bench import peak_mb, print_table, reset_peak, rss_mb  # noqa: E402
from _bench import (ratio as _ratio, mem_ratio as _mem_ratio, fmt_ratio as _fx, fmt_seconds as _fs,  # noqa: E402
                    fmt_mib as _fm, verdict as _verdict)
import _ncn_reference as reference  # noqa: E402
from graphlearn import ops  # noqa: E402
from graphlearn.datasets import default_root, load_planetoid, power_law_graph  # noqa: E402
from graphlearn.linkpred import ogb_split, predict_topk, random_edge_split, random_negatives  # noqa: E402
from graphlearn.linkpred._utils import build_graph  # noqa: E402
from graphlearn.nn import NCN  # noqa: E402
from graphlearn.train import seed_everything  # noqa: E402

warnings.filterwarnings("ignore", message=".*[Ss]parse CSR tensor support is in beta.*")
warnings.filterwarnings("ignore", message=".*Sparse invariant checks are implicitly disabled.*")

CONTENDERS = ("graphlearn", "reference")
MODELS = ("ncn", "ncnc")
TARGETS = {"train": 2.0, "inference": 3.0}  # reference / graphlearn time; memory: graphlearn / reference < 1
CHECK_RTOL = 1e-4
TOPK_K = 100

# the authors' ogbl-ddi commands (README of GraphPKU/NeuralCommonNeighbor)
DDI = {
    "hidden": 224,
    "encoder": dict(conv="puresum", num_layers=1, dropout=0.4, input_dropout=0.05, tail_dropout=0.0,
                    edge_dropout=0.0, layer_norm=True, residual=True),
    "predictor": dict(dropout=0.6, edge_dropout=0.0, layer_norm=True, feature_mlp=True, two_layer_head=True),
    "ncn": dict(lr=(0.0021, 0.0018), batch_size=24576, eval_batch_size=131072),
    "ncnc": dict(lr=(0.0, 0.0025), batch_size=24576, eval_batch_size=24576,
                 options=dict(prob_scale=10.0, prob_offset=3.0, pt=0.1, alpha=0.5, completion_batch=262144)),
}


def progress(msg: str) -> None:
    """Progress on stderr (stdout carries the tables and the final JSON line)."""
    print(f"[ncn.py] {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- memory


# ----------------------------------------------------------------------------- datasets and models


@functools.lru_cache(maxsize=None)
def _example():
    """examples/linkpred_planetoid.py as a module (its SETTINGS and build_model)."""
    path = os.path.join(REPO, "examples", "linkpred_planetoid.py")
    spec = importlib.util.spec_from_file_location("_linkpred_planetoid_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def datasets(args: argparse.Namespace) -> List[str]:
    """The datasets this run benchmarks."""
    if args.quick:
        return ["synthetic-features", "synthetic-embedding"]
    return [d for d in args.datasets if not (args.skip_ddi and d == "ogbl-ddi")]


def load(name: str, args: argparse.Namespace):
    """(split, features or None) of a dataset."""
    if name == "cora":
        data = load_planetoid("cora")
        return random_edge_split(data, val_ratio=0.1, test_ratio=0.2, seed=0, name="cora"), data.x
    if name == "ogbl-ddi":
        root = args.root
        folder = os.path.join(root, "ogbl_ddi")
        return ogb_split("ogbl-ddi", root=folder if os.path.isdir(folder) else root), None
    n = 500  # --quick: a small power-law graph, with random features or without features
    split = random_edge_split(power_law_graph(n, 4000, seed=args.seed), n, val_ratio=0.1, test_ratio=0.2,
                              seed=args.seed, name="synthetic")
    if name == "synthetic-features":
        return split, torch.randn(n, 64, generator=torch.Generator().manual_seed(args.seed))
    return split, None


def setting(name: str, kind: str, args: argparse.Namespace) -> Dict[str, Any]:
    """Hyper-parameters and sizes of one (dataset, model): hp for the model builder,
    learning rates, batch sizes, the number of timed batches (None: whole epochs),
    evaluation pairs and top-k queries."""
    feature_style = name in ("cora", "synthetic-features")
    if feature_style:
        hp = dict(_example().SETTINGS["cora"])
        hp.update(hidden=256 if name == "cora" else 64, layers=1, conv="puregcn", combine="add")
        return dict(style="features", hp=hp, lr=(hp["gnnlr"], hp["prelr"]), batch_size=hp["batch_size"],
                    eval_batch_size=8192, batches=None,
                    eval_pairs=256 if (name != "cora" and kind == "ncnc") else None, topk_queries=0)
    base = DDI[kind]
    hp = dict(hidden=DDI["hidden"] if name == "ogbl-ddi" else 64, encoder=DDI["encoder"],
              predictor={**DDI["predictor"], **base.get("options", {})})
    if kind == "ncnc" and name == "ogbl-ddi":
        hp["predictor"]["completion_batch"] = args.ddi_splitsize
    if name == "ogbl-ddi":
        ncnc = kind == "ncnc"
        return dict(style="embedding", hp=hp, lr=base["lr"],
                    batch_size=args.ddi_ncnc_batch_size if ncnc else args.ddi_batch_size,
                    eval_batch_size=base["eval_batch_size"],
                    batches=args.ddi_ncnc_batches if ncnc else args.ddi_batches,
                    eval_pairs=args.ddi_ncnc_eval_pairs if ncnc else args.ddi_eval_pairs,
                    topk_queries=args.topk_ncnc_queries if ncnc else args.topk_queries)
    return dict(style="embedding", hp=hp, lr=base["lr"], batch_size=128 if kind == "ncnc" else 1024,
                eval_batch_size=base["eval_batch_size"], batches=2, eval_pairs=256 if kind == "ncnc" else None,
                topk_queries=2 if kind == "ncnc" else 8)


def build_model(kind: str, conf: Dict[str, Any], num_nodes: int, in_channels: Optional[int]) -> NCN:
    """graphlearn's model of one setting (the example's builder for the Cora style)."""
    hp = conf["hp"]
    if conf["style"] == "features":
        return _example().build_model(kind, in_channels, hp)
    return NCN(None, hp["hidden"], predictor=kind, encoder_options=dict(hp["encoder"], num_embeddings=num_nodes),
               predictor_options=dict(hp["predictor"]))


def contender(model: NCN, who: str) -> Tuple[NCN, Callable[[Tensor, int], Any]]:
    """(model, per-batch graph builder) of a contender; the reference gets a copy of
    ``model`` (same weights) with the reference predictor."""
    if who == "graphlearn":
        return model, lambda edges, n: build_graph(edges, n, "train_pos")
    return reference.reference_model(model), reference.build_adjacency


def eval_pairs(split, count: Optional[int]) -> Tensor:
    """Validation positives then negatives ([2, P]); ``count``: the first count / 2 of each."""
    pos, neg = split.valid_pos, split.valid_neg
    if count is not None:
        pos, neg = pos[:, :count // 2], neg[:, :count - count // 2]
    return torch.cat([pos, neg], 1)


# ----------------------------------------------------------------------------- agreement check


def check_agreement(name: str, args: argparse.Namespace) -> Dict[str, Dict[str, float]]:
    """Same weights, eval mode: max abs difference of the logits of validation pairs,
    and of the parameter gradients of a BCE loss (the training path of both: the sets
    materialised, gradients through the sums). Exits non-zero when they disagree."""
    split, x = load(name, args)
    n = split.num_nodes
    out: Dict[str, Dict[str, float]] = {}
    for kind in MODELS:
        conf = setting(name, kind, args)
        seed_everything(args.seed)
        gl = build_model(kind, conf, n, None if x is None else x.size(1))
        ref, ref_graph = contender(gl, "reference")
        g_gl, g_ref = build_graph(split.train_pos, n, "train_pos"), ref_graph(split.train_pos, n)
        count = conf["eval_pairs"] if name != "ogbl-ddi" else (4096 if kind == "ncn" else 32)
        pairs = eval_pairs(split, count)
        gl.eval()
        ref.eval()
        with torch.no_grad():
            a, b = gl(x, g_gl, pairs), ref(x, g_ref, pairs)
        diff = float((a - b).abs().max())
        scale = max(1.0, float(a.abs().max()))
        # gradients (eval mode: no dropout, so both see the same function)
        gpairs = pairs[:, : max(2, min(pairs.size(1), 1024 if kind == "ncn" else 16))]
        label = (torch.arange(gpairs.size(1)) < gpairs.size(1) // 2).float()
        grads = []
        for m, g in ((gl, g_gl), (ref, g_ref)):
            m.zero_grad()
            F.binary_cross_entropy_with_logits(m(x, g, gpairs), label).backward()
            grads.append({k: p.grad.detach().clone() for k, p in m.named_parameters() if p.grad is not None})
        grad_diff, grad_scale = 0.0, 1e-12
        for k, ga in grads[0].items():
            gb = grads[1].get(k)
            if gb is None:
                grad_diff = float("inf")
                continue
            grad_diff = max(grad_diff, float((ga - gb).abs().max()))
            grad_scale = max(grad_scale, float(ga.abs().max()))
        out[kind] = {"pairs": int(pairs.size(1)), "max_abs_diff": diff, "max_abs_logit": float(a.abs().max()),
                     "grad_pairs": int(gpairs.size(1)), "max_abs_grad_diff": grad_diff,
                     "max_abs_grad": grad_scale}
        print(f"  agreement {name} {kind}: max |logit diff| {diff:.2e} over {pairs.size(1):,} pairs "
              f"(max |logit| {float(a.abs().max()):.3f}); max |grad diff| {grad_diff:.2e} "
              f"(max |grad| {grad_scale:.2e})", flush=True)
        if not (diff <= CHECK_RTOL * scale and grad_diff <= CHECK_RTOL * max(1.0, grad_scale)):
            print(f"error: {name} {kind}: the reference disagrees with graphlearn (logits {diff:.2e}, "
                  f"gradients {grad_diff:.2e})", file=sys.stderr)
            sys.exit(1)
    return out


# ----------------------------------------------------------------------------- one contender (child process)


def batch_stream(num_pos: int, size: int, gen: torch.Generator):
    """Training batches: each permutation of the positives cut into ``size`` chunks
    (the last one shorter), one permutation after another (epoch after epoch)."""
    while True:
        perm = torch.randperm(num_pos, generator=gen)
        for lo in range(0, num_pos, size):
            yield perm[lo:lo + size]


def run_contender(spec: Dict[str, Any]) -> Dict[str, Any]:
    """Times one (dataset, model, contender) and returns its measurements."""
    args = argparse.Namespace(**spec["args"])
    name, kind, who = spec["dataset"], spec["model"], spec["contender"]
    if args.threads:
        torch.set_num_threads(args.threads)
    reference.set_layout(args.reference_layout)
    runs = args.runs
    split, x = load(name, args)
    n = split.num_nodes
    conf = setting(name, kind, args)
    seed_everything(args.seed)
    model, graph_of = contender(build_model(kind, conf, n, None if x is None else x.size(1)), who)
    opt = torch.optim.Adam([{"params": model.encoder.parameters(), "lr": conf["lr"][0]},
                            {"params": model.predictor.parameters(), "lr": conf["lr"][1]}])
    train_pos = split.train_pos
    num_pos = train_pos.size(1)
    size = conf["batch_size"]
    per_epoch = -(-num_pos // size)
    run_batches = per_epoch if conf["batches"] is None else conf["batches"]
    warm_batches = per_epoch if conf["batches"] is None else 1
    stream = batch_stream(num_pos, size, torch.Generator().manual_seed(args.seed))
    plan = [[next(stream) for _ in range(warm_batches)]] + [[next(stream) for _ in range(run_batches)]
                                                            for _ in range(runs)]
    total = sum(ids.numel() for run in plan for ids in run)
    neg = random_negatives(train_pos, n, total, seed=args.seed)
    result: Dict[str, Any] = {"dataset": name, "model": kind, "contender": who, "num_nodes": n,
                              "train_edges": num_pos, "batch_size": size, "batches_per_run": run_batches,
                              "epoch": conf["batches"] is None, "params": sum(p.numel() for p in model.parameters())}
    g0 = graph_of(train_pos, n)
    overall = peak_mb()  # resetting the mark per phase resets getrusage's too: keep the maximum here
    can_reset = reset_peak()
    base = rss_mb()
    result["rss_setup_mb"] = round(base, 1)

    # training
    progress(f"{name} {kind} {who}: training ({runs} x {run_batches} batches of {size} after warm-up)")
    model.train()
    offset = 0
    run_s, rebuild_s, losses = [], [], []
    for r, batches in enumerate(plan):
        spent = rebuild = 0.0
        for ids in batches:
            pos_pairs = train_pos[:, ids]
            neg_pairs = neg[:, offset:offset + ids.numel()]
            offset += ids.numel()
            t0 = time.perf_counter()
            keep = torch.ones(num_pos, dtype=torch.bool)
            keep[ids] = False
            g = graph_of(train_pos[:, keep], n)
            t1 = time.perf_counter()
            opt.zero_grad()
            h = model.encode(x, g)
            if who == "graphlearn":  # as train_link_predictor: positives and negatives in one call
                out = model.score(h, g, torch.cat([pos_pairs, neg_pairs], 1))
                pos_out, neg_out = out[:pos_pairs.size(1)], out[pos_pairs.size(1):]
            else:  # as the authors' training loop: one call each
                pos_out, neg_out = model.score(h, g, pos_pairs), model.score(h, g, neg_pairs)
            loss = (F.binary_cross_entropy_with_logits(pos_out, torch.ones_like(pos_out))
                    + F.binary_cross_entropy_with_logits(neg_out, torch.zeros_like(neg_out)))
            loss.backward()
            opt.step()
            t2 = time.perf_counter()
            spent += t2 - t0
            rebuild += t1 - t0
            losses.append(float(loss.detach()))
            del g, h, pos_out, neg_out, loss
        if r > 0:
            run_s.append(spent)
            rebuild_s.append(rebuild)
    med = statistics.median(run_s)
    result["train_s_per_run"] = round(med, 4)
    result["train_s_per_batch"] = round(med / run_batches, 4)
    result["rebuild_s_per_batch"] = round(statistics.median(rebuild_s) / run_batches, 4)
    result["train_runs_s"] = [round(t, 4) for t in run_s]
    result["losses"] = [round(v, 6) for v in losses]
    overall = max(overall, peak_mb())
    result["train_peak_above_setup_mb"] = round(max(0.0, peak_mb() - base), 1)

    # inference
    pairs = eval_pairs(split, conf["eval_pairs"])
    ebs = conf["eval_batch_size"]
    progress(f"{name} {kind} {who}: inference ({pairs.size(1):,} pairs, {runs} runs after warm-up)")
    model.eval()
    reset_peak()
    base_eval = rss_mb()
    times, scores = [], None
    for r in range(runs + 1):
        t0 = time.perf_counter()
        with torch.no_grad():
            h = model.encode(x, g0)
            scores = torch.cat([model.score(h, g0, pairs[:, lo:lo + ebs]) for lo in range(0, pairs.size(1), ebs)])
        if r > 0:
            times.append(time.perf_counter() - t0)
        del h
    med = statistics.median(times)
    overall = max(overall, peak_mb())
    result.update(eval_pairs=int(pairs.size(1)), eval_s=round(med, 4), eval_pairs_per_s=round(pairs.size(1) / med, 1),
                  eval_runs_s=[round(t, 4) for t in times],
                  eval_peak_above_start_mb=round(max(0.0, peak_mb() - base_eval), 1),
                  eval_scores_head=[round(float(v), 6) for v in scores[:512]])

    # predict_topk
    q = conf["topk_queries"]
    if q:
        nodes = torch.randperm(n, generator=torch.Generator().manual_seed(args.seed))[:q]
        progress(f"{name} {kind} {who}: predict_topk ({q} queries, k={TOPK_K})")
        reset_peak()
        base_topk = rss_mb()
        predict_topk(model, split, nodes[: max(1, q // 8)], TOPK_K, graph=g0)  # warm-up
        times = []
        idx = None
        for _ in range(runs):
            t0 = time.perf_counter()
            _, idx = predict_topk(model, split, nodes, TOPK_K, graph=g0)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        overall = max(overall, peak_mb())
        result.update(topk_queries=q, topk_k=TOPK_K, topk_s=round(med, 4), topk_queries_per_s=round(q / med, 3),
                      topk_runs_s=[round(t, 4) for t in times], topk_indices=idx.tolist(),
                      topk_peak_above_start_mb=round(max(0.0, peak_mb() - base_topk), 1))
    result["peak_reset"] = can_reset  # False: the per-phase peaks are the process's peak so far
    result["peak_rss_mb"] = round(overall, 1)
    result["threads"] = torch.get_num_threads()
    return result


def spawn(name: str, kind: str, who: str, args: argparse.Namespace) -> Dict[str, Any]:
    """Runs one contender in a fresh interpreter and returns its JSON result."""
    spec = {"dataset": name, "model": kind, "contender": who, "args": vars(args)}
    cmd = [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    if proc.returncode != 0:
        return {"failed": f"exit {proc.returncode} (its stderr is above)"}
    lines = [ln for ln in proc.stdout.strip().splitlines() if ln.startswith("{")]
    if not lines:
        return {"failed": "no result line"}
    return json.loads(lines[-1])


# ----------------------------------------------------------------------------- report


def summarize(name: str, kind: str, gl: Dict[str, Any], ref: Dict[str, Any]) -> Tuple[Dict[str, Any], List[list]]:
    """JSON entry and table rows of one (dataset, model)."""
    entry: Dict[str, Any] = {"graphlearn": gl, "reference": ref}
    if "failed" in gl or "failed" in ref:
        return entry, [[kind, "failed", gl.get("failed", ""), ref.get("failed", ""), "", "", ""]]
    rows = []
    unit = "epoch" if gl["epoch"] else "batch"
    t_key = "train_s_per_run" if gl["epoch"] else "train_s_per_batch"
    what = (f"train s/epoch ({gl['batches_per_run']} batches of <= {gl['batch_size']})" if gl["epoch"]
            else f"train s/batch ({gl['batch_size']} pos + neg)")
    speed = {"train": _ratio(ref[t_key], gl[t_key]), "rebuild": _ratio(ref["rebuild_s_per_batch"],
                                                                       gl["rebuild_s_per_batch"]),
             "inference": _ratio(ref["eval_s"], gl["eval_s"])}
    rows.append([kind, what, _fs(gl[t_key]), _fs(ref[t_key]), _fx(speed["train"]), ">= 2x",
                 _verdict(speed["train"] >= TARGETS["train"])])
    rows.append([kind, "  of which graph rebuild, per batch", _fs(gl["rebuild_s_per_batch"]),
                 _fs(ref["rebuild_s_per_batch"]), _fx(speed["rebuild"]), "", ""])
    rows.append([kind, f"inference ({gl['eval_pairs']:,} valid pairs)", _fs(gl["eval_s"]), _fs(ref["eval_s"]),
                 _fx(speed["inference"]), ">= 3x", _verdict(speed["inference"] >= TARGETS["inference"])])
    if "topk_s" in gl:
        speed["topk"] = _ratio(gl["topk_queries_per_s"], ref["topk_queries_per_s"])
        rows.append([kind, f"predict_topk queries/s ({gl['topk_queries']} queries, k={gl['topk_k']})",
                     f"{gl['topk_queries_per_s']:.2f}", f"{ref['topk_queries_per_s']:.2f}", _fx(speed["topk"]), "",
                     ""])
        same = [len(set(a) & set(b)) / max(1, len(set(a) | set(b)))
                for a, b in zip(gl["topk_indices"], ref["topk_indices"])]
        entry["topk_index_jaccard"] = round(statistics.mean(same), 4) if same else None
    memory = {"peak_rss": _mem_ratio(gl["peak_rss_mb"], ref["peak_rss_mb"]),
              "train_peak_above_setup": _mem_ratio(gl["train_peak_above_setup_mb"],
                                                   ref["train_peak_above_setup_mb"]),
              "eval_peak_above_start": _mem_ratio(gl["eval_peak_above_start_mb"], ref["eval_peak_above_start_mb"])}
    rows.append([kind, "peak RSS of the process", _fm(gl["peak_rss_mb"]), _fm(ref["peak_rss_mb"]),
                 _fx(memory["peak_rss"]), "< 1x", _verdict(None if memory["peak_rss"] is None
                                                           else memory["peak_rss"] < 1)])
    rows.append([kind, "  training peak above setup", _fm(gl["train_peak_above_setup_mb"]),
                 _fm(ref["train_peak_above_setup_mb"]), _fx(memory["train_peak_above_setup"]), "< 1x",
                 _verdict(memory["train_peak_above_setup"] is not None and memory["train_peak_above_setup"] < 1)])
    rows.append([kind, "  inference peak above start", _fm(gl["eval_peak_above_start_mb"]),
                 _fm(ref["eval_peak_above_start_mb"]), _fx(memory["eval_peak_above_start"]), "", ""])
    if "topk_s" in gl:
        memory["topk_peak_above_start"] = _mem_ratio(gl["topk_peak_above_start_mb"], ref["topk_peak_above_start_mb"])
        rows.append([kind, "  predict_topk peak above start", _fm(gl["topk_peak_above_start_mb"]),
                     _fm(ref["topk_peak_above_start_mb"]), _fx(memory["topk_peak_above_start"]), "", ""])
    a, b = gl["eval_scores_head"], ref["eval_scores_head"]
    entry["eval_scores_max_abs_diff_after_training"] = max((abs(u - v) for u, v in zip(a, b)), default=0.0)
    entry["loss_max_abs_diff"] = max((abs(u - v) for u, v in zip(gl["losses"], ref["losses"])), default=0.0)
    entry["speedup"] = {k: None if v is None else round(v, 3) for k, v in speed.items()}
    entry["memory_ratio"] = {k: None if v is None else round(v, 3) for k, v in memory.items()}
    entry["target_met"] = {"train": speed["train"] >= TARGETS["train"],
                           "inference": speed["inference"] >= TARGETS["inference"],
                           "memory": None if memory["peak_rss"] is None else memory["peak_rss"] < 1}
    entry["unit"] = unit
    for d in (gl, ref):  # the raw lists stay out of the JSON line
        for key in ("eval_scores_head", "topk_indices", "losses"):
            d.pop(key, None)
    return entry, rows


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Command-line flags."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", default=default_root(), help="dataset folder (default: %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="timed repeats after a warm-up, median reported "
                   "(Cora: epochs; ogbl-ddi: passes over --ddi-batches batches; default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights, batches and negatives")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads (default: torch's; 1 with --quick)")
    p.add_argument("--quick", action="store_true", help="smoke test: a small synthetic graph, both settings")
    p.add_argument("--datasets", nargs="+", choices=("cora", "ogbl-ddi"), default=["cora", "ogbl-ddi"],
                   help="datasets to benchmark (default: both; --quick replaces them by a synthetic graph)")
    p.add_argument("--skip-ddi", action="store_true", help="Cora only (same as --datasets cora)")
    p.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    p.add_argument("--ddi-batch-size", type=int, default=DDI["ncn"]["batch_size"],
                   help="NCN training batch on ogbl-ddi (default: the authors' %(default)s)")
    p.add_argument("--ddi-batches", type=int, default=5, help="NCN training batches timed per run on ogbl-ddi")
    p.add_argument("--ddi-eval-pairs", type=int, default=65536, help="NCN validation pairs scored on ogbl-ddi")
    p.add_argument("--ddi-ncnc-batch-size", type=int, default=256,
                   help="NCNC training batch on ogbl-ddi (the authors' is 24576: minutes per batch on a CPU)")
    p.add_argument("--ddi-ncnc-batches", type=int, default=1, help="NCNC training batches timed per run")
    p.add_argument("--ddi-ncnc-eval-pairs", type=int, default=256, help="NCNC validation pairs scored on ogbl-ddi")
    p.add_argument("--ddi-splitsize", type=int, default=262144,
                   help="NCNC completion pairs scored per chunk on ogbl-ddi (the authors' --splitsize; the "
                        "reference's key arrays of a full chunk take several GB)")
    p.add_argument("--topk-queries", type=int, default=64, help="NCN predict_topk query nodes on ogbl-ddi")
    p.add_argument("--topk-ncnc-queries", type=int, default=0,
                   help="NCNC predict_topk query nodes on ogbl-ddi (default 0: off; one query is ~4M "
                        "completion pairs)")
    p.add_argument("--reference-layout", choices=reference.SPARSE_LAYOUTS, default="coo",
                   help="torch sparse layout of the reference's set matrices (default %(default)s)")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for key in ("runs", "ddi_batch_size", "ddi_batches", "ddi_eval_pairs", "ddi_ncnc_batch_size", "ddi_ncnc_batches",
                "ddi_ncnc_eval_pairs", "ddi_splitsize"):
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')} must be >= 1")
    if args.topk_queries < 0 or args.topk_ncnc_queries < 0:
        p.error("--topk-queries and --topk-ncnc-queries must be >= 0")
    if args.threads is not None and args.threads < 1:
        p.error("--threads must be >= 1")
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Checks agreement, runs every contender in its own process, prints the tables and the JSON line."""
    args = parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_contender(json.loads(args.child))), flush=True)
        return 0
    if args.quick:
        args.runs = 1
        if args.threads is None:  # a smoke test: one thread keeps it fast on a busy machine
            args.threads = 1
    if args.threads:
        torch.set_num_threads(args.threads)
    if not ops.compiled():
        print(f"error: graphlearn's compiled core is not loaded ({ops.load_error()}); nothing to benchmark",
              file=sys.stderr)
        return 1
    t_start = time.perf_counter()
    threads = args.threads or torch.get_num_threads()
    print(f"graphlearn {graphlearn.__version__} (compiled core), torch {torch.__version__}, {threads} threads, "
          f"float32; reference sparse layout {args.reference_layout}")
    print(f"1-min load average at start: {os.getloadavg()[0]:.2f} (other busy processes distort timings)")
    print(f"each contender runs in a fresh process; times are medians of {args.runs} runs after a warm-up")
    results: Dict[str, Any] = {}
    agreement: Dict[str, Any] = {}
    status = 0
    for name in datasets(args):
        progress(f"{name}: agreement check")
        agreement[name] = check_agreement(name, args)
        results[name] = {}
        rows: List[list] = []
        for kind in args.models:
            got = {who: spawn(name, kind, who, args) for who in CONTENDERS}
            entry, new_rows = summarize(name, kind, got["graphlearn"], got["reference"])
            if any("failed" in got[w] for w in CONTENDERS):
                status = 1
            results[name][kind] = entry
            rows += new_rows
        first = next((e["graphlearn"] for e in results[name].values() if "failed" not in e["graphlearn"]), {})
        notes = [f"{first.get('num_nodes', '?')} nodes, {first.get('train_edges', '?')} training edges; "
                 "time ratio = reference / graphlearn, memory ratio = graphlearn / reference",
                 "train = per-batch graph rebuild (target link removal) + forward + backward + Adam step"]
        for kind, e in results[name].items():
            if "loss_max_abs_diff" in e:
                notes.append(f"{kind}: max |loss diff| over the same batches {e['loss_max_abs_diff']:.1e}, "
                             f"max |score diff| after training {e['eval_scores_max_abs_diff_after_training']:.1e}"
                             + (f", top-k index Jaccard {e['topk_index_jaccard']:.3f}"
                                if e.get("topk_index_jaccard") is not None else ""))
        print_table(f"{name}: graphlearn vs pure-PyTorch reference (authors' approach)",
                    ["model", "measure", "graphlearn", "reference", "ratio", "target", "met"], rows, notes)
    total = time.perf_counter() - t_start
    print(f"\ntotal benchmark time: {total:.1f} s; 1-min load average at end: {os.getloadavg()[0]:.2f}")
    meta = {"graphlearn": graphlearn.__version__, "torch": torch.__version__, "threads": threads,
            "runs": args.runs, "seed": args.seed, "quick": args.quick, "reference_layout": args.reference_layout,
            "datasets": datasets(args), "ddi_batch_size": args.ddi_batch_size,
            "ddi_batches": args.ddi_batches, "ddi_eval_pairs": args.ddi_eval_pairs,
            "ddi_ncnc_batch_size": args.ddi_ncnc_batch_size, "ddi_ncnc_batches": args.ddi_ncnc_batches,
            "ddi_ncnc_eval_pairs": args.ddi_ncnc_eval_pairs, "ddi_splitsize": args.ddi_splitsize,
            "topk_queries": args.topk_queries,
            "topk_ncnc_queries": args.topk_ncnc_queries, "targets": {"train": ">= 2x", "inference": ">= 3x",
                                                                      "memory": "< 1x"},
            "total_s": round(total, 1)}
    print(json.dumps({"agreement": agreement, "results": results, "meta": meta}))
    return status


if __name__ == "__main__":
    sys.exit(main())
