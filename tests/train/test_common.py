"""Seeding, early stopping and the epoch driver, with scripted metrics (exact expectations)."""
import random

import numpy as np
import pytest
import torch

from graphlearn.train import EarlyStopping, TrainResult, seed_everything
from graphlearn.train._common import metric_mode, run_epochs


def test_seed_everything_seeds_python_numpy_and_torch():
    seed_everything(7)
    a = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    seed_everything(7)
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == a
    seed_everything(8)
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) != a
    with pytest.raises(TypeError, match="integer"):
        seed_everything(1.5)


def test_early_stopping_counts_epochs_without_improvement():
    stop = EarlyStopping(patience=2, mode="max")
    steps = [(0.1, True), (0.5, True), (0.5, False), (0.4, False)]  # a tie is no improvement
    for epoch, (value, improved) in enumerate(steps, 1):
        assert stop.step(value, epoch) is improved
    assert stop.should_stop and stop.best == 0.5 and stop.best_epoch == 2
    low = EarlyStopping(patience=1, mode="min", min_delta=0.1)
    assert low.step(1.0, 1) and not low.step(0.95, 2) and low.should_stop  # within min_delta
    assert not EarlyStopping().step(float("nan"), 1)  # NaN is never a best
    assert not EarlyStopping(None).should_stop
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    assert metric_mode("val_rmse") == "min" and metric_mode("val_loss") == "min"
    assert metric_mode("val_acc") == "max" and metric_mode("val_hits@20") == "max"


class _Scripted:
    """A model whose parameter is set to the epoch number by the 'training' step, with
    scripted validation values, counting test evaluations."""

    def __init__(self, values):
        self.model = torch.nn.Linear(1, 1, bias=False)
        self.values = values
        self.test_calls = []

    def train_epoch(self, epoch):
        with torch.no_grad():
            self.model.weight.fill_(epoch)
        return 10.0 - epoch

    def evaluate(self, splits):
        epoch = int(self.model.weight.item())
        out = {}
        if "valid" in splits:
            out["val_acc"] = self.values[epoch - 1]
        if "test" in splits:
            self.test_calls.append(epoch)
            out["test_acc"] = epoch / 100
        return out


def test_run_epochs_stops_after_patience_and_restores_the_best_epoch():
    s = _Scripted([0.2, 0.6, 0.5, 0.6, 0.55, 0.9, 0.95])
    result = run_epochs(s.model, epochs=7, train_epoch=s.train_epoch, evaluate=s.evaluate, monitor="val_acc",
                        patience=3, progress=False)
    assert isinstance(result, TrainResult)
    assert result.epochs == 5 and result.stopped_early  # best at 2, then 3 epochs without a better value
    assert result.best == {"epoch": 2, "loss": 8.0, "val_acc": 0.6, "test_acc": 0.02}
    assert result.best_epoch == 2 and result["test_acc"] == 0.02
    assert s.test_calls == [1, 2]  # test metrics only at new best epochs
    assert [r["val_acc"] for r in result.history] == [0.2, 0.6, 0.5, 0.6, 0.55]
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4, 5]
    assert s.model.weight.item() == 2.0  # the best epoch's parameters are back


def test_run_epochs_without_patience_runs_all_epochs_and_can_keep_the_last_state():
    s = _Scripted([0.2, 0.6, 0.5, 0.6, 0.55, 0.9, 0.95])
    result = run_epochs(s.model, epochs=7, train_epoch=s.train_epoch, evaluate=s.evaluate, monitor="val_acc",
                        restore_best=False, progress=False)
    assert result.epochs == 7 and not result.stopped_early and result.best_epoch == 7
    assert s.model.weight.item() == 7.0


def test_minimised_metric_and_test_every_epoch():
    s = _Scripted([3.0, 2.0, 2.5, 1.0])

    def evaluate(splits):
        out = s.evaluate(splits)
        out["val_rmse"] = out.pop("val_acc")
        return out

    result = run_epochs(s.model, epochs=4, train_epoch=s.train_epoch, evaluate=evaluate, monitor="val_rmse",
                        test_every_epoch=True, progress=False)
    assert result.mode == "min" and result.best_epoch == 4
    assert s.test_calls == [1, 2, 3, 4] and all("test_acc" in r for r in result.history)
    with pytest.raises(ValueError, match="monitor 'val_auc' is not among"):
        run_epochs(s.model, epochs=1, train_epoch=s.train_epoch, evaluate=evaluate, monitor="val_auc",
                   progress=False)


def test_progress_can_be_silenced(capsys):
    s = _Scripted([0.1, 0.2])
    run_epochs(s.model, epochs=2, train_epoch=s.train_epoch, evaluate=s.evaluate, monitor="val_acc", progress=False)
    assert capsys.readouterr().err == ""
    run_epochs(s.model, epochs=2, train_epoch=s.train_epoch, evaluate=s.evaluate, monitor="val_acc", progress=True,
               desc="scripted")
    assert "scripted" in capsys.readouterr().err
