import json
import subprocess
import sys

from graphlearn.cli import main


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "graphlearn" in out and "compiled core" in out


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "usage" in capsys.readouterr().out


def test_embed_demo_runs_end_to_end():
    """`make demo`: graphlearn embed on the bundled BlogCatalog + quality report."""
    proc = subprocess.run([sys.executable, "-m", "graphlearn.cli", "demo", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["compiled"] is True and result["nodes"] == 10312 and result["dim"] == 512
    # the demo reports the quality; the quality claim itself (FastRP's paper setting on
    # BlogCatalog) is asserted once, in tests/test_examples.py
    assert 0.0 < result["macro_f1@0.1"] <= 1.0 and 0.0 < result["link_auc"] <= 1.0


def test_gcn_demo_runs_end_to_end():
    proc = subprocess.run([sys.executable, "-m", "graphlearn.cli", "demo", "--task", "gcn", "--epochs", "60"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["compiled"] is True
    assert result["core_max_abs_diff"] < 1e-3
    assert 0.0 < result["test_acc"] <= 1.0  # GCN's Cora accuracy is asserted in tests/test_examples.py


def test_help_does_not_import_torch():
    """`graphlearn <command> --help` answers without loading torch (lazy package attributes)."""
    code = ("import sys\nfrom graphlearn.cli import main\n"
            "try:\n    main(['embed', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "False"
