"""Argument checks shared by every public function, the CLI and the loaders.

One place decides what counts as an integer, a real number, a seed or a list of
numbers, so that the same value is accepted (or refused, with the same message)
everywhere:

- an **integer** is a Python ``int``, a NumPy integer scalar, or a 0-d integer
  tensor/array; ``bool`` and every float (``3.0`` included) are refused,
  never truncated;
- a **real** is any of those or a float (Python, NumPy, 0-d float
  tensor), finite unless asked otherwise;
- a **seed** is an integer in ``[0, 2**63 - 1]`` (what every generator here and
  the compiled kernels take);
- a **sequence of reals** is a list/tuple, a 1-D array or a 1-D tensor.

Every check returns the plain Python value, so callers never hold NumPy or
torch scalars by accident.
"""
from __future__ import annotations

import argparse
import math
import numbers
import os
import sys
from typing import Any, Callable, Iterable, List, Optional, Sequence

import numpy as np

__all__ = ["integer", "real", "seed", "reals", "choice", "flag", "SEED_MAX", "INT64_MAX", "arg_type",
           "available_memory", "check_memory", "format_bytes"]

INT64_MAX = 2**63 - 1
SEED_MAX = INT64_MAX


def _torch():
    """The torch module when something has imported it, else None: a value can only be
    a tensor once torch is loaded, so these checks never import torch themselves (the
    CLI and the scripts' argument parsers use them before anything heavy loads)."""
    return sys.modules.get("torch")


def _scalar(value: Any) -> Any:
    """Unwraps a one-element tensor or array into a NumPy/Python scalar."""
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        if value.dim() != 0:
            return value
        if value.dtype == torch.bool:
            return bool(value.item())
        return value.item()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value[()]
    return value


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _bounds(lo, hi, lo_open: bool = False, hi_open: bool = False) -> str:
    """`` in [lo, hi]``, `` > lo``, `` <= hi``...: the range, as messages state it."""
    if lo is not None and hi is not None:
        return f" in {'(' if lo_open else '['}{lo}, {hi}{')' if hi_open else ']'}"
    if lo is not None:
        return f" {'>' if lo_open else '>='} {lo}"
    if hi is not None:
        return f" {'<' if hi_open else '<='} {hi}"
    return ""


def integer(value: Any, name: str, *, min: Optional[int] = None, max: Optional[int] = None) -> int:
    """``value`` as a Python ``int``, checked to lie in ``[min, max]``.

    Raises:
        TypeError: not an integer (floats, ``3.0`` included, and bools are refused,
            never truncated). ValueError: out of range (the message says the range).
    """
    v = _scalar(value)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer{_bounds(min, max)}, got {_describe(value)}")
    v = int(v)
    if (min is not None and v < min) or (max is not None and v > max):
        raise ValueError(f"{name} must be an integer{_bounds(min, max)}, got {v}")
    return v


def real(value: Any, name: str, *, min: Optional[float] = None, max: Optional[float] = None,
         min_open: bool = False, max_open: bool = False, finite: bool = True) -> float:
    """``value`` as a Python ``float`` in the interval ``[min, max]`` (an end is open
    when ``min_open`` / ``max_open``), finite unless ``finite=False``.

    Raises:
        TypeError: not a number (bools and strings are refused). ValueError: NaN,
            infinite (when ``finite``), or out of range.
    """
    v = _scalar(value)
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    try:
        v = float(v)
    except OverflowError:  # an int beyond float range
        v = math.inf if v > 0 else -math.inf
    where = _bounds(min, max, min_open, max_open)
    if math.isnan(v) or (finite and math.isinf(v)):
        raise ValueError(f"{name} must be a finite number{where}, got {v}")
    if min is not None and (v < min or (min_open and v == min)):
        raise ValueError(f"{name} must be a number{where}, got {v!r}")
    if max is not None and (v > max or (max_open and v == max)):
        raise ValueError(f"{name} must be a number{where}, got {v!r}")
    return v


def seed(value: Any, name: str = "seed") -> int:
    """A random seed: an integer in ``[0, 2**63 - 1]``."""
    return integer(value, name, min=0, max=SEED_MAX)


