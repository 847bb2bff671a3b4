"""k-hop distances by bounded breadth-first search."""
from __future__ import annotations

import torch
from torch import Tensor

from graphlearn.ops import _checks, _ext, reference
from graphlearn.sparse import CSR


def khop_distances(adj: CSR, roots: Tensor, k: int, sparse: bool = False):
    """Hop distances from each root, following row -> column entries, capped at k.

    Args:
        adj: square :class:`graphlearn.sparse.CSR` (use a symmetric one for
            undirected distances).
        roots: ``[R]`` node ids.
        k: maximum number of hops (>= 0).
        sparse: return only the nodes within k hops.

    Returns:
        Dense (default): ``[R, N]`` int64 with the distance from ``roots[r]`` to
        every node, and ``k + 1`` for nodes farther than k hops or unreachable.
        Sparse: ``(root_index, node, dist)``, three ``[M]`` tensors listing every
        node within k hops of ``roots[root_index]``, sorted by root then node.
    """
    adj = _checks.as_adj(adj, "khop_distances")
    if adj.num_rows != adj.num_cols:
        raise ValueError(f"khop_distances: needs a square adjacency, got {adj.num_rows} x {adj.num_cols}")
    if not isinstance(k, int) or isinstance(k, bool) or k < 0:
        raise ValueError(f"khop_distances: k must be an integer >= 0, got {k!r}")
    roots = torch.as_tensor(roots)
    if roots.dtype.is_floating_point or roots.dtype == torch.bool or roots.dim() != 1:
        raise ValueError(f"khop_distances: roots must be a 1-D integer tensor, got {roots.dtype} {list(roots.shape)}")
    roots = roots.long().to(adj.rowptr.device).contiguous()
    if roots.numel():
        bad = ((roots < 0) | (roots >= adj.num_rows)).nonzero()
        if bad.numel():
            i = int(bad[0])
            raise ValueError(f"khop_distances: roots[{i}] = {int(roots[i])} is not a node id in [0, {adj.num_rows})")
    if not _ext.compiled():
        _ext.warn_fallback("khop_distances")
        return reference.khop_distances(adj, roots, k, sparse)
    if not sparse:
        return torch.ops.graphlearn.khop_distances(adj.rowptr, adj.col, roots, k)
    ptr, node, dist = torch.ops.graphlearn.khop_distances_sparse(adj.rowptr, adj.col, roots, k)
    root_index = torch.repeat_interleave(torch.arange(roots.numel(), device=roots.device), ptr[1:] - ptr[:-1])
    return root_index, node, dist


if _ext.compiled():

    @torch.library.register_fake("graphlearn::khop_distances")
    def _(rowptr, col, roots, k):
        return roots.new_empty(roots.numel(), rowptr.numel() - 1)

    @torch.library.register_fake("graphlearn::khop_distances_sparse")
    def _(rowptr, col, roots, k):
        n = torch.library.get_ctx().new_dynamic_size()
        return roots.new_empty(roots.numel() + 1), col.new_empty(n), roots.new_empty(n)
