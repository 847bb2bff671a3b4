"""Arguments of the training loops: scalars through graphlearn._validate (checked before
any work), NaN/inf node features refused, class ids checked against the model."""
import numpy as np
import pytest
import torch

from graphlearn.train import EarlyStopping, graph_metric, run_epochs, seed_everything, train_link_predictor, \
    train_node_classifier
from tests.train._tasks import planted_partition


class Linear(torch.nn.Module):
    def __init__(self, f=8, c=3):
        super().__init__()
        self.lin = torch.nn.Linear(f, c)

    def forward(self, x, graph):
        return self.lin(x)


def _node(**kw):
    data = kw.pop("data", None) or planted_partition()
    return train_node_classifier(kw.pop("model", None) or Linear(), data, **{"epochs": 2, "progress": False, **kw})


def _link(**kw):
    data = planted_partition()
    return train_link_predictor(Linear(8, 4), data, **{"epochs": 1, "progress": False, **kw})


def test_seed_everything_scalar_arguments():
    for v in (np.int64(5), torch.tensor(5), 0, 2**63 - 1):
        seed_everything(v)
    for v in (3.7, 3.0, True, "5", None):
        with pytest.raises(TypeError, match="seed must be an integer"):
            seed_everything(v)
    for v in (-1, 2**63, 2**64):
        with pytest.raises(ValueError, match=rf"seed must be an integer in \[0, 9223372036854775807\], got {v}"):
            seed_everything(v)
    seed_everything(np.int64(9))
    a = torch.rand(3)
    seed_everything(9)
    assert torch.equal(a, torch.rand(3))


def test_early_stopping_and_run_epochs_arguments():
    assert EarlyStopping(np.int64(3)).patience == 3
    for v, exc in ((2.0, TypeError), (True, TypeError), (0, ValueError)):
        with pytest.raises(exc, match="patience must be an integer"):
            EarlyStopping(v)
    for v, exc in ((float("nan"), ValueError), (float("inf"), ValueError), (-1, ValueError), ("x", TypeError)):
        with pytest.raises(exc, match="min_delta must be a"):
            EarlyStopping(3, min_delta=v)
    with pytest.raises(ValueError, match="mode must be one of 'max', 'min'"):
        EarlyStopping(3, mode=[])
    model = torch.nn.Linear(1, 1)
    for v, exc in ((2.0, TypeError), (0, ValueError), (True, TypeError)):
        with pytest.raises(exc, match="epochs must be an integer"):
            run_epochs(model, epochs=v, train_epoch=lambda e: 0.0, evaluate=lambda s: {"val_acc": 1.0},
                       monitor="val_acc", progress=False)


def test_loop_scalar_arguments_checked_before_training():
    cases = [(dict(epochs=2.0), TypeError, "epochs must be an integer"),
             (dict(epochs=0), ValueError, "epochs must be an integer >= 1"),
             (dict(lr=0), ValueError, r"lr must be a number > 0, got 0.0"),
             (dict(lr=float("nan")), ValueError, "lr must be a finite number"),
             (dict(lr=float("inf")), ValueError, "lr must be a finite number"),
             (dict(lr=-1), ValueError, "lr must be a number"),
             (dict(lr="x"), TypeError, "lr must be a number"),
             (dict(weight_decay=-1), ValueError, "weight_decay must be a number"),
             (dict(weight_decay=float("nan")), ValueError, "weight_decay must be a finite number"),
             (dict(seed=2**64), ValueError, r"seed must be an integer in \[0, 9223372036854775807\]"),
             (dict(seed=-1), ValueError, r"seed must be an integer in \[0, 9223372036854775807\]"),
             (dict(patience=0), ValueError, "patience must be an integer >= 1"),
             (dict(min_delta=-1), ValueError, "min_delta must be a number")]
    for kw, exc, message in cases:
        with pytest.raises(exc, match=message):
            _node(**kw)
        with pytest.raises(exc, match=message):
            _link(**kw)
    link_cases = [(dict(num_neg=0), ValueError, "num_neg must be an integer >= 1"),
                  (dict(num_neg=2.0), TypeError, "num_neg must be an integer"),
                  (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1"),
                  (dict(batch_size=2.0), TypeError, "batch_size must be an integer"),
                  (dict(eval_batch_size=0), ValueError, "eval_batch_size must be an integer >= 1"),
                  (dict(protocol="nope"), ValueError, "protocol must be one of 'ogb', 'heart', 'random'"),
                  (dict(ks=20), TypeError, "ks must be a sequence")]
    for kw, exc, message in link_cases:
        with pytest.raises(exc, match=message):
            _link(**kw)


def test_loops_accept_numpy_and_tensor_scalars():
    torch.manual_seed(0)
    a = _node(epochs=3, lr=0.05, seed=4)
    torch.manual_seed(0)
    b = _node(epochs=np.int64(3), lr=np.float64(0.05), seed=torch.tensor(4))
    assert a.history == b.history
    torch.manual_seed(0)
    c = _link(num_neg=np.int64(2), batch_size=torch.tensor(64), seed=np.int64(1))
    torch.manual_seed(0)
    d = _link(num_neg=2, batch_size=64, seed=1)
    assert c.history[0]["loss"] == d.history[0]["loss"]


def test_nan_node_features_are_refused():
    data = planted_partition()
    data.x[5, 2] = float("nan")
    with pytest.raises(ValueError, match=r"data.x\[5, 2\] = nan is not finite"):
        _node(data=data)
    x = planted_partition().x
    x[3, 0] = float("inf")
    with pytest.raises(ValueError, match=r"x\[3, 0\] = inf is not finite"):
        _link(x=x)
    with pytest.raises(ValueError, match=r"x must have one row per node \(120\), got shape \[119, 8\]"):
        _link(x=planted_partition().x[:119])


def test_class_ids_are_checked():
    data = planted_partition()
    data.y[7] = -1
    with pytest.raises(ValueError, match=r"data.y\[7\] = -1: class ids must be >= 0"):
        _node(data=data)
    data = planted_partition()
    data.y[0] = 5
    with pytest.raises(ValueError, match="the model returns 3 class scores per node but data.y holds class 5"):
        _node(data=data)
    data = planted_partition()
    data.y = data.y.float()
    with pytest.raises(ValueError, match="data.y must hold one class id per node"):
        _node(data=data)


def test_graph_metric_refuses_non_finite_predictions():
    with pytest.raises(ValueError, match=r"rmse: y_pred\[1, 0\] = nan is not finite"):
        graph_metric("rmse", torch.ones(4), torch.tensor([1.0, float("nan"), 1, 1]))
    with pytest.raises(ValueError, match=r"rocauc: y_pred\[1, 0\] = nan is not finite"):
        graph_metric("rocauc", torch.tensor([0.0, 1, 0, 1]), torch.tensor([1.0, float("nan"), 1, 1]))
    with pytest.raises(ValueError, match=r"mae: y_pred\[1, 0\] = inf"):
        graph_metric("mae", torch.ones(4), torch.tensor([1.0, float("inf"), 1, 1]))
    with pytest.raises(ValueError, match=r"mae: y_true\[0, 0\] = inf is infinite"):
        graph_metric("mae", torch.tensor([float("inf"), 1.0]), torch.ones(2))
    with pytest.raises(TypeError, match="y_pred must be a tensor or array of numbers"):
        graph_metric("mae", torch.ones(2), ["a", "b"])
    # a prediction for a missing label (NaN) is never read, so it may be anything
    assert graph_metric("mae", torch.tensor([1.0, float("nan")]), torch.tensor([1.0, float("nan")])) == 0.0
