"""FastRP on several processes or machines with ``torch.distributed``.

The nodes ``0..n-1`` are split into contiguous row blocks, one per rank
(:func:`graphlearn.distributed.row_partition`). Rank ``r`` holds the rows
``[row_start, row_end)`` of the propagation matrix ``M`` (a :class:`LocalBlock`, built
by streaming the edge list through a :class:`BlockBuilder`, so that no rank ever holds
the whole graph) and the matching rows of the embedding buffers. Every propagation
step ``X <- M X`` needs, besides the rank's own rows of ``X``, the rows of the *remote*
neighbours (the halo): which rows these are is worked out once
(:class:`graphlearn.distributed.HaloExchange`), after which each iteration sends
exactly the requested rows, ``halo_rows x dim x 4`` bytes, with one
``all_to_all_single`` (or ``isend``/``irecv`` pairs).

This module is the FastRP-specific part; the partition, the halo exchange, the
sharded writers and the process-group chores are the generic pieces of
:mod:`graphlearn.distributed` (re-exported here under their old names), and the edge
file is read by :class:`graphlearn.datasets.edgelist.EdgeStream`, the parser of
``graphlearn embed``. :func:`embed_edge_list` is the whole pipeline that
``torchrun ... -m graphlearn embed`` runs: edge file in, this rank's rows out.

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
* reading an edge file (:func:`embed_edge_list`): the sorted distinct node ids and an
  entry count per node (``16 n`` bytes) on every rank until the block is built.

Launch with ``torchrun`` (see ``docs/distributed.md``).
"""
from __future__ import annotations

import dataclasses
import os
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from graphlearn import _io
from graphlearn.distributed.group import agree, all_gather_object, size_rank
from graphlearn.distributed.halo import HaloExchange, localize_columns
from graphlearn.distributed.edges import EdgePartition
from graphlearn.distributed.partition import row_partition
from graphlearn.distributed.writers import gather_rows, lines_segment, npy_segment, read_npy_parts, \
    write_npy_parts, write_npy_rows, write_sharded
from graphlearn.embed import fastrp as _fastrp
from graphlearn.embed.fastrp import FastRP, finalize, initial_vectors, propagate
from graphlearn.sparse import CSR

PathLike = Union[str, "os.PathLike[str]"]
EdgeChunk = Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]

__all__ = ["row_partition", "LocalBlock", "BlockBuilder", "scan_edges", "iter_edge_file", "HaloExchange",
           "DistributedFastRP", "write_npy_rows", "write_npy_parts", "read_npy_parts", "embed_edge_list",
           "EdgeListEmbedding", "write_embeddings"]


# --------------------------------------------------------------------- local block

def _index_tensor(a, name: str) -> Tensor:
    t = torch.as_tensor(np.asarray(a) if not isinstance(a, Tensor) else a)
    if t.dtype.is_floating_point or t.dtype == torch.bool or t.dim() != 1:
        raise ValueError(f"{name} must be a 1-D integer array, got {t.dtype} {list(t.shape)}")
    return t.long()


