"""FastRP on several processes or machines with ``torch.distributed``.

The nodes ``0..n-1`` are split into contiguous row blocks, one per rank
(:func:`row_partition`). Rank ``r`` holds the rows ``[row_start, row_end)`` of the
propagation matrix ``M`` (a :class:`LocalBlock`, built by streaming the edge list
through a :class:`BlockBuilder`, so that no rank ever holds the whole graph) and the
matching rows of the embedding buffers. Every propagation step ``X <- M X`` needs, besides
the rank's own rows of ``X``, the rows of the *remote* neighbours (the halo): which rows
these are is worked out once (:class:`HaloExchange`), after which each iteration sends
exactly the requested rows, ``halo_rows x dim x 4`` bytes, with one
``all_to_all_single`` (or ``isend``/``irecv`` pairs).

Because a node's random vector depends only on ``(random_state, node key)``
(:func:`graphlearn.ops.fastrp_random`) and its degree is known to its owner, the
result equals rows ``row_start:row_end`` of the single-process
``FastRP(...).fit_transform(graph)`` to float tolerance (the propagation sums every
row's neighbours in the same order, so it is bit-identical; only the float64 column
statistics of the standardisation are summed in a different order).

Memory per rank (``n_r`` own rows, ``h_r`` halo rows, ``s_r`` rows it sends per
iteration, ``e_r`` entries of its block, ``d`` = dim):

* embedding: ``4 d (3 n_r + h_r + s_r)`` bytes (the accumulator, the current power
  extended by the halo, the next power, the send buffer);
* block: the :class:`LocalBlock` (``8 (n_r + 1) + 8 e_r`` bytes, ``+ 4 e_r`` for weights)
  and its copy with local column indices that the kernels read (``4 (n_r + 1) + 4 e_r``
  bytes with int32 indices, used whenever they fit; the weights are shared), plus
  ``8 (h_r + s_r)`` for the exchange plan;
* while the block is built: the kept edge entries (about ``20 e_r`` bytes) and, in
  :meth:`BlockBuilder.finish`, about ``50 e_r`` bytes at the peak;
* balancing by degree (:func:`scan_edges`): an ``[n]`` int64 degree array (``8 n``
  bytes) on every rank while the partition is computed.

Launch with ``torchrun`` (see ``docs/distributed.md`` and
``examples/fastrp_distributed.py``).
"""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from graphlearn.embed.fastrp import FastRP, finalize, initial_vectors, propagate
from graphlearn.sparse import CSR

PathLike = Union[str, "os.PathLike[str]"]
EdgeChunk = Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]

__all__ = ["row_partition", "LocalBlock", "BlockBuilder", "scan_edges", "iter_edge_file", "HaloExchange",
           "DistributedFastRP", "write_npy_rows", "write_npy_parts", "read_npy_parts"]


# ---------------------------------------------------------------------- partition

