"""Splits (random, temporal, OGB dict) and negatives (random, HeaRT) against brute force."""
import warnings

import numpy as np
import pytest
import torch
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.stats import rankdata
from torch_geometric.data import Data

from graphlearn.datasets import power_law_graph
from graphlearn.linkpred import (LinkSplit, as_link_split, from_edge_split, heart_negatives, heart_pairs,
                                 random_edge_split, random_negatives, temporal_edge_split)
from graphlearn.linkpred.negatives import _tie_keys


def keyset(e, n):
    """Undirected keys of [2, ...] pairs ([2, P] or [2, P, M])."""
    e = torch.as_tensor(e).reshape(2, -1)
    a, b = torch.minimum(e[0], e[1]), torch.maximum(e[0], e[1])
    return set((a * n + b).tolist())


@pytest.fixture(scope="module")
def data():
    n = 300
    ei = power_law_graph(n, 2500, seed=4)
    return Data(edge_index=ei, num_nodes=n, x=torch.rand(n, 8))


def test_random_split_undirected_seeded(data):
    n = data.num_nodes
    s = random_edge_split(data, seed=5)
    full = keyset(data.edge_index[:, data.edge_index[0] != data.edge_index[1]], n)
    parts = [keyset(p, n) for p in (s.train_pos, s.valid_pos, s.test_pos)]
    assert sum(len(p) for p in parts) == len(full) == len(set().union(*parts))  # disjoint, complete
    assert len(parts[1]) == int(0.05 * len(full)) and len(parts[2]) == int(0.10 * len(full))
    for neg in (s.valid_neg, s.test_neg):
        ks = keyset(neg, n)
        assert neg.size(0) == 2 and s.neg_layout("valid") == "shared"
        assert len(ks) == neg.size(1) and not ks & full and bool((neg[0] != neg[1]).all())
    assert not keyset(s.valid_neg, n) & keyset(s.test_neg, n)
    s2 = random_edge_split(data, seed=5)
    assert torch.equal(s.test_pos, s2.test_pos) and torch.equal(s.valid_neg, s2.valid_neg)
    assert not torch.equal(s.test_pos, random_edge_split(data, seed=6).test_pos)


def test_keep_connected_preserves_components(data):
    n = data.num_nodes
    s = random_edge_split(data, seed=1, val_ratio=0.1, test_ratio=0.2, keep_connected=True)

    def comps(e):
        e = torch.as_tensor(e)
        m = coo_matrix((np.ones(e.size(1)), (e[0].numpy(), e[1].numpy())), shape=(n, n))
        return connected_components(m, directed=False)

    full = torch.cat([s.train_pos, s.valid_pos, s.test_pos], 1)
    assert comps(s.train_pos)[0] == comps(full)[0]
    deg_full = torch.bincount(full.reshape(-1), minlength=n)
    deg_train = torch.bincount(s.train_pos.reshape(-1), minlength=n)
    assert bool(((deg_full == 0) | (deg_train > 0)).all())
    with pytest.raises(ValueError, match="spanning forest"):
        random_edge_split(Data(edge_index=torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]]), num_nodes=5), val_ratio=0.25,
                          test_ratio=0.25, keep_connected=True)  # a path: every edge is in the forest


def test_temporal_split_first_appearance():
    ei = torch.tensor([[0, 1, 2, 3, 1, 4, 0], [1, 2, 3, 4, 0, 5, 5]])
    years = torch.tensor([2000, 2001, 2002, 2003, 2003, 2004, 2004])
    s = temporal_edge_split(Data(edge_index=ei, num_nodes=8), years, val_time=2002, test_time=2004)
    n = 8
    assert s.train_pos.size(0) == 2
    assert keyset(s.train_pos, n) == keyset([[0, 1], [1, 2]], n)  # (1, 0) in 2003 is the old edge (0, 1)
    assert keyset(s.valid_pos, n) == keyset([[2, 3], [3, 4]], n)  # pairs (2, 3), (3, 4)
    assert keyset(s.test_pos, n) == keyset([[4, 0], [5, 5]], n)  # pairs (4, 5), (0, 5)
    with pytest.raises(ValueError, match="empty"):
        temporal_edge_split(Data(edge_index=ei, num_nodes=8), years, val_time=1990, test_time=1995)
    with pytest.raises(ValueError, match="edge times"):
        temporal_edge_split(Data(edge_index=ei, num_nodes=8))


def ddi_like_dict():
    return {"train": {"edge": torch.tensor([[0, 1], [1, 2], [2, 3], [3, 4]])},
            "valid": {"edge": torch.tensor([[0, 2]]), "edge_neg": torch.tensor([[0, 4], [1, 5]])},
            "test": {"edge": torch.tensor([[1, 3]]), "edge_neg": torch.tensor([[2, 5]])}}


