"""Sharded writers: files assembled from the rows every rank holds.

* :func:`write_sharded`: the general one. Every output file is the concatenation, in
  rank order, of one byte segment per rank; rank 0 creates the temporaries
  (:func:`graphlearn._io.atomic_paths`), every rank writes its segment at its offset,
  and rank 0 publishes all the files together once every rank has written: they
  appear whole, and together, or not at all. All ranks must see the same filesystem
  (one machine, or a shared one such as NFS).
* :func:`npy_segment` / :func:`lines_segment`: the segments of a ``[num_rows, ...]``
  ``.npy`` array (rank 0's carries the header; the file is what ``numpy.save`` writes)
  and of a text file with one value per line.
* :func:`write_npy_rows`: one ``.npy`` from every rank's rows (``write_sharded``).
* :func:`write_npy_parts` / :func:`read_npy_parts`: one ``.npy`` per rank plus an index,
  for machines that share no filesystem.
* :func:`gather_rows`: every rank's rows on one rank, for writers that only one process
  can drive (Parquet, word2vec text).
"""
from __future__ import annotations

import dataclasses
import io
import json
import os
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor

from graphlearn import _io
from graphlearn.distributed.group import agree, all_gather_object, broadcast_object, comm_device, global_rank, \
    size_rank

PathLike = Union[str, "os.PathLike[str]"]
_PIECE = 64 << 20  # bytes written or sent at a time


@dataclasses.dataclass
class Segment:
    """This rank's part of one sharded file: ``write(f)`` writes exactly ``size`` bytes
    at the current position of the binary file ``f``."""
    size: int
    write: Callable


def _rows_array(rows) -> np.ndarray:
    a = rows.detach().cpu().numpy() if isinstance(rows, Tensor) else np.asarray(rows)
    if a.ndim < 1:
        raise ValueError(f"expected an array of rows [n_local, ...], got a scalar of shape {list(a.shape)}")
    return np.ascontiguousarray(a)


def _write_buffer(f, a: np.ndarray) -> None:
    view = memoryview(a.reshape(-1)).cast("B") if a.size else memoryview(b"")
    for lo in range(0, len(view), _PIECE):
        f.write(view[lo:lo + _PIECE])


def npy_segment(rows, row_start: int, num_rows: int, group=None) -> Segment:
    """Collective: this rank's segment of the ``.npy`` file of the ``[num_rows, ...]``
    array whose rows ``row_start:row_start + len(rows)`` it holds (dtype and trailing
    shape kept; they must agree across ranks, and the ranks' rows must tile
    ``[0, num_rows)`` in rank order). Rank 0's segment starts with the header."""
    a = _rows_array(rows)
    info = all_gather_object((int(row_start), int(a.shape[0]), tuple(a.shape[1:]), a.dtype.str), group)
    error = None
    starts = np.concatenate([[0], np.cumsum([i[1] for i in info])]).tolist()
    if len({(i[2], i[3]) for i in info}) > 1:
        error = f"the ranks hold rows of different shapes/dtypes: {[(list(i[2]), i[3]) for i in info]}"
    elif starts[-1] != int(num_rows) or any(i[1] and i[0] != starts[r] for r, i in enumerate(info)):
        error = (f"the ranks' rows {[(i[0], i[0] + i[1]) for i in info]} do not tile [0, {int(num_rows)}) "
                 "in rank order")
    if error is not None:
        raise ValueError(f"npy_segment: {error}")
    _, rank = size_rank(group)
    head = b""
    if rank == 0:
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, {"descr": np.lib.format.dtype_to_descr(a.dtype),
                                                   "fortran_order": False,
                                                   "shape": (int(num_rows),) + tuple(a.shape[1:])})
        head = buf.getvalue()

    def write(f) -> None:
        f.write(head)
        _write_buffer(f, a)

    return Segment(len(head) + a.nbytes, write)


def lines_segment(values) -> Segment:
    """The segment of a text file with one value per line (``str(value)`` and ``"\\n"``,
    UTF-8): concatenated over the ranks, the lines of every rank's values in order."""
    vals = values.tolist() if hasattr(values, "tolist") else list(values)
    pieces = []
    step = 1 << 20
    for lo in range(0, len(vals), step):
        pieces.append(("\n".join(map(str, vals[lo:lo + step])) + "\n").encode("utf-8"))
    del vals

    def write(f) -> None:
        for p in pieces:
            f.write(p)

    return Segment(sum(len(p) for p in pieces), write)


