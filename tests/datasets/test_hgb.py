"""load_hgb on tiny HGB folders written here: with and without node.dat, single- and
multi-label, weighted links, the split, folder lookup, the cache and every error path."""
import json
import os

import pytest
import torch

from graphlearn.datasets import load_hgb

INFO = {"node.dat": {"node type": {"0": "author", "1": "paper"}},
        "link.dat": {"link type": {"0": {"start": 0, "end": 1, "meaning": "author-paper"},
                                   "1": {"start": 1, "end": 0, "meaning": "paper-author"}}},
        "label.dat": {"node type": {"0": {"0": "db", "1": "ml", "2": "ir"}}}}


def write(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, lines in files.items():
        with open(os.path.join(folder, name), "w") as f:
            if isinstance(lines, dict):
                json.dump(lines, f)
            else:
                f.write("".join("\t".join(map(str, row)) + "\n" for row in lines))
    return str(folder)


def dblp_like(n_authors=20):
    """Authors 0..n-1 (2 features), papers n..n+3 (featureless); labels on authors."""
    nodes = [(i, f"a{i}", 0, f"{i},{-i}.5") for i in range(n_authors)]
    nodes += [(n_authors + j, f"p{j}", 1) for j in range(4)]
    links = []
    for i in range(n_authors):
        p = n_authors + i % 4
        links += [(i, p, 0, 1.0 + (i == 3)), (p, i, 1, 1)]
    n_train = n_authors * 3 // 4
    labels = [(i, f"a{i}", 0, i % 3) for i in range(n_train)]
    test = [(i, f"a{i}", 0, i % 3) for i in range(n_train, n_authors)]
    return {"node.dat": nodes, "link.dat": links, "label.dat": labels, "label.dat.test": test, "info.dat": INFO,
            "meta.dat": {"Node Total": n_authors + 4, "Node Type_0": n_authors, "Node Type_1": 4}}


def test_single_label_with_features_and_weights(tmp_path):
    folder = write(tmp_path / "DBLP", dblp_like())
    data = load_hgb(folder, use_cache=False)
    assert sorted(data.node_types) == ["author", "paper"]
    assert data["author"].x.shape == (20, 2) and data["author"].x.dtype == torch.float32
    assert torch.equal(data["author"].x[5], torch.tensor([5.0, -5.5]))
    assert "x" not in data["paper"] and data["paper"].num_nodes == 4
    assert sorted(data.edge_types) == [("author", "author-paper", "paper"), ("paper", "paper-author", "author")]
    ap = data["author", "author-paper", "paper"]
    assert torch.equal(ap.edge_index, torch.tensor([list(range(20)), [i % 4 for i in range(20)]]))
    assert ap.edge_weight[3] == 2.0 and int((ap.edge_weight == 1).sum()) == 19
    pa = data["paper", "paper-author", "author"]
    assert "edge_weight" not in pa and torch.equal(pa.edge_index, ap.edge_index.flip(0))
    assert data.link_types == {0: ("author", "author-paper", "paper"), 1: ("paper", "paper-author", "author")}
    a = data["author"]
    assert data.target_type == "author" and data.multilabel is False and data.num_classes == 3
    assert a.y.dtype == torch.int64 and torch.equal(a.y, torch.arange(20) % 3)
    assert int(a.train_mask.sum()) == 15 - 3 and int(a.val_mask.sum()) == 3  # floor(15 * 0.2)
    assert torch.equal(a.test_mask, torch.arange(20) >= 15)
    assert not (a.train_mask & a.val_mask).any() and not ((a.train_mask | a.val_mask) & a.test_mask).any()
    # stratified: 15 training labels, 5 per class -> one validation node per class
    assert sorted(a.y[a.val_mask].tolist()) == [0, 1, 2]


def test_split_seed_determinism_and_ratio(tmp_path):
    folder = write(tmp_path / "DBLP", dblp_like(80))
    a, b = load_hgb(folder, seed=3)["author"], load_hgb(folder, seed=3)["author"]
    assert torch.equal(a.val_mask, b.val_mask) and torch.equal(a.train_mask, b.train_mask)
    c = load_hgb(folder, seed=4)["author"]
    assert not torch.equal(a.val_mask, c.val_mask)
    assert int(a.val_mask.sum()) == 12 and int(a.train_mask.sum()) == 48  # 60 labels, floor(60 * 0.2)
    d = load_hgb(folder, val_ratio=0.5)["author"]
    assert int(d.val_mask.sum()) == 30 and int(d.train_mask.sum()) == 30
    e = load_hgb(folder, val_ratio=0.0)["author"]
    assert int(e.val_mask.sum()) == 0 and int(e.train_mask.sum()) == 60
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match="val_ratio"):
            load_hgb(folder, val_ratio=bad)


