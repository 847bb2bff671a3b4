"""Graph classification on TU datasets (ENZYMES, PROTEINS, ...) with 10-fold cross-validation: subgraph GNNs and GIN.

    python examples/tu_graphs.py                                     # SSWL+ on ENZYMES, GIN beside it, 10 folds
    python examples/tu_graphs.py --model gswl --policy marking
    python examples/tu_graphs.py --model gin --baseline none         # GIN alone
    python examples/tu_graphs.py --dataset PROTEINS --root /data/tu  # any TU folder load_tu reads
    python examples/tu_graphs.py --paper                             # all pairs, 4 x 64, 200 epochs (hours)

The protocol is the usual one for TU graph classification: stratified K-fold
cross-validation on the graph labels (``sklearn.model_selection.StratifiedKFold``,
``--folds`` parts, shuffled with ``--fold-seed``). Inside each fold's training part a
stratified validation part is held out for model selection: per class,
``round(--val-fraction x count)`` of that class's training graphs (at least one when it
has two or more), drawn with a generator seeded by ``--fold-seed`` and the fold. The
model trains on the rest; the test accuracy of the fold is the one at the epoch of best
validation accuracy (the first such epoch). The folds and validation parts are the same
for every model and every run; run r initialises and shuffles with ``--seed + r``. The
JSON line reports the mean and the standard deviation of the test accuracy over the
folds (over every fold of every run when ``--runs`` > 1, plus the spread of the runs'
means), every fold's accuracy and best epoch, seconds per epoch and the parameters.

Data: the TU text format read offline by :func:`graphlearn.datasets.load_tu` (``--root``
or ``$GRAPHLEARN_DATA``; ENZYMES is in the shared data as ``tu_enzymes``). Node
features are load_tu's default ``x``: the node attributes followed by the one-hot node
labels (ENZYMES: 18 + 3 columns), as they are in the files (not rescaled), through a
linear encoder; a dataset without node features gets a constant column. Edge features
(edge attributes and one-hot edge labels), when the dataset has them, enter every layer
through a linear encoder (GINE-style); ENZYMES has none.

Models, both with batch norm, mean readout, cross-entropy, Adam and a cosine
learning-rate schedule over ``--epochs``:

* ``--model sswl+`` (default), ``sswl``, ``gswl``, ``pswl_vs``, ... : the
  :class:`graphlearn.nn.SubgraphGNN` presets (Zhang et al., ICML 2023), node-based
  subgraph GNNs on the pairs (root, node) of a
  :class:`graphlearn.transforms.SubgraphPolicy`, mean pooling within each subgraph and
  over the graph. The policy is computed once for the whole data set
  (:func:`graphlearn.transforms.precompute`), not per fold, and cached next to load_tu's
  processed graphs (in ``<dataset>_precompute/`` beside its cache file).
* ``--model gin``: a message-passing GIN (:class:`graphlearn.nn.GraphTransformer` with
  ``layer="gin"``). With ``--baseline gin`` (the default) a GIN of the same width,
  depth, epochs and schedule is trained on the same folds in the same run, so the gap
  is measured, not quoted.

Policies: ``--policy ego`` (the default, with ``--k 2``) keeps the 2-hop ego net of
every root, labelled with the distance to it: about 4x fewer pairs than all of them on
ENZYMES, which keeps the default run short on a CPU. ``--policy distance`` is the full
all-pairs setting (every node of every subgraph, labelled with the shortest-path
distance to the root, capped at ``--max-distance``), the setting of the paper's
GNN-SSWL+; ``--policy marking`` keeps every pair and marks the root only.

The defaults (3 layers, hidden 32, batch 32, Adam lr 1e-3, dropout 0, 40 epochs, 10
folds, one run) train SSWL+ and the GIN baseline on ENZYMES in about 2 s and 0.2 s per
epoch with one thread: some 8 minutes of computing, 15 minutes measured on a busy 2-core
machine. That is a short schedule (the best epochs come late), so the accuracies are
those of lightly trained models. ``--paper`` is a longer setting, each flag still
overriding it: ``--policy distance`` (all pairs, about 4x the pairs of the 2-hop ego
nets on ENZYMES), 4 layers, hidden 64, 200 epochs, the rest as the defaults; it takes
many hours on a CPU. It is a reasonable longer run, not the hyper-parameters of any
published table. Published ENZYMES accuracies depend on the protocol (folds, model
selection, features), so none is printed for comparison.

The last line is one JSON object; ``model`` and ``baseline`` hold each model's results.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

from graphlearn.datasets import load_tu
from graphlearn.nn import GraphTransformer, SubgraphGNN
from graphlearn.nn.models.subgraph_gnn import PRESETS
from graphlearn.train import seed_everything, train_graph_predictor
from graphlearn.train.script import add_common_args, integer_type, print_json_line, real_type, run_seeds, summarize
from graphlearn.transforms import SubgraphPolicy, precompute

MODELS = tuple(PRESETS) + ("gin",)
POLICIES = ("ego", "distance", "marking")
# the quick defaults: 10-15 minutes on 2 CPU cores for SSWL+ and GIN on ENZYMES
QUICK = dict(layers=3, hidden=32, dropout=0.0, batch_size=32, lr=1e-3, epochs=40, runs=1, policy="ego", k=2)
# --paper: a longer setting (module docstring)
PAPER = dict(layers=4, hidden=64, dropout=0.0, batch_size=32, lr=1e-3, epochs=200, runs=1, policy="distance", k=None)
MAX_DISTANCE = 8  # the default cap of --policy distance
FOLD_SEED_MAX = 2**32 - 1  # scikit-learn's random_state


def build(kind: str, in_channels: int, num_classes: int, hp: dict, edge_dim=None) -> torch.nn.Module:
    """The model of ``--model kind``: a SubgraphGNN preset or GIN, mean readout."""
    if kind == "gin":
        return GraphTransformer(in_channels, hp["hidden"], num_classes, hp["layers"], layer="gin", task="graph",
                                input="linear", edge_dim=edge_dim, norm="batch", readout="mean",
                                dropout=hp["dropout"])
    return SubgraphGNN(in_channels, hp["hidden"], hp["layers"], num_classes, preset=kind, input="linear",
                       edge_dim=edge_dim, max_distance=hp["max_distance"], dropout=hp["dropout"],
                       subgraph_reduce="mean", readout="mean")


def forward(kind: str):
    return GraphTransformer.forward_batch if kind == "gin" else SubgraphGNN.forward_batch


def make_policy(policy: str, k, max_distance) -> SubgraphPolicy:
    if policy == "ego":
        return SubgraphPolicy("ego", k=k)
    if policy == "distance":
        return SubgraphPolicy("distance", max_distance=max_distance)
    return SubgraphPolicy("marking")


def label_cap(policy: SubgraphPolicy) -> int:
    """The smallest SubgraphGNN ``max_distance`` that embeds every label of ``policy``."""
    return max(policy.num_labels - 2, 0)


def folds_of(y: np.ndarray, folds: int, fold_seed: int, val_fraction: float):
    """``[(train, valid, test)]`` graph ids per fold: stratified K-fold, then a
    stratified validation part of every fold's training part (module docstring)."""
    from sklearn.model_selection import StratifiedKFold

    out = []
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=fold_seed)
    for fold, (rest, test) in enumerate(skf.split(np.zeros(len(y)), y)):
        rng = np.random.default_rng([fold_seed, fold])
        valid = []
        for c in np.unique(y[rest]):
            members = rest[y[rest] == c]
            if len(members) >= 2:
                take = max(1, int(round(val_fraction * len(members))))
                valid.append(rng.choice(members, take, replace=False))
        valid = np.sort(np.concatenate(valid)) if valid else np.zeros(0, dtype=np.int64)
        train = np.setdiff1d(rest, valid)
        out.append((train, valid, np.sort(test)))
    return out


