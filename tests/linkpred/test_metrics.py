"""Metrics against OGB's Evaluator and scikit-learn on scores with many ties."""
import numpy as np
import pytest
import torch
from ogb.linkproppred import Evaluator
from sklearn.metrics import average_precision_score, roc_auc_score

from graphlearn.linkpred import (auc, average_precision, compute_metrics, hits_at_k, hits_per_positive, mrr, ranks,
                                 reciprocal_ranks)


def tied_scores(n, levels, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, levels, (n,), generator=g).to(dtype) / levels


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name,k", [("ogbl-ddi", 20), ("ogbl-collab", 50), ("ogbl-ppa", 100)])
def test_hits_equal_ogb_shared_negatives(seed, name, k):
    ev = Evaluator(name=name)
    for levels in (3, 10, 1000):
        pos, neg = tied_scores(500, levels, seed), tied_scores(300, levels, seed + 100)
        ref = ev.eval({"y_pred_pos": pos, "y_pred_neg": neg})[f"hits@{k}"]
        assert hits_at_k(pos, neg, k) == ref
        # numpy input path of OGB gives the same number, and so do we
        assert hits_at_k(pos.numpy(), neg.numpy(), k) == ev.eval({"y_pred_pos": pos.numpy(),
                                                                  "y_pred_neg": neg.numpy()})[f"hits@{k}"]


@pytest.mark.parametrize("k", [1, 5, 20, 300, 301, 1000])
def test_hits_any_k_matches_ogb_rule(k):
    ev = Evaluator(name="ogbl-collab")
    ev.K = k
    pos, neg = tied_scores(400, 7, 1), tied_scores(300, 7, 2)
    assert hits_at_k(pos, neg, k) == ev.eval({"y_pred_pos": pos, "y_pred_neg": neg})[f"hits@{k}"]


def test_tie_with_kth_negative_is_a_miss():
    neg = torch.tensor([5.0, 4.0, 3.0])
    assert hits_at_k(torch.tensor([4.0]), neg, 2) == 0.0
    assert hits_at_k(torch.tensor([4.5]), neg, 2) == 1.0
    assert hits_at_k(torch.tensor([0.0]), neg, 4) == 1.0  # fewer than K negatives: OGB counts a hit


@pytest.mark.parametrize("seed", range(3))
def test_mrr_and_hits_equal_ogb_citation2(seed):
    ev = Evaluator(name="ogbl-citation2")
    g = torch.Generator().manual_seed(seed)
    pos = torch.randint(0, 5, (700,), generator=g).float()
    neg = torch.randint(0, 5, (700, 40), generator=g).float()
    ref = ev.eval({"y_pred_pos": pos, "y_pred_neg": neg})
    assert abs(mrr(pos, neg) - ref["mrr_list"].double().mean().item()) < 1e-6
    for k in (1, 3, 10):
        assert hits_at_k(pos, neg, k) == pytest.approx(ref[f"hits@{k}_list"].double().mean().item(), abs=0, rel=0)
    torch.testing.assert_close(reciprocal_ranks(pos, neg).float(), ref["mrr_list"])


def test_ranks_methods_brute_force():
    pos = torch.tensor([1.0, 2.0, 0.5])
    neg = torch.tensor([[2.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.5, 0.5, 3.0, 0.1]])
    assert ranks(pos, neg, "optimistic").tolist() == [2.0, 1.0, 2.0]
    assert ranks(pos, neg, "pessimistic").tolist() == [4.0, 1.0, 4.0]
    assert ranks(pos, neg).tolist() == [3.0, 1.0, 3.0]
    shared = torch.tensor([2.0, 1.0, 1.0, 0.0])
    assert ranks(pos, shared).tolist() == [3.0, 1.5, 4.0]  # 2.0 ties with the top negative
    assert mrr(pos, shared) == pytest.approx((1 / 3 + 1 / 1.5 + 1 / 4) / 3)


@pytest.mark.parametrize("seed", range(3))
def test_auc_ap_equal_sklearn(seed):
    for levels in (2, 5, 10**6):
        pos, neg = tied_scores(300, levels, seed, torch.float64), tied_scores(500, levels, seed + 9, torch.float64)
        y = np.r_[np.ones(300), np.zeros(500)]
        s = np.r_[pos.numpy(), neg.numpy()]
        assert auc(pos, neg) == pytest.approx(roc_auc_score(y, s), rel=1e-12)
        assert average_precision(pos, neg) == pytest.approx(average_precision_score(y, s), rel=1e-12)
    # per-positive negatives are pooled
    neg2 = tied_scores(300 * 4, 6, seed + 3, torch.float64).view(300, 4)
    y = np.r_[np.ones(300), np.zeros(1200)]
    s = np.r_[pos.numpy(), neg2.reshape(-1).numpy()]
    assert auc(pos, neg2) == pytest.approx(roc_auc_score(y, s), rel=1e-12)
    assert average_precision(pos, neg2) == pytest.approx(average_precision_score(y, s), rel=1e-12)


def test_compute_metrics_consistent():
    pos, neg = tied_scores(200, 9, 0), tied_scores(150, 9, 1)
    m = compute_metrics(pos, neg, ks=(1, 20))
    assert m["hits@20"] == hits_at_k(pos, neg, 20) and m["mrr"] == mrr(pos, neg)
    assert set(m) == {"hits@1", "hits@20", "mrr", "auc", "ap"}
    assert hits_per_positive(pos, neg, 20).mean().item() == pytest.approx(m["hits@20"])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_scores_raise(bad):
    pos, neg = torch.rand(10), torch.rand(10)
    pos[3] = bad
    with pytest.raises(ValueError, match=r"pos\[3\].*not finite"):
        hits_at_k(pos, neg, 5)
    neg2 = torch.rand(10, 4)
    neg2[2, 1] = bad
    with pytest.raises(ValueError, match=r"neg\[2, 1\]"):
        mrr(torch.rand(10), neg2)
    with pytest.raises(ValueError, match="not finite"):
        auc(torch.rand(10), neg2)


def test_bad_shapes_and_k():
    with pytest.raises(ValueError, match="one row per positive"):
        mrr(torch.rand(5), torch.rand(4, 3))
    with pytest.raises(ValueError, match="pos must have shape"):
        hits_at_k(torch.rand(5, 2), torch.rand(3), 1)
    with pytest.raises(ValueError, match="empty"):
        hits_at_k(torch.rand(0), torch.rand(3), 1)
    with pytest.raises(ValueError, match="k must be an integer >= 1, got 0"):
        hits_at_k(torch.rand(5), torch.rand(3), 0)
    with pytest.raises(TypeError):
        hits_at_k(torch.rand(5) > 0.5, torch.rand(3), 1)