def row_partition(num_nodes: int, world_size: int, degree=None) -> np.ndarray:
    """Contiguous row blocks: rank ``r`` owns nodes ``boundaries[r]:boundaries[r + 1]``.

    Args:
        num_nodes: ``n >= 1``.
        world_size: number of blocks ``W >= 1``.
        degree: optional ``[n]`` non-negative number of entries of every row of the
            propagation matrix. With it, the blocks carry about the same work
            ``sum(degree + 1)`` (one unit per entry, one per row for the per-row
            vector work); without it, about the same number of nodes (sizes differ
            by at most one).

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


# --------------------------------------------------------------------- local block

def _index_tensor(a, name: str) -> Tensor:
    t = torch.as_tensor(np.asarray(a) if not isinstance(a, Tensor) else a)
    if t.dtype.is_floating_point or t.dtype == torch.bool or t.dim() != 1:
        raise ValueError(f"{name} must be a 1-D integer array, got {t.dtype} {list(t.shape)}")
    return t.long()


@dataclasses.dataclass
class LocalBlock:
    """Rows ``[row_start, row_end)`` of the propagation matrix ``M``, with global column ids.

    ``M`` is the adjacency after ``FastRP``'s ``direction`` has been applied (``"out"``:
    the adjacency itself, ``"in"``: its transpose, ``"both"``: its symmetrisation with
    summed weights), so the block of a rank is everything it needs besides the halo.

    Attributes:
        rowptr: ``[n_local + 1]`` int64 row pointers (from 0).
        col: ``[nnz]`` int64 global column ids in ``[0, num_nodes)``, sorted within each
            row (as in the single-process CSR, so neighbours are summed in the same order).
        value: ``[nnz]`` float32 edge weights, or None (unweighted).
        num_nodes: global number of nodes ``n``.
        row_start, row_end: the global rows held (``row_end - row_start = n_local``).
        direction: the ``FastRP.direction`` the block was built for.
        keys: optional ``[n_local]`` int64 node keys of the rows (default: the global ids
            ``row_start..row_end-1``).
        features: optional ``[n_local, p]`` node features of the rows.
    """

    rowptr: Tensor
    col: Tensor
    value: Optional[Tensor]
    num_nodes: int
    row_start: int
    row_end: int
    direction: str = "out"
    keys: Optional[Tensor] = None
    features: Optional[Tensor] = None

    def __post_init__(self) -> None:
        self.rowptr = _index_tensor(self.rowptr, "LocalBlock.rowptr")
        self.col = _index_tensor(self.col, "LocalBlock.col")
        n, r0, r1 = int(self.num_nodes), int(self.row_start), int(self.row_end)
        self.num_nodes, self.row_start, self.row_end = n, r0, r1
        if n < 1 or not 0 <= r0 <= r1 <= n:
            raise ValueError(f"LocalBlock: need 0 <= row_start <= row_end <= num_nodes and num_nodes >= 1, got "
                             f"row_start={r0}, row_end={r1}, num_nodes={n}")
        if self.direction not in ("out", "in", "both"):
            raise ValueError(f"LocalBlock: direction must be 'out', 'in' or 'both', got {self.direction!r}")
        if self.rowptr.numel() != r1 - r0 + 1:
            raise ValueError(f"LocalBlock: rowptr must have row_end - row_start + 1 = {r1 - r0 + 1} entries, "
                             f"got {self.rowptr.numel()}")
        rp = self.rowptr
        if int(rp[0]) != 0 or int(rp[-1]) != self.col.numel() or bool((rp[1:] < rp[:-1]).any()):
            raise ValueError(f"LocalBlock: rowptr must start at 0, be non-decreasing and end at nnz = "
                             f"{self.col.numel()}")
        if self.col.numel() and (int(self.col.min()) < 0 or int(self.col.max()) >= n):
            bad = int(((self.col < 0) | (self.col >= n)).nonzero()[0])
            raise ValueError(f"LocalBlock: col[{bad}] = {int(self.col[bad])} is not a node id in [0, {n})")
        if self.value is not None:
            v = torch.as_tensor(self.value)
            if v.shape != self.col.shape or not v.dtype.is_floating_point:
                raise ValueError(f"LocalBlock: value must be a float array of shape [{self.col.numel()}], got "
                                 f"{v.dtype} {list(v.shape)}")
            self.value = v.float().contiguous()
        if self.keys is not None:
            self.keys = _index_tensor(self.keys, "LocalBlock.keys")
            if self.keys.numel() != r1 - r0:
                raise ValueError(f"LocalBlock: keys must have {r1 - r0} entries (one per local row), got "
                                 f"{self.keys.numel()}")

    @property
    def num_local(self) -> int:
        """Number of rows held, ``row_end - row_start``."""
        return self.row_end - self.row_start

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return int(self.col.numel())

    @classmethod
    def from_csr(cls, adj: CSR, row_start: int, row_end: int, direction: str = "out", keys=None,
                 features=None) -> "LocalBlock":
        """The block of a graph that fits in memory (tests, small jobs): applies
        ``direction`` to the whole ``[n, n]`` adjacency ``adj`` (as ``FastRP.fit`` does) and
        keeps rows ``row_start:row_end``. ``keys``/``features`` are those of the local rows."""
        if not isinstance(adj, CSR):
            raise TypeError(f"LocalBlock.from_csr: adj must be a graphlearn CSR, got {type(adj).__name__}")
        if adj.num_rows != adj.num_cols:
            raise ValueError(f"LocalBlock.from_csr: the adjacency must be square, got {adj.num_rows} x {adj.num_cols}")
        m = FastRP(direction=direction)._propagation_matrix(adj.to("cpu"))
        rp = m.rowptr.long()
        a, b = int(rp[row_start]), int(rp[row_end])
        value = m.value[a:b] if m.value is not None else None
        return cls(rp[row_start:row_end + 1] - a, m.col[a:b].long(), value, m.num_rows, row_start, row_end,
                   direction, keys, features)


class BlockBuilder:
    """Builds one rank's :class:`LocalBlock` from edge chunks streamed through :meth:`add`.

    Every rank can read the whole edge list chunk by chunk and keep only the entries of
    its own rows, so no rank holds the graph. The graph is defined as follows (the
    semantics of :meth:`graphlearn.datasets.edgelist.EdgeList.to_csr`):

    * ``directed=True``: one entry ``(src, dst)`` per edge line; ``directed=False``: also
      ``(dst, src)`` for every line that is not a self-loop.
    * ``dedupe=True``: repeated entries are one edge (unweighted) or add their weights;
      ``dedupe=False``: repeated entries are parallel edges (a multigraph, like
      ``CSR.from_edge_index`` without ``dedupe``, which ``FastRP.fit`` uses for an
      edge_index).
    * ``direction`` as in :class:`~graphlearn.embed.FastRP`: ``"out"`` keeps the rows of
      the adjacency, ``"in"`` those of its transpose, ``"both"`` of its symmetrisation
      (both directions, repeated entries merged: weights summed).

    Args:
        num_nodes: global ``n`` (every id must lie in ``[0, n)``).
        row_start, row_end: the rows this rank owns.
        directed, dedupe, direction: see above.
        weighted: whether chunks carry weights (float32, finite).

    Attributes:
        num_lines: edge lines seen; num_kept: entries kept so far.
    """

    def __init__(self, num_nodes: int, row_start: int, row_end: int, *, directed: bool, direction: str = "out",
                 weighted: bool = False, dedupe: bool = True):
        n, r0, r1 = int(num_nodes), int(row_start), int(row_end)
        if n < 1 or not 0 <= r0 <= r1 <= n:
            raise ValueError(f"BlockBuilder: need 0 <= row_start <= row_end <= num_nodes and num_nodes >= 1, got "
                             f"row_start={r0}, row_end={r1}, num_nodes={n}")
        if direction not in ("out", "in", "both"):
            raise ValueError(f"BlockBuilder: direction must be 'out', 'in' or 'both', got {direction!r}")
        self.num_nodes, self.row_start, self.row_end = n, r0, r1
        self.directed, self.direction, self.weighted, self.dedupe = bool(directed), direction, bool(weighted), \
            bool(dedupe)
        self.num_lines = 0
        self.num_kept = 0
        self._rows: List[np.ndarray] = []
        self._cols: List[np.ndarray] = []
        self._vals: List[np.ndarray] = []
        self._row_dtype = np.int32 if r1 - r0 < 2**31 else np.int64

    def add(self, src, dst, weight=None) -> None:
        """Adds a chunk of edge lines: ``[k]`` integer ``src``, ``dst`` and, when weighted,
        ``[k]`` weights. Raises ValueError naming the (0-based) line of a bad id or weight."""
        s = np.asarray(src.numpy() if isinstance(src, Tensor) else src)
        d = np.asarray(dst.numpy() if isinstance(dst, Tensor) else dst)
        if s.ndim != 1 or s.shape != d.shape or not (np.issubdtype(s.dtype, np.integer)
                                                     and np.issubdtype(d.dtype, np.integer)):
            raise ValueError(f"BlockBuilder.add: src and dst must be 1-D integer arrays of equal length, got "
                             f"{s.dtype} {list(s.shape)} and {d.dtype} {list(d.shape)}")
        s, d = s.astype(np.int64, copy=False), d.astype(np.int64, copy=False)
        for name, a in (("src", s), ("dst", d)):
            if a.size and (a.min() < 0 or a.max() >= self.num_nodes):
                k = int(np.flatnonzero((a < 0) | (a >= self.num_nodes))[0])
                raise ValueError(f"BlockBuilder.add: {name} id {int(a[k])} on edge line {self.num_lines + k} is not "
                                 f"in [0, {self.num_nodes}); pass a larger num_nodes")
        w = None
        if self.weighted:
            if weight is None:
                raise ValueError("BlockBuilder.add: the builder is weighted but the chunk has no weights")
            w = np.asarray(weight.numpy() if isinstance(weight, Tensor) else weight)
            if w.shape != s.shape or not (np.issubdtype(w.dtype, np.floating) or np.issubdtype(w.dtype, np.integer)):
                raise ValueError(f"BlockBuilder.add: weight must be a numeric array of shape {list(s.shape)}, got "
                                 f"{w.dtype} {list(w.shape)}")
            w = w.astype(np.float32, copy=False)
            if w.size and not np.all(np.isfinite(w)):
                k = int(np.flatnonzero(~np.isfinite(w))[0])
                raise ValueError(f"BlockBuilder.add: weight {w[k]} on edge line {self.num_lines + k} is not finite")
        elif weight is not None:
            raise ValueError("BlockBuilder.add: got weights for an unweighted builder (pass weighted=True)")
        self.num_lines += int(s.size)
        # the entries of the adjacency A contributed by these lines
        if not self.directed:
            keep = s != d
            s, d = np.concatenate([s, d[keep]]), np.concatenate([d, s[keep]])
            w = np.concatenate([w, w[keep]]) if w is not None else None
        parts = []
        if self.direction in ("out", "both"):  # rows of A
            parts.append((s, d))
        if self.direction in ("in", "both"):  # rows of A^T
            parts.append((d, s))
        r0, r1 = self.row_start, self.row_end
        for rows, cols in parts:
            mask = (rows >= r0) & (rows < r1)
            self._rows.append((rows[mask] - r0).astype(self._row_dtype))
            self._cols.append(cols[mask])
            if w is not None:
                self._vals.append(w[mask])
            self.num_kept += int(mask.sum())

    def finish(self, keys=None, features=None) -> LocalBlock:
        """The local block (the buffered entries are released). ``keys``/``features``:
        optional ``[n_local]`` keys and ``[n_local, p]`` features of the local rows."""
        n_local = self.row_end - self.row_start
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, self._row_dtype)
        cols = np.concatenate(self._cols) if self._cols else np.zeros(0, np.int64)
        vals = (np.concatenate(self._vals) if self._vals else np.zeros(0, np.float32)) if self.weighted else None
        self._rows, self._cols, self._vals = [], [], []
        if n_local == 0:
            return LocalBlock(torch.zeros(1, dtype=torch.int64), torch.zeros(0, dtype=torch.int64),
                              torch.zeros(0) if self.weighted else None, self.num_nodes, self.row_start,
                              self.row_end, self.direction, keys, features)
        dedupe = self.dedupe or self.direction == "both"  # FastRP merges the symmetrised entries
        csr = CSR.from_coo(torch.from_numpy(rows).long(), torch.from_numpy(cols), n_local,
                           torch.from_numpy(vals) if vals is not None else None, num_cols=self.num_nodes,
                           dedupe=dedupe, reduce="sum")
        del rows, cols, vals
        return LocalBlock(csr.rowptr, csr.col, csr.value, self.num_nodes, self.row_start, self.row_end,
                          self.direction, keys, features)


def scan_edges(chunks: Iterable[EdgeChunk], *, directed: bool, direction: str = "out",
               num_nodes: Optional[int] = None) -> Tuple[int, np.ndarray, int]:
    """One pass over edge chunks: the number of nodes and the entries per row of ``M``.

    Args:
        chunks: ``(src, dst, weight-or-None)`` integer arrays, e.g. from :func:`iter_edge_file`.
        directed, direction: as for :class:`BlockBuilder`.
        num_nodes: the number of nodes if known (ids must be below it); default: the
            largest id + 1.

    Returns:
        ``(num_nodes, degree, num_lines)``: ``degree`` is ``[num_nodes]`` int64, the number
        of entries every row of ``M`` receives before duplicates are merged (what
        :func:`row_partition` balances), ``num_lines`` the number of edge lines.
    """
    if direction not in ("out", "in", "both"):
        raise ValueError(f"scan_edges: direction must be 'out', 'in' or 'both', got {direction!r}")
    deg = np.zeros(int(num_nodes) if num_nodes is not None else 0, dtype=np.int64)
    lines, max_id = 0, -1
    for s, d, _ in chunks:
        s, d = np.asarray(s, dtype=np.int64), np.asarray(d, dtype=np.int64)
        if s.size == 0:
            continue
        lo, hi = min(int(s.min()), int(d.min())), max(int(s.max()), int(d.max()))
        if lo < 0:
            raise ValueError(f"scan_edges: negative node id {lo} in the edge lines {lines}..{lines + s.size - 1}")
        if hi >= deg.size:
            if num_nodes is not None:
                raise ValueError(f"scan_edges: node id {hi} in the edge lines {lines}..{lines + s.size - 1} is not "
                                 f"below num_nodes={num_nodes}")
            deg = np.concatenate([deg, np.zeros(max(hi + 1 - deg.size, deg.size // 2), dtype=np.int64)])
        max_id = max(max_id, hi)
        if not directed or direction in ("out", "both"):
            deg[: hi + 1] += np.bincount(s, minlength=hi + 1)
        if not directed:
            nonloop = s != d
            deg[: hi + 1] += np.bincount(d[nonloop], minlength=hi + 1)
        elif direction in ("in", "both"):
            deg[: hi + 1] += np.bincount(d, minlength=hi + 1)
        lines += int(s.size)
    if num_nodes is None:
        if max_id < 0:
            raise ValueError("scan_edges: no edges and no num_nodes; the graph is empty")
        deg = deg[: max_id + 1]
    elif int(num_nodes) < 1:
        raise ValueError(f"scan_edges: num_nodes must be >= 1, got {num_nodes}")
    return int(deg.size), deg, lines


# ---------------------------------------------------------------- edge file reader

_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"BZh", "bz2"))


def _is_int(field: str) -> bool:
    f = field.strip()
    return f.lstrip("-").isdigit() if f else False


def iter_edge_file(path: PathLike, *, sep: Optional[str] = None, weighted: bool = False,
                   block_size: int = 16 << 20, comment: Sequence[str] = ("#", "%")) -> Iterator[EdgeChunk]:
    """Streams ``(src, dst, weight-or-None)`` numpy chunks from an integer-id edge list.

    Formats: text (plain, gzip, zstd or bz2, detected from the first bytes) with one edge
    per line, ``src dst [weight]`` separated by one tab, comma, semicolon or space
    (``sep``, default detected from the first edge line), CRLF or LF line ends, comment
    lines (starting with ``comment``) and blank lines before the first edge, an optional
    header line, blank lines anywhere; or a NumPy ``.npy`` ``[E, 2]`` / ``[E, 3]`` array
    (memory-mapped). Parsed with pyarrow in blocks of ``block_size`` bytes, so memory is
    bounded by a block. Node ids must be integers ``>= 0`` (row = id); string ids need
    :func:`graphlearn.datasets.edgelist.read_edge_list`, which maps them in memory.

    Raises:
        FileNotFoundError: no such file. ValueError: malformed content (naming the file).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"edge list not found: {path}")
    if not isinstance(block_size, int) or block_size < 1024:
        raise ValueError(f"iter_edge_file: block_size must be an integer >= 1024, got {block_size!r}")
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\x93NUMPY"):
        yield from _iter_npy(path, weighted, max(1, block_size // 16))
        return
    yield from _iter_text(path, head, sep, weighted, block_size, tuple(comment))


def _iter_npy(path: str, weighted: bool, rows: int) -> Iterator[EdgeChunk]:
    a = np.load(path, mmap_mode="r")
    if a.ndim != 2 or a.shape[1] not in (2, 3) or (weighted and a.shape[1] != 3):
        raise ValueError(f"{path}: expected an [E, 2] or [E, 3] array ([E, 3] when weighted), got {list(a.shape)}")
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"{path}: expected a numeric array, got {a.dtype}")
    for b in range(0, a.shape[0], rows):
        blk = np.asarray(a[b:b + rows])
        ids = blk[:, :2]
        if np.issubdtype(ids.dtype, np.floating) and not np.all(ids == np.round(ids)):
            k = int(np.flatnonzero(np.any(ids != np.round(ids), axis=1))[0])
            raise ValueError(f"{path}, row {b + k}: node ids must be integers, got {ids[k].tolist()}")
        ids = ids.astype(np.int64)
        if ids.size and ids.min() < 0:
            k = int(np.flatnonzero(ids.min(axis=1) < 0)[0])
            raise ValueError(f"{path}, row {b + k}: negative node id in {ids[k].tolist()}")
        yield ids[:, 0].copy(), ids[:, 1].copy(), blk[:, 2].astype(np.float32) if weighted else None


def _iter_text(path: str, head: bytes, sep: Optional[str], weighted: bool, block_size: int,
               comment: Tuple[str, ...]) -> Iterator[EdgeChunk]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from graphlearn._arrow import arrow_to_numpy

    compression = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    # skip the leading comment/blank lines and a header, and find the separator
    skip, first = 0, None
    with pa.input_stream(path, compression=compression) as stream:
        buf = b""
        while True:
            chunk = stream.read(1 << 16)
            buf += chunk
            lines = buf.split(b"\n")
            done = not chunk
            complete = lines if done else lines[:-1]
            for raw in complete[skip:]:
                line = raw.decode("utf-8", errors="replace").strip("\r\ufeff")
                if not line.strip() or (comment and line.lstrip().startswith(comment)):
                    skip += 1
                    continue
                first = line
                break
            if first is not None or done:
                break
    if first is None:
        raise ValueError(f"{path}: no edge lines found")
    if sep is None:
        sep = next((c for c in ("\t", ",", ";", "|") if c in first), " ")
    if len(sep) != 1:
        raise ValueError(f"iter_edge_file: sep must be one character (tab, comma, semicolon, space), got {sep!r}")
    fields = first.split(sep)
    need = 3 if weighted else 2
    if len(fields) < need:
        raise ValueError(f"{path}, line {skip + 1}: expected at least {need} fields separated by {sep!r}, got "
                         f"{first[:200]!r}")
    if not (_is_int(fields[0]) and _is_int(fields[1])):
        skip += 1  # a header line
    names = ["src", "dst", "weight"][:need]
    types = {"src": pa.int64(), "dst": pa.int64(), "weight": pa.float32()}
    ncols = len(fields)
    col_names = names + [f"extra{i}" for i in range(ncols - need)]
    row = 0
    try:
        reader = pacsv.open_csv(
            pa.input_stream(path, compression=compression),
            read_options=pacsv.ReadOptions(skip_rows=skip, column_names=col_names, block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter=sep, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={k: types[k] for k in names}, include_columns=names,
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
        for batch in reader:
            cols = [batch.column(i) for i in range(need)]
            if any(c.null_count for c in cols):
                k = min(int(np.flatnonzero(c.is_null().to_numpy(zero_copy_only=False))[0])
                        for c in cols if c.null_count)
                raise ValueError(f"{path}: empty field in edge {row + k} (after {skip} skipped lines)")
            s, d = arrow_to_numpy(cols[0]), arrow_to_numpy(cols[1])
            if s.size and min(s.min(), d.min()) < 0:
                k = int(np.flatnonzero((s < 0) | (d < 0))[0])
                raise ValueError(f"{path}: negative node id in edge {row + k} ({s[k]}, {d[k]}); ids must be >= 0")
            w = arrow_to_numpy(cols[2]) if weighted else None
            if w is not None and w.size and not np.all(np.isfinite(w)):
                k = int(np.flatnonzero(~np.isfinite(w))[0])
                raise ValueError(f"{path}: weight {w[k]} of edge {row + k} is not finite")
            row += int(s.size)
            yield s, d, w
    except pa.ArrowInvalid as e:
        raise ValueError(f"{path}: cannot parse the edge list (integer ids, separator {sep!r}, {ncols} columns "
                         f"from the first edge line): {e}") from None


# --------------------------------------------------------------- collectives

def _group_size_rank(group) -> Tuple[int, int]:
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeError("torch.distributed is not initialised: call torch.distributed.init_process_group "
                           "(launch with torchrun) first")
    return dist.get_world_size(group), dist.get_rank(group)


def _agree(group, error: Optional[str]) -> None:
    """Raises the same ValueError on every rank when some rank hit a local error (so
    that the others do not wait forever in the next collective)."""
    world, _ = _group_size_rank(group)
    errors: List[Optional[str]] = [None] * world
    dist.all_gather_object(errors, error, group=group)
    bad = [f"rank {r}: {e}" for r, e in enumerate(errors) if e is not None]
    if bad:
        raise ValueError("; ".join(bad))


def _global_rank(group, r: int) -> int:
    return r if group is None or group is dist.group.WORLD else dist.get_global_rank(group, r)


class HaloExchange:
    """The rows one rank receives from and sends to the others in every iteration.

    Built once (collectively) from the sorted global ids of the remote columns of the
    local block (the halo) and the partition: each rank sends each owner the list of
    ids it needs; afterwards :meth:`__call__` moves exactly those rows.

    Args:
        halo: ``[h]`` sorted distinct int64 global ids of the remote rows needed.
        boundaries: ``[W + 1]`` partition (:func:`row_partition`).
        group: the process group (None: the default one).
        method: ``"alltoall"`` (one ``all_to_all_single`` per exchange; gloo, NCCL, MPI
            support it), ``"p2p"`` (``isend``/``irecv`` pairs with the peers that share
            rows) or ``"auto"`` (``"alltoall"`` on gloo/nccl/mpi/ucc, else ``"p2p"``).
        comm_device: device of the communication buffers: CPU for gloo, the rank's GPU
            for NCCL (the default picks ``cuda:LOCAL_RANK`` when the backend is NCCL);
            computation stays on the CPU.

    Attributes:
        recv_counts, send_counts: ``[W]`` int64 rows received from / sent to every rank
            per exchange. halo_rows, sent_rows: their sums. send_index: ``[sent_rows]``
            local row indices sent, grouped by destination rank.
    """

    def __init__(self, halo: Tensor, boundaries: np.ndarray, group=None, method: str = "auto",
                 comm_device: Optional[Union[str, torch.device]] = None):
        world, rank = _group_size_rank(group)
        backend = str(dist.get_backend(group)).lower()
        if method == "auto":
            method = "alltoall" if backend in ("gloo", "nccl", "mpi", "ucc") else "p2p"
        if method not in ("alltoall", "p2p"):
            raise ValueError(f"HaloExchange: method must be 'auto', 'alltoall' or 'p2p', got {method!r}")
        if comm_device is None:
            comm_device = (f"cuda:{int(os.environ.get('LOCAL_RANK', '0')) % max(torch.cuda.device_count(), 1)}"
                           if backend == "nccl" else "cpu")
        self.group, self.method, self.world, self.rank = group, method, world, rank
        self.comm_device = torch.device(comm_device)
        self.boundaries = np.asarray(boundaries, dtype=np.int64)
        r0, r1 = int(self.boundaries[rank]), int(self.boundaries[rank + 1])
        self.num_local = r1 - r0
        halo = halo.long().cpu()
        owner = np.searchsorted(self.boundaries, halo.numpy(), side="right") - 1
        self.recv_counts = torch.from_numpy(np.bincount(owner, minlength=world).astype(np.int64))
        if int(self.recv_counts[rank]) != 0:
            raise ValueError(f"HaloExchange: the halo of rank {rank} contains its own rows")
        # every rank learns how many rows each rank wants from each other rank
        table = [torch.zeros(world, dtype=torch.int64, device=self.comm_device) for _ in range(world)]
        dist.all_gather(table, self.recv_counts.to(self.comm_device), group=group)
        self.send_counts = torch.stack([t[rank] for t in table]).cpu()
        self.halo_rows = int(self.recv_counts.sum())
        self.sent_rows = int(self.send_counts.sum())
        self._rc, self._sc = self.recv_counts.tolist(), self.send_counts.tolist()
        requests = torch.empty(self.sent_rows, dtype=torch.int64, device=self.comm_device)
        self._move(requests, halo.to(self.comm_device), self._sc, self._rc)
        requests = requests.cpu()
        if requests.numel() and (int(requests.min()) < r0 or int(requests.max()) >= r1):
            raise RuntimeError(f"HaloExchange: rank {rank} was asked for rows outside its block [{r0}, {r1})")
        self.send_index = requests - r0

    def _move(self, out: Tensor, inp: Tensor, out_counts: List[int], in_counts: List[int]) -> None:
        """``out`` receives, rank after rank, ``out_counts[k]`` rows from rank ``k``;
        ``inp`` holds, rank after rank, ``in_counts[k]`` rows for rank ``k``."""
        if self.method == "alltoall":
            dist.all_to_all_single(out, inp, output_split_sizes=out_counts, input_split_sizes=in_counts,
                                   group=self.group)
            return
        o_off = np.concatenate([[0], np.cumsum(out_counts, dtype=np.int64)]).tolist()
        i_off = np.concatenate([[0], np.cumsum(in_counts, dtype=np.int64)]).tolist()
        reqs = []
        for k in range(self.world):
            if k == self.rank:
                continue
            peer = _global_rank(self.group, k)
            if in_counts[k]:
                reqs.append(dist.isend(inp[i_off[k]:i_off[k + 1]].contiguous(), peer, group=self.group))
            if out_counts[k]:
                reqs.append(dist.irecv(out[o_off[k]:o_off[k + 1]], peer, group=self.group))
        for req in reqs:
            req.wait()

    def __call__(self, x_local: Tensor) -> Tensor:
        """``[n_local, d]`` own rows -> ``[n_local + halo_rows, d]`` (own rows, then the
        halo rows in the order of the sorted halo ids)."""
        if x_local.size(0) != self.num_local:
            raise ValueError(f"HaloExchange: expected {self.num_local} local rows, got {x_local.size(0)}")
        d = x_local.size(1)
        x_ext = torch.empty(self.num_local + self.halo_rows, d, dtype=x_local.dtype)
        x_ext[: self.num_local] = x_local
        send = x_local.index_select(0, self.send_index)
        if self.comm_device.type == "cpu":
            self._move(x_ext[self.num_local:], send, self._rc, self._sc)
        else:
            recv = torch.empty(self.halo_rows, d, dtype=x_local.dtype, device=self.comm_device)
            self._move(recv, send.to(self.comm_device), self._rc, self._sc)
            x_ext[self.num_local:] = recv.cpu()
        return x_ext

    def bytes_per_exchange(self, dim: int, itemsize: int = 4) -> int:
        """Bytes this rank sends per iteration: ``sent_rows x dim x itemsize``."""
        return self.sent_rows * int(dim) * int(itemsize)


# ------------------------------------------------------------------------ FastRP

class DistributedFastRP:
    """FastRP over row blocks held by the ranks of a process group.

    Every rank calls :meth:`fit` (or :meth:`fit_transform`) with its own
    :class:`LocalBlock`; the blocks must be contiguous, in rank order, and cover
    ``0..n-1`` (as :func:`row_partition` makes them). The rows returned on rank ``r``
    equal rows ``row_start:row_end`` of ``model.fit_transform(graph)`` on the whole graph
    (float tolerance: only the standardisation's float64 column sums are added in a
    different order).

    Args:
        model: a :class:`~graphlearn.embed.FastRP` carrying the hyper-parameters (the
            same on every rank: checked). ``model.progress`` shows a bar on rank 0 only.
        group: the process group (None: the default group).
        method, comm_device: how halo rows travel (see :class:`HaloExchange`).

    Attributes (after ``fit``):
        embedding_: ``[n_local, dim]`` float32 numpy array, this rank's rows.
        row_start_, row_end_, num_nodes_: this rank's rows and the global ``n``.
        boundaries_: ``[W + 1]`` int64 partition gathered from the ranks.
        exchange_: the :class:`HaloExchange` (halo_rows, sent_rows, counts per rank).
        n_exchanges_: exchanges (propagation steps) performed.
        bytes_sent_: bytes this rank sent in all exchanges (``n_exchanges_ x sent_rows x dim x 4``).
    """

    def __init__(self, model: FastRP, group=None, method: str = "auto",
                 comm_device: Optional[Union[str, torch.device]] = None):
        if not isinstance(model, FastRP):
            raise TypeError(f"DistributedFastRP: model must be a graphlearn.embed.FastRP, got {type(model).__name__}")
        if method not in ("auto", "alltoall", "p2p"):
            raise ValueError(f"DistributedFastRP: method must be 'auto', 'alltoall' or 'p2p', got {method!r}")
        self.model, self.group, self.method, self.comm_device = model, group, method, comm_device

    def _all_reduce(self, t: Tensor) -> None:
        if self.exchange_.comm_device.type == "cpu":
            dist.all_reduce(t, group=self.group)
        else:
            moved = t.to(self.exchange_.comm_device)
            dist.all_reduce(moved, group=self.group)
            t.copy_(moved.cpu())

    def _check_layout(self, block: LocalBlock) -> np.ndarray:
        world, _ = _group_size_rank(self.group)
        params = self.model.get_params()
        params.pop("progress")  # rank 0 alone may show it
        params["iteration_weights"] = tuple(float(w) for w in params["iteration_weights"])
        mine = (block.row_start, block.row_end, block.num_nodes, block.direction, repr(params))
        everyone: List[tuple] = [None] * world  # type: ignore[list-item]
        dist.all_gather_object(everyone, mine, group=self.group)
        params = {e[4] for e in everyone}
        if len(params) > 1:
            raise ValueError(f"DistributedFastRP: the ranks use different FastRP parameters: {sorted(params)}")
        sizes = {e[2] for e in everyone}
        if len(sizes) > 1:
            raise ValueError(f"DistributedFastRP: the ranks disagree on num_nodes: {[e[2] for e in everyone]}")
        n = everyone[0][2]
        bounds = [everyone[0][0]] + [e[1] for e in everyone]
        if bounds[0] != 0 or bounds[-1] != n or any(everyone[k][0] != everyone[k - 1][1] for k in range(1, world)):
            raise ValueError("DistributedFastRP: the local blocks must be contiguous in rank order and cover "
                             f"[0, {n}); got (row_start, row_end) per rank: {[(e[0], e[1]) for e in everyone]}")
        wrong = [r for r, e in enumerate(everyone) if e[3] != self.model.direction]
        if wrong:
            raise ValueError(f"DistributedFastRP: the blocks of ranks {wrong} were built for direction "
                             f"{everyone[wrong[0]][3]!r}, the model uses direction={self.model.direction!r}")
        return np.asarray(bounds, dtype=np.int64)

    def fit(self, block: LocalBlock) -> "DistributedFastRP":
        """Computes this rank's embedding rows (collective: every rank calls it).

        Raises:
            ValueError: on every rank when the blocks do not fit together, the ranks
                disagree on the parameters, or some rank's block or features are invalid.
        """
        if not isinstance(block, LocalBlock):
            raise TypeError(f"DistributedFastRP.fit: block must be a LocalBlock, got {type(block).__name__}")
        model = self.model
        _, rank = _group_size_rank(self.group)
        bounds = self._check_layout(block)
        n, r0, r1 = block.num_nodes, block.row_start, block.row_end
        n_local = r1 - r0
        error, m, x0, halo, lonely, lonely_rows = None, None, None, torch.zeros(0, dtype=torch.int64), None, None
        try:
            model._check_params()
            keys = block.keys if block.keys is not None else torch.arange(r0, r1, dtype=torch.int64)
            feats = model._features(block.features, n_local) if n_local else None
            if n_local:
                col = block.col
                remote = (col < r0) | (col >= r1)
                halo = torch.unique(col[remote])  # sorted
                local_col = col - r0
                local_col[remote] = n_local + torch.searchsorted(halo, col[remote])
                idx = torch.int32 if n_local + halo.numel() < 2**31 and col.numel() < 2**31 else torch.int64
                m = CSR(block.rowptr.to(idx), local_col.to(idx), block.value, num_cols=n_local + halo.numel(),
                        validate=False, sorted=False)
                del col, remote, local_col
                # the weight checks of FastRP.fit ("in" keeps the rows: the direction is already applied)
                m = FastRP(propagation=model.propagation, direction="in")._propagation_matrix(m)
                degree = model._degree(m)
                x0 = initial_vectors(keys, degree, model._s(n), int(model.dim), float(model.normalization_strength),
                                     model.isolated, int(model.random_state), feats, float(model.feature_ratio))
                if model.isolated == "random":
                    lonely = (degree == 0).nonzero().flatten()
                    lonely_rows = torch.nn.functional.normalize(x0[lonely], dim=1)
        except (ValueError, TypeError) as e:
            error = str(e)
        _agree(self.group, error)
        self.exchange_ = HaloExchange(halo, bounds, self.group, self.method, self.comm_device)
        weights = [float(w) for w in model.iteration_weights]
        q = len(weights)
        while q > 0 and weights[q - 1] == 0.0:
            q -= 1
        self.n_exchanges_ = q
        if n_local:
            holder = [x0]
            del x0
            acc = propagate(m, holder, weights, float(model.self_influence), model.propagation == "transition",
                            bool(model.normalize_iterations), progress=bool(model.progress) and rank == 0,
                            exchange=self.exchange_)
            if lonely is not None and lonely.numel():
                acc[lonely] = lonely_rows
        else:  # an empty block still takes part in every exchange
            acc = torch.zeros(0, int(model.dim), dtype=torch.float32)
            for _ in range(q):
                self.exchange_(acc)
        finalize(acc, model.output, all_reduce=self._all_reduce, num_rows=n)
        self.embedding_ = acc.numpy()
        self.row_start_, self.row_end_, self.num_nodes_ = r0, r1, n
        self.boundaries_ = bounds
        self.bytes_sent_ = q * self.exchange_.bytes_per_exchange(int(model.dim))
        return self

    def fit_transform(self, block: LocalBlock) -> np.ndarray:
        """``fit(block)`` then this rank's ``[n_local, dim]`` float32 rows."""
        return self.fit(block).embedding_


# ------------------------------------------------------------------------ output

def _as_rows(rows) -> np.ndarray:
    a = rows.detach().cpu().numpy() if isinstance(rows, Tensor) else np.asarray(rows)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D [n_local, dim] array of rows, got shape {list(a.shape)}")
    return a


def write_npy_rows(path: PathLike, rows, row_start: int, num_rows: int, group=None) -> str:
    """Writes every rank's rows into one ``[num_rows, dim]`` ``.npy`` file (collective).

    Rank 0 creates a temporary ``.npy`` next to ``path`` (header and a sparse,
    pre-sized body: ``numpy.lib.format.open_memmap``); every rank writes its rows at
    ``row_start`` through a memory map; rank 0 renames the file to ``path`` once all
    have flushed. The file appears whole or not at all. All ranks must see the same
    filesystem (one machine, or a shared one such as NFS); otherwise use
    :func:`write_npy_parts`.

    Args:
        path: output file. rows: ``[n_local, dim]`` this rank's rows (dtype kept).
        row_start: global index of the first row. num_rows: global number of rows.

    Returns:
        ``path`` (on every rank, once the file is in place).
    """
    path = os.fspath(path)
    world, rank = _group_size_rank(group)
    a = _as_rows(rows)
    info: List[tuple] = [None] * world  # type: ignore[list-item]
    dist.all_gather_object(info, (int(row_start), a.shape[0], a.shape[1], a.dtype.str), group=group)
    error = None
    if len({(i[2], i[3]) for i in info}) > 1:
        error = f"write_npy_rows: the ranks hold rows of different widths/dtypes: {[(i[2], i[3]) for i in info]}"
    elif _cover([(i[0], i[0] + i[1]) for i in info if i[1]], num_rows) == [(-1, -1)]:
        error = (f"write_npy_rows: the ranks' rows {[(i[0], i[0] + i[1]) for i in info]} do not tile "
                 f"[0, {num_rows})")
    if error is not None:
        raise ValueError(error)
    tmp = [None]
    if rank == 0:
        try:
            folder = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(folder):
                raise FileNotFoundError(f"write_npy_rows: the output folder does not exist: {folder}")
            fd, name = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".partial")
            os.close(fd)
            mm = np.lib.format.open_memmap(name, mode="w+", dtype=a.dtype, shape=(int(num_rows), a.shape[1]))
            del mm
            tmp = [name]
        except OSError as e:
            tmp = [f"!{e}"]
    dist.broadcast_object_list(tmp, src=_global_rank(group, 0), group=group)
    if tmp[0].startswith("!"):
        raise OSError(f"write_npy_rows: rank 0 cannot create the output next to {path}: {tmp[0][1:]}")
    error = None
    try:
        if a.shape[0]:
            mm = np.lib.format.open_memmap(tmp[0], mode="r+")
            if mm.shape != (int(num_rows), a.shape[1]):
                raise ValueError(f"unexpected shape {mm.shape} of {tmp[0]}")
            mm[int(row_start):int(row_start) + a.shape[0]] = a
            mm.flush()
            del mm
    except (OSError, ValueError) as e:
        error = (f"cannot write rows into {tmp[0]} ({type(e).__name__}: {e}); every rank must see the same "
                 "filesystem (else use write_npy_parts)")
    try:
        _agree(group, error)
    except ValueError:
        if rank == 0:
            os.unlink(tmp[0])
        raise
    error = None
    if rank == 0:
        try:
            os.replace(tmp[0], path)
        except OSError as e:
            error = f"cannot rename {tmp[0]} to {path}: {e}"
            os.unlink(tmp[0])
    _agree(group, error)
    return path


def _cover(spans: List[Tuple[int, int]], n: int) -> List[Tuple[int, int]]:
    """The spans themselves when, sorted, they tile [0, n) (else a sentinel that never matches)."""
    spans = sorted(spans)
    pos = 0
    for a, b in spans:
        if a != pos:
            return [(-1, -1)]
        pos = b
    return spans if pos == n else [(-1, -1)]


def write_npy_parts(prefix: PathLike, rows, row_start: int, num_rows: int, group=None) -> List[str]:
    """Writes one ``{prefix}.part{rank:05d}.npy`` per rank (each written atomically on the
    rank's own filesystem) and, on rank 0, the index ``{prefix}.parts.json`` (written
    last, once every part exists): ``{"num_rows", "dim", "dtype", "parts": [{"file",
    "row_start", "row_end"}]}``. Collective. Read back with :func:`read_npy_parts`
    (after gathering the parts in one folder when the machines share none).

    Returns:
        the part file names (relative to the index's folder), in rank order.
    """
    prefix = os.fspath(prefix)
    world, rank = _group_size_rank(group)
    a = _as_rows(rows)
    name = f"{prefix}.part{rank:05d}.npy"
    error = None
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(name)), prefix=os.path.basename(name) + ".",
                                   suffix=".partial")
        with os.fdopen(fd, "wb") as f:
            np.save(f, a)
        os.replace(tmp, name)
    except OSError as e:
        error = f"cannot write {name}: {e}"
    info: List[tuple] = [None] * world  # type: ignore[list-item]
    dist.all_gather_object(info, (error, os.path.basename(name), int(row_start), a.shape[0], a.shape[1],
                                  a.dtype.str), group=group)
    bad = [f"rank {r}: {i[0]}" for r, i in enumerate(info) if i[0] is not None]
    if bad:
        raise OSError("; ".join(bad))
    if _cover([(i[2], i[2] + i[3]) for i in info], num_rows) == [(-1, -1)]:
        raise ValueError(f"write_npy_parts: the ranks' rows {[(i[2], i[2] + i[3]) for i in info]} do not tile "
                         f"[0, {num_rows})")
    error = None
    if rank == 0:
        index = {"num_rows": int(num_rows), "dim": int(a.shape[1]), "dtype": a.dtype.str,
                 "parts": [{"file": i[1], "row_start": i[2], "row_end": i[2] + i[3]} for i in info]}
        target = f"{prefix}.parts.json"
        try:
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(target)),
                                       prefix=os.path.basename(target) + ".", suffix=".partial")
            with os.fdopen(fd, "w") as f:
                json.dump(index, f, indent=1)
            os.replace(tmp, target)
        except OSError as e:
            error = f"cannot write {target}: {e}"
    _agree(group, error)
    return [i[1] for i in info]


