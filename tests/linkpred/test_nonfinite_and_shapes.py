"""NaN scores, NaN features and wrong-shaped tensors in graphlearn.linkpred: a ValueError
(TypeError for the wrong kind of values) that names the argument and the first bad
entry. OGB's Evaluator does not check (a NaN score silently counts as a miss or a hit);
these checks are stricter."""
import pytest
import torch

from graphlearn import linkpred as L
from graphlearn.linkpred import analysis as A
from graphlearn.linkpred import metrics as M
from graphlearn.linkpred import negatives as N
from graphlearn.linkpred import splits as S

EDGES = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 0, 2], [1, 0, 2, 1, 3, 2, 4, 3, 5, 4, 2, 0]])
PAIRS = torch.tensor([[0, 1], [3, 4]])
POS, NEG = torch.tensor([0.9, 0.1, 0.5]), torch.tensor([0.2, 0.3, 0.4, 0.0])
nan, inf = float("nan"), float("inf")


def test_nan_scores_in_metrics():
    cases = [
        (ValueError, r"pos\[0\] = nan is not finite", lambda: M.hits_at_k(torch.tensor([nan, 1.0]), NEG, 2)),
        (ValueError, r"neg\[0\] = inf is not finite", lambda: M.mrr(POS, torch.tensor([inf]))),
        (ValueError, r"neg\[1, 0\] = -inf is not finite", lambda: M.ranks(POS, torch.tensor([[0.0], [-inf], [0.0]]))),
        (ValueError, r"pos\[0\] = nan", lambda: M.compute_metrics(torch.tensor([nan]), NEG)),
        (ValueError, r"pos\[0\] = nan", lambda: M.auc(torch.tensor([nan]), NEG)),
        (ValueError, r"pos must have shape \[P\], got \[3, 1\]", lambda: M.mrr(POS.view(3, 1), NEG)),
        (ValueError, "one row per positive", lambda: M.mrr(POS, torch.zeros(4, 2))),
        (ValueError, r"neg must have shape \[P\] or \[P, M\], got \[3, 2, 1\]", lambda: M.auc(POS, torch.ones(3, 2, 1))),
        (ValueError, "pos is empty", lambda: M.auc(torch.zeros(0), NEG)),
        (TypeError, "pos must hold real scores, got torch.bool", lambda: M.auc(torch.tensor([True]), NEG)),
        (TypeError, "neg must hold real scores", lambda: M.auc(POS, torch.ones(2, dtype=torch.complex64))),
        (TypeError, "pos must be a tensor or array of scores", lambda: M.auc(["a"], NEG)),
    ]
    for exc, message, call in cases:
        with pytest.raises(exc, match=message):
            call()


def test_nan_scores_from_a_scorer():
    with pytest.raises(ValueError, match=r"scorer returned nan for pairs\[0\] = \(0, 3\)"):
        L.score_pairs(lambda p: torch.full((p.size(1),), nan), PAIRS)
    with pytest.raises(ValueError, match=r"scorer returned shape \[2, 2\]"):
        L.score_pairs(lambda p: torch.zeros(p.size(1), 2), PAIRS)


def test_nan_features_and_wrong_shapes_in_heart():
    call = lambda **kw: N.heart_negatives(EDGES, PAIRS, 6, num_neg=4, progress=False, **kw)  # noqa: E731
    x = torch.rand(6, 3)
    x[2, 1] = nan
    with pytest.raises(ValueError, match=r"x\[2, 1\] = nan is not finite"):
        call(x=x)
    with pytest.raises(ValueError, match=r"x must be a \[6, F\] tensor, got \[5, 3\]"):
        call(x=torch.ones(5, 3))
    with pytest.raises(TypeError, match="x must hold real node features"):
        call(x=torch.ones(6, 3, dtype=torch.bool))
    with pytest.raises(TypeError, match=r"x must be a \[6, F\] tensor"):
        call(x=[[1.0] * 3] * 6)
    assert call(x=torch.ones(6, 3, dtype=torch.long)).shape == (2, 4)  # integer features are numbers
    with pytest.raises(ValueError, match=r"candidates must be a \[2, M\] tensor"):
        N.heart_pairs(PAIRS, torch.zeros(3, 2, dtype=torch.long))


def test_wrong_pair_tensors():
    aa = L.get_heuristic("aa", EDGES, 6)
    with pytest.raises(ValueError, match=r"pairs must have shape \[2, P\].*got \[3, 2\]"):
        aa(torch.tensor([[0, 3], [1, 4], [2, 5]]))
    with pytest.raises(TypeError, match="integer"):
        aa(PAIRS.float())
    with pytest.raises(ValueError, match=r"pairs\[1, 0\] = 7 is not a node id in \[0, 6\)"):
        L.get_heuristic("ppr", EDGES, 6)(torch.tensor([[0], [7]]))
    with pytest.raises(ValueError, match=r"train_pos must have shape \[2, P\]"):
        S.LinkSplit(6, EDGES[:, :4].t(), EDGES[:, 4:6], EDGES[:, 6:8]).validate(False)
    with pytest.raises(TypeError, match=r"x must be a \[6, F\] tensor of node features, got list"):
        S.LinkSplit(6, EDGES[:, :4], EDGES[:, 4:6], EDGES[:, 6:8], x=[[1.0]] * 6).validate(False)
    with pytest.raises(ValueError, match=r"x must have shape \[6, F\], got \[6\]"):
        S.LinkSplit(6, EDGES[:, :4], EDGES[:, 4:6], EDGES[:, 6:8], x=torch.ones(6)).validate(False)


def test_nan_per_node_values_in_analysis():
    with pytest.raises(ValueError, match=r"values\[0\] = nan is not finite"):
        A.node_average(PAIRS, torch.tensor([nan, 1.0]), 6)
    with pytest.raises(ValueError, match="values has 3 entries but there are 2 edges"):
        A.node_average(PAIRS, torch.ones(3), 6)
    with pytest.raises(TypeError, match="values must be a tensor or array of numbers"):
        A.node_average(PAIRS, ["a", "b"], 6)
    prop = torch.tensor([1.0, nan, 1, 2, 3, 4])
    with pytest.raises(ValueError, match=r"node_property\[1\] is NaN for an evaluated node"):
        A.bucket_report({"m": torch.ones(6)}, prop)
    metric = torch.ones(6)
    metric[1] = nan  # node 1 is not evaluated: its property may be anything
    assert A.bucket_report({"m": metric}, prop, bins=[0, 10])[0]["nodes"] == 5
    with pytest.raises(ValueError, match=r"node_metric\['m'\] must be a \[5\] tensor"):
        A.bucket_report({"m": torch.ones(6)}, torch.ones(5))
    with pytest.raises(ValueError, match="bins='log2' needs finite values"):
        A.bucketize(torch.tensor([1.0, inf]), "log2")