def test_multilabel_without_info(tmp_path):
    nodes = [(i, f"m{i}", 0, "1,0") for i in range(6)] + [(6, "d0", 1), (7, "d1", 1)]
    links = [(i, 6 + i % 2, 0, 1) for i in range(6)]
    labels = [(0, "m0", 0, "0,2"), (1, "m1", 0, "1"), (2, "m2", 0, "2"), (3, "m3", 0, "0,1")]
    test = [(4, "m4", 0, "1,2")]
    folder = write(tmp_path / "IMDB", {"node.dat": nodes, "link.dat": links, "label.dat": labels,
                                       "label.dat.test": test})
    data = load_hgb("IMDB", str(tmp_path), seed=1, use_cache=False)
    assert sorted(data.node_types) == ["0", "1"] and data.edge_types == [("0", "0", "1")]
    m = data["0"]
    assert data.multilabel is True and data.num_classes == 3 and m.y.dtype == torch.float32
    assert m.y.tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1], [1, 1, 0], [0, 1, 1], [0, 0, 0]]
    assert int(m.val_mask.sum()) == 0 and int(m.train_mask.sum()) == 4 and m.test_mask.tolist() == [0, 0, 0, 0, 1, 0]
    with pytest.raises(ValueError, match="multilabel=False"):
        load_hgb(folder, multilabel=False, use_cache=False)
    single = write(tmp_path / "S", dblp_like())
    forced = load_hgb(single, multilabel=True, use_cache=False)
    assert forced.multilabel and forced["author"].y.shape == (20, 3)
    assert torch.equal(forced["author"].y.argmax(1), torch.arange(20) % 3)


def _no_node_files(meta):
    info_txt = ("node.dat\n\nTYPE\tMEANING\n0\t\tBook\n1\t\tFilm\n2\t\tPeople\n\n"
                "link.dat\n\nLINK\tSTART\tEND\tMEANING\n0\t\t0\t1\t\tbook-and-film\n1\t\t1\t2\t\tfilm-to-people\n\n"
                "label.dat\n\nTYPE\tCLASS\tMEANING\n0\t0\tx\n0\t1\ty\n")
    links = [(0, 3, 0, 1), (1, 4, 0, 0.5), (3, 5, 1, 1), (4, 7, 1, 1)]
    return {"link.dat": links, "label.dat": [(0, "b0", 0, 0), (1, "b1", 0, 1)],
            "label.dat.test": [(2, "b2", 0, 1)], "meta.dat": meta}, info_txt


@pytest.mark.parametrize("meta", [
    {"Node Total": 9, "Node Type_0": 3, "Node Type_1": 2, "Node Type_2": 4},
    [("Node Total:", "Total: 9"), ("Node Type_0:", "Total: 3"), ("Node Type_1:", "Total: 2"),
     ("Node Type_2:", "Total: 4")],
])
def test_without_node_dat(tmp_path, meta):
    files, info_txt = _no_node_files(meta)
    folder = write(tmp_path / "hgb_freebase", files)
    with open(os.path.join(folder, "info.dat"), "w") as f:
        f.write(info_txt)
    data = load_hgb("Freebase", str(tmp_path), use_cache=False)
    assert [data[t].num_nodes for t in ("Book", "Film", "People")] == [3, 2, 4]
    assert all("x" not in data[t] for t in data.node_types)
    bf = data["Book", "book-and-film", "Film"]
    assert bf.edge_index.tolist() == [[0, 1], [0, 1]] and bf.edge_weight.tolist() == [1.0, 0.5]
    assert data["Film", "film-to-people", "People"].edge_index.tolist() == [[0, 1], [0, 2]]
    assert data.target_type == "Book" and data.num_classes == 2 and data["Book"].y.tolist() == [0, 1, 1]


def test_folder_lookup_and_cache(tmp_path):
    write(tmp_path / "HGB" / "ACM", dblp_like())
    data = load_hgb("acm", str(tmp_path))
    cache = tmp_path / "HGB" / "ACM" / "processed" / "graphlearn_hgb_ACM.pt"
    assert cache.is_file()
    again = load_hgb("ACM", str(tmp_path))
    assert torch.equal(again["author"].x, data["author"].x) and torch.equal(again["author"].val_mask,
                                                                          data["author"].val_mask)
    rows = [r for r in dblp_like()["label.dat"][:-1]] + [(14, "a14", 0, 9)]
    write(tmp_path / "HGB" / "ACM", {"label.dat": rows})  # a changed file rebuilds the cache
    with pytest.raises(ValueError, match=r"label.dat: line 15: label 9 is out of range \[0, 3\)"):
        load_hgb("ACM", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="looked for link.dat in"):
        load_hgb("DBLP", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="has no link.dat"):
        load_hgb(str(tmp_path / "nowhere" / "x"))


