"""The embedding quality checks: DeepWalk's node-classification protocol against a
plain scikit-learn rendering of it, the held-out edge split and the link AUC."""
import numpy as np
import pytest
import torch

from graphlearn.embed.evaluate import link_prediction_auc, node_classification_f1, split_edges_for_auc


def _multilabel(n=300, c=5, d=8, seed=0, signal=3.0):
    rng = np.random.default_rng(seed)
    y = (rng.random((n, c)) < 0.3).astype(np.int8)
    y[np.arange(n), rng.integers(0, c, n)] = 1  # every node has a label
    centers = rng.normal(size=(c, d))
    x = signal * (y @ centers) / y.sum(1, keepdims=True) + rng.normal(size=(n, d))
    return x, y


def test_f1_matches_plain_sklearn_protocol():
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.multiclass import OneVsRestClassifier

    x, y = _multilabel()
    got = node_classification_f1(x, y, train_ratios=(0.3,), shuffles=2, seed=4, C=0.5)["0.3"]
    rng = np.random.default_rng(4)
    micro, macro = [], []
    for order in [rng.permutation(len(y)) for _ in range(2)]:
        tr, te = order[:90], order[90:]
        clf = OneVsRestClassifier(LogisticRegression(C=0.5, solver="liblinear")).fit(x[tr], y[tr])
        proba = clf.predict_proba(x[te])
        pred = np.zeros_like(y[te])
        for r in range(te.size):  # each node's k most probable labels, k = its true count
            k = int(y[te][r].sum())
            pred[r, np.argsort(-proba[r], kind="stable")[:k]] = 1
        micro.append(f1_score(y[te], pred, average="micro"))
        macro.append(f1_score(y[te], pred, average="macro", zero_division=0))
    assert got["micro_f1"] == pytest.approx(np.mean(micro), abs=1e-12)
    assert got["macro_f1"] == pytest.approx(np.mean(macro), abs=1e-12)
    assert got["macro_f1_std"] == pytest.approx(np.std(macro), abs=1e-12)


def test_f1_separates_signal_from_noise():
    x, y = _multilabel(signal=6.0)
    good = node_classification_f1(x, y, train_ratios=(0.5,), shuffles=2)["0.5"]
    noise = node_classification_f1(np.random.default_rng(1).normal(size=x.shape), y, train_ratios=(0.5,),
                                   shuffles=2)["0.5"]
    assert good["micro_f1"] > 0.8 and noise["micro_f1"] < 0.6


def test_f1_class_ids_and_unlabelled_nodes():
    rng = np.random.default_rng(0)
    cls = rng.integers(0, 3, 200)
    x = np.eye(3)[cls] * 4 + rng.normal(size=(200, 3))
    ids = node_classification_f1(x, cls, train_ratios=(0.5,), shuffles=1)["0.5"]
    onehot = node_classification_f1(x, np.eye(3)[cls], train_ratios=(0.5,), shuffles=1)["0.5"]
    assert ids == onehot and ids["micro_f1"] > 0.9
    y = np.eye(3)[cls]
    y[:20] = 0  # unlabelled nodes are dropped, not scored as empty predictions
    x_noise = x.copy()
    x_noise[:20] = 1e3
    kept = node_classification_f1(x_noise, y, train_ratios=(0.5,), shuffles=1)["0.5"]
    assert kept["micro_f1"] > 0.9


def test_f1_bad_input():
    x, y = _multilabel(n=50)
    with pytest.raises(ValueError, match="same number of rows"):
        node_classification_f1(x[:-1], y)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        node_classification_f1(bad, y)
    with pytest.raises(ValueError, match="train ratios"):
        node_classification_f1(x, y, train_ratios=(1.0,))
    with pytest.raises(ValueError, match="class ids must be >= 0"):
        node_classification_f1(x, -np.ones(50, dtype=np.int64))


