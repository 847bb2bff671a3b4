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


# ----------------------------------------------------------------------------- Planetoid vs PyG's reader

def write_planetoid(folder, name, seed=0, gaps=(3, 7, 8), num_allx=560, num_train=20, num_test=20, feats=6,
                    classes=4):
    """A tiny Planetoid folder in the original format (scipy/numpy pickles, a
    defaultdict adjacency with duplicates and self-loops); `gaps` are offsets in
    the test id range that have no tx/ty rows (CiteSeer's isolated nodes)."""
    import collections

    import numpy as np
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    span = num_test + len(gaps)
    test_ids = np.array([num_allx + i for i in range(span) if i not in gaps])
    rng.shuffle(test_ids)
    n = num_allx + span
    onehot = lambda k: np.eye(classes, dtype=np.int32)[rng.integers(0, classes, k)]  # noqa: E731
    sparse = lambda k: sp.csr_matrix((rng.random((k, feats)) < 0.4).astype(np.float32))  # noqa: E731
    allx, tx, ally, ty = sparse(num_allx), sparse(len(test_ids)), onehot(num_allx), onehot(len(test_ids))
    parts = dict(x=allx[:num_train], tx=tx, allx=allx, y=ally[:num_train], ty=ty, ally=ally)
    graph = collections.defaultdict(list)
    for _ in range(4 * n):
        u, v = (int(a) for a in rng.integers(0, n, 2))
        if u - num_allx in gaps or v - num_allx in gaps:
            continue  # isolated nodes stay isolated
        graph[u].append(v)
        graph[v].append(u)
    graph[5].append(5)  # a self-loop
    graph[6] += [7, 7]  # a duplicate
    graph[7] += [6, 6]
    parts["graph"] = graph
    os.makedirs(folder, exist_ok=True)
    for k, v in parts.items():
        with open(os.path.join(folder, f"ind.{name}.{k}"), "wb") as f:
            pickle.dump(v, f, protocol=2)
    with open(os.path.join(folder, f"ind.{name}.test.index"), "w") as f:
        f.write("\n".join(str(i) for i in test_ids) + "\n")
    return test_ids, n


@pytest.mark.parametrize("name", ["citeseer", "pubmed", "cora"])
def test_synthetic_planetoid_matches_pyg_reader(tmp_path, name):
    from torch_geometric.io.planetoid import read_planetoid_data

    gaps = (3, 7, 8) if name == "citeseer" else ()
    pretty = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}[name]
    raw = tmp_path / pretty / "raw"  # PyG's layout: <root>/<Name>/raw
    test_ids, n = write_planetoid(str(raw), name, gaps=gaps)
    ours = load_planetoid(pretty, str(tmp_path))
    theirs = read_planetoid_data(str(raw), name)  # trusted: written by this test
    for k in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        assert ours[k].dtype == theirs[k].dtype and torch.equal(ours[k], theirs[k]), k
    assert ours.num_nodes == n
    if gaps:  # isolated CiteSeer test ids: zero features, label 0, in no split
        iso = torch.tensor([560 + g for g in gaps])
        assert (ours.x[iso] == 0).all() and (ours.y[iso] == 0).all()
        assert not (ours.train_mask | ours.val_mask | ours.test_mask)[iso].any()
    assert int(ours.test_mask.sum()) == len(test_ids)
    for spelling in (str(raw), str(tmp_path / "elsewhere")):  # the folder itself; planetoid_<name>
        if spelling.endswith("elsewhere"):
            os.makedirs(spelling)
            os.symlink(raw, os.path.join(spelling, f"planetoid_{name}"))
        again = load_planetoid(name, spelling)
        assert torch.equal(again.x, ours.x) and torch.equal(again.edge_index, ours.edge_index)


def test_bundled_cora_matches_pyg_reader():
    from torch_geometric.io.planetoid import read_planetoid_data

    from graphlearn.datasets._paths import BUNDLED

    ours = load_planetoid("cora")
    theirs = read_planetoid_data(os.path.join(BUNDLED, "cora"), "cora")  # bundled, trusted
    for k in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(ours[k], theirs[k]), k


def test_planetoid_bad_test_index(tmp_path):
    write_planetoid(str(tmp_path), "pubmed")
    (tmp_path / "ind.pubmed.test.index").write_text("3\n4\n")
    with pytest.raises(ValueError, match="test.index"):
        load_planetoid("pubmed", str(tmp_path))


