"""`graphlearn demo`: the main job on bundled data. By default `graphlearn embed` on
the bundled BlogCatalog edge list (FastRP with the paper's setting), then a short
quality report (node classification as in the paper, link prediction on held-out
edges). `graphlearn demo --task gcn`: a GCN on the bundled Cora graph, every sparse
step on the compiled core, plus a check of the core against its reference."""
from __future__ import annotations

import json

import torch


def _check_core(adj, x: torch.Tensor) -> float:
    """Largest deviation between compiled ops and the references on real data."""
    from graphlearn import ops
    from graphlearn.ops import reference

    worst = 0.0
    for reduce in ("sum", "mean", "max"):
        worst = max(worst, float((ops.spmm(adj, x, reduce) - reference.spmm(adj, x, reduce)).abs().max()))
    scores = ops.sddmm(adj, x, x)
    worst = max(worst, float((scores - reference.sddmm(adj, x, x)).abs().max()))
    worst = max(worst, float((ops.segment_softmax(adj, scores) - reference.segment_softmax(adj, scores)).abs().max()))
    pairs = adj.to_edge_index()[0][:, :2000]
    worst = max(worst, float((ops.common_neighbors(adj, pairs) - reference.common_neighbors(adj, pairs[0], pairs[1])).abs().max()))
    return worst


PAPER_MACRO_F1 = {"0.1": 0.234, "0.5": 0.275, "0.9": 0.297}  # FastRP paper, BlogCatalog
PAPER_C = 0.1  # the authors' notebook runs its scorer with --C 0.1


def run_embed_demo(seed: int = 0, quiet: bool = False, ratios=(0.1,), shuffles: int = 1) -> int:
    """`graphlearn embed` on the bundled BlogCatalog, then the quality report.

    ``ratios``: node-classification training ratios (10% only by default: one
    logistic-regression fit takes ~15 s there and minutes at 90%; the full protocol
    is examples/fastrp_blogcatalog.py)."""
    import os
    import tempfile
    import time

    import numpy as np

    from graphlearn import _validate

    seed = _validate.seed(seed, "seed")
    shuffles = _validate.integer(shuffles, "shuffles", min=1)
    ratios = tuple(_validate.reals(ratios, "ratios", min=0.0, max=1.0))
    if any(r in (0.0, 1.0) for r in ratios):
        raise ValueError(f"ratios must lie in (0, 1), got {list(ratios)}")

    import graphlearn
    from graphlearn import ops
    from graphlearn.cli import main as cli_main
    from graphlearn.datasets.blogcatalog import load_blogcatalog_bundled
    from graphlearn.embed import FastRP
    from graphlearn.embed.evaluate import link_prediction_auc, node_classification_f1, split_edges_for_auc
    from graphlearn.embed.io import read_embeddings

    say = (lambda *a: None) if quiet else print
    say(f"graphlearn {graphlearn.__version__}: compiled core {'loaded' if ops.compiled() else 'NOT loaded'}, "
        f"{torch.get_num_threads()} threads")
    edges, labels = load_blogcatalog_bundled()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "blogcatalog.npy")
        argv = ["embed", edges, "-o", out, "--dim", "512", "--weights", "0,0,1,6.67", "--beta", "-0.64",
                "--seed", str(seed)] + (["--quiet"] if quiet else [])
        say("$ graphlearn " + " ".join(argv[:1] + [os.path.relpath(edges)] + argv[2:3] + ["blogcatalog.npy"]
                                       + argv[4:]))
        t0 = time.perf_counter()
        rc = cli_main(argv)
        embed_s = time.perf_counter() - t0
        if rc != 0:
            say(f"graphlearn embed failed with exit code {rc}")
            return rc
        emb, ids = read_embeddings(out)
    ids = np.arange(emb.shape[0]) if ids is None else np.asarray(ids).astype(np.int64)
    y = np.zeros((emb.shape[0], labels.shape[1]), dtype=np.int8)
    y[:] = labels.numpy()[ids]  # rows of the output are in the order of `ids`
    say(f"embedded {emb.shape[0]} nodes x {emb.shape[1]} dims in {embed_s:.2f} s (including parsing and writing)")

    t0 = time.perf_counter()
    f1 = node_classification_f1(emb, y, train_ratios=ratios, shuffles=shuffles, seed=seed, C=PAPER_C)
    say(f"node classification (one-vs-rest logistic regression, C={PAPER_C:g} as in the paper's scorer, "
        f"{shuffles} shuffle(s), {time.perf_counter() - t0:.0f} s):")
    say("  train ratio   Macro-F1 (paper)   Micro-F1")
    for r, m in f1.items():
        paper = PAPER_MACRO_F1.get(r)
        say(f"  {float(r):>10.0%}   {m['macro_f1']:.3f} ({paper if paper else '-':>5})      {m['micro_f1']:.3f}")

    # link prediction: embed the graph without 20% of its edges, rank held-out edges against non-edges
    import torch as _torch

    src, dst = np.loadtxt(edges, dtype=np.int64, comments="#", delimiter="\t", unpack=True)
    train, pos, neg = split_edges_for_auc(_torch.from_numpy(np.stack([src, dst])), emb.shape[0], 0.2, seed)
    emb_train = FastRP.paper_blogcatalog(random_state=seed).fit_transform(train, num_nodes=emb.shape[0])
    auc = link_prediction_auc(emb_train, pos, neg)
    say(f"link prediction (20% of edges held out, as many non-edges, cosine similarity): AUC {auc:.3f}")
    print(json.dumps({"dataset": "blogcatalog", "model": "fastrp", "nodes": int(emb.shape[0]),
                      "dim": int(emb.shape[1]), "embed_seconds": round(embed_s, 3),
                      **{f"macro_f1@{r}": round(m["macro_f1"], 4) for r, m in f1.items()},
                      **{f"micro_f1@{r}": round(m["micro_f1"], 4) for r, m in f1.items()},
                      "link_auc": round(auc, 4), "compiled": ops.compiled()}))
    return 0


