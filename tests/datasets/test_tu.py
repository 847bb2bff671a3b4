"""load_tu against direct pandas reads of the text files and PyG's TUDataset."""
import os
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from graphlearn.datasets import load_tu
from tests.conftest import require_dataset


def read(path):
    return pd.read_csv(path, header=None, skipinitialspace=True).to_numpy()


def test_enzymes_against_pandas(tmp_path):
    require_dataset("tu_enzymes")
    ds = load_tu("ENZYMES", cache_dir=str(tmp_path))
    raw = os.path.join(ds.root)
    assert len(ds) == 600 and ds.num_classes == 6
    assert sum(g.num_nodes for g in ds) == 19580
    assert (ds.num_node_attributes, ds.num_node_labels) == (18, 3)
    ind = read(os.path.join(raw, "ENZYMES_graph_indicator.txt"))[:, 0]
    attrs = read(os.path.join(raw, "ENZYMES_node_attributes.txt")).astype(np.float32)
    labels = read(os.path.join(raw, "ENZYMES_node_labels.txt"))[:, 0]
    glabels = read(os.path.join(raw, "ENZYMES_graph_labels.txt"))[:, 0]
    A = read(os.path.join(raw, "ENZYMES_A.txt"))
    assert torch.equal(torch.tensor([g.num_nodes for g in ds]), torch.from_numpy(np.bincount(ind)[1:]))
    assert sorted(set(glabels.tolist())) == [1, 2, 3, 4, 5, 6]
    start = np.concatenate([[0], np.cumsum(np.bincount(ind)[1:])])
    for i in (0, 1, 299, 599):
        g = ds[i]
        sl = slice(start[i], start[i + 1])
        onehot = np.eye(3, dtype=np.float32)[labels[sl] - labels.min()]
        assert torch.equal(g.x, torch.from_numpy(np.concatenate([attrs[sl], onehot], 1)))
        assert int(g.y) == glabels[i] - 1
        mine = A[(ind[A[:, 0] - 1] == i + 1)] - 1 - start[i]  # this graph's edges, local 0-based
        mine = mine[mine[:, 0] != mine[:, 1]]
        expect = set(map(tuple, mine.tolist()))
        got = list(map(tuple, g.edge_index.t().tolist()))
        assert len(got) == len(expect) and set(got) == expect
        assert g.edge_index.min() >= 0 and g.edge_index.max() < g.num_nodes
    labels_only = load_tu("ENZYMES", cache_dir=str(tmp_path), use_node_attr=False)
    assert labels_only[0].x.shape[1] == 3


def test_enzymes_against_pyg_tudataset(tmp_path):
    src = require_dataset("tu_enzymes", "ENZYMES")
    from torch_geometric.datasets import TUDataset

    shutil.copytree(src, tmp_path / "ENZYMES")  # PyG writes processed/ next to raw/
    for use in (True, False):
        ref = TUDataset(str(tmp_path), "ENZYMES", use_node_attr=use)
        ours = load_tu("ENZYMES", str(tmp_path), use_node_attr=use)
        assert len(ours) == len(ref)
        for i in range(0, 600, 7):
            for k in ("x", "edge_index", "y"):
                assert torch.equal(ours[i][k], ref[i][k]), (i, k)


