"""examples/ogbg_mol.py: GT / GPS / GIN on OGB molecule datasets, run on tiny folders in
OGB's layout written here, and for one epoch on the shared ogbg-molesol when present.

Most runs call the script's ``main(argv)`` in this process (its imports alone take
seconds per interpreter on a small machine); one runs it as a command."""
import glob
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import num_threads, require_dataset
from tests.datasets.ogb_folders import write_csv_gz, write_graph_raw

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "ogbg_mol.py")
TINY = ["--epochs", "1", "--hidden", "8", "--heads", "2", "--layers", "2", "--batch-size", "8", "--quiet"]
ATOM_DIMS = (119, 5, 12, 12, 10, 6, 6, 2, 2)  # OGB's categorical atom / bond features
BOND_DIMS = (5, 6, 2)
METRIC = {"ogbg-molesol": "rmse", "ogbg-molbace": "rocauc"}


def write_mol_folder(root, name, num_graphs=40, seed=0):
    """A tiny, valid ogbg-mol* folder (``root/ogbg_<name>``): connected molecules of 2 to
    9 atoms (a path plus chords, one bond per raw edge as OGB stores them) with OGB's
    categorical atom and bond features in range, one single-atom molecule, graph labels
    (regression for molesol, both classes in every part for molbace) and a scaffold
    split 24/8/8."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 10, num_graphs)
    sizes[5] = 1
    edges, counts = [], []
    for n in sizes:
        bonds = {(i, i + 1) for i in range(n - 1)}
        for _ in range(n // 3):
            a, b = sorted(int(v) for v in rng.integers(0, n, 2))
            if b - a > 1:
                bonds.add((a, b))
        edges.extend(sorted(bonds))
        counts.append(len(bonds))
    edges = np.array(edges, dtype=np.int64).reshape(-1, 2)
    node_feat = np.stack([rng.integers(0, d, int(sizes.sum())) for d in ATOM_DIMS], 1)
    edge_feat = np.stack([rng.integers(0, d, len(edges)) for d in BOND_DIMS], 1)
    folder = os.path.join(str(root), name.replace("-", "_"))
    write_graph_raw(folder, edges, sizes, counts, node_feat=node_feat, edge_feat=edge_feat)
    if name == "ogbg-molbace":
        label = np.tile([0, 1], num_graphs // 2).astype(np.int64)  # both classes in every part
    else:
        label = (sizes * 0.3 + rng.normal(0, 0.5, num_graphs)).round(4)
    write_csv_gz(os.path.join(folder, "raw", "graph-label.csv.gz"), label)
    perm = rng.permutation(num_graphs)
    parts = {"train": np.sort(perm[:24]), "valid": np.sort(perm[24:32]), "test": np.sort(perm[32:])}
    if name == "ogbg-molbace":  # alternate labels: take 4 of each class per evaluation part
        idx = np.arange(num_graphs)
        parts = {"train": idx[:24], "valid": idx[24:32], "test": idx[32:]}
    for part, v in parts.items():
        write_csv_gz(os.path.join(folder, "split", "scaffold", f"{part}.csv.gz"), v)
    return folder


def _load_script():
    spec = importlib.util.spec_from_file_location("ogbg_mol_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = _load_script()


def run_main(capsys, *args):
    """The script's main(argv) in this process: exactly one line on stdout, JSON."""
    EXAMPLE.main(list(args))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines[-5:]  # --quiet: the JSON line only
    return json.loads(lines[0])


def run_example(*args, timeout=300):
    # one thread: the machines running the suite are small and busy (oversubscribed
    # OpenMP threads slow these tiny batches down many times)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT,
                          env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout[-3000:]  # --quiet: the JSON line only
    return json.loads(lines[0])


def check_result(result, name, model, runs, pe):
    metric = METRIC[name]
    assert result["dataset"] == name and result["model"] == model and result["metric"] == metric
    assert result["runs"] == runs and result["epochs"] == 1 and result["pe"] == pe and result["paper"] is False
    for key in (f"test_{metric}", f"val_{metric}"):
        assert set(result[key]) == {"mean", "std"} and result[key]["std"] >= 0, (key, result)
        if metric == "rocauc":
            assert 0.0 <= result[key]["mean"] <= 1.0
        else:
            assert result[key]["mean"] > 0
    assert result["best_epoch"] == [1] * runs and result["s_per_epoch"] > 0 and result["params"] > 0
    want = {"ogbg-molesol": {"mean": 1.173, "std": 0.057}, "ogbg-molbace": {"mean": 0.7297, "std": 0.04}}[name]
    assert result[f"ogb_gin_test_{metric}"] == want


def _have(module):
    try:
        __import__(f"graphlearn.nn.conv.{module}")
        return True
    except ImportError:
        return False


@pytest.mark.parametrize("name,model,pe", [
    ("ogbg-molesol", "gt", "lap"),
    ("ogbg-molbace", "gt", "rw"),
    pytest.param("ogbg-molbace", "gps", "rw", marks=pytest.mark.skipif(not _have("gps"), reason="no GPSLayer")),
    pytest.param("ogbg-molesol", "gin", "none", marks=pytest.mark.skipif(not _have("gin_conv"), reason="no GINConv")),
    ("ogbg-molesol", "sswl+", "none"),
    ("ogbg-molbace", "gswl", "none"),
])
def test_models_on_tiny_folders(tmp_path, capsys, name, model, pe):
    write_mol_folder(tmp_path, name)
    result = run_main(capsys, "--dataset", name, "--model", model, "--pe", pe, "--root", str(tmp_path), "--runs", "2",
                      *TINY)
    check_result(result, name, model, 2, pe)


