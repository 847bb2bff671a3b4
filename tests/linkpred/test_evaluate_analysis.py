"""evaluate() end to end, per-node analysis (TC against brute force), result files."""
import json
import os

import networkx as nx
import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from tests.conftest import require_dataset
from graphlearn.datasets import power_law_graph
from graphlearn.linkpred import (AdamicAdar, approx_topological_concentration, bucket_report,
                                 evaluate, hits_at_k, node_average, random_edge_split,
                                 topological_concentration)


@pytest.fixture(scope="module")
def data():
    n = 200
    return Data(edge_index=power_law_graph(n, 1500, seed=8), num_nodes=n, x=torch.rand(n, 6))


def test_random_protocol_matches_manual_computation(data):
    res = evaluate("adamic_adar", data, "random", seed=3, ks=(10, 50), progress=False)
    split = random_edge_split(data, seed=3)
    h = AdamicAdar(split.train_pos, data.num_nodes)
    pos, neg = h(split.test_pos), h(split.test_neg)
    assert res["test"]["hits@50"] == hits_at_k(pos, neg, 50)
    assert res.primary == "hits@50" and res.sizes["test"]["pos"] == split.test_pos.size(1)


def test_callables_modules_and_heuristic_objects_agree(data):
    split = random_edge_split(data, seed=0)
    by_name = evaluate("ra", split, "random", progress=False)
    from graphlearn.linkpred import ResourceAllocation

    h = ResourceAllocation(split.train_pos, data.num_nodes)
    by_fn = evaluate(lambda pairs: h(pairs), split, "random", progress=False, batch_size=17)
    by_obj = evaluate(ResourceAllocation(), split, "random", progress=False)  # fitted on the train graph

    class Mod(torch.nn.Module):
        def forward(self, pairs):
            assert not torch.is_grad_enabled() and not self.training
            return h(pairs).view(-1, 1)

    m = Mod()
    by_mod = evaluate(m, split, "random", progress=False)
    assert m.training  # mode restored
    for r in (by_fn, by_obj, by_mod):
        for k in ("hits@20", "hits@100", "mrr", "auc"):
            assert r["test"][k] == pytest.approx(by_name["test"][k], abs=1e-6)


def test_heart_protocol_and_result_io(data, tmp_path):
    res = evaluate("cn", data, "heart", num_neg=20, seed=1, progress=False, analysis=("degree", "tc_approx"))
    assert res.sizes["valid"]["neg_shape"][1] == 20 and res.primary == "mrr"
    assert 0 <= res["test"]["mrr"] <= 1 and "degree" in res.buckets["test"]
    d = res.to_dict()
    path = tmp_path / "r.json"
    res.to_json(path)
    assert json.loads(path.read_text())["metrics"] == json.loads(json.dumps(d["metrics"]))
    assert [f for f in os.listdir(tmp_path) if f != "r.json"] == []  # no temporary leftovers
    text = str(res)
    assert "protocol heart" in text and "per degree bucket" in text
    with pytest.raises(FileNotFoundError):
        res.to_json(tmp_path / "no" / "r.json")


def test_ogb_style_object_and_bad_scorers():
    class FakeOGB:
        name = "toy"

        def __getitem__(self, i):
            return Data(edge_index=torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]]), num_nodes=6)

        def get_edge_split(self):
            return {"train": {"edge": torch.tensor([[0, 1], [1, 2], [2, 3]])},
                    "valid": {"edge": torch.tensor([[0, 2]]), "edge_neg": torch.tensor([[0, 5], [4, 5]])},
                    "test": {"edge": torch.tensor([[1, 3]]), "edge_neg": torch.tensor([[1, 5], [0, 4]])}}

    res = evaluate("cn", FakeOGB(), "ogb", ks=(1,), progress=False)
    assert res["valid"]["hits@1"] == 1.0 and res["test"]["hits@1"] == 1.0  # CN 1 vs 0, 0
    with pytest.raises(ValueError, match=r"scorer returned nan for valid_pos\[0\] = \(0, 2\)"):
        evaluate(lambda p: torch.full((p.size(1),), float("nan")), FakeOGB(), "ogb", progress=False)
    with pytest.raises(ValueError, match=r"returned shape \[3, 2\] for 3 valid pairs"):
        evaluate(lambda p: torch.zeros(p.size(1), 2), FakeOGB(), "ogb", progress=False)
    with pytest.raises(TypeError, match="callable"):
        evaluate(42, FakeOGB(), "ogb", progress=False)
    with pytest.raises(ValueError, match="protocol 'ogb' needs"):
        evaluate("cn", Data(edge_index=power_law_graph(50, 300, seed=1), num_nodes=50), "ogb", progress=False)
    with pytest.raises(ValueError, match="protocol must be"):
        evaluate("cn", FakeOGB(), "nope", progress=False)


