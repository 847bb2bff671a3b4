"""predict_topk: every candidate scored, against brute force."""
import pytest
import torch
from torch_geometric.data import Data

from graphlearn.linkpred import predict_topk, random_edge_split
from graphlearn.nn import NCN
from graphlearn.sparse import CSR


def _data(n=35, m=120, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Data(x=torch.randn(n, 6, generator=g), edge_index=torch.randint(0, n, (2, m), generator=g), num_nodes=n)


def _brute(model, data, nodes, k, exclude):
    adj = CSR.from_edge_index(data.edge_index, data.num_nodes, dedupe=True, symmetrize=True,
                              self_loops="remove").with_value(None)
    model.eval()
    with torch.no_grad():
        h = model.encode(data.x, adj)
        n = data.num_nodes
        src = torch.tensor(nodes).repeat_interleave(n)
        dst = torch.arange(n).repeat(len(nodes))
        s = model.score(h, adj, torch.stack([src, dst])).view(len(nodes), n)
    if exclude:
        dense = adj.to_torch().to_dense() > 0
        for r, u in enumerate(nodes):
            s[r, dense[u]] = -float("inf")
            s[r, u] = -float("inf")
    return s


@pytest.mark.parametrize("kind", ["ncn", "ncnc", "gae"])
@pytest.mark.parametrize("exclude", [True, False])
def test_predict_topk_matches_brute_force(kind, exclude):
    data = _data()
    torch.manual_seed(0)
    model = NCN(6, 8, predictor=kind)
    nodes = [0, 3, 7, 34, 3]
    full = _brute(model, data, nodes, 10, exclude)
    model.train()
    # a budget small enough to split the candidates into several chunks
    scores, idx = predict_topk(model, data, nodes, 10, exclude_existing=exclude, batch_bytes=1 << 20)
    assert model.training  # mode restored
    want_s, want_i = torch.sort(full, dim=1, descending=True, stable=True)
    torch.testing.assert_close(scores, want_s[:, :10], rtol=1e-5, atol=1e-5)
    assert torch.equal(idx, want_i[:, :10])
    if exclude:
        adj = CSR.from_edge_index(data.edge_index, 35, symmetrize=True).to_torch().to_dense()
        for r, u in enumerate(nodes):
            assert u not in idx[r].tolist() and not adj[u, idx[r]].any()


def test_predict_topk_on_a_split_and_short_rows():
    data = _data(n=12, m=60)
    split = random_edge_split(data, val_ratio=0.1, test_ratio=0.1, seed=0)
    model = NCN(6, 8)
    scores, idx = predict_topk(model, split, torch.tensor([1, 2]), 12)
    assert scores.shape == idx.shape == (2, 12)
    # the query and its neighbours are excluded: those slots are -inf / -1 at the end of the row
    assert (idx[torch.isneginf(scores)] == -1).all() and torch.isneginf(scores[:, -1]).all()
    finite = ~torch.isneginf(scores)
    assert (scores[:, :-1][finite[:, 1:]] >= scores[:, 1:][finite[:, 1:]]).all()


def test_predict_topk_refuses_bad_input():
    data, model = _data(), NCN(6, 8)
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 35\]"):
        predict_topk(model, data, [0], 36)
    with pytest.raises(ValueError, match=r"node id 35 is not in \[0, 35\)"):
        predict_topk(model, data, [0, 35], 3)
    with pytest.raises(ValueError, match="1-D list of integer node ids"):
        predict_topk(model, data, torch.tensor([0.5]), 3)
    with pytest.raises(TypeError, match="encode"):
        predict_topk(torch.nn.Linear(2, 2), data, [0], 3)
    with pytest.raises(TypeError, match="exclude_existing must be True or False"):
        predict_topk(model, data, [0], 3, exclude_existing="no")
