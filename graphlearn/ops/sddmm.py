"""Sampled dense-dense products: one score per stored entry."""
from __future__ import annotations

import torch
from torch import Tensor

from graphlearn.ops import _checks, _ext, reference
from graphlearn.sparse import CSR


def sddmm(adj: CSR, a: Tensor, b: Tensor) -> Tensor:
    r"""Per-entry inner products :math:`out_e = \langle a_{row(e)}, b_{col(e)} \rangle`.

    Args:
        adj: :class:`graphlearn.sparse.CSR` of shape ``[M, N]`` (values ignored).
        a: ``[M, D]`` or ``[M, H, D]``.
        b: ``[N, D]`` or ``[N, H, D]`` (same layout and dtype as ``a``).

    Returns:
        ``[nnz]`` for 2-D inputs, ``[nnz, H]`` (one score per head) for 3-D inputs,
        in the adjacency's entry order. Differentiable in ``a`` and ``b``. NaN or
        infinite features propagate as in torch (the op does not scan them).
    """
    adj = _checks.as_adj(adj, "sddmm", a.size(0) if isinstance(a, Tensor) and a.dim() else None)
    _checks.check_features(a, "a", "sddmm")
    _checks.check_features(b, "b", "sddmm")
    _checks.check_device(adj, a, "a", "sddmm")
    _checks.check_device(adj, b, "b", "sddmm")
    _checks.check_rows(a, adj.num_rows, "a", "rows", "sddmm")
    _checks.check_rows(b, adj.num_cols, "b", "columns", "sddmm")
    if a.dtype != b.dtype or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"sddmm: a and b must agree in dtype and in all but the first dimension, got "
                         f"{a.dtype} {list(a.shape)} and {b.dtype} {list(b.shape)}")
    if not _ext.compiled():
        _ext.warn_fallback("sddmm")
        return reference.sddmm(adj, a, b)
    parts = (None, None, None)
    if b.requires_grad and torch.is_grad_enabled():
        parts = adj._transpose_parts()
    return torch.ops.graphlearn.sddmm(adj.rowptr, adj.col, a, b, *parts)


def _setup(ctx, inputs, output):
    rowptr, col, a, b, rowptr_t, col_t, perm_t = inputs
    ctx.save_for_backward(rowptr, col, a, b, rowptr_t, col_t, perm_t)


def _backward(ctx, grad):
    rowptr, col, a, b, rowptr_t, col_t, perm_t = ctx.saved_tensors
    grad = grad.contiguous()
    grad_a = grad_b = None
    # grad is [nnz] or [nnz, H]: exactly the per-entry (per-head) weights of an SpMM
    if ctx.needs_input_grad[2]:
        grad_a = torch.ops.graphlearn.spmm(rowptr, col, grad, b, "sum")[0]
    if ctx.needs_input_grad[3]:
        if rowptr_t is None:
            rowptr_t, col_t, perm_t = torch.ops.graphlearn.csr_transpose(rowptr, col, b.size(0))
        grad_b = torch.ops.graphlearn.spmm(rowptr_t, col_t, grad, a, "sum", value_index=perm_t)[0]
    return None, None, grad_a, grad_b, None, None, None


if _ext.compiled():
    torch.library.register_autograd("graphlearn::sddmm", _backward, setup_context=_setup)

    @torch.library.register_fake("graphlearn::sddmm")
    def _(rowptr, col, a, b, rowptr_t=None, col_t=None, perm_t=None):
        return a.new_empty((col.numel(), a.size(1)) if a.dim() == 3 else (col.numel(),))
