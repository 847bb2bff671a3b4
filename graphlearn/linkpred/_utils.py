"""Small helpers shared by the link-prediction modules (pairs, graphs, batches)."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np
import torch
from torch import Tensor


def as_index(t: Any, name: str) -> Tensor:
    """An int64 CPU tensor from a tensor/array of integer ids (TypeError otherwise)."""
    if isinstance(t, np.ndarray):
        t = torch.from_numpy(t)
    if not isinstance(t, Tensor):
        try:
            t = torch.as_tensor(t)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"{name} must be a tensor or array of node ids, got {type(t).__name__}") from exc
    if t.dtype.is_floating_point or t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer node ids, got {t.dtype}")
    return t.detach().to("cpu", torch.long)


def as_pairs(pairs: Any, name: str = "pairs", num_nodes: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """``(src, dst)`` int64 ``[P]`` tensors from a ``[2, P]`` or ``[P, 2]`` tensor or a tuple.

    A ``[2, 2]`` tensor is read as ``[2, P]`` (PyG's edge_index layout). With
    ``num_nodes`` the ids are range-checked (ValueError naming ``name`` and the entry).
    """
    if isinstance(pairs, (tuple, list)) and len(pairs) == 2 and not isinstance(pairs[0], (int, np.integer)):
        src, dst = as_index(pairs[0], f"{name}[0]"), as_index(pairs[1], f"{name}[1]")
        if src.dim() != 1 or src.shape != dst.shape:
            raise ValueError(f"{name}: src and dst must be 1-D of equal length, got {list(src.shape)} "
                             f"and {list(dst.shape)}")
    else:
        t = as_index(pairs, name)
        if t.dim() != 2 or 2 not in t.shape:
            raise ValueError(f"{name} must have shape [2, P] (edge_index layout) or [P, 2], got {list(t.shape)}")
        if t.size(0) == 2:
            src, dst = t[0], t[1]
        else:
            src, dst = t[:, 0], t[:, 1]
    if num_nodes is not None:
        check_ids(torch.stack([src, dst], 1), num_nodes, name)
    return src.contiguous(), dst.contiguous()


def check_ids(t: Tensor, num_nodes: int, name: str) -> None:
    """ValueError naming `name` and the first entry outside ``[0, num_nodes)``."""
    if t.numel() == 0:
        return
    bad = (t < 0) | (t >= num_nodes)
    if bool(bad.any()):
        idx = bad.nonzero()[0].tolist()
        where = "[" + ", ".join(str(i) for i in idx) + "]"
        raise ValueError(f"{name}{where} = {int(t[tuple(idx)])} is not a node id in [0, {num_nodes}) "
                         f"(the graph has {num_nodes} nodes)")


def pair_keys(src: Tensor, dst: Tensor, num_nodes: int, undirected: bool) -> Tensor:
    """One int64 key per pair (``min * N + max`` when undirected, else ``src * N + dst``)."""
    if undirected:
        src, dst = torch.minimum(src, dst), torch.maximum(src, dst)
    return src * num_nodes + dst


def build_graph(edges: Any, num_nodes: int, name: str = "graph"):
    """A symmetric, deduplicated, loop-free, unweighted :class:`graphlearn.sparse.CSR`.

    ``edges`` is a CSR (used as given when it is square and sorted), a PyG ``Data``,
    or pairs in ``[2, E]`` / ``[E, 2]`` layout.
    """
    from graphlearn.sparse import CSR

    if isinstance(edges, CSR):
        if edges.num_rows != edges.num_cols:
            raise ValueError(f"{name} must be a square adjacency, got {edges.num_rows} x {edges.num_cols}")
        if edges.num_rows != num_nodes:
            raise ValueError(f"{name} has {edges.num_rows} nodes but {num_nodes} were expected")
        return edges.sort()
    if hasattr(edges, "edge_index"):
        edges = edges.edge_index
    src, dst = as_pairs(edges, name, num_nodes)
    return CSR.from_edge_index(torch.stack([src, dst]), num_nodes, symmetrize=True, self_loops="remove")


def batches(n: int, size: int):
    """``range`` objects covering ``0..n`` in chunks of ``size``."""
    size = max(1, int(size))
    for start in range(0, n, size):
        yield start, min(n, start + size)
