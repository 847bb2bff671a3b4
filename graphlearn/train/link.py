"""Link prediction with edge mini-batches, evaluated by the :mod:`graphlearn.linkpred` harness."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphlearn import _validate
from graphlearn.train._common import TrainResult, check_features, check_loop_args, run_epochs, seed_everything

__all__ = ["train_link_predictor", "dot_product"]


def dot_product(h_src: Tensor, h_dst: Tensor) -> Tensor:
    """The default pair scorer: ``<h_src, h_dst>`` per pair, ``[B]`` (a logit)."""
    return (h_src * h_dst).sum(-1)


def train_link_predictor(model: nn.Module, split: Any, *,
                         predictor: Optional[Callable[[Tensor, Tensor], Tensor]] = None, x: Optional[Tensor] = None,
                         graph: Any = None, protocol: Optional[str] = None,
                         metric: Optional[str] = None, ks: Optional[Sequence[int]] = None, root: Optional[str] = None,
                         epochs: int = 100, batch_size: int = 65536, num_neg: int = 1, lr: float = 0.01,
                         weight_decay: float = 0.0, params: Optional[Iterable[Any]] = None,
                         patience: Optional[int] = None, min_delta: float = 0.0, seed: Optional[int] = 0,
                         forward: Optional[Callable[[nn.Module, Optional[Tensor], Any], Tensor]] = None,
                         eval_batch_size: int = 65536, restore_best: bool = True,
                         target_link_removal: bool = False, valid_as_input: bool = False,
                         eval_every: int = 1, progress: bool = True) -> TrainResult:
    """Trains node embeddings ``h = model(x, graph)`` and a pair scorer
    ``predictor(h[src], h[dst]) -> logits`` on the training edges against random
    negatives, and evaluates with :func:`graphlearn.linkpred.evaluate` every epoch.

    Each epoch shuffles the training edges into batches of ``batch_size``; every batch
    recomputes ``h`` on the whole training graph, scores its positives and
    ``num_neg`` times as many negatives (:func:`graphlearn.linkpred.random_negatives`:
    uniform node pairs that are not training edges, drawn anew each epoch from
    ``seed``), and takes one Adam step on the binary cross-entropy of both.

    A *pair model* (one with ``encode(x, graph) -> h`` and ``score(h, graph, pairs) ->
    logits``, such as :class:`graphlearn.nn.NCN`) scores pairs itself, with the graph
    (common neighbours): ``predictor`` and ``forward`` are then not used.

    Args:
        model: the encoder, called as ``model(x, graph) -> [N, D]`` (or ``forward``), or
            a pair model (above).
        split: a :class:`graphlearn.linkpred.LinkSplit` or anything
            :func:`graphlearn.linkpred.as_link_split` accepts (a PyG ``Data``, which is
            split at random with ``seed``; ``"cora"``; ``"ogbl-ddi"``).
        predictor: ``predictor(h_src [B, D], h_dst [B, D]) -> [B]`` logits; a module is
            trained with the encoder. Default: :func:`dot_product`.
        x: node features (default ``split.x``).
        graph: the message-passing graph (default ``split.train_graph()``: the
            symmetric CSR of the training edges, so held-out edges never leak).
        protocol: the harness's ``"ogb"`` / ``"random"`` / ``"heart"`` (default:
            ``"ogb"`` for OGB's fixed negatives, else ``"random"``). Negatives that
            the protocol needs are prepared once, before training.
        metric: the validation metric that decides the best epoch, one of the
            harness's (``"hits@20"``, ``"mrr"``, ``"auc"``, ...). Default: the
            harness's primary metric (OGB's for OGB datasets).
        ks: Hits@K cut-offs (the harness's default 1, 3, 10, 20, 50, 100).
        root: data folder when ``split`` is a dataset name.
        epochs, batch_size, num_neg: as above (integers >= 1).
        lr, weight_decay, params: Adam (``params`` as in
            :func:`graphlearn.train.train_node_classifier`; default: the parameters of
            ``model`` and of a module ``predictor``).
        patience, min_delta: early stopping on the validation metric.
        seed: seeds Python, NumPy and torch before the first epoch, the random split of
            a Data, the edge shuffling and the negatives; None leaves the global
            generators alone (shuffling and negatives then use seed 0).
        forward: ``forward(model, x, graph) -> [N, D]`` for a model called differently
            (e.g. one with its own node embedding table and no ``x``).
        eval_batch_size: pairs per scoring call in evaluation (>= 1).
        eval_every: validate every this many epochs and after the last (>= 1; see
            :func:`graphlearn.train._common.run_epochs`): HeaRT's 500 negatives per
            positive make an evaluation cost many epochs of training.
        restore_best: load the best epoch's parameters (model and predictor) at the end.
        target_link_removal: each batch's positive edges are taken out of the
            message-passing graph for that batch (the NCN authors' ``maskinput``), so
            the model never sees the edge it is asked about. Needs the default graph.
        valid_as_input: the test split is scored on the training graph plus the
            validation positives (OGB's "validation edges as input", e.g. collab).
        progress: a tqdm bar over the epochs (False silences it).

    Returns:
        :class:`graphlearn.train.TrainResult`; records hold ``epoch``, ``loss`` and
        every harness metric as ``val_<metric>``; the best record adds ``test_<metric>``.
        ``result.info["split"]`` is the :class:`LinkSplit` (with its negatives).
    """
    from graphlearn.linkpred._utils import build_graph, generator_seed
    from graphlearn.linkpred.evaluate import _prepare_negatives, evaluate as harness
    from graphlearn.linkpred.metrics import check_ks
    from graphlearn.linkpred.negatives import _random_negatives
    from graphlearn.linkpred.splits import as_link_split

    eval_every = _validate.integer(eval_every, "eval_every", min=1)
    args = check_loop_args(epochs=epochs, lr=lr, weight_decay=weight_decay, patience=patience, min_delta=min_delta,
                           seed=seed)
    num_neg = _validate.integer(num_neg, "num_neg", min=1)
    batch_size = _validate.integer(batch_size, "batch_size", min=1)
    eval_batch_size = _validate.integer(eval_batch_size, "eval_batch_size", min=1)
    if protocol is not None:
        protocol = _validate.choice(protocol, "protocol", ("ogb", "heart", "random"))
    if ks is not None:
        ks = check_ks(ks)
    base_seed = 0 if args["seed"] is None else args["seed"]
    split = as_link_split(split, root=root, seed=base_seed)
    if protocol is None:
        protocol = "ogb" if split.info.get("negatives") == "fixed" else "random"
    split = _prepare_negatives(split, protocol, base_seed, None, False, {}, progress)
    x = split.x if x is None else x
    pair_model = callable(getattr(model, "encode", None)) and callable(getattr(model, "score", None))
    if x is None and forward is None and not pair_model:  # a pair model may embed nodes itself (NCN without x)
        raise ValueError("the split has no node features: pass x=, or forward=(model, x, graph) -> [N, D] for a "
                         "model with its own node embeddings")
    check_features(x, "x", split.num_nodes)
    target_link_removal = _validate.flag(target_link_removal, "target_link_removal")
    valid_as_input = _validate.flag(valid_as_input, "valid_as_input")
    if target_link_removal and graph is not None:
        raise ValueError("target_link_removal=True builds each batch's graph from the training edges; it cannot be "
                         "combined with graph=")
    if pair_model and (predictor is not None or forward is not None):
        raise ValueError(f"{type(model).__name__} scores pairs itself (encode/score): do not pass predictor= or "
                         "forward=")
    graph = split.train_graph() if graph is None else graph
    test_graph = split.train_graph(with_valid=True) if valid_as_input else graph
    predictor = dot_product if predictor is None else predictor
    modules = nn.ModuleDict({"model": model})
    if isinstance(predictor, nn.Module) and not pair_model:
        modules["predictor"] = predictor
    if pair_model:
        call = lambda m, x_, g: m.encode(x_, g)  # noqa: E731
    else:
        call = forward or (lambda m, x_, g: m(x_, g))
    if args["seed"] is not None:
        seed_everything(args["seed"])
    opt = torch.optim.Adam(modules.parameters() if params is None else params, lr=args["lr"],
                           weight_decay=args["weight_decay"])
    train_pos = split.train_pos
    n = split.num_nodes
    gen = torch.Generator().manual_seed(base_seed)

    def score(h: Tensor, pairs: Tensor, g: Any = None) -> Tensor:
        out = model.score(h, graph if g is None else g, pairs) if pair_model else predictor(h[pairs[0]], h[pairs[1]])
        return out.view(-1) if out.dim() == 2 and out.size(1) == 1 else out

    def batch_graph(ids: Tensor):
        """The training graph without this batch's positives (target link removal)."""
        if not target_link_removal:
            return graph
        keep = torch.ones(train_pos.size(1), dtype=torch.bool)
        keep[ids] = False
        return build_graph(train_pos[:, keep], n, "train_pos").to(graph.device)

    def train_epoch(epoch: int) -> float:
        modules.train()
        num_pos = train_pos.size(1)  # [2, E] (the pair layout)
        neg = _random_negatives(train_pos, n, num_neg * num_pos, generator_seed(base_seed * 100003 + epoch),
                                undirected=not split.directed)
        perm = torch.randperm(num_pos, generator=gen)
        total, count = 0.0, 0
        for lo in range(0, perm.numel(), batch_size):
            ids = perm[lo:lo + batch_size]
            neg_ids = torch.cat([ids + k * num_pos for k in range(num_neg)])
            opt.zero_grad()
            g = batch_graph(ids)
            h = call(model, x, g)
            pairs = torch.cat([train_pos[:, ids], neg[:, neg_ids]], 1).to(h.device)
            out = score(h, pairs, g)  # one call: per-call work (an NCN's h + MLP(h), its edge dropout) done once
            pos_out, neg_out = out[:ids.numel()], out[ids.numel():]
            loss = (F.binary_cross_entropy_with_logits(pos_out, torch.ones_like(pos_out))
                    + F.binary_cross_entropy_with_logits(neg_out, torch.zeros_like(neg_out)))
            loss.backward()
            opt.step()
            total += float(loss.detach()) * ids.numel()
            count += ids.numel()
        return total / max(count, 1)

    def evaluate(which: Sequence[str]) -> Dict[str, float]:
        modules.eval()
        out: Dict[str, float] = {}
        for g in dict.fromkeys([test_graph if s == "test" else graph for s in which]):
            these = tuple(s for s in which if (test_graph if s == "test" else graph) is g)
            with torch.no_grad():
                h = call(model, x, g)
                result = harness(lambda pairs: score(h, pairs.to(h.device), g), split, protocol=protocol,
                                 splits=these, ks=ks, seed=base_seed, batch_size=eval_batch_size, progress=False)
            out.update({f"{'val' if s == 'valid' else s}_{k}": float(v) for s in these
                        for k, v in result.metrics[s].items()})
        return out

    if metric is None:  # the harness's primary metric for this split and protocol (constant scores: no model call)
        metric = harness(lambda pairs: torch.zeros(pairs.size(1)), split, protocol=protocol, splits=("valid",),
                         ks=ks, seed=base_seed, extra_metrics=False, progress=False).primary
    result = run_epochs(modules, epochs=args["epochs"], train_epoch=train_epoch, evaluate=evaluate,
                        monitor=f"val_{metric}", patience=args["patience"], min_delta=args["min_delta"],
                        restore_best=restore_best, progress=progress, desc="link prediction",
                        eval_every=eval_every)
    result.info.update(split=split, protocol=protocol)
    return result
