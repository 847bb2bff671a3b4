"""Common neighbours of node pairs (and the set differences NCNC needs)."""
from __future__ import annotations

from typing import Optional, Tuple, Union

import torch
from torch import Tensor

from graphlearn import _validate
from graphlearn.ops import _checks, _ext, reference
from graphlearn.ops.spmm import spmm
from graphlearn.sparse import CSR

PairsLike = Union[Tensor, Tuple[Tensor, Tensor]]
MODES = reference.MODES


def _prepare(adj: CSR, pairs: PairsLike, mode: str, op: str) -> Tuple[CSR, Tensor, Tensor, int]:
    adj = _checks.as_adj(adj, op)
    if adj.num_rows != adj.num_cols:
        raise ValueError(f"{op}: needs a square adjacency, got {adj.num_rows} x {adj.num_cols}")
    mode = _validate.choice(mode, f"{op}: mode", tuple(MODES))
    if not adj.is_sorted:
        raise ValueError(f"{op}: the adjacency's columns must be sorted within each row; build it with "
                         "CSR.from_edge_index (always sorted) or call adj.sort()")
    src, dst = _checks.split_pairs(pairs, adj.num_rows, op)
    return adj, src.to(adj.rowptr.device), dst.to(adj.rowptr.device), MODES[mode]


def common_neighbors(adj: CSR, pairs: PairsLike, x: Optional[Tensor] = None, mode: str = "intersection") -> Tensor:
    r"""Common neighbours of node pairs: counts, or a fused sum of features.

    For each pair (i, j) the set is :math:`N(i) \cap N(j)` (``mode="intersection"``),
    :math:`N(i) \setminus N(j)` (``"src_minus_dst"``) or :math:`N(j) \setminus N(i)`
    (``"dst_minus_src"``), where N(v) are the distinct columns of row v
    (duplicate entries count once; i and j themselves are members when the graph
    links them).

    Args:
        adj: square :class:`graphlearn.sparse.CSR` with sorted rows.
        pairs: ``[2, P]`` tensor (edge_index layout) or ``(src, dst)``.
        x: optional ``[N, F]`` features. When given the result is
            :math:`\sum_{u \in set(i, j)} x_u`, differentiable in ``x``.
        mode: which set, see above.

    Returns:
        ``[P]`` int64 set sizes, or ``[P, F]`` feature sums.
    """
    adj, src, dst, m = _prepare(adj, pairs, mode, "common_neighbors")
    if x is not None:
        _checks.check_features(x, "x", "common_neighbors", dims=(2,), shapes="[N, F]")
        _checks.check_device(adj, x, "x", "common_neighbors")
        _checks.check_rows(x, adj.num_cols, "x", "nodes", "common_neighbors")
    if not _ext.compiled():
        _ext.warn_fallback("common_neighbors")
        return reference.common_neighbors(adj, src, dst, x, mode)
    if x is None:
        return torch.ops.graphlearn.common_neighbors(adj.rowptr, adj.col, src, dst, m)
    if x.requires_grad and torch.is_grad_enabled() and src.numel():
        # training: materialise the sets once; SpMM's backward then reuses them
        # (the fused kernel would have to recompute them in the backward pass)
        return spmm(common_neighbor_sets(adj, (src, dst), mode), x)
    return torch.ops.graphlearn.common_neighbors_sum(adj.rowptr, adj.col, src, dst, x, m)


def common_neighbor_sets(adj: CSR, pairs: PairsLike, mode: str = "intersection") -> CSR:
    """The sets themselves, as a ``[P, N]`` :class:`graphlearn.sparse.CSR` (row p = pair p).

    Columns are increasing within each row; no values. See :func:`common_neighbors`
    for ``mode``.
    """
    adj, src, dst, m = _prepare(adj, pairs, mode, "common_neighbor_sets")
    if _ext.compiled():
        ptr, nodes = torch.ops.graphlearn.common_neighbor_sets(adj.rowptr, adj.col, src, dst, m)
    else:
        _ext.warn_fallback("common_neighbor_sets")
        ptr, nodes = reference.common_neighbor_sets(adj, src, dst, mode)
    if src.numel() == 0:
        raise ValueError("common_neighbor_sets: no pairs given (a CSR needs at least one row)")
    return CSR(ptr.to(nodes.dtype), nodes, None, num_cols=adj.num_cols, validate=False, sorted=True)


def _setup(ctx, inputs, output):
    rowptr, col, src, dst, x, mode = inputs
    ctx.mode = mode
    ctx.num_nodes = x.size(0)
    ctx.save_for_backward(rowptr, col, src, dst)


def _backward(ctx, grad):
    rowptr, col, src, dst = ctx.saved_tensors
    if not ctx.needs_input_grad[4]:
        return None, None, None, None, None, None
    # grad_x = S^T grad with S the [P, N] 0/1 matrix of the sets
    ptr, nodes = torch.ops.graphlearn.common_neighbor_sets(rowptr, col, src, dst, ctx.mode)
    rowptr_t, col_t, _ = torch.ops.graphlearn.csr_transpose(ptr.to(nodes.dtype), nodes, ctx.num_nodes)
    grad_x = torch.ops.graphlearn.spmm(rowptr_t, col_t, None, grad.contiguous(), "sum")[0]
    return None, None, None, None, grad_x, None


if _ext.compiled():
    torch.library.register_autograd("graphlearn::common_neighbors_sum", _backward, setup_context=_setup)

    @torch.library.register_fake("graphlearn::common_neighbors")
    def _(rowptr, col, src, dst, mode):
        return src.new_empty(src.numel())

    @torch.library.register_fake("graphlearn::common_neighbor_sets")
    def _(rowptr, col, src, dst, mode):
        n = torch.library.get_ctx().new_dynamic_size()
        return src.new_empty(src.numel() + 1), col.new_empty(n)

    @torch.library.register_fake("graphlearn::common_neighbors_sum")
    def _(rowptr, col, src, dst, x, mode):
        return x.new_empty(src.numel(), x.size(1))