def test_planetoid_cache_hit_and_rebuild(tmp_path, monkeypatch):
    import shutil

    import torch

    from graphlearn.datasets import load_planetoid, planetoid
    from graphlearn.datasets._paths import BUNDLED

    raw = tmp_path / "raw"
    shutil.copytree(os.path.join(BUNDLED, "cora"), raw)
    os.chmod(raw, 0o755)
    calls = []
    real = planetoid._build
    monkeypatch.setattr(planetoid, "_build", lambda f, n: calls.append(n) or real(f, n))
    cache = tmp_path / "cache"
    first = load_planetoid("cora", str(raw), cache_dir=str(cache))
    second = load_planetoid("cora", str(raw), cache_dir=str(cache))
    assert len(calls) == 1 and any(cache.rglob("*.pt"))
    for key in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(first[key], second[key])
    index = raw / "ind.cora.test.index"
    os.chmod(index, 0o644)
    lines = index.read_text().split()
    index.write_text("\n".join(lines[1:] + lines[:1]) + "\n")  # same ids, other order: new contents
    third = load_planetoid("cora", str(raw), cache_dir=str(cache))
    assert len(calls) == 2 and not torch.equal(third.x, first.x)


# ----------------------------------------------------------------------------- issue 11: BlogCatalog inputs

def _write_mat(folder, network=None, group=None):
    import numpy as np
    import scipy.io
    import scipy.sparse as sp

    net = sp.csc_matrix(np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]], dtype=float))
    grp = sp.csc_matrix(np.array([[1, 0], [0, 1], [1, 1], [0, 0]], dtype=float))
    net, grp = (network(net) if network else net), (group(grp) if group else grp)
    os.makedirs(folder, exist_ok=True)
    scipy.io.savemat(os.path.join(folder, "blogcatalog.mat"), {"network": net, "group": grp})
    return os.path.join(folder, "blogcatalog.mat")


def _indices(i, value):
    def f(m):
        m = m.copy()
        m.indices = m.indices.copy()
        m.indices[i] = value
        return m
    return f


def test_class1_blogcatalog_mat_is_checked(tmp_path):
    """loadmat builds the matrices from the file's arrays unchecked; the csc -> csr
    conversion then wrote out of bounds on a damaged index (fresh interpreter)."""
    from tests.datasets.isolated import call_isolated

    good = _write_mat(str(tmp_path / "good"))
    adj, labels = load_blogcatalog(os.path.dirname(good))
    assert adj.shape == (4, 4) and adj.nnz == 6 and labels.tolist() == [[1, 0], [0, 1], [1, 1], [0, 0]]
    cases = [str(tmp_path / "net"), str(tmp_path / "grp")]
    _write_mat(cases[0], network=_indices(1, 10**6))
    _write_mat(cases[1], group=_indices(0, 4))
    results = call_isolated("[attempt(lambda d=d: D.load_blogcatalog(d)) for d in args]", *cases)
    assert results[0]["error"] == "ValueError" and "blogcatalog.mat: network: csc matrix of shape (4, 4): " \
        "indices[1] = 1000000 is out of range [0, 4)" in results[0]["message"], results[0]
    assert results[1]["error"] == "ValueError" and "blogcatalog.mat: group: csc matrix" in results[1]["message"]


@pytest.mark.parametrize("network,group,expect", [
    (lambda m: m[:, :3], None, r"network has shape \(4, 3\), expected a square"),
    (lambda m: m + __import__("scipy.sparse").sparse.csc_matrix(([1.0], ([0], [2])), shape=(4, 4)), None,
     "network is not symmetric"),
    (None, lambda m: m * 0.5, "group holds 0.5, expected a 0/1 membership matrix"),
    (None, lambda m: m[:3], "group has 3 rows, but network has 4 nodes"),
])
def test_class3_blogcatalog_values(tmp_path, network, group, expect):
    path = _write_mat(str(tmp_path), network=network, group=group)
    with pytest.raises(ValueError, match="blogcatalog.mat: " + expect):
        load_blogcatalog(os.path.dirname(path))


def test_class3_read_multilabels_integers_only(tmp_path):
    from graphlearn.datasets import read_multilabels

    p = tmp_path / "labels.tsv"
    p.write_text("0\t1\n1\t2.5\n")
    with pytest.raises(ValueError, match="labels.tsv: malformed label file"):
        read_multilabels(str(p))
    p.write_text("0\t1\n1\t2\n")
    assert read_multilabels(str(p), num_nodes=3, num_labels=4).shape == (3, 4)
    with pytest.raises(TypeError, match="num_nodes must be an integer"):
        read_multilabels(str(p), num_nodes=3.7)
    with pytest.raises(TypeError, match="num_labels must be an integer"):
        read_multilabels(str(p), num_labels=True)
    with pytest.raises(ValueError, match="num_nodes must be an integer >= 0"):
        read_multilabels(str(p), num_nodes=-1)


def test_class5_read_multilabels_stray_huge_id(tmp_path):
    """One stray id sized the [N, L] matrix: 10**9 x 2*10**6 asked for 16 PB (fresh interpreter)."""
    from tests.datasets.isolated import expect_error

    p = tmp_path / "labels.tsv"
    p.write_text("0\t1\n1000000000\t2000000\n")
    expect_error("D.read_multilabels(args[0])", str(p), error="MemoryError",
                 contains=(f"{p}: the [1000000001, 2000001] label matrix (largest node id 1000000000, largest "
                           "label 2000000) needs about",))
