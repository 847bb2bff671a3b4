"""The example scripts' helper: common flags, summary over runs, one JSON line."""
import argparse
import io
import json
import re
import statistics

import numpy as np
import pytest
import torch

from graphlearn.train.script import (add_common_args, integer_type, print_json_line, real_type, reals_type, run_seeds,
                                     summarize)
from tests.conftest import run_isolated


def test_common_flags_and_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("GRAPHLEARN_DATA", str(tmp_path))
    parser = add_common_args(argparse.ArgumentParser(), epochs=200, runs=10, seed=3)
    args = parser.parse_args([])
    assert (args.root, args.runs, args.epochs, args.seed, args.quiet) == (str(tmp_path), 10, 200, 3, False)
    args = parser.parse_args(["--root", "/data", "--runs", "2", "--epochs", "5", "--seed", "7", "--quiet"])
    assert (args.root, args.runs, args.epochs, args.seed, args.quiet) == ("/data", 2, 5, 7, True)
    with pytest.raises(SystemExit):
        parser.parse_args(["--runs", "0"])
    # no --epochs for a script that does not train; the loader's own default when root=None
    args = add_common_args(argparse.ArgumentParser(), root=None).parse_args([])
    assert not hasattr(args, "epochs") and args.root is None and args.runs == 1


def test_summarize_mean_and_sample_std():
    runs = [{"test_acc": 0.81, "val_acc": 0.79, "name": "a"}, {"test_acc": 0.83, "val_acc": 0.80, "name": "b"},
            {"test_acc": 0.80, "val_acc": np.float64(0.78), "name": "c"}]
    out = summarize(runs, digits=None)
    assert list(out) == ["test_acc", "val_acc"]  # non-numbers are ignored, order kept
    assert out["test_acc"]["mean"] == pytest.approx(statistics.mean([0.81, 0.83, 0.80]))
    assert out["test_acc"]["std"] == pytest.approx(statistics.stdev([0.81, 0.83, 0.80]))
    assert summarize(runs)["val_acc"] == {"mean": 0.79, "std": 0.01}
    assert summarize([{"auc": 0.9}]) == {"auc": {"mean": 0.9, "std": 0.0}}
    assert summarize([{"auc": torch.tensor(0.5)}])["auc"]["mean"] == 0.5
    with pytest.raises(ValueError, match="run 1 reports"):
        summarize([{"a": 1.0}, {"b": 1.0}])
    with pytest.raises(ValueError, match="at least one run"):
        summarize([])


def test_print_json_line_prints_exactly_one_line():
    buf = io.StringIO()
    line = print_json_line({"dataset": "cora", "acc": {"mean": np.float32(0.5), "std": 0.0},
                            "runs": np.int64(3), "curve": torch.tensor([1.0, 2.0]), "bad": float("nan")}, file=buf)
    text = buf.getvalue()
    assert text.count("\n") == 1 and text == line + "\n"
    assert json.loads(text) == {"dataset": "cora", "acc": {"mean": 0.5, "std": 0.0}, "runs": 3, "curve": [1.0, 2.0],
                                "bad": None}


def test_parsing_imports_no_torch():
    """The flags, including bad values, are parsed without torch (scripts that do not train)."""
    code = ("import sys, argparse\nfrom graphlearn.train.script import add_common_args, real_type, summarize\n"
            "p = add_common_args(argparse.ArgumentParser(), epochs=1)\n"
            "p.add_argument('--lr', type=real_type(0, min_open=True))\n"
            "p.parse_args(['--seed', '5', '--runs', '2', '--lr', '0.1'])\n"
            "try:\n    p.parse_args(['--lr', '0'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    proc = run_isolated(code, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"


def _parse_error(parser, argv, capsys):
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("argv,message", [
    (["--seed", "-1"], r"argument --seed: must be an integer in \[0, 9223372036854775807\], got -1$"),
    (["--seed", str(2**64)], r"argument --seed: must be an integer in \[0, 9223372036854775807\]"),
    (["--seed", "1.5"], r"argument --seed: expected an integer in \[0, 9223372036854775807\], got '1.5'$"),
    (["--runs", "0"], "argument --runs: must be an integer >= 1, got 0$"),
    (["--epochs", "2.0"], "argument --epochs: expected an integer >= 1, got '2.0'$"),
    (["--epochs", "1e3"], "argument --epochs: expected an integer >= 1, got '1e3'$"),
])
def test_common_flags_validated_at_parse_time(argv, message, capsys):
    """The scripts' numbers stop at parse time with argparse's one-line message (exit 2)."""
    parser = add_common_args(argparse.ArgumentParser(), epochs=5)
    assert re.search(message, _parse_error(parser, argv, capsys))


def test_run_seeds_stay_in_range(capsys):
    p = add_common_args(argparse.ArgumentParser(), runs=3)
    assert list(run_seeds(p.parse_args(["--seed", "4"]), p)) == [4, 5, 6]
    args = p.parse_args(["--seed", str(2**63 - 3)])
    assert list(run_seeds(args, p)) == [2**63 - 3, 2**63 - 2, 2**63 - 1]
    args = p.parse_args(["--seed", str(2**63 - 2)])
    with pytest.raises(SystemExit):
        run_seeds(args, p)
    assert "passes the largest seed" in capsys.readouterr().err
    with pytest.raises(ValueError, match="passes the largest seed"):
        run_seeds(args)


def test_typed_flags(capsys):
    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=real_type(0, None, min_open=True))
    p.add_argument("--p", type=real_type(0, 1, max_open=True))
    p.add_argument("--w", type=reals_type(0, 1, min_open=True))
    p.add_argument("--k", type=integer_type(1, 10))
    args = p.parse_args(["--lr", "0.5", "--p", "0", "--w", "0.1, 0.5", "--k", "10"])
    assert (args.lr, args.p, args.w, args.k) == (0.5, 0.0, [0.1, 0.5], 10)
    bad = [(["--lr", "0"], "argument --lr: must be a number > 0, got 0.0"),
           (["--lr", "inf"], "argument --lr: must be a finite number > 0, got inf"),
           (["--lr", "a"], "argument --lr: expected a number, got 'a'"),
           (["--p", "1"], "argument --p: must be a number in [0, 1), got 1.0"),
           (["--p", "-0.1"], "argument --p: must be a number in [0, 1), got -0.1"),
           (["--p", "nan"], "argument --p: must be a finite number in [0, 1), got nan"),
           (["--w", "1,,2"], "argument --w: expected comma-separated numbers, got '1,,2'"),
           (["--w", ""], "argument --w: expected comma-separated numbers, got ''"),
           (["--w", "0.1,"], "argument --w: expected comma-separated numbers, got '0.1,'"),
           (["--w", "0,0.5"], "argument --w: must be a number in (0, 1], got 0.0"),
           (["--w", "0.1;0.2"], "argument --w: expected a number, got '0.1;0.2'"),
           (["--k", "11"], "argument --k: must be an integer in [1, 10], got 11"),
           (["--k", "x"], "argument --k: expected an integer in [1, 10], got 'x'")]
    for argv, message in bad:
        assert _parse_error(p, argv, capsys).endswith(": error: " + message), argv
