"""What the training loops share: seeding, early stopping, the epoch driver and its result."""
from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from graphlearn import _io, _validate

__all__ = ["seed_everything", "EarlyStopping", "TrainResult", "metric_mode", "run_epochs"]

# metrics where smaller is better; every other metric is maximised
_MINIMISED = ("loss", "rmse", "mae", "mse")


def seed_everything(seed: int) -> None:
    """Seeds Python's ``random``, NumPy and torch (CPU and every GPU) with ``seed``, an
    integer in ``[0, 2**63 - 1]`` (NumPy integers and 0-d tensors too)."""
    seed = _validate.seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def check_loop_args(*, epochs: Any = 1, lr: Any = 0.01, weight_decay: Any = 0.0, patience: Any = None,
                    min_delta: Any = 0.0, seed: Any = None) -> Dict[str, Any]:
    """The arguments every training loop shares, checked before any work:
    ``epochs`` >= 1, ``lr`` a finite number > 0, ``weight_decay`` and ``min_delta``
    finite numbers >= 0, ``patience`` None or >= 1, ``seed`` None or a seed. Returns
    them as plain Python values."""
    return {"epochs": _validate.integer(epochs, "epochs", min=1),
            "lr": _validate.real(lr, "lr", min=0, min_open=True),
            "weight_decay": _validate.real(weight_decay, "weight_decay", min=0),
            "patience": None if patience is None else _validate.integer(patience, "patience", min=1),
            "min_delta": _validate.real(min_delta, "min_delta", min=0),
            "seed": None if seed is None else _validate.seed(seed)}


def check_features(x: Any, name: str, num_nodes: Optional[int] = None) -> None:
    """Node features a loop feeds to the model: when ``x`` is a tensor, ``num_nodes``
    rows (when given) and, for floating-point features, no NaN or infinity (they would
    make every prediction, and so every metric, meaningless without an error)."""
    if not isinstance(x, torch.Tensor):
        return
    if num_nodes is not None and (x.dim() == 0 or x.size(0) != num_nodes):
        raise ValueError(f"{name} must have one row per node ({num_nodes}), got shape {list(x.shape)}")
    if x.is_floating_point() or x.is_complex():
        finite = torch.isfinite(x)
        if not bool(finite.all()):
            where = (~finite).nonzero()[0].tolist()
            index = ", ".join(str(i) for i in where)
            raise ValueError(f"{name}[{index}] = {x[tuple(where)].item()} is not finite: node features must not be NaN "
                             "or infinite (impute or drop them first)")


def metric_mode(name: str) -> str:
    """``"min"`` for losses and errors (``loss``, ``rmse``, ``mae``, ``mse``), else ``"max"``."""
    base = name.split("_", 1)[1] if name.startswith(("val_", "test_", "train_")) else name
    return "min" if base.lower() in _MINIMISED else "max"


class EarlyStopping:
    """Tracks the best value of a monitored metric and when to stop.

    An epoch improves when its value beats the best so far by more than ``min_delta``
    (ties are no improvement, so the earliest of equal epochs stays the best). Training
    stops after ``patience`` consecutive epochs without improvement (None: never).

    Args:
        patience: epochs without improvement before stopping (an integer >= 1, or None).
        mode: ``"max"`` or ``"min"``.
        min_delta: the margin an improvement needs (a finite number >= 0).
    """

    def __init__(self, patience: Optional[int] = None, mode: str = "max", min_delta: float = 0.0):
        self.patience = None if patience is None else _validate.integer(patience, "patience", min=1)
        self.mode = _validate.choice(mode, "mode", ("max", "min"))
        self.min_delta = _validate.real(min_delta, "min_delta", min=0)
        self.best: Optional[float] = None
        self.best_epoch: Optional[int] = None
        self.bad_epochs = 0

    def step(self, value: float, epoch: int) -> bool:
        """Records ``value`` of ``epoch``; returns whether it is a new best. A NaN is never one."""
        value = float(value)
        better = not math.isnan(value) and (
            self.best is None or (value > self.best + self.min_delta if self.mode == "max"
                                  else value < self.best - self.min_delta))
        if better:
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
        else:
            self.bad_epochs += 1
        return better

    @property
    def should_stop(self) -> bool:
        return self.patience is not None and self.bad_epochs >= self.patience


