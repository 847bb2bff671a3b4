"""The one place for graphlearn's file chores: atomic writes and progress bars.

Atomic writes: a file is written under a temporary name in its target folder and
renamed onto the target (``os.replace``) only when complete, so a reader sees the
old file or the whole new one, never a part. On any error (or Ctrl-C, SIGTERM,
SIGHUP: see below) the temporary file is removed. Published files get the
permissions an ordinary ``open()`` would give them (``0o666`` less the umask;
``tempfile.mkstemp`` alone makes them ``0o600``).

Files that belong together (an ``.npy`` and its ``.ids``) are published together:
:func:`atomic_paths` renames them while holding an exclusive ``flock`` on their
folder, and readers of such a group (:func:`graphlearn.embed.io.read_embeddings`)
open its files under the shared lock (:func:`group_lock`), so a reader never pairs
one writer's ``.npy`` with another writer's ``.ids``, and two writers never leave a
mixed pair. The guarantee holds between graphlearn processes and threads on one
machine, on filesystems with ``flock`` (local ones; NFS emulates it on Linux); where
``flock`` is unavailable the renames happen unlocked. It does not cover readers
that open the files without the lock.

Write errors name the file: an ``OSError`` raised while a block of
:func:`atomic_paths` writes (a full disk, a quota, a file-size limit) becomes one
``OSError`` ("no space left on device while writing /data/emb.npy"), with the
temporary removed and the old file untouched.

Temporary names are recognisable: ``.<name>.<random>.<pid>@<host>.graphlearn-tmp``
beside the target (the writer's process id and host), so the leftovers of a process
killed with SIGKILL can be found (:func:`leftover_temporaries`) and those whose
writer is gone removed (:func:`remove_stale_temporaries`, ``graphlearn clean
FOLDER``).

Signals: SIGINT raises KeyboardInterrupt, which removes the temporaries on its way
out. For SIGTERM and SIGHUP, :func:`atomic_paths` (in the main thread, while their
disposition is the default one) installs a handler for as long as it runs: the
signal raises :class:`Terminated` inside the block, the temporaries are removed,
and the process then dies of the same signal, as it would have without the handler.
Commands install the same handler for their whole run with
:func:`terminate_on_signals` and exit with status ``128 + signal`` (143, 129). A
signal that arrives while files are being renamed into place waits until they all
are. Ignored signals (``nohup``) and handlers of the application are left alone.

Progress bars are tqdm bars that go to stderr and vanish when done; ``enabled=False``
(a ``quiet``/``--quiet`` option) gives a bar that draws nothing. Nothing here imports
torch, so the command line stays fast.
"""
from __future__ import annotations

import contextlib
import errno as _errno
import glob
import json
import os
import re
import signal
import socket
import tempfile
import threading
import time
from typing import IO, Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]

TEMP_SUFFIX = ".graphlearn-tmp"
STALE_AGE = 24 * 3600.0  # seconds after which a temporary of an unknown writer counts as abandoned
_NAME_ROOM = 120  # characters of the target's name kept in a temporary name (file names are <= 255 bytes)
_TEMP_NAME = re.compile(r"^\.(?P<name>.*)\.(?P<rand>[^.]+)\.(?P<pid>[0-9]+)@(?P<host>[A-Za-z0-9-]*)"
                        + re.escape(TEMP_SUFFIX) + r"$")
_WRITE_ERRNOS = {_errno.ENOSPC, _errno.EFBIG, _errno.EIO, _errno.EROFS, getattr(_errno, "EDQUOT", _errno.ENOSPC)}


# ----------------------------------------------------------------- signals

class Terminated(BaseException):
    """SIGTERM or SIGHUP, raised in the main thread by the handler that
    :func:`terminate_on_signals` and :func:`atomic_paths` install. A BaseException,
    like KeyboardInterrupt, so ``except Exception`` blocks let it through."""

    def __init__(self, signum: int):
        self.signum = int(signum)
        super().__init__(f"terminated by {signal.Signals(self.signum).name}")

    @property
    def exit_status(self) -> int:
        """The shell's convention for a process ended by this signal: ``128 + signum``."""
        return 128 + self.signum


