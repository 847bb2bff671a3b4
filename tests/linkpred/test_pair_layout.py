"""One pair layout: every public linkpred function that takes node pairs reads them with
graphlearn.sparse.as_pairs, so it accepts [2, P] tensors/arrays and (src, dst) tuples, and
rejects [P, 2] with one message that names the shape it got."""
import re

import pytest
import torch
from torch_geometric.data import Data

from graphlearn.datasets import power_law_graph
from graphlearn.linkpred import (HEURISTICS, LinkSplit, approx_topological_concentration, get_heuristic,
                                 heart_negatives, heart_pairs, node_average, random_edge_split, random_negatives,
                                 score_pairs, temporal_edge_split, topological_concentration)

N = 30


def rejects_pairs_t(name, shape):
    """The as_pairs message for a [P, 2] argument called `name`."""
    return re.escape(f"{name} must have shape [2, P] (the edge_index layout), got {list(shape)}; "
                     f"for [P, 2] pairs pass pairs.t()")


@pytest.fixture(scope="module")
def graph():
    train = random_edge_split(Data(edge_index=power_law_graph(N, 120, seed=1), num_nodes=N), seed=0)
    pairs = torch.tensor([[0, 1, 2, 3, 4], [5, 7, 9, 11, 13]])  # [2, 5]: (0, 5), (1, 7), ...
    return train.train_pos, pairs


def _calls(train, pairs):
    """(argument name in the message, function of the pairs) for every public pair argument."""
    n = N
    yield "pairs", lambda p: get_heuristic("adamic_adar", train, n)(p)
    yield "pairs", lambda p: score_pairs(get_heuristic("cn", train, n), p)
    yield "edges", lambda p: random_negatives(p, n, 4, seed=0)
    yield "exclude[0]", lambda p: random_negatives(train, n, 4, seed=0, exclude=[p])
    yield "pos", lambda p: heart_pairs(p, torch.zeros(5, 4, dtype=torch.long))
    yield "pos", lambda p: heart_negatives(train, p, n, num_neg=4, progress=False)
    yield "exclude[0]", lambda p: heart_negatives(train, pairs, n, num_neg=4, exclude=[p], progress=False)
    yield "edges", lambda p: node_average(p, torch.ones(5), n)
    yield "edges", lambda p: topological_concentration(train, p, n)
    yield "edges", lambda p: approx_topological_concentration(train, p, n, dim=8)
    yield "edge_index", lambda p: random_edge_split(p, n, val_ratio=0.2, test_ratio=0.2)
    yield "edge_index", lambda p: temporal_edge_split(p, torch.arange(5), n, val_time=2, test_time=4)
    yield "data.edge_index", lambda p: random_edge_split(Data(edge_index=p, num_nodes=n), val_ratio=0.2,
                                                         test_ratio=0.2)
    for field in ("train_pos", "valid_pos", "test_pos", "valid_neg"):
        def build(p, field=field):
            parts = {"train_pos": train, "valid_pos": pairs[:, :1], "test_pos": pairs[:, 1:2],
                     "valid_neg": pairs[:, 2:]}
            parts[field] = p
            return LinkSplit(n, parts["train_pos"], parts["valid_pos"], parts["test_pos"],
                             parts["valid_neg"]).validate(check_overlap=False)
        yield field, build


def test_every_pair_argument_rejects_p_by_2(graph):
    train, pairs = graph
    calls = list(_calls(train, pairs))
    assert len(calls) == 17
    for name, fn in calls:
        with pytest.raises(ValueError, match=rejects_pairs_t(name, [5, 2])):
            fn(pairs.t().contiguous())


def test_every_pair_argument_accepts_2_by_p_and_tuples(graph):
    train, pairs = graph
    for name, fn in _calls(train, pairs):
        a = fn(pairs)
        b = fn((pairs[0], pairs[1]))
        c = fn(pairs.numpy())
        for other in (b, c):
            if isinstance(a, torch.Tensor):
                torch.testing.assert_close(a, other, equal_nan=True)
            elif isinstance(a, LinkSplit):
                for f in ("train_pos", "valid_pos", "test_pos", "valid_neg"):
                    assert torch.equal(getattr(a, f), getattr(other, f)), (name, f)
                    assert getattr(a, f).size(0) == 2