def reals(value: Any, name: str, *, min: Optional[float] = None, max: Optional[float] = None,
          finite: bool = True, nonempty: bool = True) -> List[float]:
    """A list of Python floats from a list/tuple, a 1-D array or a 1-D tensor, each
    checked as by :func:`real` (``name[i]`` in messages)."""
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor):
        if value.dim() > 1:
            raise ValueError(f"{name} must be a 1-D sequence of numbers, got a tensor of shape {list(value.shape)}")
        if value.dtype == torch.bool or value.is_complex():
            raise TypeError(f"{name} must hold real numbers, got a {value.dtype} tensor")
        value = value.detach().cpu().reshape(-1).tolist()
    if isinstance(value, np.ndarray):
        if value.ndim > 1:
            raise ValueError(f"{name} must be a 1-D sequence of numbers, got an array of shape {list(value.shape)}")
        value = value.reshape(-1).tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of numbers, got {_describe(value)}")
    out = [real(v, f"{name}[{i}]", min=min, max=max, finite=finite) for i, v in enumerate(value)]
    if nonempty and not out:
        raise ValueError(f"{name} must hold at least one number, got an empty sequence")
    return out


def flag(value: Any, name: str) -> bool:
    """A boolean option as a Python ``bool``: ``True``/``False``, a NumPy bool or a 0-d
    bool tensor. Anything else (``"no"``, ``2``, ``None``) is a TypeError: a truthy
    string would silently mean True."""
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor) and value.dim() == 0 and value.dtype == torch.bool:
        return bool(value.item())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")


def choice(value: Any, name: str, allowed: Sequence[Any]) -> Any:
    """``value`` itself when it is one of ``allowed``; else a ValueError listing them."""
    try:
        ok = value in allowed
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}")
    return value


# ----------------------------------------------------------------- argparse


def arg_type(check: Callable[[Any, str], Any], convert: Callable[[str], Any] = int, what: str = "an integer"):
    """An argparse ``type=`` applying one of the checks above to a command-line value:
    ``convert`` the text (``int`` or ``float``; ``3.0`` is not an integer), then
    ``check(value, name)``. A bad value stops the parse with argparse's one-line
    ``argument --x: must be ...`` message (exit status 2), worded as the library's own.

        parser.add_argument("--dim", type=arg_type(lambda v, n: integer(v, n, min=1)))
    """
    def parse(text: str):
        try:
            value = convert(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        try:
            return check(value, "")
        except (TypeError, ValueError) as exc:  # the message starts " must ...": the flag names the value
            raise argparse.ArgumentTypeError(str(exc).lstrip()) from None

    parse.__name__ = what  # argparse names the type in some messages
    return parse


# ----------------------------------------------------------------- memory


def format_bytes(n: float) -> str:
    """``1536`` -> ``'1.5 KiB'``."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EiB"  # pragma: no cover


def available_memory() -> Optional[int]:
    """Bytes this process can still allocate: ``MemAvailable`` (Linux), capped by a
    cgroup memory limit when one is set; physical memory elsewhere; ``None`` when
    unknown. ``GRAPHLEARN_MEMORY_LIMIT`` (bytes) overrides it (tests, shared machines)."""
    override = os.environ.get("GRAPHLEARN_MEMORY_LIMIT")
    if override:
        try:
            return int(float(override))
        except ValueError:
            raise ValueError(f"GRAPHLEARN_MEMORY_LIMIT must be a number of bytes, got {override!r}") from None
    avail = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
            if text and text != "max":
                limit = int(text)
                if limit < 2**60:
                    avail = limit if avail is None else min(avail, limit)
            break
        except (OSError, ValueError):
            continue
    if avail is None:
        try:
            avail = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (AttributeError, ValueError, OSError):
            return None
    return avail


def check_memory(nbytes: float, what: str, *, hint: str = "") -> None:
    """Refuses (MemoryError) before allocating when ``nbytes`` exceeds what the
    machine has, saying how much is needed against what is available.

    ``nbytes`` may be a Python int of any size (it is never allocated)."""
    avail = available_memory()
    if avail is None or nbytes <= avail:
        return
    msg = f"{what} needs about {format_bytes(nbytes)}, but only {format_bytes(avail)} of memory is available"
    raise MemoryError(msg + (f"; {hint}" if hint else ""))
