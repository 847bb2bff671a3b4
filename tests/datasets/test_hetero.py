"""load_imdb against the adjacency blocks read directly with scipy and PyG's IMDB."""
import os
import shutil

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphlearn.datasets import load_hetero, load_imdb
from tests.conftest import require_dataset

EDGE_TYPES = [("movie", "to", "director"), ("director", "to", "movie"), ("movie", "to", "actor"),
              ("actor", "to", "movie")]


def test_imdb_counts_and_blocks():
    folder = require_dataset("imdb_magnn")
    data = load_imdb(os.path.dirname(folder))
    assert data["movie"].num_nodes == 4278 and data["director"].num_nodes == 2081
    assert data["actor"].num_nodes == 5257
    m = data["movie"]
    assert (int(m.train_mask.sum()), int(m.val_mask.sum()), int(m.test_mask.sum())) == (400, 400, 3478)
    assert not (m.train_mask & m.val_mask).any() and not (m.val_mask & m.test_mask).any()
    assert m.y.dtype == torch.int64 and sorted(m.y.unique().tolist()) == [0, 1, 2]
    assert m.x.shape == (4278, 3066) and m.x.dtype == torch.float32
    assert sorted(data.edge_types) == sorted(EDGE_TYPES)
    # every edge type = its adjacency block, read independently
    A = sp.load_npz(os.path.join(folder, "adjM.npz")).tocsr()
    types = np.load(os.path.join(folder, "node_types.npy"))
    total = 0
    for src, _, dst in EDGE_TYPES:
        s = {"movie": 0, "director": 1, "actor": 2}
        block = A[np.flatnonzero(types == s[src])][:, np.flatnonzero(types == s[dst])]
        ei = data[src, "to", dst].edge_index
        assert ei.size(1) == block.nnz
        rebuilt = sp.coo_matrix((np.ones(ei.size(1)), (ei[0].numpy(), ei[1].numpy())), shape=block.shape)
        assert (rebuilt.tocsr() != block).nnz == 0
        total += ei.size(1)
    assert total == A.nnz  # no edges within one type in IMDB
    assert data["movie", "to", "director"].edge_index.size(1) == 4278
    assert data["movie", "to", "actor"].edge_index.size(1) == 12828
    feats = sp.load_npz(os.path.join(folder, "features_2.npz"))
    assert torch.equal(data["actor"].x, torch.from_numpy(feats.toarray().astype(np.float32)))
    assert torch.equal(load_hetero("IMDB", folder)["movie"].y, m.y)


def test_imdb_matches_pyg(tmp_path):
    folder = require_dataset("imdb_magnn")
    from torch_geometric.datasets import IMDB

    shutil.copytree(folder, tmp_path / "raw")
    ref = IMDB(str(tmp_path))[0]
    ours = load_imdb(str(tmp_path))  # PyG layout: <root>/raw
    for nt in ref.node_types:
        for k, v in ref[nt].items():
            assert torch.equal(ours[nt][k], v), (nt, k)
    for et in ref.edge_types:
        assert torch.equal(ours[et].edge_index, ref[et].edge_index), et


def test_imdb_errors(tmp_path):
    folder = require_dataset("imdb_magnn")
    with pytest.raises(FileNotFoundError, match="looked for adjM.npz"):
        load_imdb(str(tmp_path))
    bad = tmp_path / "imdb_magnn"
    shutil.copytree(folder, bad)
    np.save(bad / "labels.npy", np.zeros(10, dtype=np.int64))
    with pytest.raises(ValueError, match="labels.npy: expected 4278 integer labels"):
        load_imdb(str(tmp_path))
    shutil.copy(os.path.join(folder, "labels.npy"), bad / "labels.npy")
    split = dict(np.load(os.path.join(folder, "train_val_test_idx.npz")))
    split["test_idx"] = np.concatenate([split["test_idx"], [5000]])
    np.savez(bad / "train_val_test_idx.npz", **split)
    with pytest.raises(ValueError, match="test_idx has ids outside"):
        load_imdb(str(bad))
    with pytest.raises(ValueError, match="unknown heterogeneous dataset"):
        load_hetero("dblp", str(bad))


# ----------------------------------------------------------------------------- issue 11: damaged npz inputs

def write_imdb_like(folder, seed=0):
    """A tiny folder in MAGNN's IMDB layout: 6 movies, 3 directors, 4 actors."""
    rng = np.random.default_rng(seed)
    sizes = (6, 3, 4)
    n = sum(sizes)
    types = np.repeat(np.arange(3), sizes)
    adj = np.zeros((n, n), dtype=np.float64)
    for m in range(6):
        d = 6 + m % 3
        adj[m, d] = adj[d, m] = 1
        for a in rng.choice(4, 2, replace=False):
            adj[m, 9 + a] = adj[9 + a, m] = 1
    os.makedirs(folder, exist_ok=True)
    sp.save_npz(os.path.join(folder, "adjM.npz"), sp.csr_matrix(adj))
    for t, k in enumerate(sizes):
        sp.save_npz(os.path.join(folder, f"features_{t}.npz"),
                    sp.csr_matrix((rng.random((k, 5)) < 0.5).astype(np.float32)))
    np.save(os.path.join(folder, "labels.npy"), rng.integers(0, 3, 6))
    np.save(os.path.join(folder, "node_types.npy"), types)
    np.savez(os.path.join(folder, "train_val_test_idx.npz"), train_idx=np.array([0, 1]), val_idx=np.array([2]),
             test_idx=np.array([3, 4, 5]))


