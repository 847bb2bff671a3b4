"""The per-rank view of an edge file: which rows a rank owns and the edges it needs.

Every rank opens the same file with :class:`graphlearn.datasets.edgelist.EdgeStream`
(the parser of ``graphlearn embed`` and ``read_edge_list``, so the same rules and the
same errors) and builds an :class:`EdgePartition`. Nothing is communicated: each rank
reads the whole file once to find the distinct node ids (the rows, in increasing id
order, as :meth:`~graphlearn.datasets.edgelist.EdgeList.compact` numbers them) and the
entries of every row, cuts the rows into blocks (:func:`row_partition`), and, in
:meth:`EdgePartition.edges`, reads the file again keeping only the edges that touch
its own rows. Every rank decides the same way from the same bytes, and a malformed
file gives every rank the same error, the one ``read_edge_list`` gives.
"""
from __future__ import annotations

import os
from typing import Iterator, Optional, Tuple

import numpy as np

from graphlearn.distributed.partition import IdCounter, RowIndex, row_partition


class EdgePartition:
    """An edge file cut by rows into ``world_size`` blocks, seen from ``rank``.

    Args:
        stream: an :class:`~graphlearn.datasets.edgelist.EdgeStream` of the file
            (integer ids).
        world_size, rank: the number of blocks and the block of this rank.
        rows: which endpoint of an edge is a row that holds it: ``"src"`` (rows are
            sources: an edge ``s -> t`` is an entry of row ``s``), ``"dst"`` (rows are
            targets, the layout of :func:`graphlearn.sparse.as_csr`) or ``"both"``
            (undirected graphs, or both directions: the edge is an entry of both rows).
        balance: ``"entries"``: blocks of about equal work (entries + rows);
            ``"nodes"``: about equal row counts.
        progress, desc: a tqdm bar for the pass over the file, and its label.

    Attributes:
        num_nodes: the number of distinct ids ``n`` (rows ``0..n-1``).
        num_edges: the edge lines (rows) of the file.
        boundaries: ``[W + 1]`` int64 partition; row_start, row_end: this rank's rows.
        local_ids: ``[row_end - row_start]`` int64 ids of this rank's rows.
        index: :class:`RowIndex` of every id (``16 n`` bytes with the counts while the
            partition is made, ``8 n`` after); :meth:`release` drops it.
    """

    def __init__(self, stream, world_size: int, rank: int, rows: str = "src", balance: str = "entries",
                 progress: bool = False, desc: Optional[str] = None):
        if rows not in ("src", "dst", "both"):
            raise ValueError(f"EdgePartition: rows must be 'src', 'dst' or 'both', got {rows!r}")
        if balance not in ("entries", "nodes"):
            raise ValueError(f"EdgePartition: balance must be 'entries' or 'nodes', got {balance!r}")
        if not 0 <= int(rank) < int(world_size):
            raise ValueError(f"EdgePartition: need 0 <= rank < world_size, got rank {rank}, world_size {world_size}")
        self.stream, self.rows, self.world_size, self.rank = stream, rows, int(world_size), int(rank)
        counter = IdCounter()
        for s, d, _ in stream.blocks(progress=progress, desc=desc or f"parse {os.path.basename(stream.path)}"):
            if rows == "both":
                counter.add(s, True)
                counter.add(d, s != d)
            else:
                counter.add(s, rows == "src")
                counter.add(d, rows == "dst")
        ids, counts = counter.finish()
        del counter
        self.num_nodes = int(ids.size)
        self.num_edges = int(stream.num_edges)
        self.boundaries = row_partition(self.num_nodes, self.world_size, counts if balance == "entries" else None)
        del counts
        self.row_start, self.row_end = int(self.boundaries[self.rank]), int(self.boundaries[self.rank + 1])
        self.index: Optional[RowIndex] = RowIndex(ids)
        self.local_ids = ids[self.row_start:self.row_end].copy()

    def edges(self, progress: bool = False, desc: Optional[str] = None
              ) -> Iterator[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]]:
        """One more pass over the file: the edges with a row (per ``rows``) among this
        rank's, in file order, as ``(src_rows, dst_rows, weight-or-None)`` blocks of
        global rows (int64) and float32 weights. Nothing when the rank owns no rows."""
        if self.index is None:
            raise RuntimeError("EdgePartition.edges: the index was released")
        if self.row_start == self.row_end:
            return
        endpoint = {"src": "src", "dst": "dst", "both": "any"}[self.rows]
        id_range = self.index.id_range(self.row_start, self.row_end)
        for s, d, w in self.stream.blocks(id_range=id_range, endpoint=endpoint, progress=progress,
                                          desc=desc or f"parse {os.path.basename(self.stream.path)}"):
            yield self.index.rows(s), self.index.rows(d), w

    def release(self) -> None:
        """Drops the index of every id (after the last :meth:`edges`)."""
        self.index = None


__all__ = ["EdgePartition"]
