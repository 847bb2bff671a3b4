"""train_node_classifier: against a hand-written loop and a PyG model, seeded, early stopping."""
import copy

import pytest
import torch
import torch.nn.functional as F

from graphlearn.nn import GCN
from graphlearn.sparse import as_csr
from graphlearn.train import seed_everything, train_node_classifier
from graphlearn.transforms import ToCSR


class PyGGCN(torch.nn.Module):
    """The same network as graphlearn's GCN, built from PyG's GCNConv (same dropout order)."""

    def __init__(self, ours: GCN):
        from torch_geometric.nn import GCNConv

        super().__init__()
        self.convs = torch.nn.ModuleList()
        for conv in ours.convs:
            ref = GCNConv(conv.in_channels, conv.out_channels)
            with torch.no_grad():
                ref.lin.weight.copy_(conv.lin.weight)
                ref.bias.copy_(conv.bias)
            self.convs.append(ref)
        self.dropout = ours.dropout

    def forward(self, x, edge_index):
        for i, conv in enumerate(self.convs):
            x = F.dropout(x, self.dropout, self.training)
            x = conv(x, edge_index)
            if i < len(self.convs) - 1:
                x = torch.relu(x)
        return x


def _manual_history(model, data, graph, epochs, lr, weight_decay, seed):
    """What the loop is documented to do, written out: Adam, cross-entropy on the
    training nodes, then accuracies of all splits in eval mode."""
    seed_everything(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(data.x, graph)[data.train_mask], data.y[data.train_mask])
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            out = model(data.x, graph)
        pred = out.argmax(1)
        acc = {k: float((pred[m] == data.y[m]).float().mean())
               for k, m in (("train", data.train_mask), ("val", data.val_mask), ("test", data.test_mask))}
        history.append({"epoch": epoch, "loss": float(loss.detach()), "train_acc": acc["train"], "val_acc": acc["val"],
                        "val_loss": float(F.cross_entropy(out[data.val_mask], data.y[data.val_mask])),
                        "test_acc": acc["test"]})
    return history


def test_history_equals_a_hand_written_loop(sbm):
    seed_everything(0)
    model = GCN(sbm.num_features, 16, 3)
    start = copy.deepcopy(model.state_dict())
    result = train_node_classifier(model, sbm, epochs=15, lr=0.01, weight_decay=5e-4, seed=3, progress=False,
                                   restore_best=False)
    manual = GCN(sbm.num_features, 16, 3)
    manual.load_state_dict(start)
    expected = _manual_history(manual, sbm, as_csr(sbm), 15, 0.01, 5e-4, seed=3)
    assert result.history == expected
    best = max(expected, key=lambda r: (r["val_acc"], -r["epoch"]))  # first epoch of the best val accuracy
    assert result.best == best and result.monitor == "val_acc"
    assert result["test_acc"] == best["test_acc"]


def test_our_gcn_trains_like_the_same_pyg_model(sbm):
    """graphlearn's GCN and a PyG GCNConv network with the same weights, through the
    same loop and seed, take the same steps (PyG's model is given edge_index)."""
    seed_everything(1)
    ours = GCN(sbm.num_features, 16, 3)
    theirs = PyGGCN(ours)
    a = train_node_classifier(ours, sbm, epochs=20, seed=5, progress=False)
    b = train_node_classifier(theirs, sbm, graph=sbm.edge_index, epochs=20, seed=5, progress=False)
    for ra, rb in zip(a.history, b.history):
        assert ra["loss"] == pytest.approx(rb["loss"], rel=1e-4)
        assert abs(ra["val_acc"] - rb["val_acc"]) <= 1 / 30 + 1e-9  # at most one node flips
    assert a.best["val_acc"] > 0.8  # the task is learnable; chance is 1/3


def test_same_seed_same_history_and_other_seed_differs(sbm):
    def run(seed):
        seed_everything(0)
        return train_node_classifier(GCN(sbm.num_features, 16, 3), sbm, epochs=10, seed=seed,
                                     progress=False).history

    assert run(4) == run(4)
    assert run(4) != run(5)  # dropout masks differ


def test_early_stopping_and_restored_best_model(sbm):
    seed_everything(0)
    model = GCN(sbm.num_features, 16, 3)
    result = train_node_classifier(model, sbm, epochs=300, lr=0.05, patience=5, seed=0, progress=False)
    assert result.stopped_early and result.epochs < 300
    vals = [r["val_acc"] for r in result.history]
    best_epoch = vals.index(max(vals)) + 1  # the first epoch reaching the best value
    assert result.best_epoch == best_epoch and result.epochs == best_epoch + 5
    assert all(v <= result.best["val_acc"] for v in vals)
    # the model holds the best epoch's parameters: it reproduces that epoch's accuracies
    model.eval()
    with torch.no_grad():
        pred = model(sbm.x, sbm.edge_index).argmax(1)
    assert float((pred[sbm.val_mask] == sbm.y[sbm.val_mask]).float().mean()) == result.best["val_acc"]
    assert float((pred[sbm.test_mask] == sbm.y[sbm.test_mask]).float().mean()) == result.best["test_acc"]


def test_split_dict_params_forward_and_to_csr(sbm):
    """OGB-style index splits equal the masks; a model without graph input goes through
    ``forward``; ToCSR's data.adj is the graph the model gets; param groups work."""
    split = {"train": sbm.train_mask.nonzero().view(-1), "valid": sbm.val_mask.nonzero().view(-1),
             "test": sbm.test_mask.nonzero().view(-1)}

    def run(**kwargs):
        seed_everything(0)
        model = GCN(sbm.num_features, 8, 3)
        return train_node_classifier(model, kwargs.pop("data", sbm), epochs=5, seed=1, progress=False,
                                     **kwargs).history

    assert run(split=split) == run()
    data = ToCSR()(sbm.clone())
    seen = []

    def forward(model, x, graph):
        seen.append(graph)
        return model(x, graph)

    assert run(data=data, forward=forward) == run()
    assert all(g is data.adj for g in seen)
    seed_everything(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(sbm.num_features, 3))
    groups = [{"params": mlp.parameters(), "weight_decay": 0.0}]
    res = train_node_classifier(mlp, sbm, epochs=5, params=groups, forward=lambda m, x, g: m(x), progress=False)
    assert res.epochs == 5


def test_bad_inputs():
    from torch_geometric.data import Data

    data = Data(x=torch.randn(5, 2), y=torch.zeros(5, dtype=torch.long), edge_index=torch.tensor([[0], [1]]),
                num_nodes=5)
    with pytest.raises(ValueError, match="data.train_mask"):
        train_node_classifier(GCN(2, 4, 2), data, epochs=1, progress=False)
    with pytest.raises(ValueError, match="monitor"):
        train_node_classifier(GCN(2, 4, 2), data, epochs=1, monitor="val_f1", progress=False)


def test_cora_gcn_quick():
    """The paper's GCN on Cora (bundled): ~81% after 200 epochs; 60 epochs reach > 75%."""
    from graphlearn.datasets import load_planetoid

    data = load_planetoid("cora")
    data.x = data.x / data.x.sum(1, keepdim=True).clamp_min(1)
    seed_everything(0)
    model = GCN(data.num_features, 16, 7, cached=True)
    groups = [{"params": model.convs[0].parameters(), "weight_decay": 5e-4},
              {"params": model.convs[1].parameters(), "weight_decay": 0.0}]
    result = train_node_classifier(model, data, epochs=60, params=groups, seed=0, progress=False)
    assert result["test_acc"] > 0.75
