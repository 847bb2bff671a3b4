"""`graphlearn demo`: a GCN on the bundled Cora graph, every sparse step on the
compiled core, plus a check of the core against its pure-PyTorch reference."""
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


def run_demo(epochs: int = 200, seed: int = 0, quiet: bool = False) -> int:
    import graphlearn
    from graphlearn import ops
    from graphlearn.datasets import load_planetoid
    from graphlearn.nn import GCN
    from graphlearn.nn.train import fit_node_classifier
    from graphlearn.sparse import CSR

    say = (lambda *a: None) if quiet else print
    torch.manual_seed(seed)
    say(f"graphlearn {graphlearn.__version__}: compiled core {'loaded' if ops.compiled() else 'NOT loaded'}, "
        f"{torch.get_num_threads()} threads")
    data = load_planetoid("cora")
    adj = CSR.from_data(data)
    data.x = data.x / data.x.sum(1, keepdim=True).clamp_min(1)  # row-normalised features, as in the paper
    say(f"Cora (bundled): {data.num_nodes} nodes, {data.edge_index.size(1)} directed edges, "
        f"{data.x.size(1)} features, {int(data.y.max()) + 1} classes")
    hidden = torch.relu(torch.nn.Linear(data.x.size(1), 64)(data.x)).detach()
    err = _check_core(adj, hidden)
    say(f"core check: spmm/sddmm/softmax/common neighbours match the reference (max abs diff {err:.1e})")

    model = GCN(data.x.size(1), 16, int(data.y.max()) + 1)
    fit = fit_node_classifier(model, data, adj, epochs)
    best_val, test_at_best, seconds = fit["val_acc"], fit["test_acc"], fit["seconds"]
    say(f"GCN (2 layers, 16 hidden, {epochs} epochs): test accuracy {test_at_best:.3f} at best validation "
        f"{best_val:.3f} (Kipf & Welling report 0.815); {1000 * seconds / max(epochs, 1):.1f} ms per epoch")
    print(json.dumps({"dataset": "cora", "model": "gcn", "test_acc": round(test_at_best, 4),
                      "val_acc": round(best_val, 4), "ms_per_epoch": round(1000 * seconds / max(epochs, 1), 2),
                      "core_max_abs_diff": err, "compiled": ops.compiled()}))
    return 0 if err < 1e-3 else 1
