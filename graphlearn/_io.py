"""The one place for graphlearn's file chores: atomic writes and progress bars.

Atomic writes: a file is written under a temporary name in its target folder and
renamed onto the target (``os.replace``) only when complete, so a reader sees the
old file or the whole new one, never a part. On any error (or Ctrl-C) the temporary
file is removed. Published files get the permissions an ordinary ``open()`` would
give them (``0o666`` less the umask; ``tempfile.mkstemp`` alone makes them ``0o600``).

Temporary names are recognisable: ``.<name>.<random>.graphlearn-tmp`` beside the
target, so leftovers of a killed process can be found (:func:`leftover_temporaries`).

Progress bars are tqdm bars that go to stderr and vanish when done; ``enabled=False``
(a ``quiet``/``--quiet`` option) gives a bar that draws nothing. Nothing here imports
torch, so the command line stays fast.
"""
from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile
from typing import IO, Any, Iterator, List, Optional, Sequence, Union

PathLike = Union[str, "os.PathLike[str]"]

TEMP_SUFFIX = ".graphlearn-tmp"


def check_writable(path: PathLike) -> str:
    """Raises before any work is done when ``path`` cannot be created: its folder is
    missing (FileNotFoundError) or not writable (PermissionError), or ``path`` is a
    directory (IsADirectoryError). Returns the absolute path."""
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot write {path}: it is a directory")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {path}: directory {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"cannot write {path}: directory {folder} is not writable")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def new_temporary(path: PathLike) -> str:
    """Creates an empty, recognisably named temporary file beside ``path`` (after
    :func:`check_writable`) and returns its name."""
    path = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=TEMP_SUFFIX,
                               dir=os.path.dirname(path))
    os.close(fd)
    return tmp


def publish(tmp: str, path: PathLike) -> None:
    """Gives ``tmp`` ordinary permissions (umask) and renames it onto ``path``."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, os.fspath(path))


def _remove(paths: Sequence[str]) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            os.remove(p)


@contextlib.contextmanager
def atomic_paths(paths: Sequence[PathLike]) -> Iterator[List[str]]:
    """Temporary files beside ``paths``, yielded in the same order for the block to
    write; when the block succeeds they are renamed onto ``paths``, when it fails
    (exception, KeyboardInterrupt) they are removed and the targets are untouched.

    If a rename fails half way, the files already renamed are removed as well: a
    partial set of files that belong together is worse than none.
    """
    targets = [os.path.abspath(os.fspath(p)) for p in paths]
    temps: List[str] = []
    try:
        for p in targets:
            temps.append(new_temporary(p))
        yield list(temps)
        done: List[str] = []
        try:
            for tmp, p in zip(temps, targets):
                publish(tmp, p)
                done.append(p)
        except BaseException:
            _remove(done)
            raise
    except BaseException:
        _remove(temps)
        raise


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = "w", *, fsync: bool = False, **open_kwargs) -> Iterator[IO]:
    """``open(path, mode)`` whose file appears at ``path`` whole or not at all.

    Args:
        mode: ``"w"`` (text) or ``"wb"`` (binary).
        fsync: flush the data to disk before the rename (for caches that must
            survive a power cut).
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes a new file: mode must be 'w' or 'wb', got {mode!r}")
    with atomic_paths([path]) as (tmp,):
        with open(tmp, mode, **open_kwargs) as f:
            yield f
            f.flush()
            if fsync:
                os.fsync(f.fileno())


def atomic_write_text(path: PathLike, text: str) -> None:
    """Writes ``text`` (UTF-8) to ``path`` whole or not at all."""
    with atomic_open(path, "w", encoding="utf-8") as f:
        f.write(text)


def atomic_write_json(path: PathLike, obj: Any, indent: Optional[int] = 2) -> None:
    """Writes ``obj`` as JSON (plus a newline) to ``path`` whole or not at all."""
    atomic_write_text(path, json.dumps(obj, indent=indent) + "\n")


def leftover_temporaries(folder: PathLike) -> List[str]:
    """Temporary files that a killed graphlearn process left in ``folder``."""
    return sorted(glob.glob(os.path.join(glob.escape(os.fspath(folder)), f".*{TEMP_SUFFIX}")))


def progress(total: Optional[float] = None, desc: str = "", unit: str = "it", *, enabled: bool = True,
             **kwargs):
    """A tqdm bar on stderr that disappears when closed; draws nothing when
    ``enabled`` is False. ``unit="B"`` scales by 1024 (bytes), other units by 1000.
    Extra keyword arguments go to tqdm."""
    from tqdm.auto import tqdm

    options = dict(total=total, desc=desc, unit=unit, unit_scale=True, unit_divisor=1024 if unit == "B" else 1000,
                   disable=not enabled, leave=False, dynamic_ncols=True)
    options.update(kwargs)
    return tqdm(**options)
