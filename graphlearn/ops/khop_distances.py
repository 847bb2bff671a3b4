"""k-hop distances by bounded breadth-first search."""
from __future__ import annotations

import torch
from torch import Tensor

from graphlearn import _validate
from graphlearn.ops import _checks, _ext, reference
from graphlearn.sparse import CSR


def khop_distances(adj: CSR, roots: Tensor, k: int, sparse: bool = False):
    """Hop distances from each root, following row -> column entries, capped at k.

    Args:
        adj: square :class:`graphlearn.sparse.CSR` (use a symmetric one for
            undirected distances).
        roots: ``[R]`` int32/int64 node ids.
        k: maximum number of hops, an integer in ``[0, 2**63 - 2]`` (so that ``k + 1``
            is an int64). No distance exceeds ``N - 1``, so any ``k >= N - 1`` finds
            every reachable node; a larger ``k`` only changes the value that marks
            unreachable nodes, and costs nothing more.
        sparse: return only the nodes within k hops.

    Returns:
        Dense (default): ``[R, N]`` int64 with the distance from ``roots[r]`` to
        every node, and ``k + 1`` for nodes farther than k hops or unreachable.
        Sparse: ``(root_index, node, dist)``, three ``[M]`` tensors listing every
        node within k hops of ``roots[root_index]``, sorted by root then node.

    Raises:
        TypeError: a non-integer ``k`` (floats and bools included) or roots, a
            non-boolean ``sparse``. ValueError: ``k`` out of range, roots not 1-D or
            not node ids. MemoryError: a dense ``[R, N]`` result that cannot fit.
    """
    op = "khop_distances"
    adj = _checks.as_adj(adj, op)
    if adj.num_rows != adj.num_cols:
        raise ValueError(f"{op}: needs a square adjacency, got {adj.num_rows} x {adj.num_cols}")
    k = _validate.integer(k, f"{op}: k", min=0, max=_validate.INT64_MAX - 1)
    sparse = _checks.flag(sparse, "sparse", op)
    roots = torch.as_tensor(roots)
    if roots.dtype.is_floating_point or roots.is_complex() or roots.dtype == torch.bool:
        raise TypeError(f"{op}: roots must be a 1-D integer tensor of node ids, got {roots.dtype}")
    if roots.dim() != 1:
        raise ValueError(f"{op}: roots must be a 1-D integer tensor, got shape {list(roots.shape)}")
    roots = roots.long().to(adj.rowptr.device).contiguous()
    if roots.numel():
        bad = ((roots < 0) | (roots >= adj.num_rows)).nonzero()
        if bad.numel():
            i = int(bad[0])
            raise ValueError(f"{op}: roots[{i}] = {int(roots[i])} is not a node id in [0, {adj.num_rows})")
    if not sparse:
        _checks.check_memory(roots.numel() * adj.num_rows * 8, f"{op}: the dense [{roots.numel()}, {adj.num_rows}] "
                             "int64 result", "pass sparse=True or fewer roots", roots.device)
    # distances never exceed N - 1: hops beyond N find nothing new (the kernels cap k at 2**40)
    hops = min(k, adj.num_rows)
    if not _ext.compiled():
        _ext.warn_fallback(op)
        out = reference.khop_distances(adj, roots, hops, sparse)
    elif not sparse:
        out = torch.ops.graphlearn.khop_distances(adj.rowptr, adj.col, roots, hops)
    else:
        ptr, node, dist = torch.ops.graphlearn.khop_distances_sparse(adj.rowptr, adj.col, roots, hops)
        root_index = torch.repeat_interleave(torch.arange(roots.numel(), device=roots.device), ptr[1:] - ptr[:-1])
        return root_index, node, dist
    if not sparse and hops < k:  # hops + 1 marks exactly the unreachable nodes: give them k + 1
        out = out.masked_fill_(out == hops + 1, k + 1)
    return out


if _ext.compiled():

    @torch.library.register_fake("graphlearn::khop_distances")
    def _(rowptr, col, roots, k):
        return roots.new_empty(roots.numel(), rowptr.numel() - 1)

    @torch.library.register_fake("graphlearn::khop_distances_sparse")
    def _(rowptr, col, roots, k):
        n = torch.library.get_ctx().new_dynamic_size()
        return roots.new_empty(roots.numel() + 1), col.new_empty(n), roots.new_empty(n)
