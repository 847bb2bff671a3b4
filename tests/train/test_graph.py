"""train_graph_predictor and graph_metric: against OGB's Evaluator, on synthetic graphs and ogbg-molesol."""
import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphlearn.nn import GCN
from graphlearn.train import graph_metric, seed_everything, train_graph_predictor
from tests.conftest import require_dataset


class GraphNet(torch.nn.Module):
    """encoder -> GCN -> mean pool -> linear head: one row per graph."""

    def __init__(self, encoder, hidden, out, dropout=0.0):
        super().__init__()
        self.encoder = encoder
        self.gnn = GCN(hidden, hidden, hidden, num_layers=2, dropout=dropout)
        self.head = torch.nn.Linear(hidden, out)

    def forward(self, x, edge_index, batch):
        from torch_geometric.nn import global_mean_pool

        return self.head(global_mean_pool(torch.relu(self.gnn(self.encoder(x), edge_index)), batch))


def _predictions(model, graphs, batch_size=64):
    from torch_geometric.loader import DataLoader

    model.eval()
    ys, preds = [], []
    with torch.no_grad():
        for b in DataLoader(graphs, batch_size=batch_size):
            preds.append(model(b.x, b.edge_index, b.batch))
            ys.append(b.y)
    return torch.cat(ys), torch.cat(preds)


# ------------------------------------------------------------------------- metrics vs OGB


@pytest.mark.parametrize("name,tasks,classes", [("ogbg-molhiv", 1, 2), ("ogbg-moltox21", 12, 2),
                                                ("ogbg-molpcba", 128, 2), ("ogbg-molesol", 1, None),
                                                ("ogbg-ppa", 1, 37)])
def test_graph_metric_agrees_with_ogb_evaluator(name, tasks, classes):
    from ogb.graphproppred import Evaluator

    evaluator = Evaluator(name)
    rng = np.random.default_rng(0)
    n = 300
    if classes is None:
        y_true = rng.normal(size=(n, tasks))
        y_pred = y_true + rng.normal(size=(n, tasks))
    elif classes == 2:
        y_true = (rng.random((n, tasks)) < 0.3).astype(np.float64)
        y_true[rng.random((n, tasks)) < 0.2] = np.nan  # missing labels
        y_pred = rng.normal(size=(n, tasks)) + np.nan_to_num(y_true)
    else:
        y_true = rng.integers(0, classes, size=(n, 1))
        y_pred = np.where(rng.random((n, 1)) < 0.5, y_true, rng.integers(0, classes, size=(n, 1)))
    expected = evaluator.eval({"y_true": y_true, "y_pred": y_pred})[evaluator.eval_metric]
    assert graph_metric(evaluator.eval_metric, y_true, y_pred) == pytest.approx(expected, rel=1e-12)
    if classes and classes > 2:  # logits [n, C] are turned into class ids
        logits = np.eye(classes)[y_pred[:, 0]]
        assert graph_metric("acc", y_true, logits) == pytest.approx(expected, rel=1e-12)


def test_graph_metric_mae_and_errors():
    from sklearn.metrics import mean_absolute_error

    y, p = np.arange(10.0), np.arange(10.0)[::-1].copy()
    assert graph_metric("mae", y, p) == pytest.approx(mean_absolute_error(y, p))
    with pytest.raises(ValueError, match="unknown graph metric"):
        graph_metric("f1", y, p)
    with pytest.raises(ValueError, match="both positive and negative"):
        graph_metric("rocauc", np.ones(5), np.arange(5.0))


# ------------------------------------------------------------------------ synthetic task


