"""Argument checks shared by the op wrappers (clear ValueError/TypeError messages).

The checks that need no graph (flags, index tensors, memory) live in
:mod:`graphlearn.ops._args`, which :mod:`graphlearn.ops.csr` uses without importing
:mod:`graphlearn.sparse` (that imports csr); they are re-exported here."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from graphlearn.ops._args import (INDEX_DTYPES, LARGE_ALLOCATION, check_memory, compiled_call, flag,  # noqa: F401
                                  index_tensor)
from graphlearn.sparse import CSR, as_csr, as_pairs

FLOAT_DTYPES = (torch.float32, torch.float64)


def as_adj(adj: Any, op: str, num_nodes: Optional[int] = None) -> CSR:
    """The op's graph as a CSR: a CSR as it is, anything else through
    :func:`graphlearn.sparse.as_csr` (the one conversion; ``num_nodes`` when the op
    knows it, e.g. from the features)."""
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
    return as_pairs(pairs, num_nodes, name=f"{op}: pairs")
