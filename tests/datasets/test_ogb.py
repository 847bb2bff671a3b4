"""load_ogb against ogb's own raw readers, hand reads of the csv files, and the
published dataset statistics; error handling on damaged folders."""
import gzip
import os
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from graphlearn.datasets import load_ogb
from graphlearn.datasets.ogb import OGBGraphDataset, OGBLinkDataset, OGBNodeDataset, ogb_names
from tests.conftest import require_dataset
from tests.datasets.ogb_folders import (write_arxiv_like, write_citation2_like, write_collab_like, write_csv_gz,
                                        write_ddi_like, write_mol_like)


def ogb_read_graphs(folder, add_inverse_edge, node_files=(), edge_files=()):
    """ogb's own raw reader (independent of graphlearn), as PygXPropPredDataset.process uses it."""
    read_graph_pyg = pytest.importorskip("ogb.io.read_graph_pyg").read_graph_pyg
    return read_graph_pyg(os.path.join(folder, "raw"), add_inverse_edge=add_inverse_edge,
                          additional_node_files=list(node_files), additional_edge_files=list(edge_files))


def assert_same_data(ours, theirs, keys):
    for k in keys:
        a, b = ours[k], theirs[k]
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b), k
    assert ours.num_nodes == theirs.num_nodes


# ----------------------------------------------------------------------------- shared real data

def test_ogbl_ddi_shared(tmp_path):
    folder = require_dataset("ogbl_ddi")
    ds = load_ogb("ogbl-ddi", os.path.dirname(folder), cache_dir=str(tmp_path))
    assert isinstance(ds, OGBLinkDataset) and len(ds) == 1 and ds.name == "ogbl-ddi"
    assert ds.eval_metric == "hits@20" and ds.task_type == "link prediction"
    data = ds[0]
    assert data.num_nodes == 4267 and data.edge_index.shape == (2, 2 * 1067911)
    assert set(data.keys()) == {"edge_index", "num_nodes"}
    split = ds.get_edge_split()
    assert split["train"]["edge"].shape == (1067911, 2)
    assert split["valid"]["edge"].shape == (133489, 2) and split["valid"]["edge_neg"].shape == (101882, 2)
    assert split["test"]["edge"].shape == (133489, 2) and split["test"]["edge_neg"].shape == (95599, 2)
    # OGB convention: the raw edges are the training edges, stored both ways, interleaved
    assert torch.equal(data.edge_index[:, 0::2], split["train"]["edge"].t())
    assert torch.equal(data.edge_index[:, 1::2], split["train"]["edge"].t().flip(0))
    # same tensors as ogb's reader and ogb's (trusted, unsafe) split loading
    (ref,) = ogb_read_graphs(folder, add_inverse_edge=True)
    assert_same_data(data, ref, ["edge_index"])
    from ogb.utils.torch_util import replace_numpy_with_torchtensor

    for part in ("train", "valid", "test"):
        theirs = replace_numpy_with_torchtensor(
            torch.load(os.path.join(folder, "split", "target", f"{part}.pt"), weights_only=False))
        assert theirs.keys() == split[part].keys()
        for k in theirs:
            assert theirs[k].dtype == split[part][k].dtype and torch.equal(theirs[k], split[part][k])


def test_ogbl_ddi_root_spellings(tmp_path):
    folder = require_dataset("ogbl_ddi")
    cache = str(tmp_path / "cache")
    a = load_ogb("ogbl_ddi", folder, cache_dir=cache)  # the folder itself, underscore name
    for spelling in ("ogbl-ddi", "ogbl_ddi"):
        parent = tmp_path / spelling.replace("_", "u")
        parent.mkdir()
        os.symlink(folder, parent / spelling)
        b = load_ogb("OGBL-DDI", str(parent), cache_dir=cache)
        assert b.name == "ogbl-ddi" and torch.equal(a[0].edge_index, b[0].edge_index)


