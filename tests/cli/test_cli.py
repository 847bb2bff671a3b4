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


def test_demo_runs_end_to_end():
    proc = subprocess.run([sys.executable, "-m", "graphlearn.cli", "demo", "--epochs", "60"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["compiled"] is True
    assert result["core_max_abs_diff"] < 1e-3
    assert result["test_acc"] > 0.70  # a GCN reaches ~0.80 on Cora; chance is ~0.3