def _mut(files, name, fn):
    files = dict(files)
    files[name] = fn(list(files[name]))
    return files


ERRORS = [
    ("link.dat", lambda r: r + [(0, 99, 0, 1)], r"link.dat: line 41: unknown target node id 99"),
    ("link.dat", lambda r: r + [(0, 1, 0, 1)], r"link.dat: line 41: link type 0 joins node types 0 -> 0"),
    ("link.dat", lambda r: r + [(0, 20, 7, 1)], r"link.dat: line 41: link type 7 is not described"),
    ("link.dat", lambda r: r + [(0, 20, 0)], r"link.dat: line 41: expected 4 tab-separated columns"),
    ("link.dat", lambda r: r + [(0, 20, 0, "heavy")], r"link.dat: line 41: weight must be a number"),
    ("link.dat", lambda r: r + [(0, 20, 0, "nan")], r"link.dat: line 41: weight must be a finite"),
    ("link.dat", lambda r: r + [("x", 20, 0, 1)], r"link.dat: line 41: source node id must be an integer"),
    ("link.dat", lambda r: [], r"link.dat: empty file"),
    ("node.dat", lambda r: r + [(30, "z", 0, "1,2", "extra")], r"node.dat: line 25: expected 3 or 4"),
    ("node.dat", lambda r: r + [(3, "dup", 1)], r"node.dat: line 25: node id 3 repeats line 4"),
    ("node.dat", lambda r: r + [(30, "z", 5)], r"node.dat: line 25: node type 5 is not named"),
    ("node.dat", lambda r: r + [(30, "z", "a")], r"node.dat: line 25: node type must be an integer"),
    ("node.dat", lambda r: r + [(30, "z", 0, "1,x")], r"node.dat: line 25: feature 2 is not a number"),
    ("node.dat", lambda r: r + [(30, "z", 0, "1,inf")], r"node.dat: line 25: feature 2 is not a finite"),
    ("node.dat", lambda r: r + [(30, "z", 0, "1")], r"node.dat: line 25: 1 features, but node type 0 has 2"),
    ("node.dat", lambda r: r + [(30, "z", 0)], r"node.dat: line 25: node type 0 lacks features"),
    ("node.dat", lambda r: [x for x in r if x[2] == 0], r"names node type 1 \(paper\), but .*node.dat has no"),
    ("node.dat", lambda r: [], r"node.dat: empty file"),
    ("label.dat", lambda r: r + [(17, "a17", 0, -1)], r"label.dat: line 16: label must be at least 0"),
    ("label.dat", lambda r: r + [(17, "a17", 0, 3)], r"label.dat: line 16: label 3 is out of range \[0, 3\)"),
    ("label.dat", lambda r: r + [(17, "a17", 0, "1.5")], r"label.dat: line 16: label must be an integer"),
    ("label.dat", lambda r: r + [(21, "p1", 1, 0)], r"label.dat: line 16: labels on node type 1"),
    ("label.dat", lambda r: r + [(21, "p1", 0, 0)], r"label.dat: line 16: node 21 is listed with type 0"),
    ("label.dat", lambda r: r + [(2, "a2", 0, 1)], r"label.dat: line 16: node 2 is already labelled at .*line 3"),
    ("label.dat", lambda r: r + [(50, "a", 0, 1)], r"label.dat: line 16: unknown node id 50"),
    ("label.dat", lambda r: r + [(17, "a17", 0)], r"label.dat: line 16: expected 4 tab-separated columns"),
    ("label.dat", lambda r: r + [(17, "a17", 0, "1,1")], r"label.dat: line 16: repeated label"),
    ("label.dat", lambda r: [], r"label.dat: empty file"),
    ("label.dat.test", lambda r: r + [(0, "a0", 0, 1)], r"label.dat.test: line 6: node 0 is already labelled"),
    ("label.dat.test", lambda r: [], r"label.dat.test: empty file"),
]


@pytest.mark.parametrize("name,fn,match", ERRORS)
def test_errors(tmp_path, name, fn, match):
    folder = write(tmp_path / "DBLP", _mut(dblp_like(), name, fn))
    with pytest.raises(ValueError, match=match):
        load_hgb(folder)
    assert not os.path.exists(os.path.join(folder, "processed"))  # nothing half-built is cached


