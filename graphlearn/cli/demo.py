"""`graphlearn demo`: a GCN on the bundled Cora graph, every sparse step on the
compiled core, plus a check of the core against its pure-PyTorch reference."""
from __future__ import annotations

import json
import time

import torch
import torch.nn.functional as F


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
    from graphlearn.nn import GCNConv, gcn_norm
    from graphlearn.sparse import CSR

    say = (lambda *a: None) if quiet else print
    torch.manual_seed(seed)
    say(f"graphlearn {graphlearn.__version__}: compiled core {'loaded' if ops.compiled() else 'NOT loaded'}, "
        f"{torch.get_num_threads()} threads")
    data = load_planetoid("cora")
    adj = CSR.from_data(data)
    say(f"Cora (bundled): {data.num_nodes} nodes, {data.edge_index.size(1)} directed edges, "
        f"{data.x.size(1)} features, {int(data.y.max()) + 1} classes")
    hidden = torch.relu(torch.nn.Linear(data.x.size(1), 64)(data.x)).detach()
    err = _check_core(adj, hidden)
    say(f"core check: spmm/sddmm/softmax/common neighbours match the reference (max abs diff {err:.1e})")

    norm = gcn_norm(adj)
    conv1, conv2 = GCNConv(data.x.size(1), 16, normalize=False), GCNConv(16, 7, normalize=False)
    opt = torch.optim.Adam([{"params": conv1.parameters(), "weight_decay": 5e-4},
                            {"params": conv2.parameters(), "weight_decay": 0.0}], lr=0.01)

    def forward(train: bool):
        h = F.dropout(data.x, 0.5, train)
        h = F.relu(conv1(h, norm))
        h = F.dropout(h, 0.5, train)
        return conv2(h, norm)

    best_val = test_at_best = 0.0
    start = time.perf_counter()
    for _ in range(epochs):
        opt.zero_grad()
        loss = F.cross_entropy(forward(True)[data.train_mask], data.y[data.train_mask])
        loss.backward()
        opt.step()
        with torch.no_grad():
            pred = forward(False).argmax(1)
        val = float((pred[data.val_mask] == data.y[data.val_mask]).float().mean())
        test = float((pred[data.test_mask] == data.y[data.test_mask]).float().mean())
        if val >= best_val:
            best_val, test_at_best = val, test
    seconds = time.perf_counter() - start
    say(f"GCN (2 layers, 16 hidden, {epochs} epochs): test accuracy {test_at_best:.3f} at best validation "
        f"{best_val:.3f} (Kipf & Welling report 0.815); {1000 * seconds / max(epochs, 1):.1f} ms per epoch")
    print(json.dumps({"dataset": "cora", "model": "gcn", "test_acc": round(test_at_best, 4),
                      "val_acc": round(best_val, 4), "ms_per_epoch": round(1000 * seconds / max(epochs, 1), 2),
                      "core_max_abs_diff": err, "compiled": ops.compiled()}))
    return 0 if err < 1e-3 else 1