def test_from_edge_split_formats_and_errors():
    d = ddi_like_dict()
    s = from_edge_split(d, 6)
    # OGB's [E, 2] become [2, E] at the boundary ...
    assert torch.equal(s.train_pos, d["train"]["edge"].t()) and torch.equal(s.valid_pos, torch.tensor([[0], [2]]))
    assert s.neg_layout("valid") == "shared" and torch.equal(s.valid_neg, torch.tensor([[0, 1], [4, 5]]))
    # ... and get_edge_split() gives OGB's layout back
    back = s.get_edge_split()
    assert torch.equal(back["valid"]["edge_neg"], torch.tensor([[0, 4], [1, 5]]))
    for part in ("train", "valid", "test"):
        for key, value in d[part].items():
            assert torch.equal(back[part][key], value), (part, key)
    cit = {"train": {"source_node": torch.tensor([0, 1]), "target_node": torch.tensor([1, 2])},
           "valid": {"source_node": torch.tensor([0]), "target_node": torch.tensor([2]),
                     "target_node_neg": torch.tensor([[3, 4]])},
           "test": {"source_node": torch.tensor([2]), "target_node": torch.tensor([0]),
                    "target_node_neg": torch.tensor([[4, 5]])}}
    c = from_edge_split(cit, 6)
    assert c.directed and c.neg_layout("valid") == "targets"
    assert torch.equal(c.train_pos, torch.tensor([[0, 1], [1, 2]]))  # rows: source_node, target_node
    assert c.negative_pairs("test").tolist() == [[[2, 2]], [[4, 5]]]  # [2, P, M]: pairs (2, 4), (2, 5)
    assert torch.equal(c.get_edge_split()["test"]["target_node_neg"], cit["test"]["target_node_neg"])

    bad = ddi_like_dict()
    bad["valid"]["edge_neg"] = torch.tensor([[0, 4], [2, 1]])  # (2, 1) is the training edge (1, 2)
    with pytest.raises(ValueError, match=r"valid_neg\[1\].*positive edge \(in train_pos\)"):
        from_edge_split(bad, 6)
    with pytest.raises(ValueError, match=r"test_pos\[1, 0\] = 9 is not a node id"):  # row 1 (targets), pair 0
        d = ddi_like_dict()
        d["test"]["edge"] = torch.tensor([[1, 9]])
        from_edge_split(d, 6)
    with pytest.raises(ValueError, match="no 'edge_neg'"):
        d = ddi_like_dict()
        del d["valid"]["edge_neg"]
        from_edge_split(d, 6)
    with pytest.raises(ValueError, match="has no 'test' part"):
        from_edge_split({"train": {}, "valid": {}}, 6)


def test_as_link_split_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        as_link_split(str(tmp_path / "missing" / "ogbl_ddi"))
    with pytest.raises(FileNotFoundError, match="ogbl_ddi"):
        as_link_split("ogbl-ddi", root=str(tmp_path))
    with pytest.raises(ValueError, match="expected an OGB link dataset folder"):
        as_link_split(str(tmp_path))
    with pytest.raises(TypeError):
        as_link_split(3.5)


def test_random_negatives_properties():
    edges = torch.tensor([[0, 1, 2], [1, 2, 3]])  # pairs (0, 1), (1, 2), (2, 3)
    neg = random_negatives(edges, 5, 7, seed=3)
    assert neg.shape == (2, 7) and len(keyset(neg, 5)) == 7 and not keyset(neg, 5) & keyset(edges, 5)
    assert torch.equal(neg, random_negatives(edges, 5, 7, seed=3))
    assert torch.equal(neg, random_negatives((edges[0], edges[1]), 5, 7, seed=3))
    with pytest.raises(ValueError, match="only 7 node pairs"):
        random_negatives(edges, 5, 8)
    with pytest.raises(ValueError, match=r"edges\[1, 0\] = 9 .*not a node id"):
        random_negatives(torch.tensor([[0], [9]]), 5, 1)
    few = random_negatives(edges, 5, 4, seed=4)
    rest = random_negatives(edges, 5, 3, seed=5, exclude=[few])  # exactly the 3 free pairs left
    assert len(keyset(few, 5) | keyset(rest, 5)) == 7 and not keyset(rest, 5) & keyset(few, 5)


# ------------------------------------------------------------------------------------ HeaRT