@dataclasses.dataclass
class LocalBlock:
    """Rows ``[row_start, row_end)`` of the propagation matrix ``M``, with global column ids.

    ``M`` is the matrix ``FastRP`` propagates with after its ``direction`` has been
    applied: row ``i`` lists the neighbours node ``i`` averages over (``"out"``: the
    targets of its edges, ``M[s, t]`` for an edge ``s -> t``, the transpose of the
    graph's CSR; ``"in"``: the sources of the edges into it, the graph's CSR itself;
    ``"both"``: the symmetrisation with summed weights), so the block of a rank is
    everything it needs besides the halo.

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
        ``direction`` to the whole ``[n, n]`` CSR ``adj`` (by the graph contract of
        :mod:`graphlearn.sparse`, as ``FastRP.fit`` does) and keeps rows
        ``row_start:row_end``. ``keys``/``features`` are those of the local rows."""
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

    * ``directed=True``: one entry ``A[src, dst]`` per edge line (``A`` is the adjacency
      matrix ``A[s, t]``, the transpose of the contract's CSR); ``directed=False``: also
      ``A[dst, src]`` for every line that is not a self-loop.
    * ``dedupe=True``: repeated entries are one edge (unweighted) or add their weights;
      ``dedupe=False``: repeated entries are parallel edges (a multigraph, like
      ``CSR.from_edge_index`` without ``dedupe``, which ``FastRP.fit`` uses for an
      edge_index).
    * ``direction`` as in :class:`~graphlearn.embed.FastRP`: ``"out"`` keeps the rows of
      ``A`` (a node averages over its successors), ``"in"`` those of ``A^T`` (over its
      predecessors), ``"both"`` of ``A + A^T`` (repeated entries merged: weights summed).

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
        self.adjacency_nnz: Optional[int] = None
        self._rows: List[np.ndarray] = []
        self._cols: List[np.ndarray] = []
        self._vals: List[np.ndarray] = []
        self._of_a: List[bool] = []  # whether each kept part holds rows of A itself (direction "both")
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
        for k, (rows, cols) in enumerate(parts):
            mask = (rows >= r0) & (rows < r1)
            self._rows.append((rows[mask] - r0).astype(self._row_dtype))
            self._cols.append(cols[mask])
            if w is not None:
                self._vals.append(w[mask])
            self._of_a.append(k == 0 and self.direction != "in")
            self.num_kept += int(mask.sum())

    def finish(self, keys=None, features=None) -> LocalBlock:
        """The local block (the buffered entries are released). ``keys``/``features``:
        optional ``[n_local]`` keys and ``[n_local, p]`` features of the local rows.

        Also sets ``adjacency_nnz``: the entries of these rows of the adjacency itself
        (of its transpose for ``direction="in"``), which is the block's ``nnz`` except
        for ``direction="both"`` of a directed graph."""
        n_local = self.row_end - self.row_start
        if self.direction == "both" and self.directed and n_local:
            a_rows = [r for r, a in zip(self._rows, self._of_a) if a]
            a_cols = [c for c, a in zip(self._cols, self._of_a) if a]
            rows_a = torch.from_numpy(np.concatenate(a_rows)).long() if a_rows else torch.zeros(0, dtype=torch.long)
            cols_a = torch.from_numpy(np.concatenate(a_cols)) if a_cols else torch.zeros(0, dtype=torch.long)
            self.adjacency_nnz = CSR.from_coo(rows_a, cols_a, n_local, num_cols=self.num_nodes,
                                              dedupe=self.dedupe).nnz
            del rows_a, cols_a, a_rows, a_cols
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, self._row_dtype)
        cols = np.concatenate(self._cols) if self._cols else np.zeros(0, np.int64)
        vals = (np.concatenate(self._vals) if self._vals else np.zeros(0, np.float32)) if self.weighted else None
        self._rows, self._cols, self._vals, self._of_a = [], [], [], []
        if n_local == 0:
            self.adjacency_nnz = 0
            return LocalBlock(torch.zeros(1, dtype=torch.int64), torch.zeros(0, dtype=torch.int64),
                              torch.zeros(0) if self.weighted else None, self.num_nodes, self.row_start,
                              self.row_end, self.direction, keys, features)
        dedupe = self.dedupe or self.direction == "both"  # FastRP merges the symmetrised entries
        csr = CSR.from_coo(torch.from_numpy(rows).long(), torch.from_numpy(cols), n_local,
                           torch.from_numpy(vals) if vals is not None else None, num_cols=self.num_nodes,
                           dedupe=dedupe, reduce="sum")
        del rows, cols, vals
        if self.adjacency_nnz is None:
            self.adjacency_nnz = csr.nnz
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