@pytest.mark.parametrize("name,sizes,tasks,classes,metric,ydtype", [
    ("ogbg-molesol", (902, 113, 113), 1, -1, "rmse", torch.float32),
    ("ogbg-molbace", (1210, 151, 152), 1, 2, "rocauc", torch.int64),
])
def test_ogbg_molecules_shared(tmp_path, name, sizes, tasks, classes, metric, ydtype):
    folder = require_dataset(name.replace("-", "_"))
    ds = load_ogb(name, os.path.dirname(folder), cache_dir=str(tmp_path))
    assert isinstance(ds, OGBGraphDataset)
    assert (ds.num_tasks, ds.num_classes, ds.eval_metric) == (tasks, classes, metric)
    split = ds.get_idx_split()
    assert tuple(len(split[k]) for k in ("train", "valid", "test")) == sizes
    assert len(ds) == sum(sizes)
    allidx = torch.cat([split["train"], split["valid"], split["test"]])
    assert torch.equal(allidx.sort().values, torch.arange(len(ds)))
    # every graph equals ogb's reader + OGB's label rule
    ref = ogb_read_graphs(folder, add_inverse_edge=True)
    labels = np.array(pd.read_csv(os.path.join(folder, "raw", "graph-label.csv.gz"), header=None).values)
    assert len(ref) == len(ds)
    for i in range(len(ds)):
        g = ds[i]
        assert_same_data(g, ref[i], ["edge_index", "x", "edge_attr"])
        assert g.y.shape == (1, tasks) and g.y.dtype == ydtype
        assert torch.equal(g.y, torch.from_numpy(labels[i]).view(1, -1).to(ydtype))
    # hand read of graph 0 from the csv files
    nn_ = pd.read_csv(os.path.join(folder, "raw", "num-node-list.csv.gz"), header=None)[0].values
    ne = pd.read_csv(os.path.join(folder, "raw", "num-edge-list.csv.gz"), header=None)[0].values
    e0 = pd.read_csv(os.path.join(folder, "raw", "edge.csv.gz"), header=None).values[: ne[0]]
    x0 = pd.read_csv(os.path.join(folder, "raw", "node-feat.csv.gz"), header=None).values[: nn_[0]]
    g0 = ds[0]
    assert g0.num_nodes == nn_[0] and torch.equal(g0.x, torch.from_numpy(x0).long())
    assert torch.equal(g0.edge_index[:, 0::2], torch.from_numpy(e0.T).long())
    # subsets and PyG's DataLoader work as with ogb's dataset
    from torch_geometric.loader import DataLoader

    train = ds[split["train"]]
    assert len(train) == sizes[0]
    batch = next(iter(DataLoader(train, batch_size=32)))
    assert batch.num_graphs == 32 and batch.y.shape == (32, tasks)


# ----------------------------------------------------------------------------- tiny folders

def test_citation2_like_split_dicts(tmp_path):
    folder = str(tmp_path / "ogbl_citation2")
    ref = write_citation2_like(folder)
    ds = load_ogb("ogbl-citation2", str(tmp_path))
    assert ds.eval_metric == "mrr"
    data = ds[0]
    assert torch.equal(data.edge_index, torch.from_numpy(ref["edges"].T))  # directed: no inverse edges
    assert data.x.dtype == torch.float32 and torch.equal(data.x, torch.from_numpy(ref["feat"]))
    assert data.node_year.shape == (ref["n"], 1) and data.node_year.dtype == torch.int64
    assert torch.equal(data.node_year[:, 0], torch.from_numpy(ref["year"]))
    (theirs,) = ogb_read_graphs(folder, False, node_files=["node_year"])
    assert_same_data(data, theirs, ["edge_index", "x", "node_year"])
    split = ds.get_edge_split()
    assert split["train"].keys() == {"source_node", "target_node"}
    quiet = load_ogb("ogbl-citation2", folder, progress=True, use_cache=False)
    assert torch.equal(quiet[0].edge_index, data.edge_index)
    (tmp_path / "ogbl_citation2" / "RELEASE_v0.txt").write_text("old")
    with pytest.warns(UserWarning, match="RELEASE_v0.txt, but OGB's current release"):
        load_ogb("ogbl-citation2", folder)
    for part in ("valid", "test"):
        assert split[part]["target_node_neg"].shape == (7, 1000)
        for k, v in ref["split"][part].items():
            assert torch.equal(split[part][k], torch.from_numpy(v))