def test_command_line_on_a_tiny_folder(tmp_path):
    """As a command: exit status 0 and one JSON line on stdout."""
    write_mol_folder(tmp_path, "ogbg-molbace")
    result = run_example("--dataset", "ogbg-molbace", "--root", str(tmp_path), *TINY)
    check_result(result, "ogbg-molbace", "gt", 2, "lap")


def test_pe_cached_beside_the_processed_graphs_and_runs_reproducible(tmp_path, capsys):
    """The PE is written once next to the processed dataset (the tiny folder is
    writable, so its processed/ holds both); a second run reads it and reports the same
    metrics (the same seeds)."""
    folder = write_mol_folder(tmp_path, "ogbg-molesol")
    args = ("--root", str(tmp_path), "--runs", "1", *TINY)
    first = run_main(capsys, *args)
    caches = glob.glob(os.path.join(folder, "processed", "precompute-*.pt"))
    assert len(caches) == 1, os.listdir(os.path.join(folder, "processed"))
    stamp = os.stat(caches[0]).st_mtime_ns
    second = run_main(capsys, *args)
    assert os.stat(caches[0]).st_mtime_ns == stamp  # read, not rewritten
    assert second["test_rmse"] == first["test_rmse"] and second["val_rmse"] == first["val_rmse"]
    run_main(capsys, "--pe", "rw", *args)  # another encoding: its own cache file
    assert len(glob.glob(os.path.join(folder, "processed", "precompute-*.pt"))) == 2


def test_real_molesol_one_epoch(capsys):
    """The shared ogbg-molesol (OGB's scaffold split 902/113/113), one epoch of the
    default GT: OGB's RMSE in a sane range."""
    require_dataset("ogbg_molesol")
    with num_threads(1):  # see run_example
        result = run_main(capsys, "--dataset", "ogbg-molesol", "--epochs", "1", "--runs", "1", "--quiet")
    check_result(result, "ogbg-molesol", "gt", 1, "lap")
    assert 0.5 < result["test_rmse"]["mean"] < 10


def test_subgraph_policy_cached_and_pe_refused(tmp_path, capsys):
    """A subgraph preset computes the distance policy once, beside the processed graphs,
    and takes no positional encoding (the root distances are its labels)."""
    folder = write_mol_folder(tmp_path, "ogbg-molesol")
    args = ("--model", "sswl+", "--pe", "none", "--root", str(tmp_path), "--runs", "1", *TINY)
    first = run_main(capsys, *args)
    caches = glob.glob(os.path.join(folder, "processed", "precompute-*.pt"))
    assert len(caches) == 1
    assert run_main(capsys, *args)["test_rmse"] == first["test_rmse"]
    with pytest.raises(SystemExit) as exc:
        EXAMPLE.main(["--model", "sswl+", "--pe", "lap", "--root", str(tmp_path), *TINY])
    assert exc.value.code == 2 and "no positional encoding" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["--model", "gat"], "argument --model: invalid choice"),
    (["--dataset", "ogbg-ppa"], "argument --dataset: invalid choice"),
    (["--pe-dim", "0"], "argument --pe-dim: must be an integer >= 1, got 0"),
    (["--dropout", "1"], "argument --dropout: must be a number in [0, 1), got 1.0"),
    (["--hidden", "10", "--heads", "4"], "divisible by heads"),
])
def test_bad_flags_fail_before_reading_data(tmp_path, capsys, argv, message):
    """Refused by argparse before any data is read (the root is empty): exit 2, one line."""
    with pytest.raises(SystemExit) as exc:
        EXAMPLE.main(["--root", str(tmp_path), *argv])
    err = capsys.readouterr()
    assert exc.value.code == 2, err.err[-2000:]
    assert message in err.err.strip().splitlines()[-1], err.err[-2000:]
    assert err.out == ""


@pytest.mark.parametrize("model,layers,hidden,epochs,runs", [("gin", 5, 300, 100, 10), ("gt", 10, 64, 100, 10),
                                                             ("gps", 10, 64, 100, 10)])
def test_paper_settings(model, layers, hidden, epochs, runs):
    """--paper: the documented full settings (OGB's GIN: 5 x 300, 100 epochs, 10 runs),
    explicit flags still overriding; the model builds with them."""
    hp = EXAMPLE._settings(["--model", model, "--paper"])
    assert (hp["layers"], hp["hidden"], hp["epochs"], hp["runs"]) == (layers, hidden, epochs, runs)
    if model == "gin":
        assert hp["dropout"] == 0.5 and hp["batch_size"] == 32 and hp["lr"] == 1e-3 and hp["pe"] == "none"
    built = EXAMPLE.build_model(model, 1, hp, seed=0)
    assert len(built.layers) == layers and built.hidden_channels == hidden
    assert EXAMPLE._settings(["--model", model])["epochs"] == 10  # the quick default
