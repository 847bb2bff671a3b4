"""load_ogb("ogbn-mag") on tiny ogbn-mag-like folders: tensors against the files written,
PyG's own OGB_MAG and ogb's raw reader; error paths; the cache."""
import os
import shutil

import numpy as np
import pytest
import torch

from graphlearn.datasets import load_ogb, load_ogb_mag
from graphlearn.datasets._cache import cache_file
from tests.datasets.ogb_folders import MAG_RELATIONS, write_csv_gz, write_mag_like


@pytest.fixture
def mag(tmp_path):
    folder = tmp_path / "ogbn_mag"
    info = write_mag_like(str(folder))
    return folder, info


def test_hetero_data_matches_files(mag, tmp_path):
    folder, info = mag
    data = load_ogb("ogbn-mag", str(tmp_path), cache_dir=str(tmp_path / "cache"))
    assert data.node_types == ["author", "field_of_study", "institution", "paper"]
    for t, n in info["sizes"].items():
        assert data[t].num_nodes == n
    assert sorted(data.edge_types) == sorted(MAG_RELATIONS)
    for et, edge in info["edges"].items():
        ei = data[et].edge_index
        assert ei.dtype == torch.int64 and torch.equal(ei, torch.from_numpy(edge).t())
    paper = data["paper"]
    assert paper.x.dtype == torch.float32 and torch.equal(paper.x, torch.from_numpy(info["feat"]))
    assert paper.year.dtype == torch.int64 and torch.equal(paper.year, torch.from_numpy(info["year"]))
    assert paper.y.dtype == torch.int64 and paper.y.shape == (20,)
    assert torch.equal(paper.y, torch.from_numpy(info["label"]))
    for part, attr in (("train", "train_mask"), ("valid", "val_mask"), ("test", "test_mask")):
        mask = paper[attr]
        assert mask.dtype == torch.bool and mask.shape == (20,)
        assert torch.equal(mask.nonzero().view(-1), torch.from_numpy(np.sort(info["idx"][part])))
    assert not (paper.train_mask & paper.val_mask).any() and not (paper.val_mask & paper.test_mask).any()
    assert data.target_type == "paper" and data.num_classes == 349
    data.validate()
    # the folder itself, the dash spelling, and the direct entry point give the same graph
    for root in (str(folder), str(tmp_path)):
        other = load_ogb_mag(root, use_cache=False)
        assert torch.equal(other["paper"].x, paper.x)
    dash = tmp_path / "dash"
    dash.mkdir()
    os.symlink(folder, dash / "ogbn-mag")
    assert torch.equal(load_ogb("OGBN_MAG", str(dash), use_cache=False)["author", "writes", "paper"].edge_index,
                       data["author", "writes", "paper"].edge_index)


def test_same_as_pyg_ogb_mag(mag, tmp_path):
    """PyG's OGB_MAG.process on the same files (its layout: <root>/mag/raw/{node-feat,...,split})."""
    OGB_MAG = pytest.importorskip("torch_geometric.datasets").OGB_MAG
    folder, _ = mag
    raw = tmp_path / "pyg" / "mag" / "raw"
    raw.mkdir(parents=True)
    for name in ("node-feat", "node-label", "relations", "num-node-dict.csv.gz"):
        os.symlink(folder / "raw" / name, raw / name)
    os.symlink(folder / "split", raw / "split")
    theirs = OGB_MAG(str(tmp_path / "pyg"))[0]
    ours = load_ogb("ogbn-mag", str(folder), use_cache=False)
    assert set(theirs.node_types) == set(ours.node_types) and set(theirs.edge_types) == set(ours.edge_types)
    for t in theirs.node_types:
        assert ours[t].num_nodes == theirs[t].num_nodes
        for k in theirs[t].keys():
            if k != "num_nodes":
                a, b = ours[t][k], theirs[t][k]
                assert a.dtype == b.dtype and torch.equal(a, b), (t, k)
    for et in theirs.edge_types:
        assert torch.equal(ours[et].edge_index, theirs[et].edge_index), et