def write_tu(folder, name="TOY", seed=0, graphs=5):
    """A small TU dataset with 2 node-label columns, node/edge attributes, edge
    labels, self-loops and a duplicated edge."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 7, graphs)
    ind = np.repeat(np.arange(1, graphs + 1), sizes)
    start = np.concatenate([[0], np.cumsum(sizes)])
    edges = []
    for g in range(graphs):
        for _ in range(2 * sizes[g]):
            u, v = rng.integers(start[g], start[g + 1], 2) + 1
            edges += [(u, v), (v, u)]
    edges += [edges[0], (start[1] + 1, start[1] + 1)]  # duplicate + self-loop
    edges = np.array(edges)
    n, e = len(ind), len(edges)
    files = {
        "A": edges, "graph_indicator": ind[:, None],
        "node_labels": np.stack([rng.integers(1, 4, n), rng.integers(0, 2, n)], 1),
        "node_attributes": rng.standard_normal((n, 2)).round(3),
        "edge_labels": rng.integers(0, 3, (e, 1)), "edge_attributes": rng.random((e, 1)).round(3),
        "graph_labels": rng.choice([-1, 1], (graphs, 1)),
    }
    os.makedirs(folder, exist_ok=True)
    for k, arr in files.items():
        with open(os.path.join(folder, f"{name}_{k}.txt"), "w") as f:
            f.write("\n".join(", ".join(str(v) for v in row) for row in arr) + "\n")
    return files


def test_synthetic_against_pyg_with_edge_features(tmp_path):
    from torch_geometric.datasets import TUDataset

    write_tu(str(tmp_path / "TOY" / "raw"))
    ref = TUDataset(str(tmp_path), "TOY", use_node_attr=True, use_edge_attr=True)
    ours = load_tu("TOY", str(tmp_path))
    assert len(ours) == len(ref) == 5 and ours.num_classes == 2
    assert (ours.num_node_labels, ours.num_edge_attributes, ours.num_edge_labels) == (5, 1, 3)
    for i in range(5):
        for k in ("x", "edge_index", "edge_attr", "y"):
            assert ours[i][k].dtype == ref[i][k].dtype and torch.allclose(ours[i][k].float(), ref[i][k].float()), k
    no_edge_attr = load_tu("TOY", str(tmp_path), use_edge_attr=False)
    assert no_edge_attr[0].edge_attr.shape[1] == 3


def test_bad_inputs(tmp_path):
    folder = tmp_path / "bad"
    files = write_tu(str(folder))
    with open(folder / "TOY_node_labels.txt", "a") as f:  # one node too many
        f.write("1, 0\n")
    with pytest.raises(ValueError, match="TOY_node_labels.txt: .* lines, but there are .* nodes"):
        load_tu("TOY", str(folder), use_cache=False)
    write_tu(str(folder))
    ind = files["graph_indicator"][:, 0]
    u = 1
    v = int(np.nonzero(ind == 2)[0][0]) + 1  # first node of graph 2
    with open(folder / "TOY_A.txt", "a") as f:
        f.write(f"{u}, {v}\n")
    with pytest.raises(ValueError, match="TOY_A.txt: line .* joins node 1 \\(graph 1\\) to node"):
        load_tu("TOY", str(folder), use_cache=False)
    write_tu(str(folder))
    with open(folder / "TOY_A.txt", "a") as f:
        f.write(f"1, {len(ind) + 1}\n")
    with pytest.raises(ValueError, match="TOY_A.txt: line .* refers to node"):
        load_tu("TOY", str(folder), use_cache=False)
    write_tu(str(folder))
    with open(folder / "TOY_graph_indicator.txt", "w") as f:
        f.write("\n".join(str(v) for v in ind[::-1]) + "\n")
    with pytest.raises(ValueError, match="never decrease"):
        load_tu("TOY", str(folder), use_cache=False)
    with pytest.raises(FileNotFoundError, match="looked for NOPE_A.txt"):
        load_tu("NOPE", str(tmp_path))


# ----------------------------------------------------------------------------- issue 11: values in TU files

def _set_line(folder, part, index, text, name="TOY"):
    path = folder / f"{name}_{part}.txt"
    lines = path.read_text().splitlines()
    lines[index] = text
    path.write_text("\n".join(lines) + "\n")
    return index + 1 if index >= 0 else len(lines) + index + 1


def _with_graph_attributes(folder):
    os.remove(folder / "TOY_graph_labels.txt")
    (folder / "TOY_graph_attributes.txt").write_text("0.5\n1.5\n-2\n3.25\n4\n")


@pytest.mark.parametrize("part,value,expect", [
    ("node_attributes", "inf, 0.5", "infinite value"),
    ("node_attributes", "0.5, -inf", "infinite value"),
    ("node_attributes", "nan, 0.5", "missing value or NaN"),
    ("node_attributes", "1e39, 0.5", "value beyond the float32 range"),
    ("node_attributes", "0.5, ", "missing value or NaN"),
    ("edge_attributes", "inf", "infinite value"),
    ("edge_attributes", "nan", "missing value or NaN"),
    ("edge_attributes", "-1e300", "value beyond the float32 range"),
    ("graph_attributes", "inf", "infinite value"),
    ("graph_attributes", "-inf", "infinite value"),
    ("graph_attributes", "nan", "missing value or NaN"),
    ("node_labels", "inf, 0", "infinite value"),
    ("edge_labels", "-inf", "infinite value"),
    ("graph_labels", "inf", "infinite value"),
    ("graph_indicator", "inf", "infinite value"),
    ("A", "1, inf", "infinite value"),
])
def test_class4_inf_and_nan_rejected_in_every_tu_file(tmp_path, part, value, expect):
    """Before: nan was rejected but inf accepted (attributes), and inf in an integer file
    passed the integer check and became -2**63."""
    folder = tmp_path / "toy"
    write_tu(str(folder))
    if part == "graph_attributes":
        _with_graph_attributes(folder)
    line = _set_line(folder, part, -1 if part == "graph_indicator" else 2, value)
    with pytest.raises(ValueError, match=f"TOY_{part}.txt: line {line}: {expect}"):
        load_tu("TOY", str(folder), use_cache=False)


def test_class4_finite_graph_attributes_still_load(tmp_path):
    folder = tmp_path / "toy"
    write_tu(str(folder))
    _with_graph_attributes(folder)
    ds = load_tu("TOY", str(folder), use_cache=False)
    assert ds._data.y.dtype == torch.float32 and ds._data.y.tolist() == [0.5, 1.5, -2.0, 3.25, 4.0]


@pytest.mark.parametrize("part,value,expect", [
    ("node_labels", "1.5, 0", "expected integers"),
    ("edge_labels", "0.25", "expected integers"),
    ("graph_labels", "-1.5", "expected integers"),
    ("graph_indicator", "1.5", "expected integers"),
    ("A", "1, 2.5", "expected integers"),
    ("A", "9007199254740993, 1", r"integer of magnitude 2\*\*53 or more"),  # parsed as a float: not exact
])
def test_class3_non_integers_in_integer_files_are_errors(tmp_path, part, value, expect):
    folder = tmp_path / "toy"
    write_tu(str(folder))
    line = _set_line(folder, part, 0 if part == "graph_indicator" else 2, value)
    with pytest.raises(ValueError, match=f"TOY_{part}.txt: line {line}: {expect}"):
        load_tu("TOY", str(folder), use_cache=False)


def test_class3_integral_floats_are_integers(tmp_path):
    """``3.0`` is the integer 3 in a text file (PyG's TU reader parses the same way)."""
    folder = tmp_path / "toy"
    files = write_tu(str(folder))
    ref = load_tu("TOY", str(folder), use_cache=False)
    labels = files["node_labels"]
    (folder / "TOY_node_labels.txt").write_text("\n".join(f"{a}.0, {b}" for a, b in labels) + "\n")
    again = load_tu("TOY", str(folder), use_cache=False)
    assert torch.equal(ref._data.x, again._data.x)


FAR_OUT_LABELS = [  # (file, line index, new line, the label the message names)
    ("node_labels", 2, "-1000000, 0", "-1000000"),
    ("node_labels", 2, "1000000000000, 0", "1000000000000"),
    ("node_labels", 5, "1, 100000000", "100000000"),
    ("edge_labels", 3, "1000000000000", "1000000000000"),
    ("edge_labels", 3, "-1000000", "-1000000"),
]


def test_class5_far_out_labels_are_refused_not_allocated(tmp_path):
    """A stray label made the one-hot block (max - min + 1) wide: on ENZYMES a label of
    -1000000 asked for 73 GiB. Labels may span at most max(lines, 1024) values. Runs in a
    fresh interpreter (address space capped), as the unfixed loader allocates."""
    from tests.datasets.isolated import call_isolated

    folders, lines = [], []
    for k, (part, index, value, _) in enumerate(FAR_OUT_LABELS):
        folder = tmp_path / f"case{k}"
        write_tu(str(folder))
        lines.append(_set_line(folder, part, index, value))
        folders.append(str(folder))
    results = call_isolated("[attempt(lambda d=d: D.load_tu('TOY', d, use_cache=False)) for d in args]", *folders)
    for (part, _, _, bad), line, res in zip(FAR_OUT_LABELS, lines, results):
        assert res["error"] == "ValueError", res
        assert f"TOY_{part}.txt: line {line}: label {bad} (column" in res["message"], res
        assert "more than the 1024 allowed" in res["message"], res


def test_class5_label_span_limit_and_memory_check(tmp_path, monkeypatch):
    folder = tmp_path / "toy"
    files = write_tu(str(folder))
    n = len(files["graph_indicator"])
    # a span up to 1024 values is fine even for a tiny file (gaps in the label values)
    _set_line(folder, "node_labels", 0, "1024, 0")
    ds = load_tu("TOY", str(folder), use_cache=False)
    assert ds.num_node_labels == 1024 + 2 and ds._data.x.shape == (n, 2 + 1024 + 2)
    _set_line(folder, "node_labels", 0, "1026, 0")  # 1026 - 1 + 1 = 1026 values: too many for 21 lines
    with pytest.raises(ValueError, match="TOY_node_labels.txt: line 1: label 1026 .* span 1026 values"):
        load_tu("TOY", str(folder), use_cache=False)
    _set_line(folder, "node_labels", 0, "1000, 0")
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", "1000")
    with pytest.raises(MemoryError, match="TOY_node_labels.txt: one-hot labels"):
        load_tu("TOY", str(folder), use_cache=False)


def test_class5_graph_labels_are_renumbered_so_any_integer_is_fine(tmp_path):
    folder = tmp_path / "toy"
    write_tu(str(folder))
    (folder / "TOY_graph_labels.txt").write_text("-1000000\n1000000000000\n5\n5\n-1000000\n")
    ds = load_tu("TOY", str(folder), use_cache=False)
    assert ds._data.y.tolist() == [0, 2, 1, 1, 0]


def test_class5_graph_id_beyond_node_count_is_refused(tmp_path):
    """The last graph id sizes per-graph arrays (np.bincount): 10**12 asked for 8 TB."""
    from tests.datasets.isolated import call_isolated

    folder = tmp_path / "toy"
    files = write_tu(str(folder))
    n = len(files["graph_indicator"])
    _set_line(folder, "graph_indicator", -1, "1000000000000")
    res = call_isolated("D.load_tu('TOY', args[0], use_cache=False)", str(folder))
    assert res["error"] == "ValueError", res
    assert f"TOY_graph_indicator.txt: line {n}: graph id 1000000000000 exceeds the number of nodes" in res["message"]
    _set_line(folder, "graph_indicator", 3, "0")
    with pytest.raises(ValueError, match="TOY_graph_indicator.txt: line 4: graph ids must start at 1"):
        load_tu("TOY", str(folder), use_cache=False)
