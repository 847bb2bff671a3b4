"""Scalar arguments of graphlearn.linkpred: one rule (graphlearn._validate) everywhere.

Integers accept Python ints, NumPy integers and 0-d tensors and refuse floats (3.0
included) and bools with a TypeError naming the argument; out-of-range values give a
ValueError stating the range; seeds lie in [0, 2**63 - 1]; ratios, alpha, beta are
finite numbers in their interval. Everything is checked before any work.
"""
import sys

import numpy as np
import pytest
import torch

from graphlearn import linkpred as L
from graphlearn.linkpred import analysis as A
from graphlearn.linkpred import heuristics as H
from graphlearn.linkpred import metrics as M
from graphlearn.linkpred import negatives as N
from graphlearn.linkpred import splits as S
from graphlearn.linkpred._utils import MAX_NODES

EDGES = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 0, 2], [1, 0, 2, 1, 3, 2, 4, 3, 5, 4, 2, 0]])
PAIRS = torch.tensor([[0, 1], [3, 4]])
POS, NEG = torch.tensor([0.9, 0.1, 0.5]), torch.tensor([0.2, 0.3, 0.4, 0.0])
NOT_INTEGERS = (3.7, 3.0, True, np.float64(2.0), torch.tensor(2.0), "2")


def _data(n=30, e=120, seed=0):
    from torch_geometric.data import Data

    g = torch.Generator().manual_seed(seed)
    return Data(edge_index=torch.randint(0, n, (2, e), generator=g), num_nodes=n)


def _integer(call, name, ok=(np.int64(2), np.int32(2), torch.tensor(2)), bad=()):
    for v in ok:
        call(v)
    for v in NOT_INTEGERS:
        with pytest.raises(TypeError, match=f"{name} must be an integer"):
            call(v)
    for v, rng in bad:
        with pytest.raises(ValueError, match=rf"{name} must be an integer{rng}, got {v}"):
            call(v)


def _seed(call, name="seed"):
    _integer(call, name, bad=[(v, r" in \[0, 9223372036854775807\]") for v in (-1, 2**63, 2**64)])


def test_metrics_k_and_names():
    _integer(lambda k: M.hits_at_k(POS, NEG, k), "k", bad=[(0, " >= 1"), (-1, " >= 1")])
    assert M.hits_at_k(POS, NEG, 2**64) == 1.0  # more than the negatives: every positive is a hit (OGB)
    assert M.hits_at_k(POS, NEG, np.int64(2)) == M.hits_at_k(POS, NEG, torch.tensor(2)) == M.hits_at_k(POS, NEG, 2)
    with pytest.raises(TypeError, match=r"ks must be a sequence of integers >= 1 .*got 20 \(int\)"):
        M.compute_metrics(POS, NEG, ks=20)
    with pytest.raises(TypeError, match=r"ks\[1\] must be an integer >= 1, got 3.0"):
        M.compute_metrics(POS, NEG, ks=[1, 3.0])
    assert M.compute_metrics(POS, NEG, ks=np.array([1, 3])) == M.compute_metrics(POS, NEG, ks=(1, 3))
    for bad in (5, [], "best"):
        with pytest.raises(ValueError, match="method must be one of 'average', 'optimistic', 'pessimistic'"):
            M.ranks(POS, NEG, method=bad)


def test_random_negatives_scalar_arguments():
    def call(**kw):
        kw = {"num_nodes": 6, "num": 3, **kw}
        return N.random_negatives(EDGES, kw.pop("num_nodes"), kw.pop("num"), **kw)

    _integer(lambda v: call(num=v), "num", bad=[(-1, " >= 0")])
    edge = torch.tensor([[0], [1]])  # fits a graph of 2 nodes
    _integer(lambda v: N.random_negatives(edge, v, 0), "num_nodes",
             bad=[(0, rf" in \[1, {MAX_NODES}\]"), (2**40, rf" in \[1, {MAX_NODES}\]")])
    _seed(lambda v: call(seed=v))
    _integer(lambda v: call(max_rounds=v), "max_rounds", bad=[(0, " >= 1")])
    with pytest.raises(ValueError, match="cannot draw 9223372036854775808 distinct negatives"):
        call(num=2**63)
    empty = call(num=0)  # used to fail inside torch.cat
    assert empty.shape == (2, 0) and empty.dtype == torch.long
    assert torch.equal(call(seed=np.int64(5)), call(seed=5)) and torch.equal(call(seed=torch.tensor(5)), call(seed=5))
    call(seed=2**63 - 1)