def test_collab_like_edge_year_and_split_dict(tmp_path):
    folder = str(tmp_path / "ogbl_collab")
    ref = write_collab_like(folder)
    data = load_ogb("ogbl-collab", folder)[0]
    e = len(ref["edges"])
    assert data.edge_index.shape == (2, 2 * e)
    assert data.edge_weight.shape == (2 * e, 1) and data.edge_year.shape == (2 * e, 1)
    assert torch.equal(data.edge_year[0::2, 0], torch.from_numpy(ref["year"]))
    assert torch.equal(data.edge_year[1::2, 0], torch.from_numpy(ref["year"]))
    (theirs,) = ogb_read_graphs(folder, True, edge_files=["edge_weight", "edge_year"])
    assert_same_data(data, theirs, ["edge_index", "x", "edge_weight", "edge_year"])
    split = load_ogb("ogbl-collab", folder).get_edge_split()
    for part in ref["split"]:
        for k, v in ref["split"][part].items():
            assert torch.equal(split[part][k], v)


def test_ogbn_like_labels_and_idx_split(tmp_path):
    folder = str(tmp_path / "ogbn-arxiv")
    ref = write_arxiv_like(folder)
    ds = load_ogb("ogbn-arxiv", str(tmp_path))
    assert isinstance(ds, OGBNodeDataset)
    assert (ds.num_tasks, ds.num_classes, ds.eval_metric) == (1, 40, "acc")
    data = ds[0]
    assert data.y.shape == (ref["n"], 1) and data.y.dtype == torch.int64
    assert torch.equal(data.y[:, 0], torch.from_numpy(ref["label"]))
    assert torch.equal(data.edge_index, torch.from_numpy(ref["edges"].T))
    (theirs,) = ogb_read_graphs(folder, False, node_files=["node_year"])
    assert_same_data(data, theirs, ["edge_index", "x", "node_year"])
    split = ds.get_idx_split()
    for k, v in ref["idx"].items():
        assert split[k].dtype == torch.int64 and torch.equal(split[k], torch.from_numpy(v))


def test_ogbg_like_nan_labels_and_empty_graph(tmp_path):
    folder = str(tmp_path / "ogbg_moltox21")
    ref = write_mol_like(folder, tasks=12, nan=True)
    ds = load_ogb("ogbg-moltox21", folder)
    assert len(ds) == 6 and ds.num_tasks == 12
    assert ds[0].y.dtype == torch.float32 and torch.isnan(ds[1].y[0, 0])  # NaN labels -> float, as ogb
    for i in range(len(ds)):  # labels are 0/1/NaN: exact up to NaN == NaN
        expect = torch.from_numpy(ref["label"][i]).float().view(1, -1)
        assert torch.allclose(ds[i].y, expect, rtol=0, atol=0, equal_nan=True)
    g2 = ds[2]
    assert g2.num_nodes == 1 and g2.edge_index.shape == (2, 0) and g2.edge_attr.shape == (0, 3)
    theirs = ogb_read_graphs(folder, True)
    for i in range(len(ds)):
        assert_same_data(ds[i], theirs[i], ["edge_index", "x", "edge_attr"])
    assert torch.equal(ds.get_idx_split()["train"], torch.arange(4))


def test_binary_npz_layout(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "ogbl_vessel"
    (folder / "raw").mkdir(parents=True)
    n, e = 20, 50
    ei = rng.integers(0, n, (2, e))
    arrays = dict(edge_index=ei, num_nodes_list=np.array([n]), num_edges_list=np.array([e]),
                  node_feat=rng.standard_normal((n, 3)).astype(np.float32),
                  edge_feat=rng.standard_normal((e, 2)).astype(np.float32))
    np.savez(folder / "raw" / "data.npz", **arrays)
    data = load_ogb("ogbl-vessel", str(tmp_path))[0]
    pytest.importorskip("ogb")
    from ogb.io.read_graph_pyg import read_graph_pyg

    (theirs,) = read_graph_pyg(str(folder / "raw"), binary=True)
    assert_same_data(data, theirs, ["edge_index", "x", "edge_attr"])


def test_metadata_matches_ogb_master_csv():
    pytest.importorskip("ogb")
    import ogb

    base = os.path.dirname(ogb.__file__)
    seen = set()
    for sub in ("linkproppred", "nodeproppred", "graphproppred"):
        master = pd.read_csv(os.path.join(base, sub, "master.csv"), index_col=0, keep_default_na=False)
        for name in master.keys():
            ds_meta = __import__("graphlearn.datasets.ogb", fromlist=["_META"])._META[name]
            theirs = {k: str(v) for k, v in master[name].items()}
            assert ds_meta.meta_info() == theirs, name
            seen.add(name)
    assert seen == set(ogb_names())


# ----------------------------------------------------------------------------- errors

def test_missing_folder_says_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        load_ogb("ogbl-ddi", str(tmp_path))
    msg = str(err.value)
    assert str(tmp_path) in msg and "ogbl_ddi" in msg and "http://snap.stanford.edu/ogb/data/linkproppred/ddi.zip" in msg
    with pytest.raises(ValueError, match="unknown OGB dataset"):
        load_ogb("ogbl-nope", str(tmp_path))
    with pytest.raises(ValueError, match="heterogeneous"):
        load_ogb("ogbl-biokg", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="mag"):  # ogbn-mag is read (tests/datasets/test_ogb_mag.py)
        load_ogb("ogbn-mag", str(tmp_path))


def test_truncated_gz_names_file(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder), e=3000)
    path = folder / "raw" / "edge.csv.gz"
    blob = path.read_bytes()
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="edge.csv.gz"):
        load_ogb("ogbl-ddi", str(folder))