def test_split_edges_for_auc():
    g = torch.Generator().manual_seed(0)
    ei = torch.randint(0, 80, (2, 600), generator=g)
    train, pos, neg = split_edges_for_auc(torch.cat([ei, ei.flip(0)], 1), 80, test_ratio=0.25, seed=3)
    key = lambda p: set(zip(torch.minimum(p[0], p[1]).tolist(), torch.maximum(p[0], p[1]).tolist()))
    full = {k for k in key(ei) if k[0] != k[1]}
    tr, te, ng = key(train), key(pos), key(neg)
    assert tr | te == full and not tr & te
    assert len(te) == pos.size(1) == neg.size(1) == int(0.25 * len(full))
    assert not ng & full and len(ng) == neg.size(1) and all(u != v for u, v in ng)
    assert train.size(1) == 2 * len(tr)  # both directions
    again = split_edges_for_auc(ei, 80, test_ratio=0.25, seed=3)
    assert all(torch.equal(a, b) for a, b in zip(again, (train, pos, neg)))
    with pytest.raises(ValueError, match="test_ratio"):
        split_edges_for_auc(ei, 80, test_ratio=0.0)
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        split_edges_for_auc(ei.t(), 80)


def test_link_prediction_auc():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 4))
    pos = rng.integers(0, 30, (2, 40))
    neg = rng.integers(0, 30, (2, 40))
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    cos = lambda p: (xn[p[0]] * xn[p[1]]).sum(1)
    want = roc_auc_score(np.r_[np.ones(40), np.zeros(40)], np.r_[cos(pos), cos(neg)])
    assert link_prediction_auc(x, pos, neg) == pytest.approx(want)
    assert link_prediction_auc(x, torch.from_numpy(pos), torch.from_numpy(neg)) == pytest.approx(want)
    same = np.stack([np.arange(10), np.arange(10)])  # a node with itself: cosine 1
    assert link_prediction_auc(x, same, neg[:, neg[0] != neg[1]]) == pytest.approx(1.0)
    assert link_prediction_auc(x, (pos[0], pos[1]), neg) == pytest.approx(want)
    with pytest.raises(ValueError, match=r"test_pos\[0, 0\] = \d+ is not a node id in \[0, 30\)"):
        link_prediction_auc(x, pos + 30, neg)
    with pytest.raises(ValueError, match=r"test_neg must have shape \[2, P\] .*got \[40, 2\]; for \[P, 2\] pairs pass"):
        link_prediction_auc(x, pos, neg.T)
    with pytest.raises(ValueError, match="test_neg is empty"):
        link_prediction_auc(x, pos, neg[:, :0])
    with pytest.raises(ValueError, match="score"):
        link_prediction_auc(x, pos, neg, score="l1")


def test_evaluation_parameters_are_checked():
    """Issue 11, class 5: seeds and counts are integers in range, never truncated."""
    import pytest

    from graphlearn.embed.evaluate import node_classification_f1, split_edges_for_auc

    x, y = np.random.default_rng(0).random((20, 4)), np.arange(20) % 2
    for kwargs, err, pattern in [(dict(shuffles=1.5), TypeError, "shuffles must be an integer"),
                                 (dict(seed=2**64), ValueError, r"seed must be an integer in \[0, "),
                                 (dict(C=0.0), ValueError, r"C must be a number > 0.0, got 0.0"),
                                 (dict(train_ratios=[float("nan")]), ValueError, r"train_ratios\[0\]")]:
        with pytest.raises(err, match=pattern):
            node_classification_f1(x, y, **kwargs)
    ring = np.stack([np.arange(10), (np.arange(10) + 1) % 10])
    with pytest.raises(TypeError, match="seed must be an integer"):
        split_edges_for_auc(ring, 10, seed=0.5)
    with pytest.raises(ValueError, match=r"test_ratio must be a number in \(0.0, 1.0\)"):
        split_edges_for_auc(ring, 10, test_ratio=1.0)
    assert split_edges_for_auc(ring, np.int64(10), seed=np.int64(1))[1].shape[0] == 2
