"""graphlearn._io: atomic writes (whole or nothing, umask permissions, recognisable
temporaries) and progress bars that can be silenced. (Not named test_io.py:
tests/embed/test_io.py has that basename.)"""
import json
import os
import stat

import pytest

from graphlearn import _io


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_published_files_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        _io.atomic_write_text(tmp_path / "a.txt", "hi")
        with _io.atomic_open(tmp_path / "b.bin", "wb") as f:
            f.write(b"\x00")
        with _io.atomic_paths([tmp_path / "c", tmp_path / "d"]) as temps:
            for t in temps:
                open(t, "w").close()
    finally:
        os.umask(old)
    for name in ("a.txt", "b.bin", "c", "d"):
        assert _mode(tmp_path / name) == 0o666 & ~umask, name


def test_whole_or_nothing_on_error(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with _io.atomic_open(target, "w") as f:
            f.write("partial")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert _io.leftover_temporaries(tmp_path) == []
    with pytest.raises(KeyboardInterrupt):
        with _io.atomic_paths([tmp_path / "x", tmp_path / "y"]) as temps:
            open(temps[0], "w").write("1")
            raise KeyboardInterrupt
    assert sorted(os.listdir(tmp_path)) == ["out.json"]


def test_files_that_belong_together_are_published_together(tmp_path, monkeypatch):
    """When the second rename fails, the first published file is removed too."""
    real = _io.os.replace
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk gone")
        return real(src, dst)

    monkeypatch.setattr(_io.os, "replace", flaky)
    with pytest.raises(OSError, match="disk gone"):
        with _io.atomic_paths([tmp_path / "emb.npy", tmp_path / "emb.npy.ids"]) as temps:
            for t in temps:
                open(t, "w").write("x")
    assert os.listdir(tmp_path) == []


def test_temporaries_are_recognisable(tmp_path):
    with _io.atomic_paths([tmp_path / "emb.npy"]) as (tmp,):
        assert os.path.dirname(tmp) == str(tmp_path)
        assert os.path.basename(tmp).startswith(".emb.npy.") and tmp.endswith(_io.TEMP_SUFFIX)
        assert _io.leftover_temporaries(tmp_path) == [tmp]
    assert _io.leftover_temporaries(tmp_path) == []


def test_json_and_destination_checks(tmp_path):
    _io.atomic_write_json(tmp_path / "r.json", {"a": 1})
    assert json.loads((tmp_path / "r.json").read_text()) == {"a": 1}
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _io.atomic_write_text(tmp_path / "missing" / "r.json", "x")
    with pytest.raises(IsADirectoryError):
        _io.atomic_write_text(tmp_path, "x")
    with pytest.raises(ValueError, match="mode"):
        with _io.atomic_open(tmp_path / "a", "a"):
            pass


def test_progress_can_be_silenced(capsys):
    with _io.progress(10, "work", enabled=False) as bar:
        bar.update(10)
    assert capsys.readouterr().err == ""
    with _io.progress(10, "work", "B", enabled=True, mininterval=0) as bar:
        bar.update(10)
    assert "work" in capsys.readouterr().err


# ------------------------------------------------- write errors name the output (issue 11)

import errno
import signal
import subprocess
import sys

import numpy as np

from tests.conftest import default_signals, run_isolated


def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("name", ["emb.npy", "emb.parquet", "emb.txt", "report.json"])
def test_write_errors_name_the_output_path(tmp_path, monkeypatch, name):
    """A full disk during writing: one OSError naming the final path and the reason, no
    temporary left, the old file intact."""
    from graphlearn.embed import io as eio

    target = tmp_path / name
    target.write_text("old")
    if name.endswith(".json"):
        real_open = open

        class Full:
            def __init__(self, f):
                self.f = f

            def write(self, *a):
                _enospc()

            def __getattr__(self, k):
                return getattr(self.f, k)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

        monkeypatch.setattr("builtins.open", lambda *a, **k: Full(real_open(*a, **k)) if "w" in str(a[1:2]) else
                            real_open(*a, **k))
        with pytest.raises(OSError) as info:
            _io.atomic_write_json(target, {"a": 1})
        monkeypatch.undo()
    else:
        monkeypatch.setattr(_io, "write_array", _enospc)
        monkeypatch.setattr(eio, "_write_parquet", _enospc)
        monkeypatch.setattr(eio, "_write_word2vec", _enospc)
        with pytest.raises(OSError) as info:
            eio.write_embeddings(str(target), np.ones((3, 2), np.float32))
    assert str(info.value) == f"no space left on device while writing {target}"
    assert info.value.errno == errno.ENOSPC
    assert sorted(os.listdir(tmp_path)) == [name] and target.read_text() == "old"


FSIZE = """
import os, resource, signal, sys
import numpy as np
from graphlearn.embed.io import write_embeddings
from graphlearn import _io
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
path, what = sys.argv[1], sys.argv[2]
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
emb = np.random.default_rng(0).random((2000, 16)).astype(np.float32)
try:
    if what == "ids":  # a small matrix, ids too long for the limit
        write_embeddings(path, np.ones((2000, 1), np.float32),
                         ids=np.arange(2000) * 10**15)
    elif what == "json":
        _io.atomic_write_json(path, {"x": "y" * 50000})
    else:
        write_embeddings(path, emb)
except OSError as e:
    print("OSError:", e)
"""


@pytest.mark.parametrize("name,what", [("e.npy", "npy"), ("e.npy", "ids"), ("e.parquet", "parquet"),
                                       ("e.vec", "word2vec"), ("r.json", "json")])
def test_file_size_limit_names_the_output(tmp_path, name, what):
    """The real thing: RLIMIT_FSIZE with SIGXFSZ ignored makes write() fail with EFBIG."""
    target = tmp_path / name
    target.write_text("old")
    proc = run_isolated(FSIZE, args=[target, what], timeout=120)
    assert proc.returncode == 0, proc.stderr
    shown = str(target) + (".ids" if what == "ids" else "")
    assert proc.stdout.strip() == f"OSError: file too large while writing {shown}", proc.stdout + proc.stderr
    assert sorted(os.listdir(tmp_path)) == [name] and target.read_text() == "old"


def test_write_array_writes_what_numpy_save_writes(tmp_path):
    import io

    for a in (np.arange(12, dtype=np.float32).reshape(3, 4), np.zeros((0, 5)), np.asfortranarray(np.ones((2, 3))),
              np.arange(5, dtype=np.int64)):
        want, got = io.BytesIO(), io.BytesIO()
        np.save(want, np.ascontiguousarray(a))
        _io.write_array(got, a)
        assert got.getvalue() == want.getvalue()


# ------------------------------------------------------------ output onto the input

def test_check_not_input_sees_links_and_companions(tmp_path):
    inp = tmp_path / "e.txt"
    inp.write_text("0 1\n")
    os.symlink("e.txt", tmp_path / "sym.txt")
    os.link(inp, tmp_path / "hard.txt")
    for out in (inp, tmp_path / "sym.txt", tmp_path / "hard.txt", tmp_path / "sub" / ".." / "e.txt"):
        with pytest.raises(ValueError, match="is the input"):
            _io.check_not_input([out], [inp])
    with pytest.raises(ValueError, match="is the input"):
        _io.check_not_input([tmp_path / "sym.txt"], [str(tmp_path / "hard.txt")])
    _io.check_not_input([tmp_path / "other.txt"], [inp])
    _io.check_not_input([tmp_path / "-"], ["-"])  # standard input is no file


# ---------------------------------------------------- temporaries and leftovers

def test_temporary_names_carry_the_writer(tmp_path):
    with _io.atomic_paths([tmp_path / ("x" * 250)]) as (tmp,):  # a long name still fits in 255 bytes
        assert len(os.path.basename(tmp)) < 255
        writer = _io.temporary_writer(tmp)
        assert writer["pid"] == os.getpid()
        assert _io.stale_temporaries(tmp_path) == []  # our own: alive


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # a pid that no longer runs
    host = _io._host()
    dead = tmp_path / f".emb.npy.abcd1234.{proc.pid}@{host}{_io.TEMP_SUFFIX}"
    alive = tmp_path / f".emb.npy.efgh5678.{os.getpid()}@{host}{_io.TEMP_SUFFIX}"
    other = tmp_path / f".emb.npy.ijkl9012.1@elsewhere{_io.TEMP_SUFFIX}"
    legacy = tmp_path / f".emb.npy.mnop3456{_io.TEMP_SUFFIX}"
    for p in (dead, alive, other, legacy):
        p.write_text("x")
    os.utime(legacy, (0, 0))  # untouched since 1970
    (tmp_path / "emb.npy").write_text("keep")
    assert sorted(_io.stale_temporaries(tmp_path)) == sorted([str(dead), str(legacy)])
    assert _io.stale_temporaries(tmp_path, older_than=float("inf")) == [str(dead)]
    assert _io.stale_temporaries(tmp_path, names=["other.npy"]) == []
    assert sorted(_io.remove_stale_temporaries(tmp_path)) == sorted([str(dead), str(legacy)])
    assert sorted(os.listdir(tmp_path)) == sorted(["emb.npy", alive.name, other.name])


def test_graphlearn_clean_command(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = tmp_path / f".emb.npy.abcd1234.{proc.pid}@{_io._host()}{_io.TEMP_SUFFIX}"
    dead.write_text("x")
    alive = tmp_path / f".emb.npy.efgh5678.{os.getpid()}@{_io._host()}{_io.TEMP_SUFFIX}"
    alive.write_text("x")
    run = [sys.executable, "-m", "graphlearn", "clean", str(tmp_path)]
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    out = subprocess.run(run + ["--dry-run"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and f"stale    {dead}" in out.stdout and dead.exists()
    out = subprocess.run(run, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and f"removed  {dead}" in out.stdout and f"kept     {alive}" in out.stdout
    assert sorted(os.listdir(tmp_path)) == [alive.name]
    out = subprocess.run(run[:-1] + [str(tmp_path / "nowhere")], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1 and out.stderr.strip() == f"graphlearn clean: error: {tmp_path / 'nowhere'} is not a directory"
    help_text = subprocess.run(run[:-1] + ["--help"], capture_output=True, text=True, env=env, timeout=120).stdout
    assert "kill -9" in help_text and "graphlearn-tmp" in help_text


# -------------------------------------------------------- signals in library use

SIGNALLED = """
import os, signal, sys
from graphlearn import _io
folder, name = sys.argv[1], sys.argv[2]
with _io.atomic_paths([os.path.join(folder, "out.bin"), os.path.join(folder, "out.bin.ids")]) as temps:
    for t in temps:
        open(t, "wb").write(b"x" * 1000)
    os.kill(os.getpid(), getattr(signal, name))
    print("not reached")
"""


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_library_write_killed_by_signal_leaves_no_temporary(tmp_path, name):
    """Without a command's handler, atomic_paths removes its temporaries and the
    process then dies of the signal, as it would have."""
    (tmp_path / "out.bin").write_text("old")
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    proc = subprocess.run([sys.executable, "-c", SIGNALLED, str(tmp_path), name], capture_output=True, text=True,
                          env=env, timeout=120, preexec_fn=default_signals)
    assert proc.returncode == -getattr(signal, name), proc.stderr
    assert "not reached" not in proc.stdout
    assert sorted(os.listdir(tmp_path)) == ["out.bin"] and (tmp_path / "out.bin").read_text() == "old"


def test_signal_during_publishing_waits_until_the_group_is_in_place(tmp_path, monkeypatch):
    """A SIGTERM that arrives between the renames is held back: both files are
    published, then Terminated is raised (a half-published group would be worse)."""
    real = _io.os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        real(src, dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(_io.os, "replace", replace)
    with pytest.raises(_io.Terminated) as info:
        with _io.terminate_on_signals():
            with _io.atomic_paths([tmp_path / "a.npy", tmp_path / "a.npy.ids"]) as temps:
                for t in temps:
                    open(t, "w").write("new")
    assert info.value.exit_status == 128 + signal.SIGTERM
    assert sorted(os.listdir(tmp_path)) == ["a.npy", "a.npy.ids"]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


def test_ignored_signals_stay_ignored(tmp_path):
    """nohup: SIGHUP ignored by the parent stays ignored inside atomic_paths."""
    old = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        with _io.terminate_on_signals():
            with _io.atomic_paths([tmp_path / "x"]) as (tmp,):
                assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
                os.kill(os.getpid(), signal.SIGHUP)
                open(tmp, "w").write("done")
        assert (tmp_path / "x").read_text() == "done"
    finally:
        signal.signal(signal.SIGHUP, old)
