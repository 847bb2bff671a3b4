"""The benchmark script runs (smoke test only: timings are reported, never asserted)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ops_benchmark_quick_runs():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "ops.py"), "--quick", "--runs", "1"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"spmm", "attention", "common_neighbors", "import"} <= set(result)