def read_npy_parts(prefix: PathLike, mmap: bool = False) -> np.ndarray:
    """Assembles the ``[num_rows, dim]`` array written by :func:`write_npy_parts`
    (``prefix`` as given there). ``mmap=True`` memory-maps the parts while copying."""
    prefix = os.fspath(prefix)
    index_path = f"{prefix}.parts.json"
    if not os.path.isfile(index_path):
        raise FileNotFoundError(f"read_npy_parts: no index {index_path}")
    with open(index_path) as f:
        index = json.load(f)
    try:
        n, d, dtype, parts = int(index["num_rows"]), int(index["dim"]), np.dtype(index["dtype"]), index["parts"]
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"{index_path}: malformed index ({e})") from None
    out = np.empty((n, d), dtype=dtype)
    folder = os.path.dirname(os.path.abspath(index_path))
    covered = 0
    for p in sorted(parts, key=lambda p: p["row_start"]):
        file = os.path.join(folder, p["file"])
        if not os.path.isfile(file):
            raise FileNotFoundError(f"read_npy_parts: part {file} listed in {index_path} is missing")
        a = np.load(file, mmap_mode="r" if mmap else None)
        if a.shape != (p["row_end"] - p["row_start"], d) or p["row_start"] != covered:
            raise ValueError(f"read_npy_parts: {file} has shape {list(a.shape)}, expected rows "
                             f"{p['row_start']}:{p['row_end']} of width {d} following row {covered}")
        out[p["row_start"]:p["row_end"]] = a
        covered = p["row_end"]
    if covered != n:
        raise ValueError(f"read_npy_parts: the parts in {index_path} cover rows 0:{covered} of {n}")
    return out
