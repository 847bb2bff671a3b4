"""Halo exchange: every rank receives, from their owners, the rows of the remote
neighbours of its own rows.

A rank holds rows ``[row_start, row_end)`` of a row-partitioned sparse matrix with
global column ids. :func:`localize_columns` renumbers the columns into the rank's
extended row space (own rows first, then the distinct remote columns, the *halo*, in
increasing id order). :class:`HaloExchange` plans once which rows every rank sends
to which (one ``all_gather`` of counts and one ``all_to_all`` of the requested ids)
and then moves exactly those rows, for any row width and dtype, forward
(:meth:`HaloExchange.__call__`: own rows -> own rows + halo, what a sparse product
``M @ X`` needs) or backward (:meth:`HaloExchange.reduce`: contributions to the halo
rows summed into their owners' rows, what the gradient of that product needs).
"""
from __future__ import annotations

from typing import List, Optional, Tuple, Union

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from graphlearn.distributed.group import comm_device as _comm_device
from graphlearn.distributed.group import global_rank, size_rank
from graphlearn.distributed.partition import check_boundaries


def localize_columns(col: Tensor, row_start: int, row_end: int) -> Tuple[Tensor, Tensor]:
    """Global column ids of a rank's rows -> local ones.

    Args:
        col: ``[nnz]`` integer global column ids.
        row_start, row_end: the rows the rank owns.

    Returns:
        ``(local_col, halo)``: ``[nnz]`` int64 columns in ``[0, n_local + h)`` (own rows
        ``c - row_start``; remote ones ``n_local + position in halo``) and ``[h]`` the
        sorted distinct remote ids (the halo, what :class:`HaloExchange` takes).
    """
    col = torch.as_tensor(col).long()
    n_local = int(row_end) - int(row_start)
    remote = (col < row_start) | (col >= row_end)
    halo = torch.unique(col[remote])  # sorted
    local = col - int(row_start)
    local[remote] = n_local + torch.searchsorted(halo, col[remote])
    return local, halo


