"""Op argument checks that need no graph: boolean flags, index tensors, large
allocations and the kernels' own input errors. Imported by :mod:`graphlearn.ops.csr`,
so it must not import :mod:`graphlearn.sparse`."""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from graphlearn import _validate

INDEX_DTYPES = (torch.int32, torch.int64)


def flag(value: Any, name: str, op: str) -> bool:
    """A boolean option as a Python ``bool``: ``True``/``False``, a NumPy bool or a 0-d
    bool tensor. Anything else (``"no"``, ``2``, ``None``) is a TypeError: the compiled
    ops take real booleans, and a truthy string would silently mean True."""
    return _validate.flag(value, f"{op}: {name}")


LARGE_ALLOCATION = 1 << 30  # below this an allocation is not checked against the free memory


def check_memory(nbytes: int, what: str, hint: str = "", device: Any = "cpu") -> None:
    """:func:`graphlearn._validate.check_memory` for outputs of at least 1 GiB (so that
    small calls do not read the system's memory counters) that live in host memory
    (``device`` of type ``"cpu"``; a GPU allocation reports its own error)."""
    if nbytes >= LARGE_ALLOCATION and torch.device(device).type == "cpu":
        _validate.check_memory(nbytes, what, hint=hint)


def index_tensor(t: Any, name: str, op: str) -> Tensor:
    """A 1-D int32/int64 tensor (TypeError for another type or dtype, ValueError for
    another shape); returned as it is."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {name} must be a torch.Tensor of int32 or int64 ids, got {type(t).__name__}")
    if t.dtype not in INDEX_DTYPES:
        raise TypeError(f"{op}: {name} must be an int32 or int64 tensor, got {t.dtype}")
    if t.dim() != 1:
        raise ValueError(f"{op}: {name} must be 1-D, got shape {list(t.shape)}")
    return t


def compiled_call(op: str, fn, *args):
    """Runs a compiled op, turning the kernel's own input errors (messages that start
    with the op's name, e.g. an id out of range found inside the parallel loop) into
    ValueError; other RuntimeErrors (out of memory, ...) pass through."""
    try:
        return fn(*args)
    except RuntimeError as exc:
        first = str(exc).split("\n")[0]
        if first.startswith(f"{op}:"):
            raise ValueError(first) from None
        raise