def write_sharded(paths: Sequence[PathLike], segments: Sequence[Segment], group=None) -> List[str]:
    """Collective: writes every file ``paths[i]`` as the concatenation, in rank order, of
    the ranks' ``segments[i]``, and publishes all of them together (all files whole, or
    none of them; nothing is left behind on error).

    Rank 0 creates the temporaries beside ``paths`` and sizes them; every rank writes
    its segments at their offsets; rank 0 renames them onto ``paths`` once every rank
    has written. Every rank must see rank 0's filesystem at the same paths.

    Returns:
        The absolute paths written (on every rank, once they are in place).

    Raises:
        OSError / ValueError: on every rank, naming the rank(s) that failed.
    """
    world, rank = size_rank(group)
    targets = [os.path.abspath(os.fspath(p)) for p in paths]
    if len(segments) != len(targets):
        raise ValueError(f"write_sharded: {len(targets)} paths but {len(segments)} segments")
    sizes = all_gather_object([int(s.size) for s in segments], group)
    if any(len(s) != len(targets) for s in sizes):
        raise ValueError(f"write_sharded: the ranks give different numbers of segments: {[len(s) for s in sizes]}")
    offsets = [sum(sizes[r][i] for r in range(rank)) for i in range(len(targets))]
    totals = [sum(sizes[r][i] for r in range(world)) for i in range(len(targets))]
    cm, temps, error = None, None, None
    if rank == 0:
        cm = _io.atomic_paths(targets)
        try:
            temps = cm.__enter__()
        except OSError as e:
            cm, error = None, e
        else:
            try:
                for t, total in zip(temps, totals):
                    os.truncate(t, total)
            except OSError as e:
                cm.__exit__(type(e), e, e.__traceback__)
                cm, temps, error = None, None, e
    temps = broadcast_object(temps if error is None else f"{type(error).__name__}: {error}", 0, group)
    if isinstance(temps, str):
        raise OSError(f"write_sharded: rank 0 cannot create the outputs {targets}: {temps}")
    error = None
    try:
        for tmp, target, seg, off in zip(temps, targets, segments, offsets):
            if not seg.size:
                continue
            with open(tmp, "r+b") as f:
                f.seek(off)
                seg.write(f)
                if f.tell() != off + seg.size:
                    raise ValueError(f"a segment of {target} wrote {f.tell() - off} bytes, not the {seg.size} "
                                     "announced")
    except FileNotFoundError:
        error = OSError(f"cannot write into the temporary of {target} ({tmp}): every rank must see rank 0's "
                        "filesystem at the same path (else use write_npy_parts)")
    except OSError as e:  # a full disk, a quota: named for the output, as graphlearn._io does
        error = _io._write_error(_with_file(e, tmp), [tmp], [target])
        if error is e:
            error = OSError(f"cannot write {target} ({type(e).__name__}: {e})")
    except ValueError as e:
        error = e
    try:
        agree(error, group)
    except BaseException as e:
        if cm is not None:
            cm.__exit__(type(e), e, e.__traceback__)  # removes the temporaries
        raise
    error = None
    if cm is not None:
        try:
            cm.__exit__(None, None, None)  # publishes them together
        except OSError as e:
            error = e
    agree(error, group)
    return targets


def _with_file(e: OSError, tmp: str) -> OSError:
    if e.filename is None:
        e.filename = tmp
    return e


def write_npy_rows(path: PathLike, rows, row_start: int, num_rows: int, group=None) -> str:
    """Collective: every rank's rows into one ``[num_rows, ...]`` ``.npy`` file (the
    file ``numpy.save`` would write for the whole array), published atomically.

    Args:
        path: output file. rows: ``[n_local, ...]`` this rank's rows (dtype kept; the
            same dtype and trailing shape on every rank).
        row_start: global index of the first row (the ranks' rows tile
            ``[0, num_rows)`` in rank order). num_rows: global number of rows.

    Returns:
        ``path`` (on every rank, once the file is in place). All ranks must see the
        same filesystem; otherwise use :func:`write_npy_parts`.
    """
    write_sharded([path], [npy_segment(rows, row_start, num_rows, group)], group)
    return os.fspath(path)


def _cover(spans: List[Tuple[int, int]], n: int) -> bool:
    """Whether the spans, sorted, tile [0, n)."""
    pos = 0
    for a, b in sorted(spans):
        if a != pos:
            return False
        pos = b
    return pos == n