def brute_tc(edges_train, eval_edges, n, k, beta, normalize):
    """TC by networkx shortest paths; edges are [2, E]."""
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edges_train.t().tolist())
    dist = dict(nx.all_pairs_shortest_path_length(G, cutoff=k))
    H = {v: {h: {w for w, d in dist[v].items() if d == h} for h in range(1, k + 1)} for v in range(n)}
    nbrs = {v: set() for v in range(n)}
    for a, b in eval_edges.t().tolist():
        if a != b:
            nbrs[a].add(b)
            nbrs[b].add(a)
    out = np.full(n, np.nan)
    for i in range(n):
        if not nbrs[i]:
            continue
        vals = []
        for j in nbrs[i]:
            t = 0.0
            for k1 in range(1, k + 1):
                for k2 in range(1, k + 1):
                    a, b = H[i][k1], H[j][k2]
                    den = len(a | b) if normalize == "union" else len(a)
                    t += beta ** (k1 + k2 - 2) * (len(a & b) / den if den else 0.0)
            vals.append(t)
        out[i] = np.mean(vals)
    return out


@pytest.mark.parametrize("k,normalize", [(1, "union"), (2, "union"), (2, "source")])
def test_topological_concentration_brute_force(k, normalize):
    n = 60
    split = random_edge_split(Data(edge_index=power_law_graph(n, 250, seed=2), num_nodes=n), seed=0, test_ratio=0.2)
    got = topological_concentration(split.train_pos, split.test_pos, n, k=k, beta=0.5, normalize=normalize,
                                    batch_size=7)
    ref = brute_tc(split.train_pos, split.test_pos, n, k, 0.5, normalize)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_approx_tc_tracks_exact_tc():
    n = 400
    split = random_edge_split(Data(edge_index=power_law_graph(n, 3000, seed=5), num_nodes=n), seed=1)
    exact = topological_concentration(split.train_pos, split.test_pos, n, k=1)
    approx = approx_topological_concentration(split.train_pos, split.test_pos, n, k=1, dim=256, seed=0)
    ok = ~torch.isnan(exact)
    assert torch.equal(ok, ~torch.isnan(approx))
    corr = np.corrcoef(exact[ok].numpy(), approx[ok].numpy())[0, 1]
    assert corr > 0.5, corr
    again = approx_topological_concentration(split.train_pos, split.test_pos, n, k=1, dim=256)
    torch.testing.assert_close(approx, again, rtol=0, atol=0, equal_nan=True)  # seeded


def test_node_average_and_buckets():
    edges = torch.tensor([[0, 0, 3], [1, 2, 3]])  # pairs (0, 1), (0, 2), (3, 3)
    avg = node_average(edges, torch.tensor([1.0, 0.0, 1.0]), 5)
    assert avg[0] == 0.5 and avg[1] == 1.0 and avg[2] == 0.0 and avg[3] == 1.0 and torch.isnan(avg[4])
    rows = bucket_report({"hits": avg}, torch.tensor([1.0, 2.0, 3.0, 4.0, 9.0]), bins=[0, 2.5, 5])
    assert [r["nodes"] for r in rows] == [2, 2] and rows[0]["hits"] == 0.75 and rows[1]["hits"] == 0.5
    with pytest.raises(ValueError, match="values has 2 entries"):
        node_average(edges, torch.tensor([1.0, 0.0]), 5)


@pytest.mark.slow
def test_ddi_ogb_protocol_common_neighbours_leaderboard():
    root = require_dataset("ogbl_ddi")
    res = evaluate("cn", root, "ogb", ks=(20,), progress=False)
    # OGB leaderboard, Common Neighbour on ogbl-ddi: test 17.73, validation 9.47 (Hits@20, %)
    assert round(100 * res["test"]["hits@20"], 2) == 17.73
    assert round(100 * res["valid"]["hits@20"], 2) == 9.47