def _settings(argv) -> dict:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--paper", action="store_true")
    known, _ = pre.parse_known_args(argv)
    return dict(PAPER if known.paper else QUICK)


def _check_flags(parser, args, hp) -> None:
    """Resolves --policy / --k / --max-distance against the models and --paper; refuses
    the combinations that mean nothing (argparse errors, before any data is read)."""
    kinds = {args.model, args.baseline} - {"none"}
    subgraph = any(k != "gin" for k in kinds)
    if not subgraph:
        for flag, value in (("--policy", args.policy), ("--k", args.k), ("--max-distance", args.max_distance)):
            if value is not None:
                parser.error(f"{flag} applies to the subgraph models, and --model gin --baseline "
                             f"{args.baseline} trains none")
        args.policy = None
        return
    given = args.policy is not None
    if args.policy is None:
        args.policy = hp["policy"]
    if args.k is not None and args.policy != "ego":
        origin = "" if given else " (the --paper setting)"
        parser.error(f"--k only applies to --policy ego, not --policy {args.policy}{origin}")
    if args.max_distance is not None and args.policy != "distance":
        parser.error(f"--max-distance only applies to --policy distance, not --policy {args.policy}")
    if args.policy == "ego" and args.k is None:
        args.k = hp["k"] if hp["k"] is not None else QUICK["k"]
    if args.policy == "distance" and args.max_distance is None:
        args.max_distance = MAX_DISTANCE


