"""`graphlearn linkpred` end to end (subprocess), its JSON line and its errors."""
import json
import re
import os
import subprocess
import sys

import pytest

from tests.conftest import require_dataset
from graphlearn.cli import main


def run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "graphlearn.cli", "linkpred", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_cora_random_protocol(tmp_path):
    out = tmp_path / "res.json"
    proc = run("--dataset", "cora", "--scorer", "adamic_adar", "--protocol", "random", "--seed", "1",
               "--k", "20", "100", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "adamic_adar on cora (protocol random" in proc.stdout
    result = json.loads(lines[-1])
    assert result["protocol"] == "random" and set(result["test"]) == {"hits@20", "hits@100", "mrr", "auc", "ap"}
    assert 0.2 < result["test"]["hits@100"] < 0.8  # AA on a Cora 85/5/10 split: ~0.4
    saved = json.loads(out.read_text())
    assert saved["metrics"]["test"]["hits@100"] == pytest.approx(result["test"]["hits@100"], abs=1e-6)


def test_errors_exit_2_with_reason(capsys):
    assert main(["linkpred", "--dataset", "nope", "--quiet"]) == 2
    assert "unknown dataset 'nope'" in capsys.readouterr().err
    assert main(["linkpred", "--dataset", "cora", "--protocol", "ogb", "--quiet"]) == 2
    assert "protocol 'ogb' needs" in capsys.readouterr().err
    assert main(["linkpred", "--dataset", "cora", "--scorer", "magic", "--protocol", "random", "--quiet"]) == 2
    assert "unknown heuristic" in capsys.readouterr().err
    assert main(["linkpred", "--dataset", os.path.join("no", "such", "ogbl_ddi"), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.slow
def test_ddi_ogb_protocol_quick():
    root = require_dataset("ogbl_ddi")
    proc = run("--dataset", root, "--scorer", "cn", "--protocol", "ogb", "--k", "20", "--splits", "test", "--quiet")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["primary"] == "hits@20" and round(100 * result["test"]["hits@20"], 2) == 17.73


# ------------------------------------------------------------------ bad options fail before any work

def _no_evaluation(monkeypatch):
    """The evaluation must never be reached: bad options are refused before loading."""
    import graphlearn.linkpred

    def reached(*args, **kwargs):
        raise AssertionError("the evaluation was reached: the option should have been refused before loading")

    monkeypatch.setattr(graphlearn.linkpred, "evaluate", reached)


BAD_NUMBERS = [
    (["--seed", str(2**64)], r"argument --seed: must be an integer in \[0, 9223372036854775807\], got 18446744073709551616"),
    (["--seed", "-1"], r"argument --seed: must be an integer in \[0, 9223372036854775807\], got -1"),
    (["--seed", "3.5"], r"argument --seed: expected an integer in \[0, 9223372036854775807\], got '3.5'"),
    (["--k", "20", "0"], "argument --k: must be an integer >= 1, got 0"),
    (["--k", "-1"], "argument --k: must be an integer >= 1, got -1"),
    (["--k", "2.5"], "argument --k: expected an integer >= 1, got '2.5'"),
    (["--num-neg", "0"], "argument --num-neg: must be an integer >= 1, got 0"),
    (["--num-neg", "-1"], "argument --num-neg: must be an integer >= 1, got -1"),
    (["--batch-size", "0"], "argument --batch-size: must be an integer >= 1, got 0"),
    (["--batch-size", "-1"], "argument --batch-size: must be an integer >= 1, got -1"),
    (["--batch-size", "1e3"], "argument --batch-size: expected an integer >= 1, got '1e3'"),
    (["--scorer", "ppr", "--alpha", "0"], r"argument --alpha: must be a number in \(0, 1\], got 0.0"),
    (["--scorer", "ppr", "--alpha", "1.5"], r"argument --alpha: must be a number in \(0, 1\], got 1.5"),
    (["--scorer", "ppr", "--alpha", "nan"], "argument --alpha: must be a finite number"),
    (["--scorer", "katz", "--beta", "0"], "argument --beta: must be a number > 0, got 0.0"),
    (["--scorer", "katz", "--beta", "-1"], "argument --beta: must be a number"),
    (["--scorer", "katz", "--beta", "inf"], "argument --beta: must be a finite number"),
    (["--scorer", "katz", "--beta", "nan"], "argument --beta: must be a finite number"),
    (["--scorer", "katz", "--max-length", "0"], "argument --max-length: must be an integer >= 1, got 0"),
    (["--scorer", "katz", "--max-length", "1.5"], "argument --max-length: expected an integer >= 1, got '1.5'"),
]


@pytest.mark.parametrize("argv, message", BAD_NUMBERS, ids=[" ".join(a) for a, _ in BAD_NUMBERS])
def test_bad_numeric_options_fail_at_parse_time(argv, message, monkeypatch, capsys):
    _no_evaluation(monkeypatch)
    with pytest.raises(SystemExit) as exc:
        main(["linkpred", "--dataset", "cora", "--protocol", "random", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert re.search(message, err[-1]), err[-1]


RUN_TIME = [
    (["--protocol", "heart", "--num-neg", "1"], "argument --num-neg: the heart protocol needs at least 2"),
    (["--scorer", "cn", "--alpha", "0.2"], "argument --alpha: applies to --scorer ppr only, not common_neighbors"),
    (["--scorer", "ppr", "--beta", "0.1"], "argument --beta: applies to --scorer katz only, not ppr"),
    (["--scorer", "magic"], "unknown heuristic 'magic'"),
]


@pytest.mark.parametrize("argv, message", RUN_TIME, ids=[" ".join(a) for a, _ in RUN_TIME])
def test_inconsistent_options_fail_before_loading(argv, message, monkeypatch, capsys):
    _no_evaluation(monkeypatch)
    assert main(["linkpred", "--dataset", "cora", "--protocol", "random", *argv]) == 2
    assert message in capsys.readouterr().err


def _json_cases(tmp_path):
    data = tmp_path / "ogbl_fake"
    (data / "raw").mkdir(parents=True)
    (data / "raw" / "edge.csv").write_text("0,1\n")
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    return {
        "missing folder": (["--json", str(tmp_path / "no" / "such" / "out.json")], "argument --json: cannot write .* "
                                                                                  "directory .* does not exist"),
        "a directory": (["--json", str(tmp_path)], "argument --json: cannot write .*: it is a directory"),
        "the input": (["--dataset", str(data / "raw" / "edge.csv"), "--json", str(data / "raw" / "edge.csv")],
                      "argument --json: .* is the input"),
        "inside the input folder": (["--dataset", str(data), "--json", str(data / "raw" / "edge.csv")],
                                    "argument --json: .* is inside the input folder"),
        "read-only folder": (["--json", str(readonly / "out.json")], "argument --json: cannot write .* is not writable"),
    }, readonly


@pytest.mark.parametrize("case", ["missing folder", "a directory", "the input", "inside the input folder",
                                  "read-only folder"])
def test_json_destination_checked_before_loading(case, tmp_path, monkeypatch, capsys):
    cases, readonly = _json_cases(tmp_path)
    if case == "read-only folder":
        if os.geteuid() == 0:
            pytest.skip("root may write into a read-only folder, so there is nothing to refuse")
        readonly.chmod(0o555)
    argv, message = cases[case]
    _no_evaluation(monkeypatch)
    if "--dataset" not in argv:
        argv = ["--dataset", "cora", *argv]
    assert main(["linkpred", "--protocol", "random", *argv]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err


def test_bad_options_fail_quickly_in_a_subprocess(tmp_path):
    """End to end: exit status 2, one line, long before an evaluation could finish."""
    import time

    for argv in (["--seed", str(2**64)], ["--num-neg", "0"], ["--json", str(tmp_path / "missing" / "out.json")]):
        start = time.perf_counter()
        proc = run("--dataset", "cora", "--protocol", "random", *argv, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        assert "error: argument --" in proc.stderr.strip().splitlines()[-1], proc.stderr
        assert time.perf_counter() - start < 60
