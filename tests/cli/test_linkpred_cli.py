"""`graphlearn linkpred` end to end (subprocess), its JSON line and its errors."""
import json
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
