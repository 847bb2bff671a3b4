"""Small helpers shared by the link-prediction modules (pairs, graphs, batches)."""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from graphlearn import _validate

# pair keys u * N + v must fit in int64: N <= floor(sqrt(2**63 - 1))
MAX_NODES = math.isqrt(_validate.INT64_MAX)


def node_count(value: Any, name: str = "num_nodes", *, optional: bool = False) -> Optional[int]:
    """A number of nodes: an integer in ``[1, MAX_NODES]`` (the range in which the pair
    keys ``u * N + v`` that linkpred sorts and matches fit in int64); None passes when
    ``optional``."""
    if value is None and optional:
        return None
    return _validate.integer(value, name, min=1, max=MAX_NODES)


def batch_size_arg(value: Any, name: str = "batch_size", *, optional: bool = False) -> Optional[int]:
    """A batch size: an integer >= 1 (None passes when ``optional``: the default size)."""
    if value is None and optional:
        return None
    return _validate.integer(value, name, min=1)


def seed_arg(value: Any, name: str = "seed") -> int:
    """A seed as every public function takes it: an integer in ``[0, 2**63 - 1]``."""
    return _validate.seed(value, name)


def generator_seed(value: int) -> int:
    """A seed derived from a user's seed (e.g. ``seed * 2 + 1`` for one split's
    negatives) wrapped into torch's generator range ``[0, 2**64)``: the same value
    wherever it fitted, so results do not change, and no overflow at the top of the
    seed range."""
    return int(value) % (1 << 64)


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


def cpu_pairs(pairs: Any, num_nodes: Optional[int] = None, name: str = "pairs") -> Tuple[Tensor, Tensor]:
    """``(src, dst)`` int64 CPU ``[P]`` tensors, parsed by :func:`graphlearn.sparse.as_pairs`
    (a ``[2, P]`` tensor/array or a ``(src, dst)`` tuple; ``[P, 2]`` is rejected with a
    message naming the shape). linkpred computes on the CPU, wherever the pairs live."""
    from graphlearn.sparse import as_pairs

    src, dst = as_pairs(pairs, num_nodes, name=name)
    return src.cpu(), dst.cpu()


def pair_tensor(pairs: Any, num_nodes: Optional[int] = None, name: str = "pairs") -> Tensor:
    """The same pairs as one ``[2, P]`` int64 CPU tensor."""
    return torch.stack(cpu_pairs(pairs, num_nodes, name))


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


def build_graph(edges: Any, num_nodes: Optional[int], name: str = "graph"):
    """A symmetric, deduplicated, loop-free, unweighted :class:`graphlearn.sparse.CSR`.

    ``edges`` is anything :func:`graphlearn.sparse.as_csr` accepts, a CSR included, and
    every form goes through the same undirected view (reverse edges added, loops and
    weights dropped), so one graph scores the same whatever its form. Without
    ``num_nodes`` the count is as_csr's (a Data's or matrix's own, else largest id + 1).
    """
    from graphlearn.sparse import as_csr

    return as_csr(edges, num_nodes, symmetrize=True, self_loops="remove", name=name).with_value(None)


def batches(n: int, size: int):
    """``(start, stop)`` pairs covering ``0..n`` in chunks of ``size`` (an integer >= 1:
    a size of 0 or -1 is an error, not one pair per chunk)."""
    size = batch_size_arg(size)
    for start in range(0, n, size):
        yield start, min(n, start + size)