def test_heart_scalar_arguments():
    def call(**kw):
        return N.heart_negatives(EDGES, PAIRS, 6, **{"num_neg": 4, "progress": False, **kw})

    _integer(lambda v: call(num_neg=v), "num_neg", bad=[(1, " >= 2"), (-2, " >= 2")])
    _seed(lambda v: call(seed=v))
    for bad in (0, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"ppr_alpha must be a .*number in \(0, 1\]"):
            call(ppr_alpha=bad)
    with pytest.raises(TypeError, match="ppr_alpha must be a number"):
        call(ppr_alpha="0.1")
    with pytest.raises(ValueError, match=r"ppr_tol must be a number > 0"):
        call(ppr_tol=0)
    _integer(lambda v: call(batch_size=v), "batch_size", bad=[(0, " >= 1"), (-1, " >= 1")])
    with pytest.raises(ValueError, match="agg must be one of 'min', 'mean'"):
        call(agg="max")
    with pytest.raises(ValueError, match="ppr_dtype must be one of"):
        call(ppr_dtype=torch.float16)
    with pytest.raises(TypeError, match="num_nodes must be an integer"):
        N.heart_negatives(EDGES, PAIRS, 6.0, num_neg=4, progress=False)
    with pytest.raises(TypeError, match="heuristics must be a sequence of names"):
        call(heuristics="ra")
    assert torch.equal(call(num_neg=np.int64(4), seed=np.int64(3), batch_size=torch.tensor(2)), call(seed=3))


def test_heart_huge_num_neg_is_a_memory_error(monkeypatch):
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", str(2**32))
    with pytest.raises(MemoryError, match="heart_negatives: 1099511627776 candidates for each of the 2 positives"):
        N.heart_negatives(EDGES, PAIRS, 6, num_neg=2**40, progress=False)


def test_heart_pairs_num_source():
    cand = torch.tensor([[2, 3], [0, 5]])
    _integer(lambda v: N.heart_pairs(PAIRS, cand, v), "num_source", ok=(np.int64(1), torch.tensor(1)),
             bad=[(-1, r" in \[0, 2\]"), (3, r" in \[0, 2\]")])
    with pytest.raises(TypeError, match="candidates must hold integer node ids"):
        N.heart_pairs(PAIRS, cand.float())


def test_heuristic_parameters():
    for bad in (0, 1.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"alpha \(restart probability\) must be a .*number in \(0, 1\]"):
            H.get_heuristic("ppr", EDGES, 6, alpha=bad)
    for bad in ("x", True):
        with pytest.raises(TypeError, match=r"alpha \(restart probability\) must be a number"):
            H.get_heuristic("ppr", EDGES, 6, alpha=bad)
    for bad in (0, float("nan")):
        with pytest.raises(ValueError, match="tol must be a"):
            H.get_heuristic("ppr", EDGES, 6, tol=bad)
    _integer(lambda v: H.get_heuristic("ppr", EDGES, 6, max_iter=v), "max_iter", bad=[(0, " >= 1")])
    for bad in (0, -1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="beta must be a"):
            H.get_heuristic("katz", EDGES, 6, beta=bad)
    _integer(lambda v: H.get_heuristic("katz", EDGES, 6, max_length=v), "max_length", bad=[(0, " >= 1")])
    _integer(lambda v: H.get_heuristic("cn", EDGES, 6, batch_size=v), "batch_size", bad=[(0, " >= 1"), (-1, " >= 1")])
    with pytest.raises(TypeError, match="num_nodes must be an integer"):
        H.get_heuristic("cn", EDGES, 6.0)
    same = H.get_heuristic("ppr", EDGES, 6, alpha=0.2)(PAIRS)
    assert torch.equal(H.get_heuristic("ppr", EDGES, 6, alpha=np.float64(0.2))(PAIRS), same)


def test_katz_long_walks_stop_when_the_terms_vanish():
    """beta**l underflows to 0 after a few hundred steps: a huge max_length returns at
    once, with the same scores as the longest length that still counts."""
    g = _data(40, 200)
    pairs = torch.tensor([[0, 1, 2, 3], [4, 5, 6, 7]])
    long = H.get_heuristic("katz", g, beta=0.005, max_length=10**9)(pairs)
    assert torch.equal(long, H.get_heuristic("katz", g, beta=0.005, max_length=200)(pairs))
    with pytest.raises(ValueError, match="Katz scores overflow float64 with beta=2.0 and max_length=5000"):
        H.get_heuristic("katz", g, beta=2.0, max_length=5000)(pairs)


