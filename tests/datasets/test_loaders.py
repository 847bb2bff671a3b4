import os
import pickle

import pytest
import torch

from graphlearn.datasets import load_blogcatalog, load_planetoid, power_law_graph
from graphlearn.datasets._safe_pickle import safe_load
from tests.conftest import require_dataset


def test_bundled_cora_matches_pyg_planetoid_statistics():
    data = load_planetoid("cora")
    assert data.num_nodes == 2708 and data.x.shape == (2708, 1433)
    assert data.edge_index.size(1) == 10556
    assert int(data.y.max()) + 1 == 7
    assert (int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())) == (140, 500, 1000)
    from torch_geometric.utils import contains_self_loops, is_undirected

    assert is_undirected(data.edge_index) and not contains_self_loops(data.edge_index)
    assert data.y[:140].bincount().tolist() == [20] * 7  # 20 labelled nodes per class


def test_cora_from_shared_root_and_pyg_layout(tmp_path):
    root = require_dataset("planetoid_cora")
    a = load_planetoid("cora", os.path.dirname(root))
    raw = tmp_path / "Cora" / "raw"
    raw.mkdir(parents=True)
    for f in os.listdir(root):
        (raw / f).write_bytes(open(os.path.join(root, f), "rb").read())
    b = load_planetoid("Cora", str(tmp_path))
    assert torch.equal(a.x, b.x) and torch.equal(a.edge_index, b.edge_index)


def test_planetoid_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="looked for ind.citeseer.x"):
        load_planetoid("citeseer", str(tmp_path))
    with pytest.raises(ValueError, match="unknown Planetoid dataset"):
        load_planetoid("reddit")


def test_safe_unpickler_refuses_code():
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with pytest.raises(ValueError, match="refusing to unpickle"):
        safe_load(pickle.dumps(Evil()), "evil.pkl")
    with pytest.raises(ValueError, match="not a readable pickle"):
        safe_load(b"\x80\x02garbage", "bad.pkl")
    assert safe_load(pickle.dumps({1: [2, 3]}), "ok.pkl") == {1: [2, 3]}


def test_blogcatalog():
    require_dataset("blogcatalog")
    adj, labels = load_blogcatalog()
    assert adj.shape == (10312, 10312) and adj.nnz == 667966
    assert labels.shape == (10312, 39)


def test_blogcatalog_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="GRAPHLEARN_DATA"):
        load_blogcatalog(str(tmp_path))


def test_power_law_graph_is_seeded_and_skewed():
    a = power_law_graph(1000, 20000, seed=3)
    assert torch.equal(a, power_law_graph(1000, 20000, seed=3))
    assert not torch.equal(a, power_law_graph(1000, 20000, seed=4))
    deg = torch.bincount(a[0], minlength=1000)
    assert a.min() >= 0 and a.max() < 1000
    assert deg.max() > 20 * deg.float().median()
    with pytest.raises(ValueError):
        power_law_graph(0, 10)