def test_wrong_column_count_names_file(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    write_csv_gz(str(folder / "raw" / "edge.csv.gz"), np.zeros((120, 3), dtype=np.int64))
    with pytest.raises(ValueError, match=r"edge.csv.gz: expected 2 column\(s\), found 3"):
        load_ogb("ogbl-ddi", str(folder))
    with gzip.open(folder / "raw" / "edge.csv.gz", "wt") as f:  # ragged rows
        f.write("1,2\n3,4,5\n")
    with pytest.raises(ValueError, match="edge.csv.gz"):
        load_ogb("ogbl-ddi", str(folder))


def test_counts_and_node_ids_checked(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    ref = write_ddi_like(str(folder))
    write_csv_gz(str(folder / "raw" / "num-edge-list.csv.gz"), np.array([len(ref["edges"]) + 1]))
    with pytest.raises(ValueError, match="num-edge-list.csv.gz sums to"):
        load_ogb("ogbl-ddi", str(folder))
    write_csv_gz(str(folder / "raw" / "num-edge-list.csv.gz"), np.array([len(ref["edges"])]))
    write_csv_gz(str(folder / "raw" / "num-node-list.csv.gz"), np.array([int(ref["edges"].max())]))
    with pytest.raises(ValueError, match="edge.csv.gz: row .* outside graph 0"):
        load_ogb("ogbl-ddi", str(folder))


def test_split_ids_out_of_range(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    ref = write_ddi_like(str(folder))
    bad = dict(ref["split"]["valid"])
    bad["edge_neg"] = bad["edge_neg"].copy()
    bad["edge_neg"][3, 1] = ref["n"]
    torch.save(bad, folder / "split" / "target" / "valid.pt")
    ds = load_ogb("ogbl-ddi", str(folder))
    with pytest.raises(ValueError, match=r"valid.pt: valid\['edge_neg'\] node id 40 out of range \[0, 40\)"):
        ds.get_edge_split()
    arxiv = tmp_path / "arxiv"
    ref = write_arxiv_like(str(arxiv))
    write_csv_gz(str(arxiv / "split" / "time" / "test.csv.gz"), np.array([0, ref["n"]]))
    with pytest.raises(ValueError, match="test.csv.gz: node id 60 out of range"):
        load_ogb("ogbn-arxiv", str(arxiv)).get_idx_split()
    with pytest.raises(FileNotFoundError, match="split folder"):
        load_ogb("ogbn-arxiv", str(arxiv)).get_idx_split("nosuch")


def test_crafted_split_pickle_is_rejected(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for legacy in (False, True):
        torch.save({"edge": Evil()}, folder / "split" / "target" / "test.pt",
                   _use_new_zipfile_serialization=not legacy)
        with pytest.raises(ValueError, match="test.pt: refusing to load.*system"):
            load_ogb("ogbl-ddi", str(folder)).get_edge_split()
        assert not marker.exists()
    shutil.copy(folder / "raw" / "edge.csv.gz", folder / "split" / "target" / "test.pt")
    with pytest.raises(ValueError, match="test.pt: not a readable torch.save file"):
        load_ogb("ogbl-ddi", str(folder)).get_edge_split()


# ----------------------------------------------------------------------------- issue 11: split files, npz, values

def _ddi_split(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    ref = write_ddi_like(str(folder))
    return folder, ref, folder / "split" / "target" / "valid.pt"


DDI_SPLIT_DAMAGE = {
    "edge_3_columns": (lambda d: d.update(edge=np.zeros((5, 3), np.int64)),
                       r"valid\['edge'\] has shape \[5, 3\], expected \[E, 2\]$"),
    "edge_transposed": (lambda d: d.update(edge=np.ascontiguousarray(d["edge"].T)),
                        r"valid\['edge'\] has shape \[2, 6\], expected \[E, 2\]; OGB's split files hold \[E, 2\]"),
    "edge_1d": (lambda d: d.update(edge=d["edge"].reshape(-1)), r"valid\['edge'\] has shape \[12\]"),
    "edge_neg_3d": (lambda d: d.update(edge_neg=d["edge_neg"].reshape(2, -1, 2)), r"valid\['edge_neg'\] has shape"),
    "edge_bool": (lambda d: d.update(edge=d["edge"] > 3), r"valid\['edge'\] holds torch.bool values, expected node"),
    "edge_float": (lambda d: d.update(edge=d["edge"] + 0.5), r"valid\['edge'\] holds torch.float64 values"),
    "edge_scalar": (lambda d: d.update(edge=np.int64(3)), r"valid\['edge'\] is a scalar|valid\['edge'\] is a"),
    "edge_list": (lambda d: d.update(edge=[[0, 1]]), r"valid\['edge'\] is a list, expected an array"),
    "edge_strings": (lambda d: d.update(edge=d["edge"].astype(str)), "pickled array has dtype <U"),
    "edge_complex": (lambda d: d.update(edge=d["edge"].astype(np.complex64)), "pickled array has dtype complex64"),
    "edge_object": (lambda d: d.update(edge=d["edge"].astype(object)), "refusing to load|dtype object"),
    "edge_id_huge": (lambda d: d["edge"].__setitem__((0, 0), 10**9), r"valid\['edge'\] node id 1000000000 out of"),
}


@pytest.mark.parametrize("damage", sorted(DDI_SPLIT_DAMAGE))
def test_class1_edge_split_files_are_checked(tmp_path, damage):
    folder, ref, path = _ddi_split(tmp_path)
    d = {k: v.copy() for k, v in ref["split"]["valid"].items()}
    make, expect = DDI_SPLIT_DAMAGE[damage]
    make(d)
    torch.save(d, path)
    ds = load_ogb("ogbl-ddi", str(folder))
    with pytest.raises(ValueError, match="valid.pt: .*(" + expect + ")"):
        ds.get_edge_split()


COLLAB_DAMAGE = {
    "weight_nan": (lambda s: s["train"].update(weight=torch.full((80,), float("nan"))),
                   r"train\['weight'\] row 0 is not finite"),
    "weight_short": (lambda s: s["train"].update(weight=s["train"]["weight"][:-5]),
                     r"train\['weight'\] has 75 rows, but train\['edge'\] has 80 \(one row per positive pair\)"),
    "year_float": (lambda s: s["train"].update(year=s["train"]["year"].double() + 0.5),
                   r"train\['year'\] holds torch.float64 values, expected integers"),
    "edge_transposed": (lambda s: s["valid"].update(edge=s["valid"]["edge"].t().contiguous()),
                        r"valid\['edge'\] has shape \[2, 5\]"),
    "part_not_dict": (lambda s: s.update(test=torch.zeros(3)), "expected a dict of dicts"),
}


@pytest.mark.parametrize("damage", sorted(COLLAB_DAMAGE))
def test_class1_split_dict_is_checked(tmp_path, damage):
    folder = tmp_path / "ogbl_collab"
    write_collab_like(str(folder))
    path = folder / "split" / "time" / "split_dict.pt"
    split = torch.load(path, weights_only=True)
    make, expect = COLLAB_DAMAGE[damage]
    make(split)
    torch.save(split, path)
    with pytest.raises(ValueError, match="split_dict.pt: " + expect):
        load_ogb("ogbl-collab", str(folder)).get_edge_split()


@pytest.mark.parametrize("damage,expect", [
    (lambda d: d.update(target_node=d["target_node"][:-1]), r"valid\['target_node'\] has 6 rows, but valid\['source"),
    (lambda d: d.update(target_node_neg=d["target_node_neg"][:-1]), r"valid\['target_node_neg'\] has 6 rows"),
    (lambda d: d.update(target_node_neg=d["target_node_neg"].reshape(-1)),
     r"valid\['target_node_neg'\] has shape \[7000\], expected \[P, M\]"),
    (lambda d: d.update(source_node=d["source_node"].reshape(-1, 1)), r"valid\['source_node'\] has shape \[7, 1\]"),
])
def test_class1_target_node_splits_are_checked(tmp_path, damage, expect):
    folder = tmp_path / "ogbl_citation2"
    ref = write_citation2_like(str(folder))
    d = {k: v.copy() for k, v in ref["split"]["valid"].items()}
    damage(d)
    torch.save(d, folder / "split" / "time" / "valid.pt")
    with pytest.raises(ValueError, match="valid.pt: " + expect):
        load_ogb("ogbl-citation2", str(folder)).get_edge_split()


@pytest.mark.parametrize("value,expect", [
    (torch.tensor([0.5, 1.5]), r"'train' holds torch.float32 values, expected integer node ids"),
    (torch.tensor([[0, 1], [2, 3]]), r"'train' has shape \[2, 2\], expected 1-D"),
    (torch.tensor([True, False]), "'train' holds torch.bool values"),
    (np.array([0, 60]), "'train' node id 60 out of range"),
    ([0, 1], "'train' is a list"),
])
def test_class1_index_split_dict_is_checked(tmp_path, value, expect):
    folder = tmp_path / "ogbn_arxiv"
    write_arxiv_like(str(folder))
    torch.save({"train": value, "valid": torch.tensor([2]), "test": torch.tensor([3])},
               folder / "split" / "time" / "split_dict.pt")
    with pytest.raises(ValueError, match="split_dict.pt: " + expect):
        load_ogb("ogbn-arxiv", str(folder)).get_idx_split()


def test_class1_byte_damaged_split_files_never_crash(tmp_path):
    """Random byte damage in a split .pt file (zip container or pickle): an error naming
    the file, or a split that passes every check; never a crash (fresh interpreter)."""
    from tests.datasets.isolated import call_isolated

    folders = []
    for seed in range(8):
        folder = tmp_path / f"s{seed}" / "ogbl_ddi"
        write_ddi_like(str(folder), e=2000)
        path = folder / "split" / "target" / "valid.pt"
        blob = bytearray(path.read_bytes())
        rng = np.random.default_rng(seed)
        for pos in rng.integers(0, len(blob), 1 + seed % 3):
            blob[pos] ^= int(rng.integers(1, 256))
        path.write_bytes(bytes(blob))
        folders.append(str(folder))
    results = call_isolated("[attempt(lambda d=d: sorted(D.load_ogb('ogbl-ddi', d, use_cache=False)"
                            ".get_edge_split())) for d in args]", *folders)
    for folder, res in zip(folders, results):
        if res["error"] is not None:
            assert res["error"] == "ValueError" and os.path.join(folder, "split", "target", "valid.pt") in \
                res["message"], res


def _put(a, i, value):
    a = a.copy()
    a[i] = value
    return a


def _vessel(tmp_path, **change):
    rng = np.random.default_rng(0)
    folder = tmp_path / "ogbl_vessel"
    (folder / "raw").mkdir(parents=True)
    n, e = 20, 50
    arrays = dict(edge_index=rng.integers(0, n, (2, e)), num_nodes_list=np.array([n]), num_edges_list=np.array([e]),
                  node_feat=rng.standard_normal((n, 3)).astype(np.float32))
    for k, f in change.items():
        arrays[k] = f(arrays[k])
    np.savez(folder / "raw" / "data.npz", **arrays)
    return folder


@pytest.mark.parametrize("key,change,expect", [
    ("edge_index", lambda a: a + 0.25, "edge_index has dtype float64, expected integer"),  # class 3: never truncated
    ("edge_index", lambda a: a.astype(bool), "edge_index has dtype bool"),
    ("num_nodes_list", lambda a: a + 0.7, "num_nodes_list has dtype float64"),
    ("num_nodes_list", lambda a: -a, r"num_nodes_list\[0\] = -20 is out of range >= 0"),
    ("num_edges_list", lambda a: np.array([2**62, 2**62]), "the edge counts sum to more than 2\\*\\*62"),
    ("node_feat", lambda a: _put(a, (1, 1), np.nan), r"node_feat\[\[1, 1\]\] = nan"),
    ("node_feat", lambda a: _put(a, (1, 1), np.inf), r"node_feat\[\[1, 1\]\] = inf"),
    ("node_feat", lambda a: a.astype(str), "node_feat has dtype <U"),
    ("node_feat", lambda a: np.float32(1), "node_feat is a scalar"),
])
def test_class1_binary_npz_arrays_are_checked(tmp_path, key, change, expect):
    folder = _vessel(tmp_path, **{key: change})
    with pytest.raises(ValueError, match="data.npz: " + expect):
        load_ogb("ogbl-vessel", str(folder), use_cache=False)


@pytest.mark.parametrize("fname,value,expect", [
    ("node-feat.csv.gz", np.inf, "infinite value in row 4"),
    ("node-feat.csv.gz", -np.inf, "infinite value in row 4"),
    ("node-feat.csv.gz", np.nan, "missing value or NaN in row 4"),
    ("node-feat.csv.gz", 1e39, "row 4: value beyond the float32 range"),
    ("node_year.csv.gz", np.inf, "infinite value in row 4"),
    ("node_year.csv.gz", np.nan, r"49 rows, expected 50"),  # one column: an empty cell is a blank line
])
def test_class4_non_finite_features_are_errors(tmp_path, fname, value, expect):
    folder = tmp_path / "ogbl_citation2"
    ref = write_citation2_like(str(folder))
    col = ref["feat"] if fname == "node-feat.csv.gz" else ref["year"]
    arr = np.asarray(col, dtype=np.float64).reshape(len(col), -1).copy()
    arr[3, 0] = value
    write_csv_gz(str(folder / "raw" / fname), arr)
    with pytest.raises(ValueError, match=fname + ": " + expect):
        load_ogb("ogbl-citation2", str(folder), use_cache=False)


def test_class4_labels_may_be_missing_but_not_infinite(tmp_path):
    folder = tmp_path / "ogbg_molesol"
    ref = write_mol_like(str(folder))
    label = ref["label"].astype(float)
    label[1, 0] = np.inf
    write_csv_gz(str(folder / "raw" / "graph-label.csv.gz"), label)
    with pytest.raises(ValueError, match="graph-label.csv.gz: infinite value in row 2"):
        load_ogb("ogbg-molesol", str(folder), use_cache=False)


@pytest.mark.parametrize("value,expect", [
    (3.5, r"row 5: label 3.5 is not a class id \(an integer in \[0, 40\)\)"),  # class 3
    (40, r"row 5: label 40 is not a class id"),  # class 5
    (10**12, "row 5: label 1000000000000 is not a class id"),
    (-1000000, "row 5: label -1000000 is not a class id"),
])
def test_class5_node_labels_are_class_ids(tmp_path, value, expect):
    folder = tmp_path / "ogbn_arxiv"
    ref = write_arxiv_like(str(folder))
    label = ref["label"].astype(np.float64 if isinstance(value, float) else np.int64)
    label[4] = value
    write_csv_gz(str(folder / "raw" / "node-label.csv.gz"), label)
    with pytest.raises(ValueError, match="node-label.csv.gz: " + expect):
        load_ogb("ogbn-arxiv", str(folder), use_cache=False)


def test_class3_binary_labels_are_zero_or_one(tmp_path):
    folder = tmp_path / "ogbg_molbace"
    ref = write_mol_like(str(folder))
    label = ref["label"].astype(float)
    label[1, 0] = 0.5
    write_csv_gz(str(folder / "raw" / "graph-label.csv.gz"), label)
    with pytest.raises(ValueError, match=r"graph-label.csv.gz: row 2: label 0.5 is not a class id \(an integer in "
                                         r"\[0, 2\)\)"):
        load_ogb("ogbg-molbace", str(folder), use_cache=False)


def test_class5_counts_that_overflow_are_errors(tmp_path):
    folder = tmp_path / "ogbg_molbace"
    ref = write_mol_like(str(folder))
    counts = ref["num_nodes"].copy()
    counts[:2] = 2**62
    write_csv_gz(str(folder / "raw" / "num-node-list.csv.gz"), counts)
    with pytest.raises(ValueError, match=r"num-node-list.csv.gz: the node counts sum to more than 2\*\*62"):
        load_ogb("ogbg-molbace", str(folder), use_cache=False)
    with gzip.open(folder / "raw" / "num-node-list.csv.gz", "wt") as f:
        f.write("\n".join(["18446744073709551615"] + [str(v) for v in ref["num_nodes"][1:]]) + "\n")
    with pytest.raises(ValueError, match="num-node-list.csv.gz: row 1: integer beyond the int64 range"):
        load_ogb("ogbg-molbace", str(folder), use_cache=False)
