"""train_link_predictor: scored by the linkpred harness, checked against sklearn; seeded; early stopping."""
import pytest
import torch

from graphlearn.linkpred import random_edge_split
from graphlearn.nn import GCN
from graphlearn.train import dot_product, seed_everything, train_link_predictor
from tests.train._tasks import planted_partition


class HadamardMLP(torch.nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.lin = torch.nn.Sequential(torch.nn.Linear(channels, channels), torch.nn.ReLU(),
                                       torch.nn.Linear(channels, 1))

    def forward(self, a, b):
        return self.lin(a * b)


def _scores(model, predictor, x, graph, pairs):
    model.eval()
    with torch.no_grad():
        h = model(x, graph)
        return predictor(h[pairs[0]], h[pairs[1]]).view(-1)  # [2, P] pairs


def test_cora_gcn_link_prediction_matches_sklearn():
    """GCN + dot product on Cora's random split: the reported test AUC is sklearn's
    ROC-AUC of the restored model's scores on the split's test positives and negatives."""
    from sklearn.metrics import roc_auc_score

    from graphlearn.datasets import load_planetoid

    data = load_planetoid("cora")
    split = random_edge_split(data, seed=0, name="cora")
    seed_everything(0)
    model = GCN(data.num_features, 64, 32, dropout=0.0)
    result = train_link_predictor(model, split, metric="auc", epochs=25, lr=0.01, seed=0, progress=False)
    assert result.monitor == "val_auc" and result.info["protocol"] == "random"
    assert result.best["val_auc"] > 0.8  # random scores give 0.5
    graph = split.train_graph()
    pos = _scores(model, dot_product, data.x, graph, split.test_pos)
    neg = _scores(model, dot_product, data.x, graph, split.test_neg)
    y = torch.cat([torch.ones_like(pos), torch.zeros_like(neg)])
    assert result.best["test_auc"] == pytest.approx(roc_auc_score(y.numpy(), torch.cat([pos, neg]).numpy()),
                                                    rel=1e-6)
    assert {"val_hits@20", "val_mrr", "val_ap"} <= set(result.history[0])


def test_same_seed_same_history_predictor_module_and_early_stopping():
    data = planted_partition(num_nodes=80, p_in=0.25)

    def run(seed, **kwargs):
        seed_everything(0)
        model = GCN(data.num_features, 16, 16, dropout=0.1)
        predictor = HadamardMLP(16)
        start = [p.detach().clone() for p in predictor.parameters()]
        options = {"epochs": 4, "batch_size": 64, **kwargs}
        result = train_link_predictor(model, data, predictor=predictor, seed=seed, progress=False, **options)
        return result, start, predictor

    a, start, predictor = run(3)
    b, _, _ = run(3)
    assert a.history == b.history
    assert run(4)[0].history != a.history  # other split, negatives, shuffling and dropout
    assert any(not torch.equal(s, p) for s, p in zip(start, predictor.parameters()))  # the predictor is trained
    assert a.monitor == "val_hits@100"  # the harness's primary metric for random negatives
    stopped = run(3, patience=2, epochs=60, lr=0.05, metric="mrr")[0]
    vals = [r["val_mrr"] for r in stopped.history]
    assert stopped.stopped_early and stopped.best_epoch == vals.index(max(vals)) + 1
    assert stopped.epochs == stopped.best_epoch + 2


@pytest.mark.filterwarnings("ignore:.*possible negatives:UserWarning")  # a 60-node graph has few candidates
def test_node_embedding_model_through_forward_and_heart_protocol():
    """A model without features (its own embedding table), evaluated with HeaRT negatives
    prepared once; num_neg negatives per positive in training."""
    data = planted_partition(num_nodes=60, p_in=0.3)
    split = random_edge_split(data, seed=1)
    seed_everything(0)
    emb = torch.nn.Embedding(60, 8)
    calls = []

    def forward(model, x, graph):
        calls.append(x)
        return model.weight

    result = train_link_predictor(emb, split, x=None, forward=forward, protocol="heart", epochs=3, num_neg=3,
                                  seed=0, progress=False)
    assert result.info["protocol"] == "heart" and result.monitor == "val_mrr"
    assert result.info["split"].neg_layout("valid") == "heart"
    assert all(x is split.x for x in calls)
    with pytest.raises(ValueError, match="no node features"):
        train_link_predictor(emb, random_edge_split(data.edge_index, data.num_nodes), epochs=1, progress=False)
    with pytest.raises(ValueError, match="num_neg"):
        train_link_predictor(emb, split, forward=forward, num_neg=0, epochs=1, progress=False)


class _SpyNCN(torch.nn.Module):
    """An NCN that records the graphs it is given."""

    def __init__(self, model):
        super().__init__()
        self.model, self.graphs = model, []

    def encode(self, x, graph):
        self.graphs.append(graph)
        return self.model.encode(x, graph)

    def score(self, h, graph, pairs):
        return self.model.score(h, graph, pairs)


def test_pair_model_with_target_link_removal_learns_and_hides_the_batch():
    """An NCN through the shared loop: each batch's positives are out of that batch's
    graph (target link removal), evaluation uses the whole training graph, and the model
    learns the planted communities (test AUC > 0.8; the common-neighbours heuristic
    gets 0.78 on this split)."""
    from graphlearn.nn import NCN

    data = planted_partition(num_nodes=150, p_in=0.3, p_out=0.01, seed=0)
    split = random_edge_split(data, val_ratio=0.1, test_ratio=0.2, seed=0)
    seed_everything(0)
    spy = _SpyNCN(NCN(data.num_features, 32, predictor_options=dict(feature_mlp=True)))
    batch = split.train_pos.size(1) // 3 + 1
    result = train_link_predictor(spy, split, metric="hits@20", epochs=15, batch_size=batch, lr=0.01, seed=0,
                                  target_link_removal=True, progress=False)
    assert result["test_auc"] > 0.8, result.best
    full = split.train_graph()
    train_keys = set(map(tuple, split.train_pos.t().tolist()))
    per_epoch = 3 + 1  # three batches, then one evaluation on the full graph
    for i, g in enumerate(spy.graphs[:per_epoch]):
        edges = set(map(tuple, torch.stack([g.row, g.col]).t().tolist()))
        if i < 3:
            hidden = train_keys - {(min(a, b), max(a, b)) for a, b in edges}
            assert len(hidden) == batch or (i == 2 and 0 < len(hidden) <= batch)
            assert g.nnz == full.nnz - 2 * len(hidden)
        else:
            assert g is full or g.nnz == full.nnz
    with pytest.raises(ValueError, match="cannot be combined with graph="):
        train_link_predictor(spy, split, epochs=1, graph=full, target_link_removal=True, progress=False)
    with pytest.raises(ValueError, match="scores pairs itself"):
        train_link_predictor(spy, split, epochs=1, predictor=dot_product, progress=False)
    with pytest.raises(TypeError, match="target_link_removal must be True or False"):
        train_link_predictor(spy, split, epochs=1, target_link_removal=1, progress=False)


def test_validation_edges_as_input_for_the_test_split():
    from graphlearn.nn import NCN

    data = planted_partition(seed=1)
    split = random_edge_split(data, val_ratio=0.1, test_ratio=0.2, seed=0)
    seed_everything(0)
    spy = _SpyNCN(NCN(data.num_features, 16))
    train_link_predictor(spy, split, epochs=1, batch_size=10**6, seed=0, valid_as_input=True, progress=False)
    sizes = sorted({g.nnz for g in spy.graphs})
    assert sizes == [split.train_graph().nnz, split.train_graph(with_valid=True).nnz]


def test_pair_model_without_features_learns_its_own_embeddings():
    """A featureless split (ogbl-ddi style) trains an NCN with one embedding per node."""
    from graphlearn.linkpred import LinkSplit
    from graphlearn.nn import NCN

    data = planted_partition(num_nodes=150, p_in=0.3, p_out=0.01, seed=0)
    split = random_edge_split(data, val_ratio=0.1, test_ratio=0.2, seed=0)
    bare = LinkSplit(split.num_nodes, split.train_pos, split.valid_pos, split.test_pos, split.valid_neg,
                     split.test_neg, info=dict(split.info)).validate()
    assert bare.x is None
    seed_everything(0)
    model = NCN(None, 16, encoder_options=dict(num_embeddings=150, conv="puresum"))
    result = train_link_predictor(model, bare, metric="auc", epochs=3, seed=0, progress=False)
    assert 0.0 <= result["test_auc"] <= 1.0 and result.epochs == 3


def test_eval_every_validates_on_its_epochs_and_the_last():
    data = planted_partition(num_nodes=80, p_in=0.25)
    seed_everything(0)
    model = GCN(data.num_features, 16, 16)
    result = train_link_predictor(model, data, epochs=7, batch_size=64, eval_every=3, seed=1, progress=False)
    validated = [r["epoch"] for r in result.history if "val_hits@100" in r]
    assert validated == [3, 6, 7] and len(result.history) == 7
    assert result.best_epoch in validated and "test_hits@100" in result.best
    every = train_link_predictor(GCN(data.num_features, 16, 16), data, epochs=2, batch_size=64, seed=1,
                                 progress=False)
    assert all("val_hits@100" in r for r in every.history)
    for bad, err in ((0, ValueError), (1.5, TypeError)):
        with pytest.raises(err, match="eval_every"):
            train_link_predictor(model, data, epochs=2, eval_every=bad, progress=False)
