"""Input that cannot seek (issue 11): "-" (standard input), pipes, FIFOs, /dev/stdin,
process substitution. Read once, into a temporary file that does not outlive the read."""
import gzip
import io
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest

from graphlearn.datasets.edgelist import EdgeStream, read_edge_list
from tests.conftest import REPO_ROOT, run_isolated

READ = ("import sys; from graphlearn.datasets.edgelist import read_edge_list as r; "
        "el = r(sys.argv[1], **eval(sys.argv[2])); "
        "print(el.num_edges, el.num_nodes, el.compression, el.format, el.path, el.ids.tolist())")


def _env(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env["TMPDIR"] = str(tmp_path / "tmpdir")
    os.makedirs(env["TMPDIR"], exist_ok=True)
    return env


def _stdin_run(tmp_path, data: bytes, kwargs="{}", path="-"):
    """Runs the reader in a fresh interpreter with ``data`` on its standard input."""
    env = _env(tmp_path)
    proc = subprocess.run([sys.executable, "-c", READ, path, kwargs], input=data, capture_output=True, env=env,
                          timeout=120)
    assert proc.returncode >= 0, proc.stderr
    assert os.listdir(env["TMPDIR"]) == [], "the temporary copy of the input was left behind"
    proc.stdout, proc.stderr = proc.stdout.decode(), proc.stderr.decode()
    return proc


def _npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _parquet_bytes():
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"a": [0, 1], "b": [1, 2]}), buf)
    return buf.getvalue()


@pytest.mark.parametrize("data,kwargs,expect", [
    (b"0\t1\n1\t2\n", "{}", "2 3 None text <stdin> [0, 1, 2]"),
    (gzip.compress(b"# c\n0\t1\n1\t2\n"), "{}", "2 3 gzip text <stdin> [0, 1, 2]"),
    (b"src dst w\nann bob 1.5\nbob cy 2\n", "{'weighted': True}", "2 3 None text <stdin> ['ann', 'bob', 'cy']"),
    (_npy_bytes(np.array([[0, 1], [1, 2]])), "{}", "2 3 None npy <stdin> [0, 1, 2]"),
    (_parquet_bytes(), "{}", "2 3 None parquet <stdin> [0, 1, 2]"),
])
def test_streaming_dash_reads_standard_input(tmp_path, data, kwargs, expect):
    proc = _stdin_run(tmp_path, data, kwargs)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expect


@pytest.mark.parametrize("data,pattern", [
    (b"0\t1\n1\t2\t3\n", "<stdin>, line 2: malformed line: expected 2 fields, found 3: '1\\t2\\t3'"),
    (b"", "<stdin>: no edges (empty input: the input is empty)"),
    (b"src\tdst\n", "<stdin>: no edges (empty input: only a header line"),
])
def test_streaming_dash_errors_name_stdin(tmp_path, data, pattern):
    proc = _stdin_run(tmp_path, data)
    assert proc.returncode == 1 and pattern in proc.stderr.splitlines()[-1], proc.stderr


def test_streaming_dash_in_run_isolated():
    proc = run_isolated(READ, args=("-", "{'numeric_ids': True}"), stdin="5 6\n6 7\n")
    assert proc.returncode == 0 and proc.stdout.split()[:2] == ["2", "8"], proc.stderr  # dense ids 0..7


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("how", ["dev_stdin", "process_substitution", "zcat_pipe"])
def test_streaming_pipes_through_the_shell(tmp_path, how):
    src = tmp_path / "edges.tsv"
    src.write_text("0\t1\n1\t2\n2\t3\n")
    (tmp_path / "edges.tsv.gz").write_bytes(gzip.compress(src.read_bytes()))
    py = f"{sys.executable} -c '{READ}'"
    cmd = {"dev_stdin": f"cat {src} | {py} /dev/stdin '{{}}'",
           "process_substitution": f"{py} <(cat {src}) '{{}}'",
           "zcat_pipe": f"cat {tmp_path / 'edges.tsv.gz'} | {py} - '{{}}'"}[how]
    env = _env(tmp_path)
    proc = subprocess.run(cmd, shell=True, executable=shutil.which("bash"), capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[:3] == ["3", "4", "gzip" if how == "zcat_pipe" else "None"]
    assert os.listdir(env["TMPDIR"]) == []


def _with_fifo(tmp_path, data: bytes, fn, timeout=60):
    """fn(path of a FIFO that a thread writes ``data`` into); fails instead of hanging."""
    path = str(tmp_path / "edges.fifo")
    os.mkfifo(path)
    writer = threading.Thread(target=lambda: open(path, "wb").write(data), daemon=True)
    writer.start()
    box = {}

    def read():
        try:
            box["value"] = fn(path)
        except BaseException as exc:  # handed to the test
            box["error"] = exc

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive():
        os.close(os.open(path, os.O_RDWR | os.O_NONBLOCK))  # let the threads finish
        pytest.fail("reading a FIFO hangs")
    writer.join(5)
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_streaming_fifo_read_edge_list(tmp_path):
    el = _with_fifo(tmp_path, b"# c\nsrc\tdst\tw\na\tb\t1\nb\tc\t2\n", lambda p: read_edge_list(p, weighted=True))
    assert el.num_edges == 2 and el.ids.tolist() == ["a", "b", "c"] and el.header == ["src", "dst", "w"]
    data = gzip.compress("".join(f"{i} {i + 1}\n" for i in range(50000)).encode())
    (tmp_path / "g").mkdir()
    el = _with_fifo(tmp_path / "g", data, lambda p: read_edge_list(p, block_size=4096))
    assert el.num_edges == 50000 and el.compression == "gzip"


def test_streaming_fifo_errors_name_the_fifo_and_line(tmp_path):
    def read(p):
        with pytest.raises(ValueError, match=r"edges.fifo, line 3: malformed line"):
            read_edge_list(p)
        return True

    assert _with_fifo(tmp_path, b"0\t1\n1\t2\n1\t2\t3\n", read)


def test_streaming_fifo_edge_stream_passes_twice(tmp_path, monkeypatch):
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read again

    def passes(p):
        with EdgeStream(p, block_size=1024) as stream:
            a = [b[0].tolist() for b in stream]
            b = [b[0].tolist() for b in stream]
        with pytest.raises(ValueError, match="closed"):
            list(stream)
        return a, b

    a, b = _with_fifo(tmp_path, "".join(f"{i}\t{i + 1}\n" for i in range(3000)).encode(), passes)
    assert a == b and sum(a, []) == list(range(3000))
    assert os.listdir(tmpdir) == []