def iter_edge_file(path: PathLike, *, sep: Optional[str] = None, weighted: bool = False,
                   block_size: int = 16 << 20, comment: Sequence[str] = ("#", "%")) -> Iterator[EdgeChunk]:
    """Streams ``(src, dst, weight-or-None)`` numpy chunks of an integer-id edge list
    (ids as in the file: a node's row is its id).

    A thin layer over :class:`graphlearn.datasets.edgelist.EdgeStream`, the parser of
    ``graphlearn embed`` and ``read_edge_list``: the same formats (text, plain or
    gzip/zstd/bz2, Parquet, ``.npy``), the same detection of the separator, header
    and comment lines, the same errors with the same 1-based line numbers. The
    weights are read only when ``weighted`` (a third ``.npy`` column is ignored
    otherwise). Node ids must be integers ``>= 0``; string ids raise ValueError.

    Raises:
        FileNotFoundError: no such file. ValueError: malformed content (naming the file
        and the line).
    """
    from graphlearn.datasets.edgelist import EdgeStream

    stream = EdgeStream(path, sep=sep, weighted=weighted, block_size=block_size, comment=tuple(comment),
                        columns=None if weighted else [0, 1])
    return stream.blocks()


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

    def _check_layout(self, block: LocalBlock, p) -> np.ndarray:
        world, _ = size_rank(self.group)
        params = dict(vars(p))  # the checked parameters, as plain Python values
        params.pop("progress")  # rank 0 alone may show it
        mine = (block.row_start, block.row_end, block.num_nodes, block.direction, repr(sorted(params.items())))
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
        wrong = [r for r, e in enumerate(everyone) if e[3] != p.direction]
        if wrong:
            raise ValueError(f"DistributedFastRP: the blocks of ranks {wrong} were built for direction "
                             f"{everyone[wrong[0]][3]!r}, the model uses direction={p.direction!r}")
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
        _, rank = size_rank(self.group)
        error, p = None, None
        try:
            p = model._check_params()
        except (ValueError, TypeError) as e:
            error = e
        agree(error, self.group)  # before any other collective: a rank alone cannot stop
        bounds = self._check_layout(block, p)
        n, r0, r1 = block.num_nodes, block.row_start, block.row_end
        n_local = r1 - r0
        error, m, x0, halo, lonely, lonely_rows = None, None, None, torch.zeros(0, dtype=torch.int64), None, None
        projected, scaled = False, False
        try:
            keys = block.keys if block.keys is not None else torch.arange(r0, r1, dtype=torch.int64)
            feats = model._features(block.features, n_local, p) if n_local else None
            if n_local:
                local_col, halo = localize_columns(block.col, r0, r1)
                # this rank's buffers: the local rows, the power extended by the halo, the send buffer
                _fastrp.check_memory(p, n_local, halo.numel(),
                                     what=f"FastRP with dim={p.dim} on rank {rank}'s {n_local:,} rows (of {n:,} "
                                          f"nodes, {halo.numel():,} halo rows)",
                                     hint="lower dim (--dim) or use more processes")
                idx = torch.int32 if n_local + halo.numel() < 2**31 and local_col.numel() < 2**31 else torch.int64
                value = _checked_weights(block.value, p.propagation)  # the checks of FastRP.fit
                m = CSR(block.rowptr.to(idx), local_col.to(idx), value, num_cols=n_local + halo.numel(),
                        validate=False, sorted=False)
                del local_col
                degree = model._degree(m)
                x0 = initial_vectors(keys, degree, model._s(n, p), p.dim, p.normalization_strength, p.isolated,
                                     p.random_state, feats, p.feature_ratio)
                projected = bool(x0.any())
                scaled = bool((degree > 0).any()) or p.isolated == "random"
                if p.isolated == "random":
                    lonely = (degree == 0).nonzero().flatten()
                    lonely_rows = torch.nn.functional.normalize(x0[lonely], dim=1)
        except (ValueError, TypeError, MemoryError) as e:
            error = e
        agree(error, self.group)
        # the checks of FastRP.fit on the whole embedding: every rank decides alike from the gathered flags
        flags = all_gather_object((projected, scaled), self.group)
        projected = any(f[0] for f in flags)
        _fastrp.check_projection(p, projected, any(f[1] for f in flags), n)
        self.exchange_ = HaloExchange(halo, bounds, self.group, self.method, self.comm_device)
        weights = p.iteration_weights
        q = len(weights)
        while q > 0 and weights[q - 1] == 0.0:
            q -= 1
        self.n_exchanges_ = q
        report: Dict[str, Any] = {}
        if n_local:
            holder = [x0]
            del x0
            acc = propagate(m, holder, weights, p.self_influence, p.propagation == "transition",
                            p.normalize_iterations, progress=p.progress and rank == 0, exchange=self.exchange_,
                            report=report)
            if lonely is not None and lonely.numel():
                acc[lonely] = lonely_rows
        else:  # an empty block still takes part in every exchange
            acc = torch.zeros(0, p.dim, dtype=torch.float32)
            for _ in range(q):
                self.exchange_(acc)
        self._check_embedding(p, acc, "sum", projected, report.get("norm_overflow"))
        finalize(acc, p.output, all_reduce=self._all_reduce, num_rows=n)
        self._check_embedding(p, acc, "output", projected)
        self.embedding_ = acc.numpy()
        self.row_start_, self.row_end_, self.num_nodes_ = r0, r1, n
        self.boundaries_ = bounds
        self.bytes_sent_ = q * self.exchange_.bytes_per_exchange(p.dim)
        return self

    def _check_embedding(self, p, acc: Tensor, stage: str, projected: bool,
                         norm_overflow: Optional[int] = None) -> None:
        """FastRP.fit's check of the embedding (finite; not all zero by accident; no
        term lost to an overflowing norm), on the rows of every rank (collective: every
        rank raises alike)."""
        states = all_gather_object(_fastrp.embedding_state(acc) + (norm_overflow,), self.group)
        overflow = [s[2] for s in states if s[2] is not None]
        _fastrp.check_embedding(p, all(s[0] for s in states), any(s[1] for s in states), stage, projected,
                                min(overflow) if overflow else None)

    def fit_transform(self, block: LocalBlock) -> np.ndarray:
        """``fit(block)`` then this rank's ``[n_local, dim]`` float32 rows."""
        return self.fit(block).embedding_