_TERM_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_deferred = {"depth": 0, "pending": None}
_terminating = {"signum": None}


def _handler(signum, frame) -> None:
    if _deferred["depth"]:
        _deferred["pending"] = signum  # raised once the files are in place
        return
    if _terminating["signum"] is not None:  # a second signal while unwinding: stop now
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    _terminating["signum"] = signum
    raise Terminated(signum)


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _install(signals: Iterable[int], installed: List[Tuple[int, Any]]) -> List[Tuple[int, Any]]:
    """Our handler for each signal whose disposition is the default one (main thread
    only), appended to ``installed`` (what to restore) as it goes."""
    if not _in_main_thread():
        return installed
    for sig in signals:
        try:
            if signal.getsignal(sig) is signal.SIG_DFL:
                installed.append((sig, signal.signal(sig, _handler)))
        except (ValueError, OSError):  # not the main interpreter, or no such signal here
            continue
    return installed


def _restore(installed: List[Tuple[int, Any]]) -> None:
    while installed:
        sig, previous = installed.pop()
        with contextlib.suppress(ValueError, OSError, TypeError):
            signal.signal(sig, previous)


@contextlib.contextmanager
def terminate_on_signals() -> Iterator[None]:
    """For a command's whole run: SIGTERM and SIGHUP raise :class:`Terminated` in the
    main thread (so every :func:`atomic_paths` on the way out removes its
    temporaries); the caller catches it and exits with ``exc.exit_status``. Signals
    whose disposition is not the default (ignored under ``nohup``, or handled by the
    application) and calls outside the main thread are left alone; the previous
    handlers are restored on exit."""
    installed: List[Tuple[int, Any]] = []
    try:
        _install(_TERM_SIGNALS, installed)
        yield
    finally:
        if installed:
            _terminating["signum"] = None
        _restore(installed)


@contextlib.contextmanager
def _die_of_signals() -> Iterator[None]:
    """Library use of atomic_paths: the handler for as long as the block runs; a
    Terminated that reaches this point kills the process with the same signal under
    the default disposition (what would have happened without the handler)."""
    installed: List[Tuple[int, Any]] = []
    try:
        _install(_TERM_SIGNALS, installed)
        yield
    except Terminated as exc:
        if exc.signum in dict(installed):
            _restore(installed)
            _terminating["signum"] = None
            os.kill(os.getpid(), exc.signum)  # default disposition: the process ends here
        raise
    finally:
        _restore(installed)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """A critical section (temporaries being created, renamed or removed): SIGTERM,
    SIGHUP and SIGINT that arrive meanwhile take effect when it ends (main thread
    only: elsewhere signals never interrupt Python code)."""
    if not _in_main_thread():
        yield
        return
    _deferred["depth"] += 1
    outer = _deferred["depth"] == 1
    installed: List[Tuple[int, Any]] = []
    try:
        if outer:
            _install(_TERM_SIGNALS + (signal.SIGINT,), installed)
            with contextlib.suppress(ValueError, OSError):
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    installed.append((signal.SIGINT, signal.signal(signal.SIGINT, _handler)))
        yield
    finally:
        _deferred["depth"] -= 1
        if outer:
            # signals whose disposition was the default one act as if they arrived now
            defaults = {sig for sig, prev in installed if prev is signal.SIG_DFL}
            _restore(installed)
            pending, _deferred["pending"] = _deferred["pending"], None
            if pending in defaults:
                os.kill(os.getpid(), pending)
            elif pending == signal.SIGINT:
                raise KeyboardInterrupt
            elif pending is not None:
                _terminating["signum"] = pending
                raise Terminated(pending)


