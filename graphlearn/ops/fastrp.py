"""FastRP building blocks on the compiled core: the very sparse random matrix,
generated per node from (seed, key), and the fused propagation step."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor

from graphlearn.ops import _checks, _ext, reference


def fastrp_random(keys: Tensor, dim: int, s: float, seed: int = 0, row_scale: Optional[Tensor] = None) -> Tensor:
    """The very sparse random projection rows of the nodes with the given keys.

    Entry ``(i, j)`` is ``+sqrt(s / dim)`` or ``-sqrt(s / dim)`` with probability
    ``1 / (2 s)`` each and 0 otherwise (Li et al., "Very sparse random projections",
    2006), drawn from a counter-based hash of ``(seed, keys[i], j)``: a node's row does
    not depend on the other nodes, their order, the thread count or the process.

    Args:
        keys: ``[n]`` int64 node keys (usually node ids).
        dim: number of columns (>= 1).
        s: inverse density (>= 1); ``s = 1`` gives dense +-1/sqrt(dim) entries,
            ``s = 3`` Achlioptas' projection, ``s = sqrt(n)`` Li et al.'s very sparse one.
        seed: random seed.
        row_scale: optional ``[n]`` float32 factor per row (FastRP's degree weighting).

    Returns:
        ``[n, dim]`` float32.
    """
    keys = torch.as_tensor(keys)
    if keys.dtype.is_floating_point or keys.dtype == torch.bool or keys.dim() != 1:
        raise ValueError(f"fastrp_random: keys must be a 1-D integer tensor, got {keys.dtype} {list(keys.shape)}")
    if not isinstance(dim, int) or isinstance(dim, bool) or dim < 1:
        raise ValueError(f"fastrp_random: dim must be an integer >= 1, got {dim!r}")
    s = float(s)
    if not math.isfinite(s) or s < 1:
        raise ValueError(f"fastrp_random: s (1 / density) must be a finite number >= 1, got {s!r}")
    keys = keys.long().contiguous()
    if row_scale is not None:
        row_scale = torch.as_tensor(row_scale, dtype=torch.float32)
        if row_scale.shape != keys.shape:
            raise ValueError(f"fastrp_random: row_scale must have shape {list(keys.shape)}, got {list(row_scale.shape)}")
        if not bool(torch.isfinite(row_scale).all()):
            raise ValueError("fastrp_random: row_scale contains NaN or infinite values")
    if not _ext.compiled():
        _ext.warn_fallback("fastrp_random")
        return reference.fastrp_random(keys, dim, s, int(seed), row_scale)
    return torch.ops.graphlearn.fastrp_random(keys, dim, s, int(seed), row_scale)


def fastrp_step(adj, x: Tensor, acc: Tensor, weight: float = 0.0, mean: bool = True,
                normalize: bool = True) -> Tensor:
    """One FastRP propagation step, fused with the accumulation of its result.

    Computes ``out = A x`` with the adjacency's edge values (``mean``: each row is
    divided by its number of entries, or by the sum of its edge values when the
    adjacency is weighted, i.e. ``D^-1 A x``), then adds ``weight * out`` into ``acc``
    in place, each row divided by its L2 norm first when ``normalize`` (zero rows
    add nothing). One pass over the rows: ``out`` is still in cache when added.

    Args:
        adj: :class:`graphlearn.sparse.CSR` with ``R`` rows and ``N`` columns.
        x: ``[N, F]`` float32.
        acc: ``[R, F]`` float32, contiguous; updated in place.

    Returns:
        ``out``, ``[R, F]`` float32.
    """
    _checks.check_adj(adj, "fastrp_step")
    for name, t in (("x", x), ("acc", acc)):
        if not isinstance(t, Tensor) or t.dtype != torch.float32 or t.dim() != 2:
            raise TypeError(f"fastrp_step: {name} must be a 2-D float32 tensor, got "
                            f"{getattr(t, 'dtype', type(t).__name__)} {list(getattr(t, 'shape', []))}")
    _checks.check_rows(x, adj.num_cols, "x", "columns", "fastrp_step")
    if acc.shape != (adj.num_rows, x.size(1)) or not acc.is_contiguous():
        raise ValueError(f"fastrp_step: acc must be contiguous with shape [{adj.num_rows}, {x.size(1)}], "
                         f"got {list(acc.shape)}")
    value = adj.value
    if value is not None and value.dtype != torch.float32:
        value = value.float()
    if not _ext.compiled():
        _ext.warn_fallback("fastrp_step")
        return reference.fastrp_step(adj.with_value(value) if value is not adj.value else adj, x, acc,
                                     float(weight), mean, normalize)
    return torch.ops.graphlearn.fastrp_step(adj.rowptr, adj.col, value, x, acc, float(weight), bool(mean),
                                            bool(normalize))


if _ext.compiled():

    @torch.library.register_fake("graphlearn::fastrp_random")
    def _(keys, dim, s, seed, row_scale=None):
        return keys.new_empty(keys.numel(), dim, dtype=torch.float32)

    @torch.library.register_fake("graphlearn::fastrp_step")
    def _(rowptr, col, value, x, acc, weight, mean, normalize):
        return x.new_empty(rowptr.numel() - 1, x.size(1))
