"""Mini-batch graph-level tasks (molecules, TU datasets): PyG ``DataLoader`` batches,
OGB's metrics (``ogb.graphproppred.Evaluator`` for OGB datasets)."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from graphlearn import _validate
from graphlearn.train._common import TrainResult, check_loop_args, run_epochs, seed_everything

__all__ = ["train_graph_predictor", "graph_metric", "GRAPH_METRICS"]

GRAPH_METRICS = ("rocauc", "ap", "rmse", "mae", "acc")
SCHEDULES = (None, "cosine")
_PARTS = ("train", "valid", "test")


def _as_2d(y: np.ndarray) -> np.ndarray:
    return y.reshape(-1, 1) if y.ndim == 1 else y


def _as_array(y: Any, name: str) -> np.ndarray:
    """float64 NumPy array of ``y`` (TypeError for anything that is not real numbers)."""
    try:
        t = torch.as_tensor(y)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be a tensor or array of numbers, got {type(y).__name__}") from exc
    if t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{name} must hold real numbers, got {t.dtype}")
    return np.asarray(t.detach().cpu().double())


def _first_bad(a: np.ndarray, bad: np.ndarray) -> str:
    where = np.argwhere(bad)[0]
    return f"[{', '.join(str(int(i)) for i in where)}] = {a[tuple(where)]}"


def graph_metric(name: str, y_true: Any, y_pred: Any) -> float:
    """A graph-level metric with OGB's rules (``ogb.graphproppred.Evaluator``), for any
    dataset: per task over the labelled entries (NaN labels are missing), averaged over
    tasks.

    Args:
        name: ``"rocauc"`` / ``"ap"`` (tasks with both classes present; scores or
            logits), ``"rmse"`` / ``"mae"``, or ``"acc"`` (``y_pred`` class ids
            ``[n, T]``, or logits ``[n, C]`` for one multi-class task).
        y_true: ``[n]`` or ``[n, T]`` labels or targets.
        y_pred: predictions, same shape (or ``[n, C]`` logits for ``"acc"``).

    Raises:
        ValueError: an unknown metric, shapes that disagree, an infinite label, or a
            NaN/infinite prediction (OGB's evaluator gives NaN or scikit-learn's error
            there; here the message names the entry). TypeError: non-numeric input.
    """
    return _graph_metric(name, y_true, y_pred, nonfinite="raise")


def _graph_metric(name: str, y_true: Any, y_pred: Any, nonfinite: str = "raise") -> float:
    """:func:`graph_metric`; ``nonfinite="nan"`` returns NaN for non-finite predictions
    instead (the training loop: a diverged epoch is never the best, training goes on)."""
    if name not in GRAPH_METRICS:
        raise ValueError(f"unknown graph metric {name!r}; expected one of {', '.join(GRAPH_METRICS)}")
    y_true = _as_2d(_as_array(y_true, "y_true"))
    y_pred = _as_array(y_pred, "y_pred")
    if name == "acc" and y_true.shape[1] == 1 and y_pred.ndim == 2 and y_pred.shape[1] > 1:
        y_pred = y_pred.argmax(1)
    y_pred = _as_2d(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{name}: y_true has shape {list(y_true.shape)} but y_pred {list(y_pred.shape)}")
    if np.isinf(y_true).any():
        raise ValueError(f"{name}: y_true{_first_bad(y_true, np.isinf(y_true))} is infinite (NaN marks a missing "
                         "label; infinity is no label)")
    bad = ~np.isfinite(y_pred) & ~np.isnan(y_true)  # predictions for missing labels are never read
    if bad.any():
        if nonfinite == "nan":
            return float("nan")
        raise ValueError(f"{name}: y_pred{_first_bad(y_pred, bad)} is not finite: predictions must not be NaN or "
                         "infinite (a diverged model?)")
    values = []
    for t in range(y_true.shape[1]):
        labelled = ~np.isnan(y_true[:, t])
        yt, yp = y_true[labelled, t], y_pred[labelled, t]
        if name in ("rocauc", "ap"):
            if not ((yt == 1).any() and (yt == 0).any()):
                continue  # undefined without both classes (OGB skips the task)
            from sklearn.metrics import average_precision_score, roc_auc_score

            values.append((roc_auc_score if name == "rocauc" else average_precision_score)(yt, yp))
        elif name == "rmse":
            values.append(np.sqrt(((yt - yp) ** 2).mean()))
        elif name == "mae":
            values.append(np.abs(yt - yp).mean())
        else:
            values.append(float((yt == yp).sum()) / len(yt))
    if not values:
        raise ValueError(f"{name} is undefined here: no task has both positive and negative labels")
    return float(sum(values) / len(values))


def _default_loss(metric: str) -> Callable[[Tensor, Tensor], Tensor]:
    if metric == "acc":
        return lambda pred, y: F.cross_entropy(pred, y.view(-1).long())

    def masked(pred: Tensor, y: Tensor) -> Tensor:
        y = y.view(pred.shape).to(pred.dtype)
        labelled = ~torch.isnan(y)
        if metric in ("rmse", "mae"):
            return F.mse_loss(pred[labelled], y[labelled])
        return F.binary_cross_entropy_with_logits(pred[labelled], y[labelled])

    return masked


def _metric_fn(metric: Optional[str], dataset: Any) -> Tuple[str, Callable[[Tensor, Tensor], float]]:
    """(metric name, fn(y_true, y_pred) -> float)."""
    ogb_name = None
    if metric is None:
        name = str(getattr(dataset, "name", ""))
        if not name.lower().startswith("ogbg-"):
            raise ValueError("metric is needed for a dataset that is not an OGB graph dataset: one of "
                             f"{', '.join(GRAPH_METRICS)} or an OGB name like 'ogbg-molhiv'")
        ogb_name = name.lower()
    elif metric.lower().startswith("ogbg-"):
        ogb_name = metric.lower()
    if ogb_name is None:
        if metric not in GRAPH_METRICS:
            raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(GRAPH_METRICS)} or an OGB "
                             "graph dataset name")
        return metric, lambda yt, yp: _graph_metric(metric, yt, yp, nonfinite="nan")
    from ogb.graphproppred import Evaluator

    evaluator = Evaluator(ogb_name)
    name = evaluator.eval_metric

    def ogb_metric(yt: Tensor, yp: Tensor) -> float:
        if name == "acc" and yp.dim() == 2 and yp.size(1) > 1:
            yp = yp.argmax(1, keepdim=True)
        yt = yt.view(yt.size(0), -1)
        return float(evaluator.eval({"y_true": yt.numpy(), "y_pred": yp.view(yt.shape).numpy()})[name])

    return name, ogb_metric


def _parts(dataset: Any, split: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    if split is None:
        if dataset is None or not hasattr(dataset, "get_idx_split"):
            raise ValueError("pass split={'train': ..., 'valid': ..., 'test': ...} (graph ids or datasets); "
                             "only OGB-style datasets have get_idx_split()")
        split = dataset.get_idx_split()
    out = {}
    for part in _PARTS:
        v = next((split[k] for k in ((part, "val") if part == "valid" else (part,)) if k in split), None)
        if v is None:
            raise ValueError(f"split has no {part!r} part (keys: {sorted(split)})")
        ids = isinstance(v, (list, tuple)) and v and isinstance(v[0], (int, np.integer)) and not isinstance(v[0], bool)
        if isinstance(v, (Tensor, np.ndarray)) or ids:
            if dataset is None:
                raise ValueError(f"split[{part!r}] holds graph ids, so the dataset is needed")
            idx = torch.as_tensor(v).long().view(-1)
            v = dataset[idx] if hasattr(dataset, "index_select") else [dataset[int(i)] for i in idx]
        if len(v) == 0:
            raise ValueError(f"split[{part!r}] holds no graphs")
        out[part] = v
    return out


def train_graph_predictor(model: torch.nn.Module, dataset: Any = None, *,
                          split: Optional[Mapping[str, Any]] = None, metric: Optional[str] = None,
                          loss: Optional[Callable[[Tensor, Tensor], Tensor]] = None, epochs: int = 100,
                          batch_size: int = 32, eval_batch_size: Optional[int] = None, lr: float = 1e-3,
                          weight_decay: float = 0.0, params: Optional[Iterable[Any]] = None,
                          patience: Optional[int] = None, min_delta: float = 0.0, seed: Optional[int] = 0,
                          forward: Optional[Callable[[torch.nn.Module, Any], Tensor]] = None,
                          schedule: Optional[str] = None, eval_every: int = 1,
                          restore_best: bool = True, progress: bool = True) -> TrainResult:
    """Trains a graph-level predictor on mini-batches of graphs (PyG ``DataLoader``) with
    Adam, and picks the epoch with the best validation metric.

    Args:
        model: called as ``model(batch.x, batch.edge_index, batch.batch) -> [B, T]``
            (one row per graph; PyG's convention, which graphlearn layers accept too),
            or through ``forward``.
        dataset: a PyG dataset (e.g. :func:`graphlearn.datasets.load_ogb`'s
            ``ogbg-*``, :func:`graphlearn.datasets.load_tu`); optional when ``split``
            holds the datasets themselves.
        split: ``{"train", "valid" (or "val"), "test"}`` -> graph ids or datasets /
            lists of ``Data``. Default: ``dataset.get_idx_split()`` (OGB's split).
        metric: an OGB graph dataset name (its ``Evaluator`` and metric), or one of
            :data:`GRAPH_METRICS` (:func:`graph_metric`). Default: the dataset's OGB
            evaluator (``dataset.name``). Errors are minimised, the others maximised.
        loss: ``loss(pred [B, T], y) -> scalar``. Default by metric: masked BCE with
            logits (rocauc, ap; NaN labels skipped), masked MSE (rmse, mae),
            cross-entropy (acc; ``pred`` is ``[B, C]`` logits).
        epochs, batch_size: training epochs and graphs per batch, integers >= 1
            (training batches are shuffled with a generator seeded by ``seed``).
        eval_batch_size: graphs per evaluation batch, >= 1 (default ``batch_size``).
        lr, weight_decay, params: Adam (``params`` as in
            :func:`graphlearn.train.train_node_classifier`).
        patience, min_delta: early stopping on the validation metric.
        seed: seeds Python, NumPy and torch before the first epoch and the shuffling;
            None leaves them alone.
        forward: ``forward(model, batch) -> [B, T]`` for a model called differently.
        schedule: None (a constant learning rate) or ``"cosine"``: the rate decays from
            ``lr`` to 0 along a half cosine over the ``epochs``, stepped once per epoch
            (``torch.optim.lr_scheduler.CosineAnnealingLR``).
        eval_every: validate every this many epochs (and after the last); see
            :func:`graphlearn.train.run_epochs`.
        restore_best: load the best epoch's parameters into ``model`` at the end.
        progress: a tqdm bar over the epochs (False silences it).

    Returns:
        :class:`graphlearn.train.TrainResult`; records hold ``epoch``, ``loss`` and
        ``val_<metric>``; the best record adds ``test_<metric>``.
    """
    from torch_geometric.loader import DataLoader

    args = check_loop_args(epochs=epochs, lr=lr, weight_decay=weight_decay, patience=patience, min_delta=min_delta,
                           seed=seed)
    batch_size = _validate.integer(batch_size, "batch_size", min=1)
    eval_batch_size = batch_size if eval_batch_size is None else _validate.integer(eval_batch_size, "eval_batch_size",
                                                                                   min=1)
    parts = _parts(dataset, split)
    name, metric_fn = _metric_fn(metric, dataset)
    loss_fn = loss or _default_loss(name)
    call = forward or (lambda m, b: m(b.x, b.edge_index, b.batch))
    seed = args["seed"]
    if seed is not None:
        seed_everything(seed)
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    train_loader = DataLoader(parts["train"], batch_size=batch_size, shuffle=True, generator=gen)
    eval_loaders = {p: DataLoader(parts[p], batch_size=eval_batch_size) for p in ("valid", "test")}
    opt = torch.optim.Adam(model.parameters() if params is None else params, lr=args["lr"],
                           weight_decay=args["weight_decay"])
    schedule = _validate.choice(schedule, "schedule", SCHEDULES)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args["epochs"]) if schedule == "cosine" else None
    device = next((p.device for p in model.parameters()), torch.device("cpu"))

    def train_epoch(epoch: int) -> float:
        model.train()
        total, count = 0.0, 0
        for batch in train_loader:
            batch = batch.to(device)
            opt.zero_grad()
            value = loss_fn(call(model, batch), batch.y)
            value.backward()
            opt.step()
            total += float(value.detach()) * batch.num_graphs
            count += batch.num_graphs
        if scheduler is not None:
            scheduler.step()
        return total / max(count, 1)

    def evaluate(which: Sequence[str]) -> Dict[str, float]:
        model.eval()
        out = {}
        for part in which:
            ys, preds = [], []
            with torch.no_grad():
                for batch in eval_loaders[part]:
                    batch = batch.to(device)
                    preds.append(call(model, batch).detach().cpu())
                    ys.append(batch.y.detach().cpu())
            y = torch.cat(ys)
            out[f"{'val' if part == 'valid' else part}_{name}"] = metric_fn(y.view(y.size(0), -1), torch.cat(preds))
        return out

    return run_epochs(model, epochs=args["epochs"], train_epoch=train_epoch, evaluate=evaluate, monitor=f"val_{name}",
                      patience=args["patience"], min_delta=args["min_delta"], restore_best=restore_best,
                      progress=progress, desc="graph prediction", eval_every=eval_every)
