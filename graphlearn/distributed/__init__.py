"""torch.distributed pieces for row-partitioned graphs, shared by every distributed
computation (distributed FastRP today; a full-graph GNN can reuse them).

* :mod:`~graphlearn.distributed.partition`: contiguous row blocks per rank
  (:func:`row_partition`, by rows or by entries), the rows of arbitrary integer ids
  (:class:`IdCounter`, :class:`RowIndex`).
* :mod:`~graphlearn.distributed.edges`: one rank's view of an edge file
  (:class:`EdgePartition`: its rows, and the edges that touch them, read by the parser
  of ``graphlearn embed``).
* :mod:`~graphlearn.distributed.halo`: which remote rows a rank needs, planned once,
  moved every step (:func:`localize_columns`, :class:`HaloExchange`, forward and
  backward, any row width and dtype).
* :mod:`~graphlearn.distributed.writers`: one output file from every rank's rows,
  published atomically (:func:`write_sharded`, :func:`write_npy_rows`), per-rank parts
  (:func:`write_npy_parts`), or the rows gathered on one rank (:func:`gather_rows`).
* :mod:`~graphlearn.distributed.group`: the process group (:func:`init_from_env`,
  :func:`agree`: errors every rank raises together).

Names are imported on first use (``import graphlearn.distributed`` loads no torch).
"""
import importlib
import os

_EXPORTS = {
    "row_partition": "partition", "check_boundaries": "partition", "owner_of": "partition",
    "IdCounter": "partition", "RowIndex": "partition",
    "EdgePartition": "edges",
    "localize_columns": "halo", "HaloExchange": "halo",
    "Segment": "writers", "npy_segment": "writers", "lines_segment": "writers", "write_sharded": "writers",
    "write_npy_rows": "writers", "write_npy_parts": "writers", "read_npy_parts": "writers",
    "gather_rows": "writers",
    "init_from_env": "group", "size_rank": "group", "global_rank": "group",
    "comm_device": "group", "agree": "group", "broadcast_object": "group", "all_gather_object": "group",
}

__all__ = sorted(list(_EXPORTS) + ["launched"])


def launched() -> bool:
    """Whether this process is one of several started by ``torchrun`` (or any launcher
    that sets ``RANK`` and ``WORLD_SIZE`` > 1). Imports nothing."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1 and "RANK" in os.environ
    except ValueError:
        return False


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"graphlearn.distributed.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphlearn.distributed' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
