"""Full-batch node classification (transductive: one graph, node masks)."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Mapping, Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from graphlearn.sparse import CSR, as_csr
from graphlearn.train._common import TrainResult, check_features, check_loop_args, run_epochs, seed_everything

__all__ = ["train_node_classifier"]

_SPLIT_NAMES = {"train": ("train",), "valid": ("valid", "val"), "test": ("test",)}


def _node_index(split: Optional[Mapping[str, Tensor]], data: Any, num_nodes: int) -> Dict[str, Tensor]:
    """``{"train", "valid", "test"}`` -> int64 node indices, from ``split`` (index or
    mask tensors, OGB's ``get_idx_split()`` keys or ``val``) or the Data's masks."""
    out: Dict[str, Tensor] = {}
    for part, names in _SPLIT_NAMES.items():
        if split is not None:
            t = next((split[n] for n in names if n in split), None)
            where = f"split[{names[0]!r}]"
        else:
            t = getattr(data, f"{names[-1]}_mask", None)
            where = f"data.{names[-1]}_mask"
        if t is None:
            raise ValueError(f"node classification needs {where} (a boolean mask or an index tensor); "
                             + ("split has keys " + str(sorted(split)) if split is not None else
                                "pass split={'train': ..., 'valid': ..., 'test': ...}"))
        t = torch.as_tensor(t)
        if t.dtype == torch.bool:
            if t.numel() != num_nodes:
                raise ValueError(f"{where} is a mask of {t.numel()} entries for {num_nodes} nodes")
            t = t.nonzero().view(-1)
        elif t.dtype.is_floating_point:
            raise TypeError(f"{where} must be a boolean mask or integer node ids, got {t.dtype}")
        t = t.long().view(-1)
        if t.numel() == 0:
            raise ValueError(f"{where} selects no nodes")
        if int(t.min()) < 0 or int(t.max()) >= num_nodes:
            raise ValueError(f"{where} holds node ids outside [0, {num_nodes})")
        out[part] = t
    return out


def train_node_classifier(model: torch.nn.Module, data: Any, *, graph: Any = None,
                          split: Optional[Mapping[str, Tensor]] = None, epochs: int = 200, lr: float = 0.01,
                          weight_decay: float = 5e-4, params: Optional[Iterable[Any]] = None,
                          patience: Optional[int] = None, min_delta: float = 0.0, monitor: str = "val_acc",
                          seed: Optional[int] = 0,
                          forward: Optional[Callable[[torch.nn.Module, Tensor, Any], Tensor]] = None,
                          restore_best: bool = True, progress: bool = True) -> TrainResult:
    """Trains ``model(x, graph) -> logits [N, C]`` with Adam and cross-entropy on the
    training nodes, one full-graph step per epoch, and reports accuracy.

    Every epoch records the training loss and the accuracies of all three splits (one
    evaluation forward); the best epoch is the first with the best ``monitor``, and
    its test accuracy is the result (``result["test_acc"]``).

    Args:
        model: any module; it is called as ``model(data.x, graph)`` (or ``forward``).
        data: a PyG ``Data`` with ``x``, ``y`` (``[N]`` class ids, or ``[N, 1]``) and,
            unless ``split`` is given, ``train_mask``/``val_mask``/``test_mask``.
        graph: what the model gets as its graph. Default: ``data.adj`` when it is a
            CSR (:class:`graphlearn.transforms.ToCSR`), else ``as_csr(data)`` computed
            once here (every graphlearn layer accepts it; pass ``data.edge_index`` for
            a PyG model).
        split: ``{"train", "valid" (or "val"), "test"}`` -> boolean masks or node ids
            (OGB's ``get_idx_split()``), instead of the Data's masks.
        epochs: the most epochs (full-graph steps), >= 1.
        lr, weight_decay: Adam's (finite; ``lr > 0``, ``weight_decay >= 0``).
        params: what Adam updates (default ``model.parameters()``); a list of
            parameter-group dicts sets options per group, e.g. the GCN paper's weight
            decay on the first layer only.
        patience, min_delta: stop after ``patience`` epochs without a ``monitor``
            improvement larger than ``min_delta`` (None: run all epochs).
        monitor: ``"val_acc"`` (maximised) or ``"val_loss"`` (minimised).
        seed: seeds Python, NumPy and torch before the first epoch (dropout), an
            integer in ``[0, 2**63 - 1]``; None leaves the generators alone. The model
            is initialised by the caller: seed before building it
            (:func:`graphlearn.train.seed_everything`) too.
        forward: ``forward(model, x, graph) -> logits [N, C]``, for a model called
            differently.
        restore_best: load the best epoch's parameters into ``model`` at the end.
        progress: a tqdm bar over the epochs (False silences it).

    Returns:
        :class:`graphlearn.train.TrainResult`; records hold ``epoch``, ``loss``,
        ``train_acc``, ``val_acc``, ``val_loss``, ``test_acc``.

    Raises:
        TypeError / ValueError: a bad argument, NaN or infinite features, class ids
            below 0 or beyond the model's outputs (before any training step).
    """
    if monitor not in ("val_acc", "val_loss"):
        raise ValueError(f"monitor must be 'val_acc' or 'val_loss', got {monitor!r}")
    args = check_loop_args(epochs=epochs, lr=lr, weight_decay=weight_decay, patience=patience, min_delta=min_delta,
                           seed=seed)
    x, y = getattr(data, "x", None), getattr(data, "y", None)
    if x is None or y is None:
        raise ValueError("node classification needs data.x and data.y")
    if not isinstance(y, Tensor):
        raise TypeError(f"data.y must be a tensor of class ids, got {type(y).__name__}")
    n = x.size(0) if isinstance(x, Tensor) and x.dim() else getattr(data, "num_nodes", None)
    check_features(x, "data.x", n)
    if y.dim() == 2 and y.size(1) == 1:
        y = y.view(-1)
    if y.dim() != 1 or y.numel() != n or y.dtype.is_floating_point or y.is_complex() or y.dtype == torch.bool:
        raise ValueError(f"data.y must hold one class id per node, shape [{n}], got {y.dtype}{list(y.shape)}")
    if y.numel() and int(y.min()) < 0:
        i = int((y < 0).nonzero()[0])
        raise ValueError(f"data.y[{i}] = {int(y[i])}: class ids must be >= 0")
    num_classes = int(y.max()) + 1 if y.numel() else 0
    idx = _node_index(split, data, n)
    idx = {k: v.to(y.device) for k, v in idx.items()}
    labels = {k: y.index_select(0, i) for k, i in idx.items()}  # index_select: no advanced-indexing overhead
    if graph is None:
        adj = getattr(data, "adj", None)
        graph = adj if isinstance(adj, CSR) else as_csr(data, n, name="data")
    if args["seed"] is not None:
        seed_everything(args["seed"])
    call = forward or (lambda m, x_, g: m(x_, g))
    opt = torch.optim.Adam(model.parameters() if params is None else params, lr=args["lr"],
                           weight_decay=args["weight_decay"])

    def logits(out: Tensor) -> Tensor:
        if not isinstance(out, Tensor) or out.dim() != 2 or out.size(0) != n:
            raise ValueError(f"the model must return logits of shape [{n}, C], got "
                             f"{list(out.shape) if isinstance(out, Tensor) else type(out).__name__}")
        if out.size(1) < num_classes:
            raise ValueError(f"the model returns {out.size(1)} class scores per node but data.y holds class "
                             f"{num_classes - 1}: it needs at least {num_classes} outputs")
        return out

    def train_epoch(epoch: int) -> float:
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(logits(call(model, x, graph)).index_select(0, idx["train"]), labels["train"])
        loss.backward()
        opt.step()
        return float(loss.detach())

    def evaluate(splits) -> Dict[str, float]:
        model.eval()
        with torch.no_grad():
            out = call(model, x, graph)
        correct = (out.argmax(-1) == y).float()
        acc = {k: float(correct.index_select(0, i).mean()) for k, i in idx.items()}
        return {"train_acc": acc["train"], "val_acc": acc["valid"],
                "val_loss": float(F.cross_entropy(out.index_select(0, idx["valid"]), labels["valid"])),
                "test_acc": acc["test"]}

    return run_epochs(model, epochs=args["epochs"], train_epoch=train_epoch, evaluate=evaluate, monitor=monitor,
                      patience=args["patience"], min_delta=args["min_delta"], test_every_epoch=True,
                      restore_best=restore_best, progress=progress, desc="node classification")
