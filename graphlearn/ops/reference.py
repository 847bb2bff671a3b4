"""Pure-PyTorch references of every compiled op.

They define the semantics the C++ kernels must match (tests compare against
them) and serve as the fallback when the extension is not built. They favour
clarity over speed, but stay vectorised so that they run on real graphs.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor

MODES = {"intersection": 0, "src_minus_dst": 1, "dst_minus_src": 2}


def csr_row(rowptr: Tensor) -> Tensor:
    """Row id of every stored entry (COO row vector) from a row pointer."""
    counts = rowptr[1:] - rowptr[:-1]
    return torch.repeat_interleave(torch.arange(counts.numel(), device=rowptr.device), counts.long())


# --------------------------------------------------------------------------- CSR


def coo_to_csr(row: Tensor, col: Tensor, num_rows: int, num_cols: int, dedupe: bool = False,
               remove_self_loops: bool = False) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """COO -> CSR. Returns (rowptr, col, perm, slot) as torch.ops.graphlearn.coo_to_csr.

    Entries are ordered by (row, col, input position). perm[k] is the input
    position of output entry k. With dedupe, entries with equal (row, col) are
    merged: slot[k] is the merged entry that sorted input entry k belongs to.
    """
    if row.numel() and (int(row.min()) < 0 or int(row.max()) >= num_rows):
        raise ValueError(f"row index out of range [0, {num_rows})")
    if col.numel() and (int(col.min()) < 0 or int(col.max()) >= num_cols):
        raise ValueError(f"column index out of range [0, {num_cols})")
    pos = torch.arange(row.numel(), device=row.device)
    if remove_self_loops:
        keep = row != col
        row, col, pos = row[keep], col[keep], pos[keep]
    order = torch.argsort(col, stable=True)
    order = order[torch.argsort(row[order], stable=True)]
    row_s, col_s, perm = row[order], col[order], pos[order]
    long_slot = torch.empty(0, dtype=torch.long, device=row.device)
    if dedupe:
        new = torch.ones_like(row_s, dtype=torch.bool)
        new[1:] = (row_s[1:] != row_s[:-1]) | (col_s[1:] != col_s[:-1])
        long_slot = torch.cumsum(new.long(), 0) - 1
        row_s, col_s = row_s[new], col_s[new]
    counts = torch.bincount(row_s.long(), minlength=num_rows)
    rowptr = torch.zeros(num_rows + 1, dtype=torch.long, device=row.device)
    rowptr[1:] = torch.cumsum(counts, 0)
    return rowptr.to(row.dtype), col_s, perm, long_slot


def csr_transpose(rowptr: Tensor, col: Tensor, num_cols: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Transposed structure (rowptr_t, col_t, perm): entry k of the transpose is entry perm[k]."""
    bad = ((col < 0) | (col >= num_cols)).nonzero()
    if bad.numel():
        k = int(bad[0])
        raise ValueError(f"csr_transpose: col[{k}] = {int(col[k])} is out of range for {num_cols} columns")
    row = csr_row(rowptr).to(col.dtype)
    perm = torch.argsort(col, stable=True)
    counts = torch.bincount(col.long(), minlength=num_cols)
    rowptr_t = torch.zeros(num_cols + 1, dtype=torch.long, device=col.device)
    rowptr_t[1:] = torch.cumsum(counts, 0)
    return rowptr_t.to(rowptr.dtype), row[perm], perm


# ------------------------------------------------------------------ sparse-dense


def _edge_weight(value: Optional[Tensor], x: Tensor) -> Optional[Tensor]:
    """Edge weights broadcastable against gathered messages x[col] ([nnz, ...])."""
    if value is None:
        return None
    if value.dim() == 1 or value.size(1) == 1:
        return value.reshape(-1, *([1] * (x.dim() - 1)))
    return value.unsqueeze(-1)  # [nnz, H, 1] against [nnz, H, D]


def spmm(adj, x: Tensor, reduce: str = "sum") -> Tensor:
    """out[i] = reduce_{j in N(i)} value_ij * x[j]; empty rows give 0."""
    row = csr_row(adj.rowptr)
    msg = x.index_select(0, adj.col.long())
    w = _edge_weight(adj.value, x)
    if w is not None:
        msg = msg * w
    out_shape = (adj.num_rows,) + tuple(x.shape[1:])
    index = row.view(-1, *([1] * (x.dim() - 1))).expand_as(msg)
    if reduce in ("sum", "add"):
        return torch.zeros(out_shape, dtype=x.dtype, device=x.device).scatter_add(0, index, msg)
    if reduce in ("mean", "max", "min"):
        name = {"mean": "mean", "max": "amax", "min": "amin"}[reduce]
        return torch.zeros(out_shape, dtype=x.dtype, device=x.device).scatter_reduce(
            0, index, msg, name, include_self=False)
    raise ValueError(f"reduce must be one of 'sum', 'mean', 'max', 'min', got {reduce!r}")


