"""benchmarks/linkpred.py runs in --quick mode (smoke test: timings are reported, never asserted)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_linkpred_benchmark_quick():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "linkpred.py"), "--quick", "--runs", "1", "--threads", "1",
                           "--heuristics", "cn", "adamic_adar", "ppr", "katz"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result["heuristics"]) == {"common_neighbors", "adamic_adar", "ppr", "katz"}
    for name, r in result["heuristics"].items():
        assert r["max_rel_diff"] < 1e-6, (name, r)  # same scores as the scipy implementation
    assert result["heart"]["candidate_jaccard_vs_reference"] > 0.5