def test_same_as_ogb_raw_reader(mag):
    read = pytest.importorskip("ogb.io.read_graph_raw")
    folder, _ = mag
    (g,) = read.read_csv_heterograph_raw(str(folder / "raw"), additional_node_files=["node_year"])
    ours = load_ogb("ogbn-mag", str(folder), use_cache=False)
    assert {t: ours[t].num_nodes for t in ours.node_types} == g["num_nodes_dict"]
    for et, ei in g["edge_index_dict"].items():
        assert torch.equal(ours[et].edge_index, torch.from_numpy(ei))
    assert torch.equal(ours["paper"].x, torch.from_numpy(g["node_feat_dict"]["paper"]))
    assert torch.equal(ours["paper"].year, torch.from_numpy(g["node_year"]["paper"]).view(-1))
    labels = read.read_node_label_hetero(str(folder / "raw"))
    assert torch.equal(ours["paper"].y, torch.from_numpy(labels["paper"]).view(-1))


def test_cache_is_reused_and_refreshed(mag, tmp_path):
    folder, info = mag
    cache = str(tmp_path / "cache")
    a = load_ogb("ogbn-mag", str(folder), cache_dir=cache)
    path = cache_file(str(folder), "ogbn_mag_hetero", cache)
    assert os.path.isfile(path)
    stamp = os.stat(path).st_mtime_ns
    # a reused cache is not rebuilt: the raw relation files are not even opened
    import graphlearn.datasets.ogb_hetero as mod

    def boom(*args, **kwargs):
        raise AssertionError("rebuilt although the cache is valid")

    orig, mod._build = mod._build, boom
    try:
        b = load_ogb("ogbn-mag", str(folder), cache_dir=cache)
    finally:
        mod._build = orig
    assert os.stat(path).st_mtime_ns == stamp
    assert torch.equal(a["paper"].x, b["paper"].x) and b.num_classes == 349 and b.target_type == "paper"
    for et in a.edge_types:
        assert torch.equal(a[et].edge_index, b[et].edge_index)
    # an edited raw file is re-read
    label = info["label"].copy()
    label[0] = (label[0] + 1) % 349
    write_csv_gz(str(folder / "raw" / "node-label" / "paper" / "node-label.csv.gz"), label)
    c = load_ogb("ogbn-mag", str(folder), cache_dir=cache)
    assert int(c["paper"].y[0]) == int(label[0])
    # the default cache goes to <folder>/processed
    load_ogb("ogbn-mag", str(folder))
    assert os.path.isfile(folder / "processed" / "graphlearn_ogbn_mag_hetero.pt")


def _damage_edge(folder, info):
    s, r, d = MAG_RELATIONS[0]
    edge = info["edges"][(s, r, d)].copy()
    edge[3, 1] = info["sizes"][d]  # institution id == number of institutions
    write_csv_gz(str(folder / "raw" / "relations" / f"{s}___{r}___{d}" / "edge.csv.gz"), edge)


def _nan_feature(folder, info):
    feat = info["feat"].copy()
    feat[4, 2] = np.nan
    write_csv_gz(str(folder / "raw" / "node-feat" / "paper" / "node-feat.csv.gz"), feat)


def _inf_feature(folder, info):
    feat = info["feat"].copy()
    feat[1, 0] = np.inf
    write_csv_gz(str(folder / "raw" / "node-feat" / "paper" / "node-feat.csv.gz"), feat)


def _label(value):
    def damage(folder, info):
        label = info["label"].astype(np.float64 if isinstance(value, float) else np.int64)
        label[2] = value
        write_csv_gz(str(folder / "raw" / "node-label" / "paper" / "node-label.csv.gz"), label)
    return damage


def _overlap(folder, info):
    test = np.concatenate([info["idx"]["test"], info["idx"]["train"][:1]])
    write_csv_gz(str(folder / "split" / "time" / "paper" / "test.csv.gz"), test)


def _split_out_of_range(folder, info):
    write_csv_gz(str(folder / "split" / "time" / "paper" / "valid.csv.gz"), np.array([0, 20]))


def _unknown_type(folder, info):
    import gzip

    with gzip.open(folder / "raw" / "triplet-type-list.csv.gz", "at") as f:
        f.write("paper,mentions,venue\n")


def _feature_rows(folder, info):
    write_csv_gz(str(folder / "raw" / "node-feat" / "paper" / "node-feat.csv.gz"), info["feat"][:-1])