def sddmm(adj, a: Tensor, b: Tensor) -> Tensor:
    """out[e] = <a[row(e)], b[col(e)]> (per head for [N, H, D] inputs)."""
    row = csr_row(adj.rowptr)
    return (a.index_select(0, row) * b.index_select(0, adj.col.long())).sum(-1)


def segment_softmax(adj, src: Tensor) -> Tensor:
    """softmax of src over the entries of each row (per head for [nnz, H])."""
    row = csr_row(adj.rowptr)
    index = row.view(-1, *([1] * (src.dim() - 1))).expand_as(src)
    shape = (adj.num_rows,) + tuple(src.shape[1:])
    mx = torch.full(shape, float("-inf"), dtype=src.dtype, device=src.device)
    mx = mx.scatter_reduce(0, index, src, "amax", include_self=True)
    mx = torch.where(torch.isinf(mx) & (mx < 0), torch.zeros_like(mx), mx)
    z = torch.exp(src - mx.gather(0, index))
    s = torch.zeros(shape, dtype=src.dtype, device=src.device).scatter_add(0, index, z)
    return z / s.gather(0, index).clamp_min(torch.finfo(src.dtype).tiny)


# ------------------------------------------------------------- common neighbours


def _pair_keys(adj, nodes: Tensor) -> Tuple[Tensor, Tensor]:
    """For each query i in `nodes`: (query id, neighbour) of its distinct neighbours."""
    rowptr, col = adj.rowptr.long(), adj.col.long()
    start, count = rowptr[nodes], rowptr[nodes + 1] - rowptr[nodes]
    qid = torch.repeat_interleave(torch.arange(nodes.numel(), device=col.device), count)
    offs = torch.arange(qid.numel(), device=col.device) - torch.repeat_interleave(
        torch.cumsum(count, 0) - count, count)
    nbr = col[torch.repeat_interleave(start, count) + offs]
    key = torch.unique(qid * adj.num_cols + nbr)  # sorted, distinct
    return key // adj.num_cols, key % adj.num_cols


def common_neighbor_sets(adj, src: Tensor, dst: Tensor, mode: str = "intersection") -> Tuple[Tensor, Tensor]:
    """(ptr [P+1], nodes): the set of pair p is nodes[ptr[p]:ptr[p+1]], increasing.

    The sorted-key membership test below is what NCN's public code does.
    """
    if mode == "dst_minus_src":
        src, dst, mode = dst, src, "src_minus_dst"
    qa, na = _pair_keys(adj, src.long())
    qb, nb = _pair_keys(adj, dst.long())
    key_a, key_b = qa * adj.num_cols + na, qb * adj.num_cols + nb
    if key_b.numel():
        pos = torch.searchsorted(key_b, key_a).clamp_max(key_b.numel() - 1)
        found = key_b[pos] == key_a
    else:
        found = torch.zeros_like(key_a, dtype=torch.bool)
    keep = found if mode == "intersection" else ~found
    q, n = qa[keep], na[keep]
    ptr = torch.zeros(src.numel() + 1, dtype=torch.long, device=src.device)
    ptr[1:] = torch.cumsum(torch.bincount(q, minlength=src.numel()), 0)
    return ptr, n.to(adj.col.dtype)


def common_neighbors(adj, src: Tensor, dst: Tensor, x: Optional[Tensor] = None,
                     mode: str = "intersection") -> Tensor:
    """Counts [P] (x None) or sums of x over the set [P, F]."""
    ptr, nodes = common_neighbor_sets(adj, src, dst, mode)
    counts = ptr[1:] - ptr[:-1]
    if x is None:
        return counts
    q = torch.repeat_interleave(torch.arange(src.numel(), device=x.device), counts)
    out = torch.zeros(src.numel(), x.size(1), dtype=x.dtype, device=x.device)
    return out.index_add(0, q, x.index_select(0, nodes.long()))


# ------------------------------------------------------------------------ k-hop


def khop_distances(adj, roots: Tensor, k: int, sparse: bool = False):
    """Hop distance from each root, capped: nodes farther than k hops get k + 1.

    Dense: [R, N] int64. Sparse: (root_index, node, dist) for nodes within k hops,
    sorted by root then node.
    """
    n = adj.num_rows
    row = csr_row(adj.rowptr)
    col = adj.col.long()
    dist = torch.full((roots.numel(), n), k + 1, dtype=torch.long, device=roots.device)
    dist[torch.arange(roots.numel()), roots.long()] = 0
    frontier = dist == 0
    for level in range(1, k + 1):
        # next[r, c] = any frontier[r, i] for edges (i, c)
        reach = torch.zeros(roots.numel(), n, dtype=torch.long, device=roots.device)
        reach.index_add_(1, col, frontier[:, row].long())
        new = (reach > 0) & (dist > k)
        dist[new] = level
        frontier = new
    if not sparse:
        return dist
    r, v = (dist <= k).nonzero(as_tuple=True)
    return r, v.to(adj.col.dtype), dist[r, v]