def _checked_weights(value: Optional[Tensor], propagation: str) -> Optional[Tensor]:
    """The edge-weight checks of ``FastRP.fit`` on a block's values (float32 out)."""
    if value is None:
        return None
    if value.dim() != 1:
        raise ValueError(f"FastRP.fit: edge weights must be [nnz], got {list(value.shape)}")
    if not bool(torch.isfinite(value).all()):
        raise ValueError("FastRP.fit: edge weights contain NaN or infinite values")
    if propagation == "transition" and bool((value < 0).any()):
        raise ValueError("FastRP.fit: negative edge weights are not allowed with propagation='transition'")
    return value.float()


# ------------------------------------------------------------- edge file -> rows

@dataclasses.dataclass
class EdgeListEmbedding:
    """What :func:`embed_edge_list` computed on one rank.

    Attributes:
        rows: ``[n_local, dim]`` float32, this rank's embedding rows.
        ids: ``[n_local]`` int64 node ids of these rows (the file's ids).
        row_start, row_end: the global rows (``row_end - row_start = n_local``).
        num_nodes: global number of nodes ``n`` (the distinct ids of the file; rows are
            the ids in increasing order, as ``graphlearn embed`` numbers them).
        num_edges: edge lines (rows) of the file.
        stored_entries: entries of the whole adjacency (what ``EdgeList.to_csr`` stores,
            summed over the ranks).
        boundaries: ``[W + 1]`` the partition.
        local_entries: entries of this rank's block of the propagation matrix.
        job: the :class:`DistributedFastRP` (exchange plan, bytes sent).
        seconds: per phase (``parse``, ``build``, ``embed``).
        weighted, compression, format: of the input.
    """

    rows: np.ndarray
    ids: np.ndarray
    row_start: int
    row_end: int
    num_nodes: int
    num_edges: int
    stored_entries: int
    boundaries: np.ndarray
    local_entries: int
    job: "DistributedFastRP"
    seconds: Dict[str, float]
    weighted: bool = False
    compression: Optional[str] = None
    format: str = "text"