def _edge_count(folder, info):
    s, r, d = MAG_RELATIONS[2]
    write_csv_gz(str(folder / "raw" / "relations" / f"{s}___{r}___{d}" / "num-edge-list.csv.gz"), np.array([1]))


def _repeated_type(folder, info):
    import gzip

    with gzip.open(folder / "raw" / "num-node-dict.csv.gz", "wt") as f:
        f.write("author,field_of_study,paper,paper\n12,9,20,20\n")


DAMAGE = {
    "repeated node type": (_repeated_type, ValueError, r"num-node-dict\.csv\.gz: node type names must be unique"),
    "missing relation folder": (lambda f, i: shutil.rmtree(f / "raw" / "relations" / "paper___cites___paper"),
                                FileNotFoundError, r"paper___cites___paper.*triplet-type-list"),
    "edge id out of range": (_damage_edge, ValueError,
                             r"author___affiliated_with___institution.edge\.csv\.gz: row 4: target id 5 out of "
                             r"range \[0, 5\) for node type 'institution'"),
    "nan feature": (_nan_feature, ValueError, r"node-feat\.csv\.gz: missing value or NaN in row 5"),
    "inf feature": (_inf_feature, ValueError, r"node-feat\.csv\.gz: infinite value in row 2"),
    "label out of range": (_label(349), ValueError, r"node-label\.csv\.gz: row 3: label 349.* \[0, 349\)"),
    "negative label": (_label(-1), ValueError, r"node-label\.csv\.gz: row 3: label -1"),
    "fractional label": (_label(2.5), ValueError, r"node-label\.csv\.gz: row 3: label 2\.5"),
    "overlapping splits": (_overlap, ValueError, r"test\.csv\.gz: paper id \d+ is also in .*train\.csv\.gz"),
    "split id out of range": (_split_out_of_range, ValueError, r"valid\.csv\.gz: paper node id 20 out of range"),
    "unknown node type": (_unknown_type, ValueError, r"triplet-type-list\.csv\.gz: row 5: node type 'venue'"),
    "feature rows": (_feature_rows, ValueError, r"node-feat\.csv\.gz: 19 rows, expected 20"),
    "edge count": (_edge_count, ValueError, r"paper___cites___paper.num-edge-list\.csv\.gz: lists \[1\]"),
    "missing labels": (lambda f, i: os.remove(f / "raw" / "node-label" / "paper" / "node-label.csv.gz"),
                       FileNotFoundError, r"node-label\.csv\.gz"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_folders_name_the_file(mag, tmp_path, damage):
    folder, info = mag
    make, exc, expect = DAMAGE[damage]
    cache = str(tmp_path / "cache")
    load_ogb("ogbn-mag", str(folder), cache_dir=cache)  # a valid cache never hides the damage
    make(folder, info)
    with pytest.raises(exc, match=expect):
        load_ogb("ogbn-mag", str(folder), cache_dir=cache)


def test_missing_folder_and_other_hetero_names(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_ogb("ogbn-mag", str(tmp_path))
    msg = str(err.value)
    assert str(tmp_path) in msg and "ogbn_mag" in msg
    assert "http://snap.stanford.edu/ogb/data/nodeproppred/mag.zip" in msg
    with pytest.raises(ValueError, match="heterogeneous"):
        load_ogb("ogbl-biokg", str(tmp_path))


def test_damaged_cache_is_rebuilt(mag, tmp_path):
    folder, _ = mag
    cache = str(tmp_path / "cache")
    a = load_ogb("ogbn-mag", str(folder), cache_dir=cache)
    path = cache_file(str(folder), "ogbn_mag_hetero", cache)
    blob = bytearray(open(path, "rb").read())
    pos = bytes(blob).find(a["paper"].x.numpy().tobytes())  # flip a byte of the stored paper features
    assert pos > 0
    blob[pos + 5] ^= 0xFF
    open(path, "wb").write(bytes(blob))
    with pytest.warns(UserWarning, match="rebuilding"):
        b = load_ogb("ogbn-mag", str(folder), cache_dir=cache)
    assert torch.equal(a["paper"].x, b["paper"].x)