def run_demo(epochs: int = 200, seed: int = 0, quiet: bool = False) -> int:
    import graphlearn
    from graphlearn import ops
    from graphlearn.datasets import load_planetoid
    from graphlearn.nn import GCN
    from graphlearn.train import seed_everything, train_node_classifier
    from graphlearn.train.script import print_json_line
    from graphlearn.transforms import ToCSR

    from graphlearn import _validate

    seed = _validate.seed(seed, "seed")
    epochs = _validate.integer(epochs, "epochs", min=1)
    say = (lambda *a: None) if quiet else print
    seed_everything(seed)
    say(f"graphlearn {graphlearn.__version__}: compiled core {'loaded' if ops.compiled() else 'NOT loaded'}, "
        f"{torch.get_num_threads()} threads")
    data = ToCSR()(load_planetoid("cora"))  # data.adj: the graph as the core's CSR, built once
    data.x = data.x / data.x.sum(1, keepdim=True).clamp_min(1)  # row-normalised features, as in the paper
    say(f"Cora (bundled): {data.num_nodes} nodes, {data.edge_index.size(1)} directed edges, "
        f"{data.x.size(1)} features, {int(data.y.max()) + 1} classes")
    hidden = torch.relu(torch.nn.Linear(data.x.size(1), 64)(data.x)).detach()
    err = _check_core(data.adj, hidden)
    say(f"core check: spmm/sddmm/softmax/common neighbours match the reference (max abs diff {err:.1e})")

    model = GCN(data.x.size(1), 16, int(data.y.max()) + 1, cached=True)  # one fixed graph: normalised once
    groups = [{"params": model.convs[0].parameters(), "weight_decay": 5e-4},  # the paper: first layer only
              {"params": model.convs[1:].parameters(), "weight_decay": 0.0}]
    fit = train_node_classifier(model, data, epochs=epochs, params=groups, seed=seed, progress=not quiet)
    best_val, test_at_best, seconds = fit["val_acc"], fit["test_acc"], fit.seconds
    ms = 1000 * seconds / max(fit.epochs, 1)
    say(f"GCN (2 layers, 16 hidden, {epochs} epochs): test accuracy {test_at_best:.3f} at best validation "
        f"{best_val:.3f} (Kipf & Welling report 0.815); {ms:.1f} ms per epoch")
    print_json_line({"dataset": "cora", "model": "gcn", "test_acc": round(test_at_best, 4),
                     "val_acc": round(best_val, 4), "ms_per_epoch": round(ms, 2),
                     "core_max_abs_diff": err, "compiled": ops.compiled()})
    return 0 if err < 1e-3 else 1
