"""examples/tu_graphs.py: 10-fold cross-validation on TU datasets, run in this process on
tiny TU folders written here, and for one epoch of two folds on the shared ENZYMES."""
import glob
import importlib.util
import json
import os

import numpy as np
import pytest

from tests.conftest import num_threads, require_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "tu_graphs.py")
TINY = ["--folds", "3", "--epochs", "2", "--hidden", "8", "--layers", "2", "--batch-size", "8", "--quiet"]


def _load():
    spec = importlib.util.spec_from_file_location("tu_graphs_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = _load()


def write_tu_folder(root, name="TOY", graphs=36, classes=3, seed=0, node_features=True, edge_labels=False):
    """A tiny TU dataset in PyG's layout (``root/<name>/raw``): ``graphs`` connected graphs
    of 4 to 9 nodes (a cycle plus chords whose number grows with the class, both
    directions listed as TU files do), ``classes`` balanced graph labels 1..C, two
    node-label columns and two node-attribute columns (``node_features``), one edge-label
    column (``edge_labels``). Returns the dataset folder (``root/<name>``)."""
    rng = np.random.default_rng(seed)
    label = np.arange(graphs) % classes + 1
    sizes = rng.integers(4, 10, graphs)
    start = np.concatenate([[0], np.cumsum(sizes)])
    edges = []
    for g, n in enumerate(sizes):
        pairs = {(i, (i + 1) % n) for i in range(n)}
        for _ in range(int(label[g])):
            a, b = (int(v) for v in rng.integers(0, n, 2))
            if a != b:
                pairs.add((a, b))
        for a, b in sorted(pairs):
            u, v = start[g] + a + 1, start[g] + b + 1
            edges += [(u, v), (v, u)]
    n = int(sizes.sum())
    files = {"A": np.array(edges), "graph_indicator": np.repeat(np.arange(1, graphs + 1), sizes)[:, None],
             "graph_labels": label[:, None]}
    if node_features:
        files["node_labels"] = np.stack([rng.integers(1, 4, n), rng.integers(0, 2, n)], 1)
        files["node_attributes"] = rng.standard_normal((n, 2)).round(3)
    if edge_labels:
        files["edge_labels"] = rng.integers(0, 3, (len(edges), 1))
    folder = os.path.join(str(root), name)
    os.makedirs(os.path.join(folder, "raw"), exist_ok=True)
    for key, arr in files.items():
        with open(os.path.join(folder, "raw", f"{name}_{key}.txt"), "w") as f:
            f.write("\n".join(", ".join(str(v) for v in row) for row in arr) + "\n")
    return folder


def run_main(capsys, *args):
    """main(argv) in this process: exactly one line on stdout (--quiet), JSON."""
    with num_threads(1):  # tiny batches: extra threads only cost time on a small, busy machine
        EXAMPLE.main(list(args))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines[-5:]
    return json.loads(lines[0])


def check_model(part, name, folds, runs, epochs):
    assert part["name"] == name
    for key in ("test_acc", "val_acc"):
        assert set(part[key]) == {"mean", "std"} and 0.0 <= part[key]["mean"] <= 1.0 and part[key]["std"] >= 0
    assert len(part["fold_test_acc"]) == runs and all(len(r) == folds for r in part["fold_test_acc"])
    assert all(0.0 <= a <= 1.0 for r in part["fold_test_acc"] for a in r)
    assert np.isclose(np.mean(part["fold_test_acc"]), part["test_acc"]["mean"], atol=1e-3)
    assert len(part["best_epoch"]) == runs and all(1 <= e <= epochs for r in part["best_epoch"] for e in r)
    assert part["s_per_epoch"] > 0 and part["params"] > 0
    assert ("run_test_acc" in part) == (runs > 1)


@pytest.mark.parametrize("model,extra,policy", [
    ("sswl+", [], "SubgraphPolicy('ego', k=2)"),
    ("gswl", ["--policy", "marking"], "SubgraphPolicy('marking')"),
    ("pswl_vs", ["--policy", "distance", "--max-distance", "3"], "SubgraphPolicy('distance', max_distance=3)"),
])
def test_subgraph_models_with_the_gin_baseline(tmp_path, capsys, model, extra, policy):
    write_tu_folder(tmp_path)
    r = run_main(capsys, "--dataset", "TOY", "--root", str(tmp_path), "--model", model, *extra, *TINY)
    assert (r["dataset"], r["num_graphs"], r["num_classes"], r["in_channels"], r["edge_dim"]) == ("TOY", 36, 3, 7, None)
    assert r["policy"] == policy and r["pairs_per_graph"] > 6 and r["folds"] == 3 and r["runs"] == 1
    assert r["epochs"] == 2 and r["hidden"] == 8 and r["paper"] is False
    assert len(r["fold_sizes"]) == 3 and all(sum(s) == 36 and s[1] > 0 for s in r["fold_sizes"])
    check_model(r["model"], model, 3, 1, 2)
    check_model(r["baseline"], "gin", 3, 1, 2)


def test_gin_alone_no_baseline_and_runs(tmp_path, capsys):
    write_tu_folder(tmp_path)
    r = run_main(capsys, "--dataset", "TOY", "--root", str(tmp_path), "--model", "gin", *TINY)
    assert r["policy"] is None and "pairs_per_graph" not in r and "baseline" not in r  # gin vs gin: trained once
    check_model(r["model"], "gin", 3, 1, 2)
    r = run_main(capsys, "--dataset", "TOY", "--root", str(tmp_path), "--baseline", "none", "--runs", "2", *TINY)
    assert "baseline" not in r
    check_model(r["model"], "sswl+", 3, 2, 2)


def test_policy_cached_once_and_results_reproducible(tmp_path, capsys):
    """The policy is computed once for the whole data set, beside load_tu's processed
    graphs (the tiny folder is writable; in a folder of the dataset's own, since several
    TU datasets may share one processed/), and read back on the next run: the same seed
    gives the same folds and accuracies."""
    folder = write_tu_folder(tmp_path)
    args = ("--dataset", "TOY", "--root", str(tmp_path), "--baseline", "none", *TINY)
    first = run_main(capsys, *args)
    pattern = os.path.join(folder, "processed", "TOY_precompute", "precompute-*.pt")
    caches = glob.glob(pattern)
    assert len(caches) == 1, os.listdir(os.path.join(folder, "processed"))
    stamp = os.stat(caches[0]).st_mtime_ns
    second = run_main(capsys, *args)
    assert os.stat(caches[0]).st_mtime_ns == stamp  # read, not rewritten
    for key in ("test_acc", "val_acc", "fold_test_acc", "best_epoch"):
        assert second["model"][key] == first["model"][key]
    assert second["fold_sizes"] == first["fold_sizes"]
    run_main(capsys, *args, "--k", "1")  # another policy: its own cache file
    assert len(glob.glob(pattern)) == 2


def test_edge_labels_and_no_node_features(tmp_path, capsys):
    """Edge labels enter as edge features (edge_dim); a dataset without node labels or
    attributes gets a constant node feature."""
    write_tu_folder(tmp_path, name="EDGY", edge_labels=True)
    r = run_main(capsys, "--dataset", "EDGY", "--root", str(tmp_path), *TINY)
    assert r["edge_dim"] == 3 and r["in_channels"] == 7
    check_model(r["model"], "sswl+", 3, 1, 2)
    check_model(r["baseline"], "gin", 3, 1, 2)
    write_tu_folder(tmp_path, name="BARE", node_features=False, classes=2)
    r = run_main(capsys, "--dataset", "BARE", "--root", str(tmp_path), *TINY, "--folds", "2")
    assert (r["in_channels"], r["num_classes"], r["folds"]) == (1, 2, 2)
    check_model(r["model"], "sswl+", 2, 1, 2)


def test_folds_are_stratified_and_seeded():
    y = np.repeat(np.arange(3), [30, 20, 10])
    parts = EXAMPLE.folds_of(y, 5, 7, 0.1)
    tests = np.concatenate([test for _, _, test in parts])
    assert sorted(tests.tolist()) == list(range(60))  # the test parts partition the graphs
    for train, valid, test in parts:
        assert len(np.intersect1d(train, valid)) == len(np.intersect1d(train, test)) == 0
        assert len(np.intersect1d(valid, test)) == 0 and len(train) + len(valid) + len(test) == 60
        assert np.bincount(y[test]).tolist() == [6, 4, 2]
        assert np.bincount(y[valid], minlength=3).tolist() == [2, 2, 1]  # round(10%) per class, at least 1
    again = EXAMPLE.folds_of(y, 5, 7, 0.1)
    assert all(np.array_equal(a, b) for fa, fb in zip(parts, again) for a, b in zip(fa, fb))
    other = EXAMPLE.folds_of(y, 5, 8, 0.1)
    assert not all(np.array_equal(fa[2], fb[2]) for fa, fb in zip(parts, other))


def test_paper_settings():
    hp = EXAMPLE._settings(["--paper"])
    assert (hp["layers"], hp["hidden"], hp["epochs"], hp["policy"]) == (4, 64, 200, "distance")
    quick = EXAMPLE._settings([])
    assert (quick["policy"], quick["k"], quick["epochs"]) == ("ego", 2, 40)


def test_too_few_graphs_per_class(tmp_path, capsys):
    write_tu_folder(tmp_path)  # 12 graphs per class
    with pytest.raises(SystemExit) as exc:
        EXAMPLE.main(["--dataset", "TOY", "--root", str(tmp_path), "--folds", "13", "--quiet"])
    err = capsys.readouterr()
    assert exc.value.code == 2 and err.out == ""
    assert "has only 12 graph(s) of class 0, fewer than the 13 folds" in err.err


def test_missing_dataset(tmp_path):
    with pytest.raises(SystemExit) as exc:
        EXAMPLE.main(["--dataset", "NOPE", "--root", str(tmp_path), "--quiet"])
    assert "TU dataset NOPE not found" in str(exc.value.code)


@pytest.mark.parametrize("argv,message", [
    (["--folds", "1"], "argument --folds: must be an integer >= 2, got 1"),
    (["--policy", "distance", "--k", "2"], "--k only applies to --policy ego, not --policy distance"),
    (["--paper", "--k", "2"], "--k only applies to --policy ego, not --policy distance (the --paper setting)"),
    (["--max-distance", "3"], "--max-distance only applies to --policy distance"),
    (["--model", "gin", "--policy", "ego"], "--policy applies to the subgraph models"),
    (["--model", "gin", "--baseline", "none", "--k", "1"], "--k applies to the subgraph models"),
    (["--fold-seed", str(2**32)], "argument --fold-seed"),
    (["--val-fraction", "0.6"], "argument --val-fraction"),
    (["--policy", "random"], "argument --policy: invalid choice"),
    (["--model", "gat"], "argument --model: invalid choice"),
    (["--dropout", "1"], "argument --dropout"),
    (["--dataset", " "], "argument --dataset: expected a TU dataset name"),
])
def test_bad_flags_fail_before_reading_data(tmp_path, capsys, argv, message):
    """Refused by argparse before any data is read (the root is empty): exit 2."""
    with pytest.raises(SystemExit) as exc:
        EXAMPLE.main(["--root", str(tmp_path), *argv, "--quiet"])
    err = capsys.readouterr()
    assert exc.value.code == 2, err.err[-2000:]
    assert message in err.err.strip().splitlines()[-1], err.err[-2000:]
    assert err.out == ""


def test_real_enzymes_two_folds_one_epoch(capsys):
    """The shared ENZYMES (600 graphs, 6 classes, 18 attributes + 3 one-hot labels):
    two folds, one epoch, SSWL+ on 2-hop ego nets and GIN."""
    require_dataset("tu_enzymes")
    r = run_main(capsys, "--folds", "2", "--epochs", "1", "--hidden", "8", "--layers", "2", "--quiet")
    assert (r["dataset"], r["num_graphs"], r["num_classes"], r["in_channels"], r["edge_dim"]) == \
        ("ENZYMES", 600, 6, 21, None)
    assert r["fold_sizes"] == [[270, 30, 300], [270, 30, 300]]  # 10% of each training part validates
    assert 100 < r["pairs_per_graph"] < 1000
    check_model(r["model"], "sswl+", 2, 1, 1)
    check_model(r["baseline"], "gin", 2, 1, 1)
