"""Row partitions: which rank owns which rows of a row-partitioned graph.

The rows ``0..n-1`` are cut into contiguous blocks, one per rank, in rank order
(:func:`row_partition`), by node count or so that every block carries about the same
work (entries + rows). A graph read from a file with arbitrary integer ids numbers its
rows by the sorted distinct ids (:class:`IdCounter` finds them, with a count per id,
in one streamed pass; :class:`RowIndex` maps ids to rows), so the rows of a rank are
also a contiguous range of ids, and a rank can ask an edge reader for the edges of
its rows by id range.
"""
from __future__ import annotations

from typing import Optional, Tuple, Union

import numpy as np
import torch
from torch import Tensor


def row_partition(num_nodes: int, world_size: int, degree=None) -> np.ndarray:
    """Contiguous row blocks: rank ``r`` owns rows ``boundaries[r]:boundaries[r + 1]``.

    Args:
        num_nodes: ``n >= 1``.
        world_size: number of blocks ``W >= 1``.
        degree: optional ``[n]`` non-negative number of entries of every row (the work
            of the row). With it, the blocks carry about the same work
            ``sum(degree + 1)`` (one unit per entry, one per row for the per-row
            work); without it, about the same number of rows (sizes differ by at most
            one).

    Returns:
        ``[W + 1]`` int64 array, non-decreasing, from 0 to ``n`` (blocks may be empty
        when ``n < W`` or when one row outweighs a block).
    """
    for name, v, lo in (("num_nodes", num_nodes, 1), ("world_size", world_size, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"row_partition: {name} must be an integer >= {lo}, got {v!r}")
    n, w = int(num_nodes), int(world_size)
    if degree is None:
        return np.array([(k * n) // w for k in range(w + 1)], dtype=np.int64)
    deg = np.asarray(degree.numpy() if isinstance(degree, Tensor) else degree)
    if deg.shape != (n,) or not (np.issubdtype(deg.dtype, np.integer) or np.issubdtype(deg.dtype, np.floating)):
        raise ValueError(f"row_partition: degree must be a numeric array of shape [{n}], got {deg.dtype} "
                         f"{list(deg.shape)}")
    if n and (not np.all(np.isfinite(deg)) or deg.min() < 0):
        raise ValueError("row_partition: degree must be finite and >= 0")
    cum = np.concatenate([[0.0], np.cumsum(deg, dtype=np.float64) + np.arange(1, n + 1, dtype=np.float64)])
    targets = cum[-1] * np.arange(1, w, dtype=np.float64) / w
    j = np.searchsorted(cum, targets, side="left")  # first prefix reaching the target
    prev = np.maximum(j - 1, 0)
    cut = np.where(targets - cum[prev] < cum[j] - targets, prev, j)  # the nearer of the two prefixes
    cut = np.maximum.accumulate(np.clip(cut, 0, n))
    return np.concatenate([[0], cut, [n]]).astype(np.int64)


def check_boundaries(boundaries, num_rows: Optional[int] = None) -> np.ndarray:
    """``boundaries`` as a ``[W + 1]`` int64 array, after checking that it starts at 0,
    never decreases and ends at ``num_rows`` (when given)."""
    b = np.asarray(boundaries.numpy() if isinstance(boundaries, Tensor) else boundaries)
    if b.ndim != 1 or b.size < 2 or not np.issubdtype(b.dtype, np.integer):
        raise ValueError(f"boundaries must be a 1-D integer array of W + 1 >= 2 entries, got {b.dtype} "
                         f"{list(b.shape)}")
    b = b.astype(np.int64)
    if b[0] != 0 or np.any(np.diff(b) < 0) or (num_rows is not None and b[-1] != num_rows):
        raise ValueError(f"boundaries must start at 0, never decrease and end at the number of rows"
                         f"{'' if num_rows is None else f' ({num_rows})'}, got {b.tolist()}")
    return b


def owner_of(boundaries, rows) -> np.ndarray:
    """The rank that owns each row: ``[k]`` global rows -> ``[k]`` int64 ranks."""
    b = np.asarray(boundaries, dtype=np.int64)
    r = np.asarray(rows.numpy() if isinstance(rows, Tensor) else rows, dtype=np.int64)
    return np.searchsorted(b, r, side="right") - 1


class IdCounter:
    """The distinct non-negative integer ids of a stream of id arrays, with a count
    per id, in bounded memory (apart from the result).

    ``add(ids, counted)`` registers every id and adds 1 to the count of those where
    ``counted`` is True; ``finish()`` gives the sorted distinct ids and their counts.
    Used to number the rows of an edge list (row = rank of the id among the distinct
    ids, as :meth:`graphlearn.datasets.edgelist.EdgeList.compact` numbers them) and to
    count the entries of every row for :func:`row_partition`.

    Ids are kept in a dense table (8 bytes per id up to the largest) while the
    largest id stays below twice the ids seen plus 4M; beyond that (sparse ids such as
    hashes) in sorted runs merged as they grow (about 16 bytes per distinct id).
    """

    _DENSE_SLACK = 1 << 22  # ids the dense table may exceed twice the ids seen by
    _MERGE_MIN = 1 << 22    # unmerged sparse ids before runs are merged

    def __init__(self) -> None:
        self._counts: Optional[np.ndarray] = np.zeros(0, dtype=np.int64)  # dense: count + 1 where present
        self._runs: list = []       # sparse: (sorted ids, counts) runs
        self._run_len = 0
        self._merged: Optional[Tuple[np.ndarray, np.ndarray]] = None
        self.seen = 0

    @property
    def dense(self) -> bool:
        return self._counts is not None

    def add(self, ids, counted: Union[bool, np.ndarray] = True) -> None:
        """Registers ``[k]`` integer ``ids`` (>= 0); ``counted``: True, False or a ``[k]``
        bool mask of the occurrences that add 1 to their id's count."""
        a = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids)
        if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"IdCounter.add: ids must be a 1-D integer array, got {a.dtype} {list(a.shape)}")
        if not a.size:
            return
        a = a.astype(np.int64, copy=False)
        lo, hi = int(a.min()), int(a.max())
        if lo < 0:
            raise ValueError(f"IdCounter.add: ids must be >= 0, got {lo}")
        c = counted if isinstance(counted, (bool, np.bool_)) else np.asarray(counted, dtype=bool)
        if not isinstance(c, (bool, np.bool_)) and c.shape != a.shape:
            raise ValueError(f"IdCounter.add: counted must be a bool or a mask of shape {list(a.shape)}")
        self.seen += a.size
        if self._counts is not None and hi >= self._counts.size:
            if hi + 1 <= 2 * self.seen + self._DENSE_SLACK:
                grown = np.zeros(max(hi + 1, int(self._counts.size * 1.5)), dtype=np.int64)
                grown[:self._counts.size] = self._counts
                self._counts = grown
            else:  # sparse ids: switch to sorted runs
                present = np.flatnonzero(self._counts)
                if present.size:
                    self._runs.append((present.astype(np.int64), self._counts[present] - 1))
                    self._run_len += present.size
                self._counts = None
        if self._counts is not None and 4 * a.size >= hi:  # many ids per table entry: count them all
            seg = self._counts[:hi + 1]
            seg[a] = np.maximum(seg[a], 1)  # present
            if c is not False:
                seg += np.bincount(a if c is True else a[c], minlength=hi + 1)
            return
        u, inv = np.unique(a, return_inverse=True)
        if self._counts is not None:  # few ids in a large table: touch only theirs
            cnt = np.bincount(inv if c is True else inv[c], minlength=u.size) if c is not False else 0
            self._counts[u] = np.maximum(self._counts[u], 1) + cnt
            return
        if c is True:
            cnt = np.bincount(inv, minlength=u.size)
        elif c is False:
            cnt = np.zeros(u.size, dtype=np.int64)
        else:
            cnt = np.bincount(inv[c], minlength=u.size)
        self._runs.append((u, cnt.astype(np.int64)))
        self._run_len += u.size
        merged = self._merged[0].size if self._merged is not None else 0
        if self._run_len > max(2 * merged, self._MERGE_MIN):
            self._merge()

    def _merge(self) -> None:
        runs = self._runs + ([self._merged] if self._merged is not None else [])
        ids = np.concatenate([r[0] for r in runs])
        cnt = np.concatenate([r[1] for r in runs])
        u, inv = np.unique(ids, return_inverse=True)
        self._merged = (u, np.bincount(inv, weights=cnt, minlength=u.size).astype(np.int64))
        self._runs, self._run_len = [], 0

    def finish(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(ids, counts)``: ``[n]`` sorted distinct int64 ids and their int64 counts."""
        if self._counts is not None:
            ids = np.flatnonzero(self._counts).astype(np.int64)
            return ids, self._counts[ids] - 1
        if self._runs:
            self._merge()
        if self._merged is None:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return self._merged


class RowIndex:
    """Rows of sorted distinct ids: ``rows(x)`` gives the position of every id of ``x``
    in ``ids`` (one subtraction when the ids are consecutive, a binary search
    otherwise). Ids that are not in ``ids`` raise ValueError."""

    def __init__(self, ids) -> None:
        a = np.asarray(ids.numpy() if isinstance(ids, Tensor) else ids, dtype=np.int64)
        if a.ndim != 1 or (a.size > 1 and np.any(np.diff(a) <= 0)):
            raise ValueError("RowIndex: ids must be a 1-D array of strictly increasing integers")
        self.ids = a
        self.consecutive = bool(a.size == 0 or int(a[-1]) - int(a[0]) + 1 == a.size)

    def __len__(self) -> int:
        return int(self.ids.size)

    def rows(self, x) -> np.ndarray:
        """``[k]`` ids -> ``[k]`` int64 rows."""
        x = np.asarray(x, dtype=np.int64)
        if self.consecutive:
            r = x - (int(self.ids[0]) if self.ids.size else 0)
            if r.size and (int(r.min()) < 0 or int(r.max()) >= self.ids.size):
                k = int(np.flatnonzero((r < 0) | (r >= self.ids.size))[0])
                raise ValueError(f"RowIndex: id {int(x[k])} is not one of the {self.ids.size} known ids")
            return r
        r = np.searchsorted(self.ids, x)
        bad = r >= self.ids.size
        bad[~bad] = self.ids[r[~bad]] != x[~bad]
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"RowIndex: id {int(x[k])} is not one of the {self.ids.size} known ids")
        return r

    def id_range(self, row_start: int, row_end: int) -> Tuple[int, Optional[int]]:
        """The ids of rows ``[row_start, row_end)`` as a half-open id range ``(lo, hi)``
        (``hi`` None: no upper bound); an empty range for no rows."""
        if row_start >= row_end:
            return (0, 0)
        lo = int(self.ids[row_start])
        return (lo, int(self.ids[row_end]) if row_end < self.ids.size else None)


__all__ = ["row_partition", "check_boundaries", "owner_of", "IdCounter", "RowIndex"]