# ----------------------------------------------------------------- paths


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


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether paths ``a`` and ``b`` name the same file: the same path once symbolic
    links, ``..`` and relative parts are resolved, or (both existing) the same inode,
    which also catches hard links."""
    a, b = os.fspath(a), os.fspath(b)
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet)
        return False


def check_not_input(outputs: Sequence[PathLike], inputs: Sequence[PathLike]) -> None:
    """Raises ValueError, before any work is done, when an output path (including a
    companion such as ``emb.npy.ids``) is one of the input files, under the same or
    another name (symbolic or hard link). ``-`` (standard input) is not a file."""
    for inp in inputs:
        if os.fspath(inp) == "-":
            continue
        for out in outputs:
            if same_file(out, inp):
                how = "" if os.path.abspath(os.fspath(out)) == os.path.abspath(os.fspath(inp)) else \
                    " (the same file under another name)"
                raise ValueError(f"the output {os.fspath(out)} is the input {os.fspath(inp)}{how}: writing it "
                                 "would replace the input; choose another output name")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])[:32]


def new_temporary(path: PathLike) -> str:
    """Creates an empty, recognisably named temporary file beside ``path`` (after
    :func:`check_writable`) and returns its name:
    ``.<name>.<random>.<pid>@<host>.graphlearn-tmp``."""
    path = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)[:_NAME_ROOM]}.",
                               suffix=f".{os.getpid()}@{_host()}{TEMP_SUFFIX}", dir=os.path.dirname(path))
    os.close(fd)
    return tmp


def publish(tmp: str, path: PathLike) -> None:
    """Gives ``tmp`` ordinary permissions (umask) and renames it onto ``path``."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, os.fspath(path))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(paths: Sequence[str]) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            os.remove(p)


@contextlib.contextmanager
def group_lock(paths: Sequence[PathLike], shared: bool = False) -> Iterator[None]:
    """An ``flock`` on the folder of each path (exclusive, or ``shared``) for the
    duration of the block: writers publish a group of files under the exclusive lock
    (:func:`atomic_paths`), readers open the files of a group under the shared one.
    Leaves nothing on disk. Where a folder cannot be locked (no ``fcntl``, a
    filesystem without ``flock``) the block runs unlocked."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fds = []
    try:
        folders = sorted({os.path.dirname(os.path.abspath(os.fspath(p))) for p in paths})
        for folder in folders:  # sorted: two lockers of the same folders cannot deadlock
            try:
                fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            except OSError:
                continue
            fds.append(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            except OSError:
                pass
        yield
    finally:
        for fd in fds:
            os.close(fd)  # releases the lock


def _write_error(exc: OSError, temps: Sequence[str], targets: Sequence[str]) -> OSError:
    """The OSError raised while writing ``temps``, named for the final paths: "no
    space left on device while writing /data/emb.npy". Errors that are about another
    file, or already named, pass unchanged."""
    if getattr(exc, "graphlearn_target", None):
        return exc
    name = exc.filename
    if name is not None and os.fspath(name) in temps:
        where = targets[list(temps).index(os.fspath(name))]
    elif exc.errno in _WRITE_ERRNOS and name is None:
        where = targets[0] if len(targets) == 1 else " or ".join(targets)
    else:
        return exc
    if exc.errno:
        reason = os.strerror(exc.errno)
    else:
        reason = exc.strerror or (str(exc.args[0]) if exc.args else type(exc).__name__)
    reason = reason[:1].lower() + reason[1:]
    err = OSError(f"{reason} while writing {where}")
    err.errno = exc.errno  # (strerror and filename stay unset: str(err) is the message)
    err.graphlearn_target = where
    return err


@contextlib.contextmanager
def named_write_errors(tmp: str) -> Iterator[None]:
    """Tags an OSError raised in the block without a file name with ``tmp`` (the
    temporary being written), so :func:`atomic_paths` can name its target."""
    try:
        yield
    except OSError as exc:
        if exc.filename is None and not getattr(exc, "graphlearn_target", None):
            exc.filename = tmp
        raise


@contextlib.contextmanager
def atomic_paths(paths: Sequence[PathLike]) -> Iterator[List[str]]:
    """Temporary files beside ``paths``, yielded in the same order for the block to
    write; when the block succeeds they are renamed onto ``paths`` together (under
    :func:`group_lock`, with signals held back until all are in place), when it fails
    (exception, KeyboardInterrupt, SIGTERM/SIGHUP) they are removed and the targets
    are untouched.

    An OSError of the block that concerns one of the temporaries (or a full disk, a
    quota, a file-size limit) is raised again naming the target path. If a rename
    fails half way, the files already renamed are removed as well: a partial set of
    files that belong together is worse than none.
    """
    targets = [os.path.abspath(os.fspath(p)) for p in paths]
    temps: List[str] = []
    with _die_of_signals():
        try:
            with _signals_deferred():
                for p in targets:
                    temps.append(new_temporary(p))
            try:
                yield list(temps)
            except OSError as exc:
                named = _write_error(exc, temps, targets)
                if named is exc:
                    raise
                raise named from None
            with _signals_deferred(), group_lock(targets):
                done: List[str] = []
                try:
                    for tmp, p in zip(temps, targets):
                        publish(tmp, p)
                        done.append(p)
                except BaseException as exc:
                    _remove(done)
                    if isinstance(exc, OSError):
                        named = _write_error(exc, temps, targets)
                        if named is not exc:
                            raise named from None
                    raise
        except BaseException:
            with _signals_deferred():
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
        with named_write_errors(tmp):
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


def write_array(f: IO, array) -> None:
    """Writes a numeric NumPy array to the binary file ``f`` as ``numpy.save`` does (the
    same bytes), in pieces through ``f.write``, so that a full disk raises the
    operating system's OSError (``numpy.save`` says only "N requested and M written")."""
    import io

    import numpy as np

    a = np.ascontiguousarray(array)
    if a.dtype.hasobject:
        raise ValueError("write_array writes numeric arrays only (no pickled objects)")
    header = np.lib.format.header_data_from_array_1_0(a)
    buf = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(buf, header)
    except ValueError:  # a header beyond 64 KiB needs format 2.0
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, header)
    f.write(buf.getvalue())
    view = memoryview(a.reshape(-1)).cast("B") if a.size else memoryview(b"")
    piece = 64 << 20
    for lo in range(0, len(view), piece):
        f.write(view[lo:lo + piece])


