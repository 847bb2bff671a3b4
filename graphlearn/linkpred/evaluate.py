"""``evaluate(scorer, dataset, protocol)``: one call from a scorer to a reproducible report.

Protocols:

* ``"ogb"``: OGB's fixed positives and negatives (``get_edge_split()``); metrics as
  OGB's ``Evaluator`` computes them (shared negatives for ddi/collab/ppa, per-positive
  target negatives for citation2).
* ``"heart"``: the split's positives, each ranked against its own 500 HeaRT hard
  negatives (:func:`graphlearn.linkpred.heart_negatives`, generated from the training
  graph and seeded); MRR and Hits@K by OGB's citation2 rule.
* ``"random"``: a seeded random edge split for a graph without one (85/5/10, HeaRT's
  "existing setting"), or the dataset's fixed positives; in both cases uniformly random
  negatives that are not edges of the whole graph, one per positive, shared.

The scorer is any callable ``scorer(pairs) -> scores`` with ``pairs`` a ``[2, B]``
int64 tensor (PyG's edge_index layout) and ``scores`` ``[B]`` (or ``[B, 1]``); a
``torch.nn.Module`` is run in eval mode without gradients; a string names a heuristic
(:data:`graphlearn.linkpred.HEURISTICS`) built on the training graph.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import Tensor

from graphlearn import _io, _validate
from graphlearn.linkpred import metrics as M
from graphlearn.linkpred._utils import batch_size_arg, batches, cpu_pairs, generator_seed, seed_arg
from graphlearn.linkpred.splits import SPLITS, LinkSplit, as_link_split, check_ratios

__all__ = ["evaluate", "LinkPredResult", "score_pairs", "PROTOCOLS", "DEFAULT_KS"]

PROTOCOLS = ("ogb", "heart", "random")
DEFAULT_KS = (1, 3, 10, 20, 50, 100)
# OGB's headline metric per dataset (its Evaluator's eval_metric)
OGB_PRIMARY = {"ogbl-ddi": "hits@20", "ogbl-collab": "hits@50", "ogbl-ppa": "hits@100", "ogbl-citation2": "mrr",
               "ogbl-wikikg2": "mrr", "ogbl-biokg": "mrr", "ogbl-vessel": "auc"}


@dataclass
class LinkPredResult:
    """What :func:`evaluate` returns. ``print(result)`` shows a table (metrics in %);
    :meth:`to_dict` / :meth:`to_json` give the fractions."""

    dataset: str
    protocol: str
    scorer: str
    seed: int
    metrics: Dict[str, Dict[str, float]]
    sizes: Dict[str, Dict[str, Any]]
    primary: str
    seconds: Dict[str, float] = field(default_factory=dict)
    buckets: Dict[str, Dict[str, List[Dict[str, Any]]]] = field(default_factory=dict)
    info: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        """Plain JSON-serialisable dict (metrics as fractions in [0, 1])."""
        return {"dataset": self.dataset, "protocol": self.protocol, "scorer": self.scorer, "seed": self.seed,
                "primary": self.primary, "metrics": self.metrics, "sizes": self.sizes,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}, "buckets": self.buckets,
                "info": _jsonable(self.info)}

    def to_json(self, path) -> None:
        """Writes :meth:`to_dict` to `path` atomically (temporary file + rename)."""
        _io.atomic_write_json(path, self.to_dict())

    def __getitem__(self, split: str) -> Dict[str, float]:
        return self.metrics[split]

    def __str__(self) -> str:
        names: List[str] = []
        for m in self.metrics.values():
            for k in m:
                if k not in names:
                    names.append(k)
        head = f"{self.scorer} on {self.dataset} (protocol {self.protocol}, seed {self.seed}; metrics in %)"
        cols = ["split", "pos", "neg"] + names
        rows = []
        for split, m in self.metrics.items():
            sz = self.sizes.get(split, {})
            rows.append([split, str(sz.get("pos", "")), "x".join(str(s) for s in sz.get("neg_shape", []))]
                        + [f"{100 * m[n]:.2f}" if n in m else "" for n in names])
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
        lines = [head, "  ".join(c.rjust(w) for c, w in zip(cols, widths)),
                 "  ".join("-" * w for w in widths)]
        lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
        for split, by in self.buckets.items():
            for prop, table in by.items():
                lines.append("")
                lines.append(f"{split}: metrics per {prop} bucket (mean over nodes)")
                mnames = [k for k in table[0] if k not in ("property", "low", "high", "nodes")] if table else []
                bh = [prop, "nodes"] + mnames
                brows = [[f"[{r['low']:.3g}, {r['high']:.3g}" + ("]" if i == len(table) - 1 else ")"), str(r["nodes"])]
                         + [("nan" if r[n] != r[n] else f"{100 * r[n]:.2f}") for n in mnames]
                         for i, r in enumerate(table)]
                bw = [max(len(c), *(len(r[i]) for r in brows)) for i, c in enumerate(bh)]
                lines.append("  ".join(c.rjust(w) for c, w in zip(bh, bw)))
                lines += ["  ".join(v.rjust(w) for v, w in zip(r, bw)) for r in brows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LinkPredResult({self.scorer} on {self.dataset}, {self.protocol}: {json.dumps(self.metrics)})"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, Tensor):
        return obj.tolist()
    return obj


# ------------------------------------------------------------------------------- scoring


def _wrap_scorer(scorer: Any) -> Callable[[Tensor], Any]:
    if isinstance(scorer, torch.nn.Module):
        module = scorer

        def call(pairs: Tensor):
            was_training = module.training
            module.eval()
            try:
                with torch.no_grad():
                    return module(pairs)
            finally:
                module.train(was_training)

        return call
    if callable(scorer):
        return scorer
    raise TypeError(f"scorer must be callable (pairs [2, B] -> scores [B]), a torch.nn.Module or a heuristic name, "
                    f"got {type(scorer).__name__}")


def score_pairs(scorer: Any, pairs: Any, batch_size: int = 65536, what: str = "pairs",
                progress: bool = False, parts: Optional[Sequence[Any]] = None) -> Tensor:
    """Scores ``[2, P]`` pairs (or ``(src, dst)``) in batches, calling ``scorer`` with
    ``[2, B]`` int64 CPU tensors (``batch_size`` >= 1 pairs per call).

    Checks every output: ``[B]`` or ``[B, 1]``, real and finite (ValueError naming the
    pair and `what` otherwise; ``parts`` = ``[(start, label), ...]`` names sub-ranges of
    ``pairs`` in those messages). Returns ``[P]`` float64 on the CPU.
    """
    from graphlearn.linkpred.heuristics import Heuristic

    batch_size = batch_size_arg(batch_size)
    call = _wrap_scorer(scorer)
    src, dst = cpu_pairs(pairs, name="pairs")
    p = src.numel()
    if isinstance(scorer, Heuristic):  # batches internally (PPR/Katz group the pairs by source)
        batch_size = max(1, p)
    out = torch.empty(p, dtype=torch.float64)
    with _io.progress(p, f"scoring {what}", "pairs", enabled=progress) as bar:
        for lo, hi in batches(p, batch_size):
            chunk = torch.stack([src[lo:hi], dst[lo:hi]])
            s = call(chunk)
            if isinstance(s, np.ndarray):
                s = torch.from_numpy(s)
            if not isinstance(s, Tensor):
                raise TypeError(f"scorer returned {type(s).__name__} for {what}; expected a tensor of {hi - lo} scores")
            s = s.detach()
            if s.dim() == 2 and s.size(1) == 1:
                s = s[:, 0]
            if s.dim() != 1 or s.numel() != hi - lo:
                raise ValueError(f"scorer returned shape {list(s.shape)} for {hi - lo} {what}; expected [{hi - lo}] "
                                 f"(one score per pair; pairs are passed as [2, B])")
            if s.dtype == torch.bool or s.is_complex():
                raise TypeError(f"scorer returned {s.dtype} scores for {what}; expected real numbers")
            s = s.to("cpu", torch.float64)
            fin = torch.isfinite(s)
            if not bool(fin.all()):
                i = int((~fin).nonzero()[0])
                u, v = int(src[lo + i]), int(dst[lo + i])
                label, j = what, lo + i
                for start, lab in (parts or ()):
                    if lo + i >= start:
                        label, j = lab, lo + i - start
                raise ValueError(f"scorer returned {s[i].item()} for {label}[{j}] = ({u}, {v}): scores must "
                                 f"be finite (no NaN or inf)")
            out[lo:hi] = s
            bar.update(hi - lo)
    return out


def _negatives_to_score(split: LinkSplit, name: str, dedupe: bool):
    """(pairs [2, Q] to score, inverse index or None, final shape) for the negatives of `name`."""
    layout = split.neg_layout(name)
    if layout == "shared":
        neg = split.neg(name)
        return neg, None, (neg.size(1),)
    n = split.num_nodes
    keys = split.negative_keys(name, undirected=False)
    shape = tuple(keys.shape)
    if not dedupe:
        flat = keys.reshape(-1)
        return torch.stack([flat // n, flat % n]), None, shape
    # per-positive negatives repeat heavily (HeaRT candidates are per node): score each pair once
    uniq, inv = torch.unique(keys.reshape(-1), return_inverse=True)
    return torch.stack([uniq // n, uniq % n]), inv, shape


def _score_split(scorer, split: LinkSplit, name: str, batch_size: int, dedupe: bool, progress: bool):
    """(positive scores [P], negative scores [M] or [P, M]), positives and negatives scored in one pass."""
    pos = split.pos(name)
    neg_pairs, inv, shape = _negatives_to_score(split, name, dedupe)
    neg_label = f"{name}_neg" if inv is None else f"{name}_neg (distinct pairs)"
    scores = score_pairs(scorer, torch.cat([pos, neg_pairs], 1), batch_size, f"{name} pairs", progress,
                         parts=[(0, f"{name}_pos"), (pos.size(1), neg_label)])
    pos_scores, neg_scores = scores[: pos.size(1)], scores[pos.size(1):]
    if inv is not None:
        neg_scores = neg_scores[inv]
    return pos_scores, neg_scores.view(shape)


def _resolve_scorer(scorer: Any, split: LinkSplit, valid_as_input: bool, scorer_kwargs: Dict[str, Any]):
    """(scorer for valid, scorer for test, display name)."""
    from graphlearn.linkpred.heuristics import Heuristic, canonical_name, get_heuristic

    if isinstance(scorer, str):
        name = canonical_name(scorer)
        train = split.train_graph()
        s_valid = get_heuristic(name, train, split.num_nodes, **scorer_kwargs)
        s_test = get_heuristic(name, split.train_graph(with_valid=True), split.num_nodes, **scorer_kwargs) \
            if valid_as_input else s_valid
        return s_valid, s_test, name
    if scorer_kwargs:
        raise ValueError("scorer_kwargs only apply when the scorer is given by name")
    if isinstance(scorer, Heuristic) and not scorer.fitted:
        scorer.fit(split.train_graph(), split.num_nodes)
    _wrap_scorer(scorer)  # type check
    name = getattr(scorer, "name", None) or type(scorer).__name__
    if isinstance(scorer, torch.nn.Module):
        name = type(scorer).__name__
    return scorer, scorer, str(name)


def _prepare_negatives(split: LinkSplit, protocol: str, seed: int, num_neg: Optional[int], valid_as_input: bool,
                       heart_kwargs: Dict[str, Any], progress: bool) -> LinkSplit:
    from graphlearn.linkpred.negatives import _random_negatives, heart_negatives

    have = split.info.get("negatives")
    if protocol == "ogb":
        if have != "fixed":
            raise ValueError(f"protocol 'ogb' needs a dataset with OGB's fixed negatives (an OGB name, folder or "
                             f"dataset object); {split.name!r} has {have or 'no'} negatives: use protocol "
                             f"'random' or 'heart'")
        return split
    all_pos = torch.cat([split.train_pos, split.valid_pos, split.test_pos], 1)
    if protocol == "random":
        if have == "random" and num_neg is None:
            return split
        negs: List[Optional[Tensor]] = []
        for i, s in enumerate(SPLITS):
            m = split.pos(s).size(1) if num_neg is None else num_neg
            negs.append(_random_negatives(all_pos, split.num_nodes, m, generator_seed(seed * 2 + 1 + i), exclude=negs,
                                          undirected=not split.directed))
        return split.with_negatives(negs[0], negs[1], negatives="random", random_seed=seed)
    # heart
    if have == "heart" and num_neg is None:
        return split
    kw = dict(heart_kwargs)
    kw.setdefault("num_neg", 500 if num_neg is None else num_neg)
    kw.setdefault("seed", seed)
    kw.setdefault("progress", progress)
    if split.x is not None and "x" not in kw:
        kw["x"] = split.x
    exclude = [split.valid_pos, split.test_pos]
    out = {}
    for s in SPLITS:
        graph = split.train_graph(with_valid=valid_as_input and s == "test")
        out[s] = heart_negatives(graph, split.pos(s), split.num_nodes, exclude=exclude, **kw)
    k_src = kw["num_neg"] - kw["num_neg"] // 2
    res = split.with_negatives(None, None, negatives="heart", heart_seed=seed, heart_num_source=k_src,
                               valid_neg_layout="heart", test_neg_layout="heart")
    res.valid_neg, res.test_neg = out["valid"], out["test"]
    res.validate(check_overlap=True)
    return res


def evaluate(scorer: Any, dataset: Any, protocol: str = "ogb", *, splits: Sequence[str] = SPLITS,
             ks: Optional[Sequence[int]] = None, root: Optional[str] = None, seed: int = 0,
             num_neg: Optional[int] = None, batch_size: int = 65536, valid_as_input: bool = False,
             val_ratio: float = 0.05, test_ratio: float = 0.10, extra_metrics: bool = True,
             analysis: Sequence[str] = (), analysis_k: Optional[int] = None, tc_hops: int = 1,
             heart_kwargs: Optional[Dict[str, Any]] = None, scorer_kwargs: Optional[Dict[str, Any]] = None,
             dedupe: bool = True, progress: bool = True, validate: bool = True) -> LinkPredResult:
    """Evaluates a link scorer under a protocol and returns a :class:`LinkPredResult`.

    Args:
        scorer: callable ``(pairs [2, B]) -> scores [B]``, a ``torch.nn.Module``, a
            :class:`graphlearn.linkpred.Heuristic` (fitted on the training graph if it is
            not yet), or a heuristic name (``"adamic_adar"``, ``"cn"``, ``"ppr"``, ...).
        dataset: OGB name (``"ogbl-ddi"``) or folder, ``"cora"``/``"citeseer"``/``"pubmed"``,
            a PyG ``Data`` (randomly split), an object with ``get_edge_split()``, or a
            :class:`graphlearn.linkpred.LinkSplit`.
        protocol: ``"ogb"``, ``"heart"`` or ``"random"`` (module docstring).
        splits: which of ``"valid"``, ``"test"`` to evaluate.
        ks: Hits@K cut-offs, integers >= 1 (default 1, 3, 10, 20, 50, 100).
        root: data folder for names (default ``$GRAPHLEARN_DATA`` / ``../shared/datasets``).
        seed: seeds random splits, random negatives and HeaRT tie-breaking (an
            integer in ``[0, 2**63 - 1]``).
        num_neg: random negatives per split, >= 1 (default: one per positive) or HeaRT
            negatives per positive, >= 2 (default 500).
        batch_size: pairs per scorer call (>= 1).
        valid_as_input: for heuristics given by name and HeaRT negatives of ``test``, use
            train + valid edges as the graph (OGB's collab convention).
        val_ratio, test_ratio: random-split ratios, each in ``[0, 1)``.
        extra_metrics: also compute AUC and AP (pooled over all negatives).
        analysis: any of ``"degree"``, ``"tc"`` (exact Topological Concentration),
            ``"tc_approx"``: per-bucket metrics of the evaluated splits.
        analysis_k: the Hits@K reported per bucket, >= 1 (default: the primary K or 20).
        tc_hops: hops ``K`` of Topological Concentration (>= 1).
        heart_kwargs: extra arguments of :func:`graphlearn.linkpred.heart_negatives`.
        scorer_kwargs: parameters of a heuristic given by name (e.g. ``{"alpha": 0.2}``).
        dedupe: score each distinct per-positive negative pair once.
        progress: tqdm bars (False silences them).
        validate: check ids, shapes and that no negative is a positive edge.

    Returns:
        :class:`LinkPredResult`.

    Raises:
        TypeError / ValueError: a bad argument, before anything is loaded (the message
            names it and the accepted range).
    """
    t0 = time.perf_counter()
    # every argument is checked before the dataset is loaded
    protocol = _validate.choice(protocol, "protocol", PROTOCOLS)
    splits = _names(splits, "splits", SPLITS)
    analysis = _names(analysis, "analysis", ("degree", "tc", "tc_approx"))
    ks = DEFAULT_KS if ks is None else M.check_ks(ks)
    if not ks:
        raise ValueError("ks must hold at least one Hits@K cut-off (or be None for the default)")
    seed = seed_arg(seed)
    if num_neg is not None:
        # HeaRT takes num_neg - num_neg // 2 negatives of the source and num_neg // 2 of the target
        num_neg = _validate.integer(num_neg, "num_neg", min=2 if protocol == "heart" else 1)
    batch_size = batch_size_arg(batch_size)
    val_ratio, test_ratio = check_ratios(val_ratio, test_ratio)
    if analysis_k is not None:
        analysis_k = _validate.integer(analysis_k, "analysis_k", min=1)
    tc_hops = _validate.integer(tc_hops, "tc_hops", min=1)
    for what, kw in (("heart_kwargs", heart_kwargs), ("scorer_kwargs", scorer_kwargs)):
        if kw is not None and not isinstance(kw, dict):
            raise TypeError(f"{what} must be a dict of keyword arguments, got {type(kw).__name__}")
    split = as_link_split(dataset, root=root, seed=seed, val_ratio=val_ratio, test_ratio=test_ratio,
                          validate=validate)
    seconds: Dict[str, float] = {"load": time.perf_counter() - t0}
    t = time.perf_counter()
    split = _prepare_negatives(split, protocol, seed, num_neg, valid_as_input, heart_kwargs or {}, progress)
    seconds["negatives"] = time.perf_counter() - t
    t = time.perf_counter()
    s_valid, s_test, scorer_name = _resolve_scorer(scorer, split, valid_as_input, dict(scorer_kwargs or {}))
    seconds["fit"] = time.perf_counter() - t
    ogb_name = split.name.lower() if split.name.lower().startswith("ogbl-") else None
    if protocol == "ogb" and ogb_name in OGB_PRIMARY:
        primary = OGB_PRIMARY[ogb_name]
    elif protocol == "heart" or any(split.neg_layout(s) != "shared" for s in splits):
        primary = "mrr"
    else:
        primary = "hits@100" if 100 in ks else f"hits@{max(ks)}"
    metrics: Dict[str, Dict[str, float]] = {}
    sizes: Dict[str, Dict[str, Any]] = {}
    buckets: Dict[str, Dict[str, List[Dict[str, Any]]]] = {}
    for s in splits:
        t = time.perf_counter()
        sc = s_test if s == "test" else s_valid
        pos = split.pos(s)
        pos_scores, neg_scores = _score_split(sc, split, s, batch_size, dedupe, progress)
        seconds[f"score_{s}"] = time.perf_counter() - t
        t = time.perf_counter()
        metrics[s] = M.compute_metrics(pos_scores, neg_scores, ks, extra=extra_metrics)
        seconds[f"metrics_{s}"] = time.perf_counter() - t
        sizes[s] = {"pos": pos.size(1), "neg_shape": list(neg_scores.shape), "layout": split.neg_layout(s)}
        if analysis:
            t = time.perf_counter()
            buckets[s] = _analyse(split, s, pos_scores, neg_scores, analysis, analysis_k or _primary_k(primary),
                                  tc_hops, seed, valid_as_input, progress)
            seconds[f"analysis_{s}"] = time.perf_counter() - t
    seconds["total"] = time.perf_counter() - t0
    info = {"split": {k: v for k, v in split.info.items()}, "num_nodes": split.num_nodes,
            "train_edges": split.train_pos.size(1), "valid_as_input": valid_as_input}
    return LinkPredResult(dataset=split.name, protocol=protocol, scorer=scorer_name, seed=seed, metrics=metrics,
                          sizes=sizes, primary=primary, seconds=seconds, buckets=buckets, info=info)


def _names(values: Any, name: str, allowed: Sequence[str]) -> tuple:
    """A sequence of names from ``allowed`` (a bare string is refused: ``"valid"`` is
    not ``("valid",)``)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set, frozenset)):
        raise TypeError(f"{name} must be a sequence of names from {tuple(allowed)}, e.g. {tuple(allowed)[:1]}, got "
                        f"{values!r}")
    for v in values:
        _validate.choice(v, f"{name} entries", allowed)
    return tuple(values)


