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