def _check_data(parser, args, y: np.ndarray) -> None:
    """Stratified K-fold puts a graph of every class in every fold: each class needs at
    least ``--folds`` graphs (scikit-learn only warns, and folds would miss classes)."""
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        parser.error(f"argument --dataset: {args.dataset} has {len(classes)} graph class; classification needs 2 "
                     "or more")
    small = int(np.argmin(counts))
    if counts[small] < args.folds:
        parser.error(f"argument --folds: {args.dataset} has only {int(counts[small])} graph(s) of class "
                     f"{int(classes[small])}, fewer than the {args.folds} folds; stratified cross-validation needs "
                     "at least one graph of every class per fold (use fewer --folds)")


def train(kind, split, hp, args, seed, in_channels, num_classes, edge_dim):
    seed_everything(seed)
    model = build(kind, in_channels, num_classes, hp, edge_dim)
    t0 = time.perf_counter()
    fit = train_graph_predictor(model, split=split, metric="acc", epochs=hp["epochs"], batch_size=hp["batch_size"],
                                eval_batch_size=128, lr=hp["lr"], schedule="cosine", seed=seed, forward=forward(kind),
                                restore_best=False, progress=not args.quiet)
    return fit, time.perf_counter() - t0, sum(p.numel() for p in model.parameters())


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    hp = _settings(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="ENZYMES", help="a TU dataset name, as in its file names "
                                                             "(default %(default)s)")
    parser.add_argument("--model", default="sswl+", choices=MODELS, help="a SubgraphGNN preset or gin "
                                                                         "(default %(default)s)")
    parser.add_argument("--baseline", default="gin", choices=("gin", "none"),
                        help="also train this baseline on the same folds (default %(default)s)")
    parser.add_argument("--paper", action="store_true", help="the longer setting (module docstring); explicit "
                                                             "flags still override it")
    add_common_args(parser, epochs=hp["epochs"], runs=hp["runs"])
    parser.add_argument("--folds", type=integer_type(2), default=10, help="cross-validation folds "
                                                                          "(default %(default)s)")
    parser.add_argument("--fold-seed", type=integer_type(0, FOLD_SEED_MAX), default=0,
                        help="seed of the folds and validation parts (default %(default)s)")
    parser.add_argument("--val-fraction", type=real_type(0, 0.5, min_open=True), default=0.1,
                        help="share of each fold's training graphs held out for validation, per class "
                             "(default %(default)s)")
    parser.add_argument("--policy", default=None, choices=POLICIES,
                        help=f"subgraph policy (module docstring; default {hp['policy']}"
                             + (f" with --k {hp['k']}" if hp["k"] else "") + ")")
    parser.add_argument("--k", type=integer_type(1), default=None, help=f"ego-net radius of --policy ego "
                                                                       f"(default {QUICK['k']})")
    parser.add_argument("--max-distance", type=integer_type(0), default=None,
                        help=f"distance label cap of --policy distance (default {MAX_DISTANCE})")
    parser.add_argument("--layers", type=integer_type(1), default=hp["layers"], help="default %(default)s")
    parser.add_argument("--hidden", type=integer_type(1), default=hp["hidden"], help="default %(default)s")
    parser.add_argument("--dropout", type=real_type(0, 1, max_open=True), default=hp["dropout"],
                        help="default %(default)s")
    parser.add_argument("--batch-size", type=integer_type(1), default=hp["batch_size"], help="default %(default)s")
    parser.add_argument("--lr", type=real_type(0, min_open=True), default=hp["lr"], help="default %(default)s")
    args = parser.parse_args(argv)
    seeds = run_seeds(args, parser)
    if not args.dataset.strip():
        parser.error("argument --dataset: expected a TU dataset name, got ''")
    _check_flags(parser, args, hp)
    policy = make_policy(args.policy, args.k, args.max_distance) if args.policy else None
    hp.update(layers=args.layers, hidden=args.hidden, dropout=args.dropout, batch_size=args.batch_size, lr=args.lr,
              epochs=args.epochs, max_distance=label_cap(policy) if policy else 0)
    kinds = [args.model] + ([args.baseline] if args.baseline not in ("none", args.model) else [])
    # the models are checked (sizes, and whether their layers exist here) before any data is read
    for kind in kinds:
        try:
            build(kind, 1, 2, hp)
        except NotImplementedError as exc:
            sys.exit(f"tu_graphs.py: --model {kind} is not available: {exc}")
        except (TypeError, ValueError) as exc:
            parser.error(str(exc))

    try:
        dataset = load_tu(args.dataset, args.root)
    except FileNotFoundError as exc:
        sys.exit(f"tu_graphs.py: {exc}")
    graphs = {"gin": [dataset[i] for i in range(len(dataset))]}
    labels = [getattr(g, "y", None) for g in graphs["gin"]]
    if any(t is None or t.is_floating_point() or t.numel() != 1 for t in labels):
        parser.error(f"argument --dataset: {args.dataset} has no graph class labels ({args.dataset}_graph_labels.txt)"
                     "; this script classifies graphs")
    y = torch.cat([t.view(-1) for t in labels]).numpy()
    _check_data(parser, args, y)
    num_classes = int(y.max()) + 1
    parts = folds_of(y, args.folds, args.fold_seed, args.val_fraction)
    if any(len(p) == 0 for fold in parts for p in fold):
        parser.error(f"argument --folds: {args.dataset} ({len(y)} graphs) is too small for {args.folds} folds with a "
                     "validation part in each (use fewer --folds or a larger --val-fraction)")

    result = {"dataset": args.dataset, "num_graphs": len(dataset), "num_classes": num_classes}
    if policy is not None:
        t0 = time.perf_counter()
        # a folder of this dataset's own beside load_tu's cache file: several TU datasets may
        # share one folder (and so one processed/), and a trailing separator keeps it a folder
        cache = (os.path.join(os.path.dirname(dataset.cache_path), f"{args.dataset}_precompute", "")
                 if dataset.cache_path else None)
        processed = precompute(dataset, policy, cache_path=cache, progress=not args.quiet)
        graphs["subgraph"] = [processed[i] for i in range(len(processed))]
        pairs = sum(int(g.sub_pair_index.size(1)) for g in graphs["subgraph"]) / len(dataset)
        result.update(policy=repr(policy), pairs_per_graph=round(pairs, 1),
                      policy_seconds=round(time.perf_counter() - t0, 2))
    else:
        result["policy"] = None
    first = graphs["gin"][0]
    if getattr(first, "x", None) is None:  # no node labels or attributes: a constant feature
        for data in graphs.values():
            for g in data:
                g.x = torch.ones(g.num_nodes, 1)
    in_channels = int(graphs["gin"][0].x.size(1))
    edge_attr = getattr(first, "edge_attr", None)
    edge_dim = int(edge_attr.size(1)) if edge_attr is not None and edge_attr.dim() == 2 else None
    result.update(in_channels=in_channels, edge_dim=edge_dim, folds=args.folds, fold_seed=args.fold_seed,
                  fold_sizes=[[len(p) for p in fold] for fold in parts], paper=args.paper, runs=args.runs,
                  epochs=args.epochs, layers=args.layers, hidden=args.hidden, dropout=args.dropout,
                  batch_size=args.batch_size, lr=args.lr)

    for kind in kinds:
        data = graphs["gin" if kind == "gin" else "subgraph"]
        records, fold_acc, best_epochs, run_means = [], [], [], []
        seconds, epochs_run, params = 0.0, 0, 0
        for run, seed in enumerate(seeds):
            accs, best = [], []
            for fold, ids in enumerate(parts):
                split = {p: [data[int(i)] for i in idx] for p, idx in zip(("train", "valid", "test"), ids)}
                fit, sec, params = train(kind, split, hp, args, seed, in_channels, num_classes, edge_dim)
                seconds += sec
                epochs_run += fit.epochs
                records.append({"test_acc": fit["test_acc"], "val_acc": fit["val_acc"]})
                accs.append(round(fit["test_acc"], 4))
                best.append(fit.best_epoch)
                if not args.quiet:
                    print(f"{kind} run {run} fold {fold}: test accuracy {fit['test_acc']:.4f} (validation "
                          f"{fit['val_acc']:.4f}, best epoch {fit.best_epoch}, {sec / max(fit.epochs, 1):.2f} "
                          "s/epoch)", flush=True)
            fold_acc.append(accs)
            best_epochs.append(best)
            run_means.append({"test_acc": float(np.mean([r["test_acc"] for r in records[-len(parts):]]))})
        key = "model" if kind == args.model else "baseline"
        result[key] = {"name": kind, **summarize(records)}
        if args.runs > 1:
            result[key]["run_test_acc"] = summarize(run_means)["test_acc"]
        result[key].update(fold_test_acc=fold_acc, best_epoch=best_epochs,
                           s_per_epoch=round(seconds / max(epochs_run, 1), 3), params=params)
        if not args.quiet:
            acc = result[key]["test_acc"]
            print(f"{kind}: test accuracy {acc['mean']:.4f} +- {acc['std']:.4f} over {len(records)} folds",
                  flush=True)
    result["threads"] = torch.get_num_threads()
    print_json_line(result)


if __name__ == "__main__":
    main()