def _graphs(num=160, seed=0):
    """Class 0: rings; class 1: random graphs with about five neighbours per node.
    Node feature: the degree."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for i in range(num):
        n = int(torch.randint(8, 16, (1,), generator=g))
        if i % 2 == 0:
            src = torch.arange(n)
            ei = torch.stack([src, (src + 1) % n])
        else:
            ei = torch.randint(0, n, (2, 3 * n), generator=g)
            ei = ei[:, ei[0] != ei[1]]
        ei = torch.unique(torch.cat([ei, ei.flip(0)], 1), dim=1)
        deg = torch.bincount(ei[1], minlength=n).float().view(-1, 1)
        out.append(Data(x=deg, edge_index=ei, y=torch.tensor([[float(i % 2)]]), num_nodes=n))
    return out


def _split(graphs):
    return {"train": graphs[:100], "valid": graphs[100:130], "test": graphs[130:]}


def test_synthetic_task_is_learned_and_the_best_epoch_is_restored():
    graphs = _graphs()
    seed_everything(0)
    model = GraphNet(torch.nn.Linear(1, 16), 16, 1)
    result = train_graph_predictor(model, split=_split(graphs), metric="rocauc", epochs=15, lr=0.01,
                                   batch_size=16, seed=0, progress=False)
    assert result.monitor == "val_rocauc" and result.mode == "max"
    assert result.best["val_rocauc"] > 0.9  # rings vs denser graphs; chance is 0.5
    # the restored model reproduces the reported test metric (sklearn ROC-AUC)
    from sklearn.metrics import roc_auc_score

    y, pred = _predictions(model, graphs[130:])
    assert roc_auc_score(y.numpy().ravel(), pred.numpy().ravel()) == pytest.approx(result.best["test_rocauc"])


def test_same_seed_same_history_and_early_stopping():
    graphs = _graphs(80)
    split = {"train": graphs[:50], "val": graphs[50:65], "test": graphs[65:]}

    def run(seed, **kwargs):
        seed_everything(0)
        model = GraphNet(torch.nn.Linear(1, 8), 8, 1, dropout=0.2)
        options = {"epochs": 6, "batch_size": 8, **kwargs}
        return train_graph_predictor(model, split=split, metric="ap", seed=seed, progress=False, **options)

    assert run(1).history == run(1).history
    assert run(1).history != run(2).history  # other shuffling and dropout
    stopped = run(1, patience=1, epochs=40, lr=0.05)
    vals = [r["val_ap"] for r in stopped.history]
    assert stopped.best_epoch == vals.index(max(vals)) + 1
    assert stopped.stopped_early and stopped.epochs == stopped.best_epoch + 1


def test_cosine_schedule_and_eval_every():
    graphs = _graphs(60)
    split = {"train": graphs[:40], "val": graphs[40:50], "test": graphs[50:]}
    seed_everything(0)
    model = GraphNet(torch.nn.Linear(1, 8), 8, 1)
    seen = []

    class Spy(torch.optim.Adam):  # records the rate each epoch trains with
        def step(self, *a, **k):
            seen.append(self.param_groups[0]["lr"])
            return super().step(*a, **k)

    orig = torch.optim.Adam
    torch.optim.Adam = Spy
    try:
        result = train_graph_predictor(model, split=split, metric="ap", epochs=4, lr=0.1, batch_size=40,
                                       schedule="cosine", eval_every=2, progress=False)
    finally:
        torch.optim.Adam = orig
    # one step per epoch (one batch): 0.1 * (1 + cos(pi t / 4)) / 2
    assert seen == pytest.approx([0.1, 0.1 * (1 + np.cos(np.pi / 4)) / 2, 0.05, 0.1 * (1 + np.cos(3 * np.pi / 4)) / 2])
    assert [sorted(r) for r in result.history] == [["epoch", "loss"], ["epoch", "loss", "val_ap"]] * 2
    with pytest.raises(ValueError, match="schedule"):
        train_graph_predictor(model, split=split, metric="ap", epochs=1, schedule="linear", progress=False)


def test_index_split_multiclass_accuracy_and_bad_arguments():
    graphs = _graphs(60)
    for i, g in enumerate(graphs):  # three classes by size: class ids [1] like TU datasets
        g.y = torch.tensor([i % 3])
    split = {"train": torch.arange(0, 40), "valid": torch.arange(40, 50), "test": torch.arange(50, 60)}
    seed_everything(0)
    model = GraphNet(torch.nn.Linear(1, 8), 8, 3)
    result = train_graph_predictor(model, graphs, split=split, metric="acc", epochs=3, batch_size=8,
                                   progress=False)
    y, logits = _predictions(model, graphs[50:])
    assert result.best["test_acc"] == pytest.approx(float((logits.argmax(1) == y).float().mean()))
    as_numpy = {k: list(v.numpy()) for k, v in split.items()}  # lists of numpy integers are ids too
    again = train_graph_predictor(model, graphs, split=as_numpy, metric="acc", epochs=1, batch_size=8, progress=False)
    assert "test_acc" in again.best
    with pytest.raises(ValueError, match="metric is needed"):
        train_graph_predictor(model, graphs, split=split, epochs=1, progress=False)
    with pytest.raises(ValueError, match="no 'test' part"):
        train_graph_predictor(model, graphs, split={"train": split["train"], "valid": split["valid"]},
                              metric="acc", epochs=1, progress=False)


# ----------------------------------------------------------------------------- real data


def test_ogbg_molesol_few_epochs():
    """A tiny GCN on OGB's molesol scaffold split: the OGB metric (RMSE, from the
    dataset's name) and a model better than predicting the training mean."""
    require_dataset("ogbg_molesol")
    from ogb.graphproppred import Evaluator
    from ogb.graphproppred.mol_encoder import AtomEncoder

    from graphlearn.datasets import load_ogb

    dataset = load_ogb("ogbg-molesol")
    split = dataset.get_idx_split()
    seed_everything(0)
    model = GraphNet(AtomEncoder(32), 32, 1)
    result = train_graph_predictor(model, dataset, epochs=8, lr=0.005, batch_size=64, seed=0, progress=False)
    assert result.monitor == "val_rmse" and result.mode == "min"
    y_train = torch.cat([dataset[int(i)].y for i in split["train"]])
    y_val = torch.cat([dataset[int(i)].y for i in split["valid"]])
    constant = float(((y_val - y_train.mean()) ** 2).mean().sqrt())
    assert result.best["val_rmse"] < constant
    y, pred = _predictions(model, dataset[split["test"]])
    expected = Evaluator("ogbg-molesol").eval({"y_true": y.numpy(), "y_pred": pred.numpy()})["rmse"]
    assert result.best["test_rmse"] == pytest.approx(expected)
