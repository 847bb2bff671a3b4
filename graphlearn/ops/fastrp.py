"""FastRP building blocks on the compiled core: the very sparse random matrix,
generated per node from (seed, key), and the fused propagation step."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from graphlearn import _validate
from graphlearn.ops import _checks, _ext, reference
from graphlearn.sparse import CSR


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

    Raises:
        TypeError: non-integer keys, ``dim`` or ``seed`` (floats and bools included),
            a non-numeric ``s``. ValueError: ``dim < 1``, ``s`` not a finite number
            >= 1, ``seed`` outside ``[0, 2**63 - 1]``, a bad ``row_scale``.
            MemoryError: an ``[n, dim]`` result that cannot fit.
    """
    op = "fastrp_random"
    keys = torch.as_tensor(keys)
    if keys.dtype.is_floating_point or keys.is_complex() or keys.dtype == torch.bool:
        raise TypeError(f"{op}: keys must be a 1-D integer tensor, got {keys.dtype}")
    if keys.dim() != 1:
        raise ValueError(f"{op}: keys must be a 1-D integer tensor, got shape {list(keys.shape)}")
    dim = _validate.integer(dim, f"{op}: dim", min=1, max=_validate.INT64_MAX)
    s = _validate.real(s, f"{op}: s (1 / density)", min=1)
    seed = _validate.seed(seed, f"{op}: seed")
    _checks.check_memory(keys.numel() * dim * 4, f"{op}: the [{keys.numel()}, {dim}] float32 result",
                         "lower dim or embed fewer nodes at once", keys.device)
    keys = keys.long().contiguous()
    if row_scale is not None:
        row_scale = torch.as_tensor(row_scale, dtype=torch.float32)
        if row_scale.shape != keys.shape:
            raise ValueError(f"{op}: row_scale must have shape {list(keys.shape)}, got {list(row_scale.shape)}")
        if not bool(torch.isfinite(row_scale).all()):
            raise ValueError(f"{op}: row_scale contains NaN or infinite values")
    if not _ext.compiled():
        _ext.warn_fallback(op)
        return reference.fastrp_random(keys, dim, s, seed, row_scale)
    return torch.ops.graphlearn.fastrp_random(keys, dim, s, seed, row_scale)


def fastrp_step(adj: CSR, x: Tensor, acc: Optional[Tensor], weight: float = 0.0, mean: bool = True,
                normalize: bool = True, *, acc_scale: Optional[Tensor] = None, keep_out: bool = True) -> Tensor:
    """One FastRP propagation step, fused with the accumulation of its result.

    Computes ``out = A x`` with the adjacency's edge values (``mean``: each row is
    divided by its number of entries, or by the sum of its edge values when the
    adjacency is weighted, i.e. ``D^-1 A x``), then adds ``weight * out`` into ``acc``
    in place, each row divided by its L2 norm first when ``normalize`` (zero rows
    add nothing). One pass over the rows: ``out`` is still in cache when added.

    Args:
        adj: :class:`graphlearn.sparse.CSR` with ``R`` rows and ``N`` columns.
        x: ``[N, F]`` float32.
        acc: ``[R, F]`` float32, contiguous; updated in place. May be None when
            ``weight == 0`` and no ``acc_scale`` is given.
        acc_scale: optional ``[R]`` float32: ``acc`` is first overwritten with
            ``acc_scale[:, None] * x[:R]`` (rows with scale 0 become 0), so ``acc``
            may come uninitialised (``torch.empty``). This lets an accumulator that
            is a row-scaled copy of the input be kept implicitly, as a scale vector.
        keep_out: False: ``out`` is not stored (each row lives in a scratch row
            while it is added to ``acc``) and an empty ``[0, F]`` tensor is
            returned. The last FastRP power needs no buffer of its own.

    Returns:
        ``out``, ``[R, F]`` float32 (``[0, F]`` when not ``keep_out``).

    ``weight`` must be a finite number and ``mean``, ``normalize``, ``keep_out``
    booleans (TypeError / ValueError otherwise). NaN or infinite values in ``x`` or
    the edge values propagate into ``out`` and ``acc`` as in torch (not scanned for).
    """
    weight = _validate.real(weight, "fastrp_step: weight")
    mean, normalize = _checks.flag(mean, "mean", "fastrp_step"), _checks.flag(normalize, "normalize", "fastrp_step")
    keep_out = _checks.flag(keep_out, "keep_out", "fastrp_step")
    adj = _checks.as_adj(adj, "fastrp_step", x.size(0) if isinstance(x, Tensor) and x.dim() else None)
    named = [("x", x)] + ([("acc", acc)] if acc is not None else [])
    for name, t in named:
        if not isinstance(t, Tensor) or t.dtype != torch.float32 or t.dim() != 2:
            raise TypeError(f"fastrp_step: {name} must be a 2-D float32 tensor, got "
                            f"{getattr(t, 'dtype', type(t).__name__)} {list(getattr(t, 'shape', []))}")
    _checks.check_rows(x, adj.num_cols, "x", "columns", "fastrp_step")
    if acc is None:
        if weight != 0.0 or acc_scale is not None:
            raise ValueError("fastrp_step: acc is required when weight != 0 or acc_scale is given")
    elif acc.shape != (adj.num_rows, x.size(1)) or not acc.is_contiguous():
        raise ValueError(f"fastrp_step: acc must be contiguous with shape [{adj.num_rows}, {x.size(1)}], "
                         f"got {list(acc.shape)}")
    if acc_scale is not None:
        if (not isinstance(acc_scale, Tensor) or acc_scale.dtype != torch.float32
                or acc_scale.shape != (adj.num_rows,)):
            raise ValueError(f"fastrp_step: acc_scale must be a float32 tensor of shape [{adj.num_rows}], got "
                             f"{getattr(acc_scale, 'dtype', type(acc_scale).__name__)} "
                             f"{list(getattr(acc_scale, 'shape', []))}")
        if x.size(0) < adj.num_rows:
            raise ValueError(f"fastrp_step: acc_scale scales the first {adj.num_rows} rows of x, "
                             f"but x has {x.size(0)}")
    value = adj.value
    if value is not None and value.dtype != torch.float32:
        value = value.float()
    if not _ext.compiled():
        _ext.warn_fallback("fastrp_step")
        return reference.fastrp_step(adj.with_value(value) if value is not adj.value else adj, x, acc,
                                     weight, mean, normalize, acc_scale=acc_scale, keep_out=keep_out)
    return torch.ops.graphlearn.fastrp_step(adj.rowptr, adj.col, value, x, acc, weight, mean, normalize, acc_scale,
                                            keep_out)


if _ext.compiled():

    @torch.library.register_fake("graphlearn::fastrp_random")
    def _(keys, dim, s, seed, row_scale=None):
        return keys.new_empty(keys.numel(), dim, dtype=torch.float32)

    @torch.library.register_fake("graphlearn::fastrp_step")
    def _(rowptr, col, value, x, acc, weight, mean, normalize, acc_scale=None, keep_out=True):
        return x.new_empty(rowptr.numel() - 1 if keep_out else 0, x.size(1))