# ---------------------------------------------------------------------------
# FastRP
# ---------------------------------------------------------------------------

_M1, _M2, _GOLDEN, _SEED_SALT = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0x9E3779B97F4A7C15, 0x632BE59BD9B4E019


def _mix64(z):
    import numpy as np

    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


def fastrp_random(keys: Tensor, dim: int, s: float, seed: int, row_scale: Optional[Tensor] = None) -> Tensor:
    """Reference of ``torch.ops.graphlearn.fastrp_random`` (same bits, numpy uint64 arithmetic)."""
    import numpy as np

    with np.errstate(over="ignore"):
        k = keys.cpu().numpy().astype(np.int64).view(np.uint64)
        seed_mix = _mix64(np.array([seed], dtype=np.int64).view(np.uint64) + np.uint64(_SEED_SALT))
        base = _mix64(k * np.uint64(_GOLDEN) ^ seed_mix)
        j = np.arange(1, dim + 1, dtype=np.uint64) * np.uint64(_GOLDEN)
        h = _mix64(base[:, None] + j[None, :])
    u = (h >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
    mag = np.float32(np.sqrt(s / dim))
    out = np.where(u < 0.5 / s, mag, np.where(u < 1.0 / s, -mag, np.float32(0))).astype(np.float32)
    if row_scale is not None:
        out *= row_scale.cpu().numpy().astype(np.float32)[:, None]
    return torch.from_numpy(out)


def fastrp_step(adj, x: Tensor, acc: Optional[Tensor], weight: float, mean: bool, normalize: bool,
                acc_scale: Optional[Tensor] = None, keep_out: bool = True) -> Tensor:
    """Reference of ``torch.ops.graphlearn.fastrp_step``: returns ``A x`` (row-averaged by
    degree / weight sum when ``mean``; ``[0, F]`` when not ``keep_out``) and adds
    ``weight * out`` (rows L2-normalised when ``normalize``) into ``acc`` in place,
    after setting ``acc = acc_scale[:, None] * x[:R]`` when ``acc_scale`` is given."""
    out = spmm(adj, x, "sum")
    if mean:
        w = adj.value if adj.value is not None else torch.ones(adj.col.numel(), dtype=x.dtype)
        total = torch.zeros(adj.num_rows, dtype=x.dtype).index_add_(0, csr_row(adj.rowptr), w.to(x.dtype))
        out = out / torch.where(total == 0, torch.ones_like(total), total)[:, None]
    if acc_scale is not None:
        c = acc_scale[:, None]
        acc.copy_(torch.where(c == 0, torch.zeros_like(out), c * x[: adj.num_rows]))
    if weight != 0:
        if normalize:
            nrm = out.norm(dim=1, keepdim=True)
            acc += weight * torch.where(nrm > 0, out / torch.where(nrm > 0, nrm, torch.ones_like(nrm)),
                                        torch.zeros_like(out))
        else:
            acc += weight * out
    return out if keep_out else out[:0]


# ---------------------------------------------------------------------------
# Dropout
# ---------------------------------------------------------------------------

_DROPOUT_SALT = 0xD1B54A32D192ED03


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _srl(z: Tensor, s: int) -> Tensor:
    """Logical right shift of int64 bit patterns (torch's >> is arithmetic)."""
    return (z >> s) & ((1 << (64 - s)) - 1)


def _mix64_torch(z: Tensor) -> Tensor:
    """splitmix64's finaliser on int64 tensors (wrapping products), any device."""
    z = (z ^ _srl(z, 30)) * _signed64(_M1)
    z = (z ^ _srl(z, 27)) * _signed64(_M2)
    return z ^ _srl(z, 31)


def dropout(x: Tensor, p: float, seed: int) -> Tensor:
    """Reference of ``torch.ops.graphlearn.dropout`` (same bits, int64 torch arithmetic):
    entry k (row-major) is kept when 32 bits of
    ``mix64(mix64(seed ^ salt) + (k // 2 + 1) * golden)`` (low half for even k, high for
    odd) are >= round(p * 2**32), and then scaled by ``1 / (1 - p)``."""
    xc = x.contiguous().view(-1)
    n = xc.numel()
    base = _mix64_torch(torch.tensor([_signed64(seed ^ _DROPOUT_SALT)], dtype=torch.int64, device=x.device))
    k = torch.arange(n, dtype=torch.int64, device=x.device)
    r = _mix64_torch(base + (k // 2 + 1) * _signed64(_GOLDEN))
    bits = torch.where(k % 2 == 0, r & 0xFFFFFFFF, _srl(r, 32))
    keep = bits >= round(p * 2.0 ** 32)
    scale = torch.tensor(1.0 / (1.0 - p), dtype=torch.float64).to(x.dtype)
    return torch.where(keep, xc * scale, torch.zeros((), dtype=x.dtype, device=x.device)).view(x.shape)