def embed_edge_list(path: PathLike, model: FastRP, *, directed: bool = False, weighted: bool = False,
                    sep: Optional[str] = None, columns=None, header: Optional[bool] = None, comment=None,
                    numeric_ids: Optional[bool] = None, block_size: Optional[int] = None, balance: str = "entries",
                    method: str = "auto", group=None, comm_device=None) -> EdgeListEmbedding:
    """Collective: FastRP of an edge-list file, each rank computing its block of rows;
    the distributed form of ``graphlearn embed`` (same reader options and meaning).

    Every rank streams the file twice with :class:`~graphlearn.datasets.edgelist.EdgeStream`
    (no rank holds the graph): once to find the distinct node ids (the rows, in
    increasing id order, as ``graphlearn embed`` numbers them) and the entries of
    every row, which :func:`~graphlearn.distributed.row_partition` cuts into blocks of
    equal work (``balance="entries"``) or equal row counts (``"nodes"``); once to keep
    the edges of its own rows. Each node's key is its id. The graph is the one
    ``read_edge_list(...).to_csr(directed)`` builds (repeated lines merged, weights
    summed; undirected lines in both directions).

    Args:
        path: edge list (text, Parquet or ``.npy``) at the same path on every rank.
        model: the FastRP hyper-parameters (the same on every rank); ``model.progress``
            draws the bars on rank 0.
        directed, weighted, sep, columns, header, comment, numeric_ids, block_size:
            as for :func:`graphlearn.datasets.read_edge_list`. Node ids must be
            integers (string ids raise ValueError naming the first such line).
        balance: ``"entries"`` or ``"nodes"``.
        method, comm_device: how halo rows travel (:class:`HaloExchange`).
        group: the process group (None: the default one).

    Returns:
        This rank's :class:`EdgeListEmbedding`.

    Raises:
        ValueError / OSError: on every rank alike; a malformed file gives the message
        (and 1-based line) that ``read_edge_list`` gives.
    """
    from graphlearn.datasets.edgelist import DEFAULT_BLOCK_SIZE, EdgeStream

    if balance not in ("entries", "nodes"):
        raise ValueError(f"embed_edge_list: balance must be 'entries' or 'nodes', got {balance!r}")
    world, rank = size_rank(group)
    show = bool(model.progress) and rank == 0
    t0 = time.perf_counter()
    error, stream = None, None
    try:
        p = model._check_params()
        stream = EdgeStream(path, sep=sep, columns=columns, header=header, comment=comment, weighted=weighted,
                            numeric_ids=numeric_ids, block_size=block_size or DEFAULT_BLOCK_SIZE)
    except (ValueError, TypeError, OSError) as e:
        error = e
    agree(error, group)
    name = os.path.basename(os.fspath(path))
    direction = p.direction if directed else "out"
    rows = "both" if not directed or direction == "both" else ("src" if direction == "out" else "dst")
    # pass 1: the rows (distinct ids) and the partition; pass 2: the edges of this rank's rows
    error, part, block, builder = None, None, None, None
    try:
        part = EdgePartition(stream, world, rank, rows=rows, balance=balance, progress=show,
                             desc=f"parse {name} (1/2)")
        n, r0, r1 = part.num_nodes, part.row_start, part.row_end
        builder = BlockBuilder(n, r0, r1, directed=directed, direction=direction, weighted=stream.weighted)
        for s, d, w in part.edges(progress=show, desc=f"parse {name} (2/2)"):
            builder.add(s, d, w)
        part.release()
        t_parse = time.perf_counter()
        with _io.progress(1, "build CSR", "step", enabled=show) as bar:
            block = builder.finish(keys=part.local_ids)
            bar.update(1)
    except (ValueError, OSError, MemoryError) as e:
        error = e
    agree(error, group)
    t_build = time.perf_counter()
    job = DistributedFastRP(model, group=group, method=method, comm_device=comm_device).fit(block)
    t_embed = time.perf_counter()
    entries = torch.tensor([builder.adjacency_nnz], dtype=torch.int64)
    _all_reduce_cpu(entries, group, job.exchange_.comm_device)
    return EdgeListEmbedding(job.embedding_, part.local_ids, r0, r1, n, part.num_edges, int(entries[0]),
                             part.boundaries, block.nnz, job,
                             {"parse": t_parse - t0, "build": t_build - t_parse, "embed": t_embed - t_build},
                             stream.weighted, stream.compression, stream.format)