def test_split_scalar_arguments():
    data = _data()
    for name in ("val_ratio", "test_ratio"):
        for bad in (float("nan"), 1.0, -0.1, float("inf")):
            with pytest.raises(ValueError, match=rf"{name} must be a .*number in \[0, 1\)"):
                S.random_edge_split(data, **{name: bad})
        for bad in ("0.1", True):
            with pytest.raises(TypeError, match=f"{name} must be a number"):
                S.random_edge_split(data, **{name: bad})
    _integer(lambda v: S.random_edge_split(data, num_neg=v), "num_neg", bad=[(-1, " >= 0")])
    _seed(lambda v: S.random_edge_split(data, seed=v))
    with pytest.raises(TypeError, match="num_nodes must be an integer"):
        S.random_edge_split(data.edge_index, 30.0)
    a = S.random_edge_split(data, seed=3, val_ratio=0.1)
    b = S.random_edge_split(data, seed=np.int64(3), val_ratio=np.float64(0.1))
    assert all(torch.equal(getattr(a, f), getattr(b, f)) for f in ("train_pos", "valid_pos", "test_neg"))
    top = S.random_edge_split(data, seed=2**63 - 1)  # its derived negative seeds used to overflow
    assert top.valid_neg.size(1) == top.valid_pos.size(1)
    t = torch.arange(data.edge_index.size(1), dtype=torch.float64)
    with pytest.raises(ValueError, match="val_time must be a finite number"):
        S.temporal_edge_split(data.edge_index, t, 30, val_time=float("nan"), test_time=100.0)
    with pytest.raises(ValueError, match=r"test_ratio must be a number in \[0, 1\)"):
        S.temporal_edge_split(data.edge_index, t, 30, test_ratio=1.5)
    _seed(lambda v: S.temporal_edge_split(data.edge_index, t, 30, seed=v))
    edge_split = a.get_edge_split()
    assert S.from_edge_split(edge_split, np.int64(30)).num_nodes == 30
    for bad in (30.0, True):
        with pytest.raises(TypeError, match="num_nodes must be an integer"):
            S.from_edge_split(edge_split, bad)
    with pytest.raises(ValueError, match=rf"num_nodes must be an integer in \[1, {MAX_NODES}\], got 0"):
        S.from_edge_split(edge_split, 0)
    assert S.LinkSplit(torch.tensor(6), EDGES[:, :4], EDGES[:, 4:6], EDGES[:, 6:8]).validate(False).num_nodes == 6


def test_derived_seeds_unchanged():
    """Seeds derived per split (seed * 2 + 1 + i) give the same negatives as before the
    wrap into the generator range: the values a user got stay the same."""
    data = _data()
    split = S.random_edge_split(data, seed=7)
    all_edges = torch.cat([split.train_pos, split.valid_pos, split.test_pos], 1)
    want = N.random_negatives(all_edges, 30, split.valid_pos.size(1), seed=15)
    assert torch.equal(split.valid_neg, want)