# ------------------------------------------------------------ leftovers


def leftover_temporaries(folder: PathLike) -> List[str]:
    """Temporary files that graphlearn writers left in ``folder`` (a killed process,
    or a write in progress)."""
    return sorted(glob.glob(os.path.join(glob.escape(os.fspath(folder)), f".*{TEMP_SUFFIX}")))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or a pid we cannot ask about: assume it writes
    return True


def temporary_writer(path: PathLike) -> Optional[Dict[str, Any]]:
    """``{"pid", "host"}`` of the process that created temporary ``path``, from its
    name (None for a name without them)."""
    m = _TEMP_NAME.match(os.path.basename(os.fspath(path)))
    if m is None:
        return None
    return {"pid": int(m.group("pid")), "host": m.group("host")}


def stale_temporaries(folder: PathLike, older_than: float = STALE_AGE,
                      names: Optional[Sequence[str]] = None) -> List[str]:
    """The leftover temporaries in ``folder`` that no live process is writing: those
    created on this host by a process that no longer exists, and those of another host
    (or with no writer in their name) not modified for ``older_than`` seconds.
    ``names``: only the temporaries of these target file names."""
    now = time.time()
    me = _host()
    out = []
    for path in leftover_temporaries(folder):
        base = os.path.basename(path)
        if names is not None and not any(base.startswith(f".{n[:_NAME_ROOM]}.") for n in names):
            continue
        writer = temporary_writer(path)
        if writer is not None and writer["host"] == me:
            if not _alive(writer["pid"]):
                out.append(path)
            continue
        try:
            age = now - os.lstat(path).st_mtime
        except OSError:
            continue
        if age >= older_than:
            out.append(path)
    return out


def remove_stale_temporaries(folder: PathLike, older_than: float = STALE_AGE,
                             names: Optional[Sequence[str]] = None) -> List[str]:
    """Removes :func:`stale_temporaries` (the leftovers of killed writers) and
    returns the paths removed."""
    removed = []
    for path in stale_temporaries(folder, older_than, names):
        try:
            os.remove(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    return removed


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