def heart_reference(train, pos, n, num_neg, x, exclude, alpha, seed):
    """Dense per-positive HeaRT procedure (numpy/scipy), with graphlearn's tie rule ([2, E] edges)."""
    A = np.zeros((n, n))
    for u, v in train.t().tolist():
        if u != v:
            A[u, v] = A[v, u] = 1
    deg = A.sum(1)
    inv = np.divide(1.0, deg, out=np.zeros(n), where=deg > 0)
    ra = A @ (inv[:, None] * A)
    P = A * inv[None, :]  # column-normalised: P[v, w] = A[v, w] / d_w
    dang = deg == 0
    M = P.copy()
    ppr = np.zeros((n, n))
    for s in range(n):  # solve pi = alpha e + (1 - alpha)(P pi + e * sum(pi[dangling]))
        e = np.zeros(n)
        e[s] = 1
        B = np.eye(n) - (1 - alpha) * (M + np.outer(e, dang.astype(float)))
        ppr[s] = np.linalg.solve(B, alpha * e)
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    feat = xn @ xn.T
    mask = A.astype(bool)
    for u, v in np.concatenate(exclude, 1).T.tolist():
        mask[u, v] = mask[v, u] = True
    k_src, k_dst = num_neg - num_neg // 2, num_neg // 2

    def ranked(u, other):
        masked = mask[u].copy()
        masked[u] = masked[other] = True
        ranks, evidence = [], np.zeros(n, bool)
        for s in (ra[u], ppr[u], feat[u]):
            s = s.astype(np.float32)
            ev = (s > 0) & ~masked
            evidence |= ev
            r = np.full(n, ev.sum() + 1.0)
            vals = s[ev]
            r[ev] = len(vals) - rankdata(vals, method="min") + 1  # HeaRT's reversed min-rank
            ranks.append(r)
        ranks = np.array(ranks)
        comb, tot = ranks.min(0), ranks.sum(0)
        cat = np.where(masked, 2, np.where(evidence, 0, 1))
        tie = _tie_keys(torch.tensor([u]), n, seed)[0].numpy()
        order = np.lexsort((tie, tot, comb, cat))
        return [int(c) for c in order if not masked[c]]

    out = []
    for a, b in pos.t().tolist():
        out.append(ranked(a, b)[:k_src] + ranked(b, a)[:k_dst])
    return torch.tensor(out)


@pytest.mark.parametrize("seed", [0, 1])
def test_heart_matches_dense_reference(seed):
    n = 40
    ei = power_law_graph(n, 160, seed=seed)
    s = random_edge_split(Data(edge_index=ei, num_nodes=n), seed=seed, val_ratio=0.1, test_ratio=0.1)
    x = torch.rand(n, 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    exclude = [s.valid_pos, s.test_pos]
    got = heart_negatives(s.train_pos, s.test_pos, n, num_neg=10, x=x, exclude=exclude, seed=seed, ppr_tol=1e-12, ppr_dtype=torch.float64,
                          progress=False, batch_size=3)
    ref = heart_reference(s.train_pos, s.test_pos, n, 10, x.numpy(), [e.numpy() for e in exclude], 0.15, seed)
    assert torch.equal(got, ref)


def test_heart_properties_and_determinism(data):
    n = data.num_nodes
    s = random_edge_split(data, seed=2)
    kw = dict(num_neg=40, exclude=[s.valid_pos, s.test_pos], seed=7, progress=False)
    neg = heart_negatives(s.train_pos, s.test_pos, n, **kw)
    assert neg.shape == (s.test_pos.size(1), 40) and neg.dtype == torch.long
    assert torch.equal(neg, heart_negatives(s.train_pos, s.test_pos, n, batch_size=5, **kw))  # batch-independent
    pairs = heart_pairs(s.test_pos, neg)
    assert pairs.shape == (2, s.test_pos.size(1), 40)  # [2, P, M]
    assert torch.equal(pairs[0, :, :20], s.test_pos[0].view(-1, 1).expand(-1, 20))  # (a, c): source kept
    assert torch.equal(pairs[1, :, :20], neg[:, :20])
    assert torch.equal(pairs[0, :, 20:], neg[:, 20:])  # (c, b): target kept
    assert torch.equal(pairs[1, :, 20:], s.test_pos[1].view(-1, 1).expand(-1, 20))
    true = keyset(torch.cat([s.train_pos, s.valid_pos, s.test_pos], 1), n)
    assert not keyset(pairs, n) & true
    assert bool((pairs[0] != pairs[1]).all())
    for row in neg:  # no repeats within a side
        assert len(set(row[:20].tolist())) == 20 and len(set(row[20:].tolist())) == 20
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        few = heart_negatives(torch.tensor([[0, 1], [1, 2]]), torch.tensor([[0], [2]]), 4, num_neg=10, progress=False)
    assert few.shape == (1, 10)
    with pytest.raises(ValueError, match="no possible negative"):
        heart_negatives(torch.tensor([[0, 0, 1], [1, 2, 2]]), torch.tensor([[0], [1]]), 3, num_neg=4, progress=False)
    with pytest.raises(ValueError, match="needs node features"):
        heart_negatives(s.train_pos, s.test_pos, n, heuristics=("feat",), progress=False)


def test_linksplit_validate_catches_heart_overlap(data):
    s = random_edge_split(data, seed=0)
    neg = heart_negatives(s.train_pos, s.test_pos, data.num_nodes, num_neg=6, exclude=[s.valid_pos, s.test_pos],
                          progress=False)
    neg[0, 0] = s.train_pos[1, 0] if s.train_pos[0, 0] == s.test_pos[0, 0] else neg[0, 0]
    t = LinkSplit(data.num_nodes, s.train_pos, s.valid_pos, s.test_pos, None, neg.clone(),
                  info={"test_neg_layout": "heart", "heart_num_source": 3})
    t.validate()
    bad = neg.clone()
    bad[2, 4] = s.test_pos[0, 2]  # pair (a, b) of positive 2 itself, on the target side
    t.test_neg = bad
    with pytest.raises(ValueError, match=r"test_neg\[2, 4\].*positive edge \(in test_pos\)"):
        t.validate()