def _npz(folder, fname, **change):
    z = dict(np.load(os.path.join(folder, fname)))
    for k, f in change.items():
        z[k] = f(z[k])
    np.savez(os.path.join(folder, fname), **z)


def _at(i, value):
    def f(a):
        a = a.copy()
        a[i] = value
        return a
    return f


def test_synthetic_imdb_layout_loads(tmp_path):
    write_imdb_like(str(tmp_path))
    data = load_imdb(str(tmp_path))
    assert data["movie"].x.shape == (6, 5) and data["actor"].num_nodes == 4
    assert data["movie", "to", "director"].edge_index.size(1) == 6
    assert int(data["movie"].train_mask.sum()) == 2


def test_class1_damaged_sparse_indices_fail_cleanly(tmp_path):
    """An out-of-range feature index segfaulted in todense (10**9) or wrote out of bounds
    (one past the end); in adjM they were kept silently. Fresh interpreter."""
    from tests.datasets.isolated import call_isolated

    cases = []
    for fname, value in [("features_1.npz", 10**9), ("features_1.npz", 5), ("adjM.npz", 10**9), ("adjM.npz", 13)]:
        folder = tmp_path / f"{fname}_{value}"
        write_imdb_like(str(folder))
        _npz(str(folder), fname, indices=_at(2, value))
        cases.append((str(folder), fname, value))
    results = call_isolated("[attempt(lambda d=d: D.load_imdb(d)) for d, _, _ in args]", *cases)
    for (folder, fname, value), res in zip(cases, results):
        assert res["error"] == "ValueError", res
        assert f"{os.path.join(folder, fname)}: csr matrix of shape" in res["message"], res
        assert f"indices[2] = {value} is out of range" in res["message"], res


@pytest.mark.parametrize("fname,change,expect", [
    ("adjM.npz", dict(indptr=_at(3, 0)), "indptr decreases"),
    ("adjM.npz", dict(indptr=lambda a: a[:-2]), "indptr has 12 entries, expected 14"),
    ("adjM.npz", dict(indices=lambda a: a.astype(np.float64)), "indices has dtype float64"),
    ("adjM.npz", dict(shape=lambda a: a.astype(np.float64) + 0.5), "bad matrix shape"),
    ("adjM.npz", dict(format=lambda a: np.array(3)), "'format' must be a string"),
    ("adjM.npz", dict(format=lambda a: np.array(b"bsr")), "unsupported sparse format 'bsr'"),
    ("features_2.npz", dict(data=_at(1, np.nan)), r"data\[1\] = nan is not a finite number"),
    ("features_2.npz", dict(data=lambda a: a[:-1]), "values for"),
    ("labels.npy", None, r"labels\[3\] = -7 is out of range \[0, 6\)"),
    ("labels.npy", 10**12, r"labels\[3\] = 1000000000000 is out of range \[0, 6\)"),
    ("train_val_test_idx.npz", dict(train_idx=lambda a: a + 0.5), "train_idx has dtype float64, expected integer"),
])
def test_class1_imdb_inputs_are_checked(tmp_path, fname, change, expect):
    write_imdb_like(str(tmp_path))
    if fname == "labels.npy":
        y = np.load(tmp_path / "labels.npy")
        y[3] = -7 if change is None else change
        np.save(tmp_path / "labels.npy", y)
    else:
        _npz(str(tmp_path), fname, **change)
    with pytest.raises(ValueError, match=fname.replace(".", r"\.") + ": .*" + expect):
        load_imdb(str(tmp_path))


def test_class1_coo_npz_is_checked(tmp_path):
    write_imdb_like(str(tmp_path))
    coo = sp.load_npz(tmp_path / "features_0.npz").tocoo()
    sp.save_npz(tmp_path / "features_0.npz", coo)
    assert load_imdb(str(tmp_path))["movie"].x.shape == (6, 5)  # coo is a valid layout
    _npz(str(tmp_path), "features_0.npz", col=_at(0, 5))
    with pytest.raises(ValueError, match=r"features_0.npz: col\[0\] = 5 is out of range \[0, 5\)"):
        load_imdb(str(tmp_path))


def test_class1_huge_feature_matrix_refused_before_allocating(tmp_path, monkeypatch):
    write_imdb_like(str(tmp_path))
    _npz(str(tmp_path), "features_1.npz", shape=lambda a: np.array([a[0], 10**11]))
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", str(1 << 30))
    with pytest.raises(MemoryError, match=r"features_1.npz: the dense \[3, 100000000000\] matrix needs about"):
        load_imdb(str(tmp_path))
