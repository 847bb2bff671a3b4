"""Sparse x dense products: out[i] = reduce_{j in N(i)} w_ij * x[j]."""
from __future__ import annotations

import torch
from torch import Tensor

from graphlearn import _validate
from graphlearn.ops import _checks, _ext, reference
from graphlearn.sparse import CSR

REDUCES = ("sum", "mean", "max", "min")


def spmm(adj: CSR, x: Tensor, reduce: str = "sum") -> Tensor:
    r"""Aggregates neighbour features: :math:`out_i = \mathrm{reduce}_{j \in N(i)} w_{ij} x_j`.

    Args:
        adj: :class:`graphlearn.sparse.CSR` of shape ``[M, N]``; its ``value`` (edge
            weights ``[nnz]``, or ``[nnz, H]`` per head) is used when present.
        x: ``[N, F]`` or ``[N, H, D]`` float32/float64 features.
        reduce: ``"sum"``, ``"mean"`` (sum of weighted messages / number of
            neighbours), ``"max"`` or ``"min"`` (element-wise over weighted messages).

    Returns:
        ``[M, F]`` (or ``[M, H, D]``); rows without neighbours are 0.

    Differentiable in ``x`` and in ``adj.value``; max/min route the gradient to
    the neighbour that won each entry. NaN or infinite features propagate as in
    torch (the op does not scan ``x``).
    """
    adj = _checks.as_adj(adj, "spmm", x.size(0) if isinstance(x, Tensor) and x.dim() else None)
    _checks.check_features(x, "x", "spmm")
    _checks.check_device(adj, x, "x", "spmm")
    _checks.check_rows(x, adj.num_cols, "x", "columns", "spmm")
    _checks.check_value_dtype(adj, x, "spmm")
    reduce = _validate.choice(reduce, "spmm: reduce", REDUCES + ("add",))
    if reduce == "add":
        reduce = "sum"
    if adj.value is not None and adj.value.dim() == 2 and adj.value.size(1) > 1 and (
            x.dim() != 3 or x.size(1) != adj.value.size(1)):
        raise ValueError(f"spmm: edge values of shape {list(adj.value.shape)} have one weight per head "
                         f"and need x of shape [N, {adj.value.size(1)}, D], got {list(x.shape)}")
    if not _ext.compiled():
        _ext.warn_fallback("spmm")
        return reference.spmm(adj, x, reduce)
    parts = (None, None, None)
    if reduce in ("sum", "mean") and x.requires_grad and torch.is_grad_enabled():
        parts = adj._transpose_parts()
    out, _ = torch.ops.graphlearn.spmm(adj.rowptr, adj.col, adj.value, x, reduce, *parts)
    return out


def _value_grad(rowptr: Tensor, col: Tensor, value: Tensor, g: Tensor, x: Tensor) -> Tensor:
    """d out / d value for sum: <g[row], x[col]> over the features each weight scales."""
    if value.dim() == 2 and value.size(1) > 1:  # one weight per head
        gv = torch.ops.graphlearn.sddmm(rowptr, col, g, x)
    else:
        gv = torch.ops.graphlearn.sddmm(rowptr, col, g.reshape(g.size(0), -1), x.reshape(x.size(0), -1))
    return gv.reshape(value.shape)


def _setup(ctx, inputs, output):
    rowptr, col, value, x, reduce, rowptr_t, col_t, perm_t, value_index = inputs
    ctx.reduce = reduce
    ctx.save_for_backward(rowptr, col, value, x, output[1], rowptr_t, col_t, perm_t, value_index)


def _backward(ctx, grad_out, _grad_arg):
    rowptr, col, value, x, arg, rowptr_t, col_t, perm_t, value_index = ctx.saved_tensors
    need_value = ctx.needs_input_grad[2] and value is not None
    need_x = ctx.needs_input_grad[3]
    # per-entry weights (value_index only appears when differentiating a backward)
    w = value if value is None or value_index is None else value.index_select(0, value_index)
    grad_out = grad_out.contiguous()
    grad_w = grad_x = None
    if ctx.reduce in ("max", "min"):
        gx, gw = torch.ops.graphlearn.spmm_arg_backward(rowptr, col, w, x, arg, grad_out, need_x, need_value)
        grad_x, grad_w = (gx if need_x else None), (gw if need_value else None)
    else:
        mean = ctx.reduce == "mean"
        inv_deg = 1.0 / (rowptr[1:] - rowptr[:-1]).clamp_min(1).to(x.dtype) if mean else None
        scalar_w = w is None or w.dim() == 1 or w.size(1) == 1
        if need_x:
            if rowptr_t is None:
                rowptr_t, col_t, perm_t = torch.ops.graphlearn.csr_transpose(rowptr, col, x.size(0))
            if mean and scalar_w:  # fold 1/deg(row) into the transposed weights
                wt = inv_deg.index_select(0, col_t)
                if w is not None:
                    wt = wt * w.reshape(-1).index_select(0, perm_t)
                grad_x = torch.ops.graphlearn.spmm(rowptr_t, col_t, wt, grad_out, "sum")[0]
            else:
                g = grad_out * inv_deg.view(-1, *([1] * (grad_out.dim() - 1))) if mean else grad_out
                index = perm_t if w is not None else None  # read w in transposed order, no gather
                grad_x = torch.ops.graphlearn.spmm(rowptr_t, col_t, w, g, "sum", value_index=index)[0]
        if need_value:
            grad_w = _value_grad(rowptr, col, w, grad_out, x)
            if mean:
                per_entry = torch.repeat_interleave(inv_deg, rowptr[1:] - rowptr[:-1], output_size=col.numel())
                grad_w = grad_w * per_entry.view(-1, *([1] * (grad_w.dim() - 1)))
    grad_value = grad_w
    if grad_w is not None and value_index is not None:
        grad_value = torch.zeros_like(value).index_add_(0, value_index, grad_w)
    return None, None, grad_value, grad_x, None, None, None, None, None


if _ext.compiled():
    torch.library.register_autograd("graphlearn::spmm", _backward, setup_context=_setup)

    @torch.library.register_fake("graphlearn::spmm")
    def _(rowptr, col, value, x, reduce, rowptr_t=None, col_t=None, perm_t=None, value_index=None):
        shape = (rowptr.numel() - 1,) + tuple(x.shape[1:])
        arg = x.new_empty(shape if reduce in ("max", "min") else (0,), dtype=torch.int32)
        return x.new_empty(shape), arg

    @torch.library.register_fake("graphlearn::spmm_arg_backward")
    def _(rowptr, col, value, x, arg, grad_out, need_x, need_value):
        gx = torch.empty_like(x) if need_x else x.new_empty(0)
        gv = torch.empty_like(value) if (need_value and value is not None) else x.new_empty(0)
        return gx, gv