def test_outputs_are_2_by_p(graph):
    train, pairs = graph
    assert random_negatives(train, N, 6, seed=1).shape == (2, 6)
    split = random_edge_split(train, N, val_ratio=0.2, test_ratio=0.2)
    assert split.train_pos.size(0) == split.valid_pos.size(0) == split.test_pos.size(0) == 2
    assert split.valid_neg.shape == (2, split.valid_pos.size(1)) and split.neg_layout("valid") == "shared"
    assert split.negative_pairs("valid").shape == (2, split.valid_pos.size(1))
    cand = heart_negatives(train, pairs, N, num_neg=4, progress=False)
    assert cand.shape == (5, 4) and heart_pairs(pairs, cand).shape == (2, 5, 4)


def test_graph_arguments_follow_the_graph_contract(graph):
    """Graphs (not pairs) go through as_csr: [E, 2] is rejected there too, naming the shape."""
    train, pairs = graph
    bad = train.t().contiguous()
    msg = re.escape(f"graph: an edge_index must have shape [2, E], got {list(bad.shape)}; pass edge_index.t()")
    for name in HEURISTICS:
        with pytest.raises(ValueError, match=msg):
            get_heuristic(name, bad, N)
    with pytest.raises(ValueError, match=msg):
        heart_negatives(bad, pairs, N, num_neg=4, progress=False)
    with pytest.raises(ValueError, match=msg):  # also when the node count is inferred
        heart_negatives(bad, pairs, num_neg=4, progress=False)
    with pytest.raises(ValueError, match=msg):
        get_heuristic("cn", bad)
    assert get_heuristic("cn", train).num_nodes_ == int(train.max()) + 1


def test_per_positive_negatives_are_2_by_p_by_m(graph):
    train, pairs = graph
    split = LinkSplit(N, train, pairs[:, :1], pairs[:, 1:3])
    per_pos = torch.stack([pairs[0, 1:3].view(-1, 1).expand(-1, 4),
                           torch.tensor([[20, 21, 22, 23], [24, 25, 26, 27]])])  # (source of p, other)
    split.test_neg = per_pos  # [2, P, M]
    split.validate(check_overlap=False)
    assert split.neg_layout("test") == "pairs"
    assert split.negative_keys("test").shape == (2, 4)
    with pytest.raises(ValueError, match=re.escape("test_neg with per-positive pairs must have shape [2, 2, M] "
                                                   "(first axis = (source, target)), got [2, 4, 2]; for [P, M, 2] "
                                                   "pairs pass neg.permute(2, 0, 1)")):
        split.test_neg = per_pos.permute(1, 2, 0)
        split.validate(check_overlap=False)
    # [P, M] node ids are target negatives only when the split says so ...
    targets = torch.tensor([[20, 21, 22], [23, 24, 25]])
    t = LinkSplit(N, train, pairs[:, :1], pairs[:, 1:3], test_neg=targets, info={"test_neg_layout": "targets"})
    t.validate(check_overlap=False)
    assert t.neg_layout("test") == "targets"
    assert t.negative_pairs("test").tolist() == [[[1, 1, 1], [2, 2, 2]], [[20, 21, 22], [23, 24, 25]]]
    # ... without the flag a 2-D tensor is [2, M] shared pairs, whatever its sizes
    assert LinkSplit(N, train, pairs[:, :1], pairs[:, 1:3], test_neg=targets).validate(
        check_overlap=False).neg_layout("test") == "shared"
    with pytest.raises(ValueError, match=re.escape("test_neg has shape [3, 4]: shared negatives are [2, M] pairs; "
                                                   "for [P, M] target-node negatives set "
                                                   "info['test_neg_layout'] = 'targets'")):
        LinkSplit(N, train, pairs[:, :1], pairs[:, 1:4], test_neg=torch.arange(12).view(3, 4)).validate()