@dataclass
class TrainResult:
    """What the training loops return.

    Attributes:
        best: the record of the best epoch (by ``monitor``): ``epoch``, ``loss`` and the
            validation metrics, plus the test metrics at that epoch.
        history: one record per epoch run: ``epoch`` (from 1), ``loss`` (mean training
            loss) and the validation metrics (``val_<metric>``; node classification
            also has ``train_acc`` and ``test_acc``).
        monitor: the metric that chose the best epoch (e.g. ``"val_acc"``), and ``mode``
            whether it was maximised or minimised.
        stopped_early: whether early stopping ended training before ``epochs``.
        seconds: wall time of the whole loop (training and evaluation).
    """

    best: Dict[str, float]
    history: List[Dict[str, float]]
    monitor: str
    mode: str
    stopped_early: bool = False
    seconds: float = 0.0
    info: Dict[str, Any] = field(default_factory=dict)

    @property
    def best_epoch(self) -> int:
        return int(self.best["epoch"])

    @property
    def epochs(self) -> int:
        """Epochs run."""
        return len(self.history)

    def __getitem__(self, key: str) -> float:
        """A metric of the best epoch: ``result["test_acc"]``."""
        return self.best[key]

    def to_dict(self) -> Dict[str, Any]:
        return {"best": dict(self.best), "history": [dict(r) for r in self.history], "monitor": self.monitor,
                "mode": self.mode, "stopped_early": self.stopped_early, "seconds": self.seconds,
                "info": dict(self.info)}


def _state_copy(model: torch.nn.Module) -> Dict[str, Any]:
    return {k: v.detach().clone() if isinstance(v, torch.Tensor) else copy.deepcopy(v)
            for k, v in model.state_dict().items()}


def run_epochs(model: torch.nn.Module, *, epochs: int, train_epoch: Callable[[int], float],
               evaluate: Callable[[Sequence[str]], Dict[str, float]], monitor: str, patience: Optional[int] = None,
               min_delta: float = 0.0, test_every_epoch: bool = False, restore_best: bool = True,
               progress: bool = True, desc: str = "training", eval_every: int = 1) -> TrainResult:
    """The epoch driver of every loop: train, validate, keep the best epoch, stop early.

    Args:
        model: the model (its best state is restored at the end when ``restore_best``).
        epochs: the most epochs to run (an integer >= 1).
        train_epoch: ``train_epoch(epoch) -> mean training loss`` (epoch from 1).
        evaluate: ``evaluate(("valid",))`` / ``evaluate(("valid", "test"))`` -> metrics
            named ``val_<metric>`` / ``test_<metric>`` (it sets eval mode itself).
        monitor: the validation metric that decides the best epoch (e.g. ``"val_acc"``);
            minimised for losses/errors (:func:`metric_mode`), else maximised.
        patience, min_delta: early stopping (:class:`EarlyStopping`).
        test_every_epoch: put the test metrics in every history record (when evaluating
            them costs nothing extra); otherwise they are computed only at new best epochs.
        progress: a tqdm bar over the epochs (False silences it).
        desc: the bar's label.
        eval_every: validate every this many epochs (and after the last one); the
            epochs between have only their loss in the history, and ``patience``
            counts validations. For protocols whose evaluation costs far more than an
            epoch of training (HeaRT's 500 negatives per positive).
    """
    epochs = _validate.integer(epochs, "epochs", min=1)
    eval_every = _validate.integer(eval_every, "eval_every", min=1)
    if not isinstance(monitor, str):
        raise TypeError(f"monitor must be a metric name like 'val_acc', got {monitor!r}")
    mode = metric_mode(monitor)
    stopper = EarlyStopping(patience, mode, min_delta)
    history: List[Dict[str, float]] = []
    best: Dict[str, float] = {}
    best_state: Optional[Dict[str, Any]] = None
    start = time.perf_counter()
    splits = ("valid", "test") if test_every_epoch else ("valid",)
    with _io.progress(epochs, desc, "epoch", enabled=progress, unit_scale=False) as bar:
        for epoch in range(1, epochs + 1):
            loss = float(train_epoch(epoch))
            if epoch % eval_every and epoch != epochs:
                history.append({"epoch": epoch, "loss": loss})
                bar.set_postfix({"loss": f"{loss:.4f}"}, refresh=False)
                bar.update(1)
                continue
            record: Dict[str, float] = {"epoch": epoch, "loss": loss, **evaluate(splits)}
            if monitor not in record:
                raise ValueError(f"monitor {monitor!r} is not among the evaluated metrics {sorted(record)}")
            history.append(record)
            if stopper.step(record[monitor], epoch):
                best = dict(record)
                if not test_every_epoch:
                    best.update(evaluate(("test",)))
                if restore_best:
                    best_state = _state_copy(model)
            bar.set_postfix({"loss": f"{loss:.4f}", monitor: f"{record[monitor]:.4f}"}, refresh=False)
            bar.update(1)
            if stopper.should_stop:
                break
    if not best:  # every validation value was NaN: report the last epoch
        best = dict(history[-1])
        if not test_every_epoch:
            best.update(evaluate(("test",)))
    if restore_best and best_state is not None:
        model.load_state_dict(best_state)
    return TrainResult(best=best, history=history, monitor=monitor, mode=mode,
                       stopped_early=len(history) < epochs, seconds=time.perf_counter() - start)