class HaloExchange:
    """The rows one rank receives from and sends to the others in every exchange.

    Built once (collectively) from the sorted global ids of the remote rows the rank
    needs (its halo) and the partition: each rank sends each owner the list of ids it
    needs; afterwards every call moves exactly those rows.

    Args:
        halo: ``[h]`` sorted distinct int64 global ids of the remote rows needed.
        boundaries: ``[W + 1]`` partition (:func:`graphlearn.distributed.row_partition`).
        group: the process group (None: the default one).
        method: ``"alltoall"`` (one ``all_to_all_single`` per exchange; gloo, NCCL, MPI
            support it), ``"p2p"`` (``isend``/``irecv`` pairs with the peers that share
            rows) or ``"auto"`` (``"alltoall"`` on gloo/nccl/mpi/ucc, else ``"p2p"``).
        comm_device: device of the communication buffers: CPU for gloo, the rank's GPU
            for NCCL (the default picks ``cuda:LOCAL_RANK`` when the backend is NCCL);
            the rows themselves stay where they are.

    Attributes:
        recv_counts, send_counts: ``[W]`` int64 rows received from / sent to every rank
            per exchange. halo_rows, sent_rows: their sums. send_index: ``[sent_rows]``
            local row indices sent, grouped by destination rank. num_local: own rows.
    """

    def __init__(self, halo: Tensor, boundaries, group=None, method: str = "auto",
                 comm_device: Optional[Union[str, torch.device]] = None):
        world, rank = size_rank(group)
        backend = str(dist.get_backend(group)).lower()
        if method == "auto":
            method = "alltoall" if backend in ("gloo", "nccl", "mpi", "ucc") else "p2p"
        if method not in ("alltoall", "p2p"):
            raise ValueError(f"HaloExchange: method must be 'auto', 'alltoall' or 'p2p', got {method!r}")
        self.group, self.method, self.world, self.rank = group, method, world, rank
        self.comm_device = _comm_device(group, comm_device)
        self.boundaries = check_boundaries(boundaries)
        if self.boundaries.size != world + 1:
            raise ValueError(f"HaloExchange: boundaries must have world_size + 1 = {world + 1} entries, got "
                             f"{self.boundaries.size}")
        r0, r1 = int(self.boundaries[rank]), int(self.boundaries[rank + 1])
        self.num_local = r1 - r0
        halo = torch.as_tensor(halo).long().cpu()
        if halo.numel() and (bool((halo[1:] <= halo[:-1]).any()) or int(halo[0]) < 0
                             or int(halo[-1]) >= int(self.boundaries[-1])):
            raise ValueError(f"HaloExchange: halo must hold sorted distinct row ids in [0, {int(self.boundaries[-1])})")
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
            peer = global_rank(self.group, k)
            if in_counts[k]:
                reqs.append(dist.isend(inp[i_off[k]:i_off[k + 1]].contiguous(), peer, group=self.group))
            if out_counts[k]:
                reqs.append(dist.irecv(out[o_off[k]:o_off[k + 1]], peer, group=self.group))
        for req in reqs:
            req.wait()

    def _exchange(self, send: Tensor, out: Tensor, out_counts: List[int], in_counts: List[int]) -> None:
        """Moves ``send`` (rows grouped by destination) into ``out`` (rows grouped by
        source) through the communication device."""
        if self.comm_device == out.device and self.comm_device == send.device:
            self._move(out, send, out_counts, in_counts)
            return
        recv = torch.empty(out.shape, dtype=out.dtype, device=self.comm_device)
        self._move(recv, send.to(self.comm_device), out_counts, in_counts)
        out.copy_(recv)

    def __call__(self, x_local: Tensor, out: Optional[Tensor] = None) -> Tensor:
        """Forward exchange: ``[n_local, *f]`` own rows -> ``[n_local + halo_rows, *f]``
        (own rows, then the halo rows in increasing id order), any dtype. Collective.

        ``out``: optional preallocated ``[n_local + halo_rows, *f]`` result (same dtype
        and device as ``x_local``)."""
        if x_local.size(0) != self.num_local:
            raise ValueError(f"HaloExchange: expected {self.num_local} local rows, got {x_local.size(0)}")
        shape = (self.num_local + self.halo_rows,) + tuple(x_local.shape[1:])
        if out is None:
            out = torch.empty(shape, dtype=x_local.dtype, device=x_local.device)
        elif tuple(out.shape) != shape or out.dtype != x_local.dtype:
            raise ValueError(f"HaloExchange: out must be {x_local.dtype} of shape {list(shape)}, got {out.dtype} "
                             f"{list(out.shape)}")
        out[: self.num_local] = x_local
        send = x_local.index_select(0, self.send_index.to(x_local.device))
        self._exchange(send, out[self.num_local:], self._rc, self._sc)
        return out

    def reduce(self, x_ext: Tensor) -> Tensor:
        """Backward exchange (the transpose of :meth:`__call__`): ``[n_local +
        halo_rows, *f]`` values of own and halo rows -> ``[n_local, *f]``, each own row
        plus the halo values the other ranks hold for it, summed. Collective."""
        if x_ext.size(0) != self.num_local + self.halo_rows:
            raise ValueError(f"HaloExchange.reduce: expected {self.num_local + self.halo_rows} rows (own + halo), "
                             f"got {x_ext.size(0)}")
        got = torch.empty((self.sent_rows,) + tuple(x_ext.shape[1:]), dtype=x_ext.dtype, device=x_ext.device)
        self._exchange(x_ext[self.num_local:].contiguous(), got, self._sc, self._rc)
        out = x_ext[: self.num_local].clone()
        out.index_add_(0, self.send_index.to(x_ext.device), got)
        return out

    def bytes_per_exchange(self, dim: int, itemsize: int = 4) -> int:
        """Bytes this rank sends per forward exchange: ``sent_rows x dim x itemsize``."""
        return self.sent_rows * int(dim) * int(itemsize)


__all__ = ["localize_columns", "HaloExchange"]