def _primary_k(primary: str) -> int:
    return int(primary.split("@")[1]) if primary.startswith("hits@") else 20


def _analyse(split: LinkSplit, s: str, pos_scores: Tensor, neg_scores: Tensor, analysis: Sequence[str], k: int,
             tc_hops: int, seed: int, valid_as_input: bool, progress: bool) -> Dict[str, List[Dict[str, Any]]]:
    from graphlearn.linkpred import analysis as A

    pos = split.pos(s)
    n = split.num_nodes
    node_metric = {f"hits@{k}": A.node_average(pos, M.hits_per_positive(pos_scores, neg_scores, k), n),
                   "mrr": A.node_average(pos, M.reciprocal_ranks(pos_scores, neg_scores), n)}
    graph = split.train_graph(with_valid=valid_as_input and s == "test")
    out: Dict[str, List[Dict[str, Any]]] = {}
    for a in analysis:
        if a == "degree":
            out["degree"] = A.bucket_report(node_metric, graph.degree().to(torch.float64), "log2",
                                            property_name="degree")
        elif a == "tc":
            tc = A.topological_concentration(graph, pos, n, k=tc_hops, progress=progress)
            out["tc"] = A.bucket_report(node_metric, tc, "quantile", property_name="tc")
        else:
            tc = A.approx_topological_concentration(graph, pos, n, k=tc_hops, seed=seed)
            out["tc_approx"] = A.bucket_report(node_metric, tc, "quantile", property_name="tc_approx")
    return out
