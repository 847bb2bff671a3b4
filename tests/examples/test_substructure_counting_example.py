"""examples/substructure_counting.py: tiny runs of every kind of model, the JSON line,
the baseline in the same run, and flag errors."""
import importlib.util
import json
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "substructure_counting.py")
TINY = ["--num-graphs", "40", "--epochs", "2", "--hidden", "8", "--layers", "2", "--batch-size", "8", "--quiet"]


def _load():
    spec = importlib.util.spec_from_file_location("substructure_counting_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


EXAMPLE = _load()


def run_main(capsys, *args):
    EXAMPLE.main(list(args))
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1, lines[-5:]
    return json.loads(lines[0])


@pytest.mark.parametrize("model,task,extra", [("sswl+", "triangle", []), ("gswl", "4cycle", []),
                                              ("pswl_sv", "star", ["--policy", "marking"]),
                                              ("spen", "5cycle", ["--policy", "ego", "--k", "2"])])
def test_models_with_the_gin_baseline(capsys, model, task, extra):
    r = run_main(capsys, "--model", model, "--task", task, *extra, *TINY)
    assert r["task"] == task and r["num_graphs"] == 40 and r["epochs"] == 2 and r["target_std"] > 0
    assert r["model"]["name"] == model and r["baseline"]["name"] == "gin"
    for part in ("model", "baseline"):
        assert set(r[part]["test_mae"]) == {"mean", "std"} and r[part]["test_mae"]["mean"] > 0
        assert r[part]["params"] > 0 and r[part]["s_per_epoch"] > 0 and len(r[part]["best_epoch"]) == 1
    assert r["pairs_per_graph"] > 10
    assert ("paper_sswl+_test_mae" in r) == (model == "sswl+")


def test_gin_alone_and_no_baseline(capsys):
    r = run_main(capsys, "--model", "gin", *TINY)
    assert r["model"]["name"] == "gin" and "baseline" not in r and "pairs_per_graph" not in r
    r = run_main(capsys, "--model", "sswl", "--baseline", "none", "--runs", "2", *TINY)
    assert "baseline" not in r and len(r["model"]["best_epoch"]) == 2


def test_same_seed_same_result(capsys):
    args = ("--model", "sswl+", "--baseline", "none", *TINY)
    a, b = run_main(capsys, *args)["model"], run_main(capsys, *args)["model"]
    assert (a["test_mae"], a["val_mae"], a["best_epoch"]) == (b["test_mae"], b["val_mae"], b["best_epoch"])
    c = run_main(capsys, *args, "--data-seed", "1")["model"]
    assert c["test_mae"] != a["test_mae"]


def test_paper_settings():
    hp = EXAMPLE._settings(["--paper"])
    assert (hp["num_graphs"], hp["layers"], hp["hidden"], hp["epochs"], hp["runs"]) == (5000, 5, 64, 300, 3)


@pytest.mark.parametrize("argv,message", [
    (["--policy", "ego"], "--policy ego needs --k"),
    (["--k", "2"], "--k only applies to --policy ego"),
    (["--task", "square"], "argument --task: invalid choice"),
    (["--model", "gat"], "argument --model: invalid choice"),
    (["--num-graphs", "3"], "argument --num-graphs"),
])
def test_bad_flags(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        EXAMPLE.main([*argv, "--quiet"])
    err = capsys.readouterr()
    assert exc.value.code == 2 and message in err.err and err.out == ""


def test_node_level_counts(capsys):
    r = run_main(capsys, "--level", "node", "--model", "sswl+", "--task", "triangle", *TINY)
    assert r["level"] == "node" and r["model"]["test_mae"]["mean"] > 0 and r["baseline"]["name"] == "gin"
    assert "paper_sswl+_test_mae" not in r
