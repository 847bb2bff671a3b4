"""A plain full-batch training loop for transductive node classification."""
from __future__ import annotations

import time
from typing import Dict

import torch
import torch.nn.functional as F


def fit_node_classifier(model: torch.nn.Module, data, adj, epochs: int = 200, lr: float = 0.01,
                        weight_decay: float = 5e-4) -> Dict[str, float]:
    """Trains ``model(x, adj)`` on ``data.train_mask`` with Adam and cross-entropy.

    Weight decay applies to the first layer only (``model.convs[0]``, as in the GCN
    paper) when the model has ``convs``, else to all parameters. The reported test
    accuracy is the one at the epoch of best validation accuracy (later epochs win ties).

    Returns:
        ``{"val_acc", "test_acc", "seconds"}`` (wall time of the training loop).
    """
    if hasattr(model, "convs"):
        first, rest = model.convs[0], model.convs[1:]
        groups = [{"params": first.parameters(), "weight_decay": weight_decay},
                  {"params": rest.parameters(), "weight_decay": 0.0}]
    else:
        groups = [{"params": model.parameters(), "weight_decay": weight_decay}]
    opt = torch.optim.Adam(groups, lr=lr)
    best_val = test_at_best = 0.0
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(data.x, adj)[data.train_mask], data.y[data.train_mask])
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            pred = model(data.x, adj).argmax(1)
        val = float((pred[data.val_mask] == data.y[data.val_mask]).float().mean())
        test = float((pred[data.test_mask] == data.y[data.test_mask]).float().mean())
        if val >= best_val:
            best_val, test_at_best = val, test
    return {"val_acc": best_val, "test_acc": test_at_best, "seconds": time.perf_counter() - start}
