"""examples/node_transformer.py: the graph transformer (GT, attention over the edges) on
the bundled Cora with its public split, for a few epochs.

Most runs call the script's ``main(argv)`` in this process (its imports alone take
seconds per interpreter on a small machine); one runs it as a command. The session's
``$GRAPHLEARN_CACHE`` (tests/conftest.py) is a temporary folder, where the PE of the
bundled Cora is cached."""
import glob
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from tests.conftest import num_threads

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "node_transformer.py")
TINY = ["--epochs", "3", "--hidden", "16", "--heads", "2", "--quiet"]


def _load_script():
    spec = importlib.util.spec_from_file_location("node_transformer_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = _load_script()


def run_main(capsys, *args):
    """The script's main(argv) in this process, on one thread: exactly one line on
    stdout (--quiet), JSON."""
    with num_threads(1):
        EXAMPLE.main(list(args))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines[-5:]
    return json.loads(lines[0])


def check_accuracy(block, runs):
    for key in ("test_acc", "val_acc"):
        assert set(block[key]) == {"mean", "std"}, (key, block)
        assert 0.0 <= block[key]["mean"] <= 1.0 and block[key]["std"] >= 0.0, (key, block)
    assert len(block["best_epoch"]) == runs and all(1 <= e <= 3 for e in block["best_epoch"])
    assert block["ms_per_epoch"] > 0 and block["params"] > 0


def check_result(result, runs, pe="lap", baseline=False):
    assert result["dataset"] == "cora" and result["model"] == "gt" and result["pe"] == pe
    assert result["runs"] == runs and result["epochs"] == 3 and result["hidden"] == 16 and result["heads"] == 2
    check_accuracy(result, runs)
    assert ("gcn" in result) == baseline
    if baseline:
        check_accuracy(result["gcn"], runs)
        assert result["gcn"]["paper_test_acc"] == 0.815


def _pe_caches():
    return glob.glob(os.path.join(os.environ["GRAPHLEARN_CACHE"], "cora-*", "precompute-*.pt"))


def test_gt_with_gcn_baseline_and_cached_pe(capsys):
    """Two runs of GT + LapPE next to the GCN baseline: one JSON line with both. The PE
    is computed once into the cache (never into the bundled package folder); a second
    call reads it and, with the same seeds, reports the same accuracies."""
    first = run_main(capsys, "--runs", "2", "--baseline", "gcn", *TINY)
    check_result(first, 2, baseline=True)
    caches = _pe_caches()
    assert len(caches) == 1, caches
    assert not os.path.exists(os.path.join(ROOT, "graphlearn", "data", "cora", "processed"))
    stamp = os.stat(caches[0]).st_mtime_ns
    second = run_main(capsys, "--runs", "2", *TINY)
    check_result(second, 2)
    assert os.stat(caches[0]).st_mtime_ns == stamp  # read, not rewritten
    assert second["test_acc"] == first["test_acc"] and second["val_acc"] == first["val_acc"]


@pytest.mark.parametrize("pe", ["rw", "none"])
def test_other_encodings(capsys, pe):
    result = run_main(capsys, "--pe", pe, "--norm", "batch", "--layers", "1", "--runs", "1", *TINY)
    check_result(result, 1, pe=pe)
    assert result["pe_dim"] == (16 if pe == "rw" else None) and result["norm"] == "batch"


def test_command_line():
    """As a command (one OpenMP thread: the machines running the suite are small and
    busy): exit status 0 and one JSON line on stdout."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, SCRIPT, "--runs", "1", "--baseline", "gcn", *TINY], capture_output=True,
                          text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout[-3000:]
    result = json.loads(lines[0])
    check_result(result, 1, baseline=True)
    assert result["threads"] == 1


@pytest.mark.parametrize("argv,message", [
    (["--dataset", "reddit"], "argument --dataset: invalid choice"),
    (["--pe", "spd"], "argument --pe: invalid choice"),
    (["--norm", "none"], "argument --norm: invalid choice"),
    (["--baseline", "gat"], "argument --baseline: invalid choice"),
    (["--pe-dim", "0"], "argument --pe-dim: must be an integer >= 1, got 0"),
    (["--dropout", "1"], "argument --dropout: must be a number in [0, 1), got 1.0"),
    (["--attn-dropout", "-0.1"], "argument --attn-dropout: must be a number in [0, 1)"),
    (["--lr", "0"], "argument --lr: must be a number > 0"),
    (["--patience", "0"], "argument --patience: must be an integer >= 1, got 0"),
    (["--hidden", "10", "--heads", "4"], "divisible by heads"),
    (["--pe", "none", "--pe-dim", "4"], "pe_dim=4 given but pe=None"),
    (["--seed", str(2**63 - 1), "--runs", "2"], "passes the largest seed"),
])
def test_bad_flags_exit_2_before_reading_data(tmp_path, capsys, argv, message):
    """Refused by argparse before any data is read (the root is an empty folder): exit
    status 2, one line naming the problem, nothing on stdout."""
    with pytest.raises(SystemExit) as exc:
        EXAMPLE.main(["--root", str(tmp_path), *argv])
    err = capsys.readouterr()
    assert exc.value.code == 2, err.err[-2000:]
    assert message in err.err.strip().splitlines()[-1], err.err[-2000:]
    assert err.out == ""