def test_info_and_meta_errors(tmp_path):
    files = dblp_like()
    bad_info = json.loads(json.dumps(INFO))
    bad_info["link.dat"]["link type"]["0"]["start"] = 4
    with pytest.raises(ValueError, match="info.dat: link type 0 uses node type 4, which has no nodes"):
        load_hgb(write(tmp_path / "a", {**files, "info.dat": bad_info}), use_cache=False)
    folder = write(tmp_path / "b", files)
    with open(os.path.join(folder, "info.dat"), "w") as f:
        f.write('{"node.dat": \n{"node type": }')
    with pytest.raises(ValueError, match="info.dat: line 2: invalid JSON"):
        load_hgb(folder, use_cache=False)
    with open(os.path.join(folder, "info.dat"), "w") as f:
        f.write("just some words\n")
    with pytest.raises(ValueError, match="info.dat: neither JSON nor HGB's text layout"):
        load_hgb(folder, use_cache=False)
    # without node.dat: meta.dat lacking a type that a link type uses, info.dat missing
    nf, info_txt = _no_node_files({"Node Type_0": 3, "Node Type_1": 2})
    folder = write(tmp_path / "c", nf)
    with pytest.raises(ValueError, match="without node.dat, info.dat must describe the link types"):
        load_hgb(folder, use_cache=False)
    with open(os.path.join(folder, "info.dat"), "w") as f:
        f.write(info_txt)
    with pytest.raises(ValueError, match=r"meta.dat: no count for node type 2 \('Node Type_2'\)"):
        load_hgb(folder, use_cache=False)
    write(folder, {"meta.dat": {"Node Type_0": 3, "Node Type_1": 2, "Node Type_2": 2}})
    with pytest.raises(ValueError, match="link.dat: line 4: unknown target node id 7: meta.dat counts 7 nodes"):
        load_hgb(folder, use_cache=False)
    write(folder, {"meta.dat": {"Node Type_0": 3, "Node Type_1": "two", "Node Type_2": 4}})
    with pytest.raises(ValueError, match="meta.dat: 'Node Type_1': expected a non-negative integer"):
        load_hgb(folder, use_cache=False)
    os.remove(os.path.join(folder, "meta.dat"))
    with pytest.raises(FileNotFoundError, match="meta.dat must give the node counts"):
        load_hgb(folder, use_cache=False)
    os.remove(os.path.join(folder, "label.dat.test"))
    with pytest.raises(FileNotFoundError, match="missing file label.dat.test"):
        load_hgb(folder, use_cache=False)


def test_info_classes_on_another_type(tmp_path):
    info = json.loads(json.dumps(INFO))
    info["label.dat"] = {"node type": {"1": {"0": "a", "1": "b"}}}
    folder = write(tmp_path / "DBLP", {**dblp_like(), "info.dat": info})
    with pytest.raises(ValueError, match=r"info.dat: gives classes for node type\(s\) \[1\], but the labels are on "
                                         "node type 0"):
        load_hgb(folder, use_cache=False)


def test_matches_pyg_hgbdataset(tmp_path):
    """The same tensors as torch_geometric.datasets.HGBDataset (which names relations its own way)."""
    from torch_geometric.datasets import HGBDataset

    folder = write(tmp_path / "dblp" / "raw" / "DBLP", dblp_like())
    ref = HGBDataset(str(tmp_path), "dblp")[0]
    ours = load_hgb("DBLP", str(tmp_path), use_cache=False)
    assert torch.equal(ours["author"].x, ref["author"].x.float()) and ours["paper"].num_nodes == ref["paper"].num_nodes
    assert torch.equal(ours["author"].y, ref["author"].y)
    assert torch.equal(ours["author"].test_mask, ref["author"].test_mask)
    assert torch.equal(ours["author"].train_mask | ours["author"].val_mask, ref["author"].train_mask)
    ref_types = sorted(ref.edge_types, key=lambda et: (et[0], et[2]))
    our_types = [ours.link_types[i] for i in sorted(ours.link_types)]
    assert [(s, d) for s, _, d in ref_types] == [(s, d) for s, _, d in sorted(our_types, key=lambda e: (e[0], e[2]))]
    for r, o in zip(ref_types, sorted(our_types, key=lambda e: (e[0], e[2]))):
        assert torch.equal(ours[o].edge_index, ref[r].edge_index)
        assert ("edge_weight" in ours[o]) == ("edge_weight" in ref[r])
    assert os.path.isdir(folder)
