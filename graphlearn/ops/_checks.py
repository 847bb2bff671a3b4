"""Argument checks shared by the op wrappers (clear ValueError/TypeError messages)."""
from __future__ import annotations

from typing import Tuple, Union

import torch
from torch import Tensor

from graphlearn.sparse import CSR

FLOAT_DTYPES = (torch.float32, torch.float64)


def check_adj(adj: CSR, op: str) -> None:
    if not isinstance(adj, CSR):
        raise TypeError(f"{op}: adj must be a graphlearn.sparse.CSR (build one with "
                        f"CSR.from_edge_index(edge_index)), got {type(adj).__name__}")


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


def split_pairs(pairs: Union[Tensor, Tuple[Tensor, Tensor]], num_nodes: int, op: str) -> Tuple[Tensor, Tensor]:
    """[2, P] tensor (edge_index layout) or (src, dst) -> two int64 [P] tensors, range-checked."""
    if isinstance(pairs, (tuple, list)) and len(pairs) == 2:
        src, dst = (torch.as_tensor(p) for p in pairs)
    elif isinstance(pairs, Tensor) and pairs.dim() == 2 and pairs.size(0) == 2:
        src, dst = pairs[0], pairs[1]
    else:
        shape = list(pairs.shape) if isinstance(pairs, Tensor) else type(pairs).__name__
        raise ValueError(f"{op}: pairs must be a [2, P] tensor (like edge_index) or a (src, dst) "
                         f"tuple, got {shape}" + ("; use pairs.t()" if isinstance(pairs, Tensor)
                                                  and pairs.dim() == 2 and pairs.size(1) == 2 else ""))
    for t in (src, dst):
        if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
            raise TypeError(f"{op}: pair ids must be integers, got {t.dtype}")
    if src.shape != dst.shape or src.dim() != 1:
        raise ValueError(f"{op}: src and dst must be 1-D of equal length, got {list(src.shape)} and {list(dst.shape)}")
    src, dst = src.long().contiguous(), dst.long().contiguous()
    for name, t in (("src", src), ("dst", dst)):
        if t.numel():
            bad = ((t < 0) | (t >= num_nodes)).nonzero()
            if bad.numel():
                k = int(bad[0])
                raise ValueError(f"{op}: pairs {name}[{k}] = {int(t[k])} is not a node id in [0, {num_nodes})")
    return src, dst