def test_evaluate_checks_every_argument_before_loading(monkeypatch):
    def no_loading(*args, **kwargs):
        raise AssertionError("the dataset was loaded before the arguments were checked")

    monkeypatch.setattr(sys.modules["graphlearn.linkpred.evaluate"], "as_link_split", no_loading)
    ev = lambda **kw: L.evaluate("cn", "cora", "random", progress=False, **kw)  # noqa: E731
    _seed_bad = [(-1, "seed"), (2**63, "seed"), (2**64, "seed")]
    for v, name in _seed_bad:
        with pytest.raises(ValueError, match=rf"{name} must be an integer in \[0, 9223372036854775807\]"):
            ev(seed=v)
    cases = [(dict(seed=3.7), TypeError, "seed must be an integer"),
             (dict(num_neg=0), ValueError, "num_neg must be an integer >= 1, got 0"),
             (dict(num_neg=2.0), TypeError, "num_neg must be an integer"),
             (dict(batch_size=0), ValueError, "batch_size must be an integer >= 1, got 0"),
             (dict(batch_size=-1), ValueError, "batch_size must be an integer >= 1, got -1"),
             (dict(batch_size=0, validate=False), ValueError, "batch_size must be an integer >= 1"),
             (dict(val_ratio=2), ValueError, r"val_ratio must be a number in \[0, 1\)"),
             (dict(analysis=("degree",), analysis_k=0), ValueError, "analysis_k must be an integer >= 1"),
             (dict(analysis=("tc",), tc_hops=0), ValueError, "tc_hops must be an integer >= 1"),
             (dict(ks=[0]), ValueError, r"ks\[0\] must be an integer >= 1"),
             (dict(ks=20), TypeError, "ks must be a sequence of integers"),
             (dict(ks=()), ValueError, "ks must hold at least one"),
             (dict(splits="valid"), TypeError, "splits must be a sequence of names"),
             (dict(splits=("train",)), ValueError, "splits entries must be one of 'valid', 'test'"),
             (dict(analysis="degree"), TypeError, "analysis must be a sequence of names"),
             (dict(scorer_kwargs=[1]), TypeError, "scorer_kwargs must be a dict")]
    for kw, exc, message in cases:
        with pytest.raises(exc, match=message):
            ev(**kw)
    with pytest.raises(ValueError, match="num_neg must be an integer >= 2, got 1"):
        L.evaluate("cn", "cora", "heart", num_neg=1, progress=False)
    with pytest.raises(ValueError, match="protocol must be one of 'ogb', 'heart', 'random'"):
        L.evaluate("cn", "cora", "nope", progress=False)


def test_evaluate_accepts_numpy_and_tensor_scalars():
    data = _data()
    a = L.evaluate("cn", data, "random", seed=2, ks=(10,), num_neg=20, batch_size=7, progress=False)
    b = L.evaluate("cn", data, "random", seed=np.int64(2), ks=np.array([10]), num_neg=torch.tensor(20),
                   batch_size=np.int32(7), progress=False)
    assert a.metrics == b.metrics and b.seed == 2 and type(b.seed) is int


def test_score_pairs_batch_size():
    scorer = lambda p: torch.zeros(p.size(1))  # noqa: E731
    _integer(lambda v: L.score_pairs(scorer, PAIRS, batch_size=v), "batch_size", bad=[(0, " >= 1"), (-1, " >= 1")])


def test_analysis_scalar_arguments():
    tc = lambda **kw: A.topological_concentration(EDGES, PAIRS, 6, **kw)  # noqa: E731
    _integer(lambda v: tc(k=v), "k", bad=[(0, " >= 1")])
    with pytest.raises(ValueError, match="beta must be a finite number"):
        tc(k=2, beta=float("nan"))
    _integer(lambda v: tc(batch_size=v), "batch_size", bad=[(0, " >= 1")])
    with pytest.raises(TypeError, match="num_nodes must be an integer"):
        A.topological_concentration(EDGES, PAIRS, 6.0)
    with pytest.raises(ValueError, match="normalize must be one of 'union', 'source'"):
        tc(normalize="x")
    atc = lambda **kw: A.approx_topological_concentration(EDGES, PAIRS, 6, **kw)  # noqa: E731
    _integer(lambda v: atc(k=v), "k", bad=[(0, " >= 1")])
    _integer(lambda v: atc(dim=v), "dim", bad=[(0, " >= 1")])
    _seed(lambda v: atc(seed=v))
    _integer(lambda v: A.bucketize(torch.rand(10), num_buckets=v), "num_buckets", bad=[(0, " >= 1")])
    with pytest.raises(ValueError, match=r"bins\[1\] must be a finite number, got nan"):
        A.bucketize(torch.rand(10), bins=[0, float("nan")])
    assert A.bucketize(torch.rand(10), bins=[float("-inf"), 0.5, float("inf")]).numel() == 3
    with pytest.raises(ValueError, match="bins must be one of 'quantile', 'log2'"):
        A.bucketize(torch.rand(10), bins="linear")
    with pytest.raises(ValueError, match="endpoints must be one of 'both', 'source'"):
        A.node_average(PAIRS, torch.ones(2), 6, endpoints="x")


def test_tc_hops_beyond_the_farthest_node_cost_nothing():
    """Hops past the farthest node are empty: k = 10**6 equals k = N, at once."""
    g = _data(25, 40, seed=4)
    edges = torch.tensor([[0, 1, 2, 3, 5], [7, 9, 11, 13, 20]])
    assert torch.equal(A.topological_concentration(g, edges, 25, k=10**6).nan_to_num(-1),
                       A.topological_concentration(g, edges, 25, k=25).nan_to_num(-1))
