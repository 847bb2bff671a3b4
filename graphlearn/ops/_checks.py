"""Argument checks shared by the op wrappers (clear ValueError/TypeError messages).

:mod:`graphlearn.sparse` is imported inside the functions that need it: it imports
:mod:`graphlearn.ops.csr`, which uses the scalar checks here."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from graphlearn import _validate

if TYPE_CHECKING:
    from graphlearn.sparse import CSR

FLOAT_DTYPES = (torch.float32, torch.float64)
INDEX_DTYPES = (torch.int32, torch.int64)


def flag(value: Any, name: str, op: str) -> bool:
    """A boolean option as a Python ``bool``: ``True``/``False``, a NumPy bool or a 0-d
    bool tensor. Anything else (``"no"``, ``2``, ``None``) is a TypeError: the compiled
    ops take real booleans, and a truthy string would silently mean True."""
    if isinstance(value, Tensor) and value.dim() == 0 and value.dtype == torch.bool:
        return bool(value.item())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{op}: {name} must be True or False, got {value!r} ({type(value).__name__})")


LARGE_ALLOCATION = 1 << 30  # below this an allocation is not checked against the free memory


def check_memory(nbytes: int, what: str, hint: str = "") -> None:
    """:func:`graphlearn._validate.check_memory` for outputs of at least 1 GiB (so that
    small calls do not read the system's memory counters)."""
    if nbytes >= LARGE_ALLOCATION:
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


def as_adj(adj: Any, op: str, num_nodes: Optional[int] = None) -> CSR:
    """The op's graph as a CSR: a CSR as it is, anything else through
    :func:`graphlearn.sparse.as_csr` (the one conversion; ``num_nodes`` when the op
    knows it, e.g. from the features)."""
    from graphlearn.sparse import CSR, as_csr

    if isinstance(adj, CSR):
        return adj
    return as_csr(adj, num_nodes, name=f"{op}: adj")


def check_features(x: Tensor, name: str, op: str, dims=(2, 3), shapes: str = "[N, F] or [N, H, D]") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{op}: {name} must be float32 or float64, got {x.dtype}")
    if x.dim() not in dims:
        raise ValueError(f"{op}: {name} must have shape {shapes}, got {list(x.shape)}")


def check_rows(x: Tensor, expected: int, name: str, what: str, op: str) -> None:
    if x.size(0) != expected:
        raise ValueError(f"{op}: {name} has {x.size(0)} rows but the adjacency has {expected} {what}")


def check_device(adj: CSR, x: Tensor, name: str, op: str) -> None:
    if x.device != adj.rowptr.device:
        raise ValueError(f"{op}: {name} is on {x.device} but the adjacency is on {adj.rowptr.device}; "
                         f"move one with .to()")


def check_value_dtype(adj: CSR, x: Tensor, op: str) -> None:
    if adj.value is not None and adj.value.dtype != x.dtype:
        raise TypeError(f"{op}: edge values are {adj.value.dtype} but the features are {x.dtype}; "
                        f"convert one (adj.to({x.dtype}) or x.to({adj.value.dtype}))")


def split_pairs(pairs: Any, num_nodes: int, op: str) -> Tuple[Tensor, Tensor]:
    """[2, P] tensor (edge_index layout) or (src, dst) -> two int64 [P] tensors, range-checked
    (:func:`graphlearn.sparse.as_pairs`, the one pair parser)."""
    from graphlearn.sparse import as_pairs

    return as_pairs(pairs, num_nodes, name=f"{op}: pairs")