def _all_reduce_cpu(t: Tensor, group, device: torch.device) -> None:
    if device.type == "cpu":
        dist.all_reduce(t, group=group)
    else:
        moved = t.to(device)
        dist.all_reduce(moved, group=group)
        t.copy_(moved.cpu())


def write_embeddings(path: PathLike, rows, ids, row_start: int, num_rows: int, format: Optional[str] = None, *,
                     layout: str = "list", precision: Optional[int] = None, progress: bool = False,
                     group=None) -> List[str]:
    """Collective: the distributed form of :func:`graphlearn.embed.io.write_embeddings`,
    the same files from the rows every rank holds (ranks in row order).

    * ``.npy``: the ``[n, dim]`` float32 file and its ``.ids`` (one id per line) written
      by every rank at its offsets and published together (both or neither); all
      ranks must see the output folder.
    * Parquet and word2vec text: the rows and ids are gathered on rank 0 (``n x dim x
      4`` bytes there), which writes the file as ``write_embeddings`` does.

    Returns:
        The files written (on every rank).
    """
    from graphlearn.embed.io import _as_ids, _as_matrix, embedding_format, ids_path
    from graphlearn.embed.io import write_embeddings as write_one

    _, rank = size_rank(group)
    fmt = embedding_format(path, format)
    error = None
    try:
        emb = _as_matrix(rows)
        ids = _as_ids(ids, emb.shape[0])
        if ids.dtype == object:
            raise ValueError(f"{path}: the distributed writer takes integer ids only")
        target = _io.check_writable(path)
    except (ValueError, TypeError, OSError) as e:
        error = e
    agree(error, group)
    if fmt == "npy":
        return write_sharded([target, ids_path(target)], [npy_segment(emb, row_start, num_rows, group),
                                                          lines_segment(ids)], group)
    error = None
    if rank == 0:  # rank 0 holds every row (and every id) to write this format
        try:
            from graphlearn._validate import check_memory

            check_memory(num_rows * (emb.shape[1] * 4 + 8), f"gathering the {int(num_rows):,} x {emb.shape[1]} "
                         f"embedding on rank 0 to write {fmt}", hint="write .npy instead (written by every rank)")
        except MemoryError as e:
            error = e
    agree(error, group)
    all_rows = gather_rows(emb, 0, group)
    all_ids = gather_rows(ids, 0, group)
    error, files = None, None
    if rank == 0:
        try:
            files = write_one(target, all_rows, all_ids, format=fmt, layout=layout, precision=precision,
                              progress=progress)
        except (ValueError, TypeError, OSError) as e:
            error = e
    del all_rows, all_ids
    agree(error, group)
    return files if files is not None else [target]
