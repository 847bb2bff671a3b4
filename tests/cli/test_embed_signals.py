"""`graphlearn embed` killed by SIGTERM or SIGHUP (issue 11): in the write phase (a
temporary file exists beside the output) the temporary is removed, the old output
is left as it was, and the exit status is 128 + signal (143, 129), as for Ctrl-C
(130). A real process on a synthetic edge list big enough for the write to take a
while; the test waits for the temporary to appear, then signals."""
import os
import signal
import subprocess
import sys
import time

import pytest

from graphlearn import _io
from tests.conftest import default_signals

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NODES = 120_000


@pytest.fixture(scope="module")
def big_edges(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.tsv"
    with open(path, "w") as f:
        f.write("".join(f"{i}\t{(i + 1) % NODES}\n{i}\t{(i * 7 + 3) % NODES}\n" for i in range(NODES)))
    return str(path)


def _start(edges, out):
    env = {**os.environ, "PYTHONPATH": REPO}
    return subprocess.Popen([sys.executable, "-m", "graphlearn", "embed", edges, "-o", str(out), "--dim", "64",
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=default_signals)


def _wait_for_temporary(proc, folder, timeout=120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if _io.leftover_temporaries(folder):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    return False


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_signal_in_write_phase_removes_the_temporary(big_edges, tmp_path, signame):
    out = tmp_path / "emb.vec"
    out.write_text("old output\n")
    proc = _start(big_edges, out)
    try:
        assert _wait_for_temporary(proc, tmp_path), f"no temporary appeared: {proc.communicate()}"
        proc.send_signal(getattr(signal, signame))
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + getattr(signal, signame), stderr
    assert stderr.strip().splitlines()[-1] == f"graphlearn embed: terminated by {signame}"
    assert "Traceback" not in stderr
    assert _io.leftover_temporaries(tmp_path) == []
    assert sorted(os.listdir(tmp_path)) == ["emb.vec"] and out.read_text() == "old output\n"


def test_sigterm_before_writing_keeps_the_old_output(big_edges, tmp_path):
    out = tmp_path / "emb.npy"
    out.write_bytes(b"old")
    proc = _start(big_edges, out)
    try:
        time.sleep(0.5)  # starting up or parsing: no temporary yet
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (143, 0), stderr  # 0 only if the whole run beat the signal
    assert _io.leftover_temporaries(tmp_path) == []
    if proc.returncode == 143:
        assert sorted(os.listdir(tmp_path)) == ["emb.npy"] and out.read_bytes() == b"old"


def test_leftover_of_a_killed_run_is_removed_by_the_next_run(big_edges, tmp_path):
    """kill -9 leaves the temporary; the next run of the same output removes it."""
    out = tmp_path / "emb.vec"
    proc = _start(big_edges, out)
    try:
        assert _wait_for_temporary(proc, tmp_path)
        proc.kill()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = _io.leftover_temporaries(tmp_path)
    assert len(left) == 1 and _io.stale_temporaries(tmp_path) == left  # its writer is gone
    small = tmp_path / "small.tsv"
    small.write_text("0\t1\n1\t2\n")
    env = {**os.environ, "PYTHONPATH": REPO}
    done = subprocess.run([sys.executable, "-m", "graphlearn", "embed", str(small), "-o", str(out), "--dim", "4",
                           "--quiet"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert sorted(os.listdir(tmp_path)) == ["emb.vec", "small.tsv"]
