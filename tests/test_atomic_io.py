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