def write_npy_parts(prefix: PathLike, rows, row_start: int, num_rows: int, group=None) -> List[str]:
    """Collective: one ``{prefix}.part{rank:05d}.npy`` per rank (each written atomically
    on the rank's own filesystem) and, on rank 0, the index ``{prefix}.parts.json``
    (written last, atomically, once every part exists): ``{"num_rows", "dim", "dtype",
    "parts": [{"file", "row_start", "row_end"}]}``. Read back with
    :func:`read_npy_parts` (after gathering the parts in one folder when the machines
    share none).

    Returns:
        the part file names (relative to the index's folder), in rank order.
    """
    prefix = os.fspath(prefix)
    _, rank = size_rank(group)
    a = _rows_array(rows)
    if a.ndim != 2:
        raise ValueError(f"write_npy_parts: expected a 2-D [n_local, dim] array of rows, got shape {list(a.shape)}")
    name = f"{prefix}.part{rank:05d}.npy"
    error = None
    try:
        with _io.atomic_open(name, "wb") as f:
            np.save(f, a)
    except OSError as e:
        error = f"cannot write {name}: {e}"
    info = all_gather_object((error, os.path.basename(name), int(row_start), a.shape[0], a.shape[1], a.dtype.str),
                             group)
    bad = [f"rank {r}: {i[0]}" for r, i in enumerate(info) if i[0] is not None]
    if bad:
        raise OSError("; ".join(bad))
    if not _cover([(i[2], i[2] + i[3]) for i in info], num_rows):
        raise ValueError(f"write_npy_parts: the ranks' rows {[(i[2], i[2] + i[3]) for i in info]} do not tile "
                         f"[0, {num_rows})")
    error = None
    if rank == 0:
        index = {"num_rows": int(num_rows), "dim": int(a.shape[1]), "dtype": a.dtype.str,
                 "parts": [{"file": i[1], "row_start": i[2], "row_end": i[2] + i[3]} for i in info]}
        try:
            _io.atomic_write_json(f"{prefix}.parts.json", index, indent=1)
        except OSError as e:
            error = f"cannot write {prefix}.parts.json: {e}"
    agree(error, group)
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


def gather_rows(rows, dst: int = 0, group=None, device: Optional[Union[str, torch.device]] = None
                ) -> Optional[np.ndarray]:
    """Collective: every rank's ``[n_r, ...]`` rows concatenated in rank order on rank
    ``dst`` (None elsewhere); dtype and trailing shape must agree across ranks. Rows
    travel in pieces of 64 MB, so ``dst`` holds the result plus one piece.

    ``device``: where the messages are staged (default: the CPU, or the rank's GPU
    for NCCL)."""
    world, rank = size_rank(group)
    a = _rows_array(rows)
    info = all_gather_object((int(a.shape[0]), tuple(a.shape[1:]), a.dtype.str), group)
    if len({(i[1], i[2]) for i in info}) > 1:
        raise ValueError(f"gather_rows: the ranks hold rows of different shapes/dtypes: "
                         f"{[(list(i[1]), i[2]) for i in info]}")
    dev = comm_device(group, device)
    row_bytes = max(int(np.prod(a.shape[1:], dtype=np.int64)) * a.dtype.itemsize, 1)
    step = max(_PIECE // row_bytes, 1)
    if rank == dst:
        out = np.empty((sum(i[0] for i in info),) + tuple(a.shape[1:]), dtype=a.dtype)
        pos = 0
        for r, (count, _, _) in enumerate(info):
            if r == rank:
                out[pos:pos + count] = a
            else:
                for lo in range(0, count, step):
                    k = min(step, count - lo)
                    buf = torch.empty((k,) + tuple(a.shape[1:]), dtype=_torch_dtype(a.dtype), device=dev)
                    dist.recv(buf, global_rank(group, r), group=group)
                    out[pos + lo:pos + lo + k] = buf.cpu().numpy()
            pos += count
        return out
    for lo in range(0, a.shape[0], step):
        dist.send(torch.from_numpy(np.ascontiguousarray(a[lo:lo + step])).to(dev), global_rank(group, dst),
                  group=group)
    return None


def _torch_dtype(dtype: np.dtype) -> torch.dtype:
    return torch.from_numpy(np.zeros(0, dtype=dtype)).dtype


__all__ = ["Segment", "npy_segment", "lines_segment", "write_sharded", "write_npy_rows", "write_npy_parts",
           "read_npy_parts", "gather_rows"]
