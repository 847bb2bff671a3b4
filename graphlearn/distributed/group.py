"""Process-group chores shared by the distributed pieces: the size and rank of a
group, errors that every rank raises together, objects sent from one rank, and
starting the default group from the environment ``torchrun`` sets."""
from __future__ import annotations

import datetime
import os
from typing import Any, List, Optional, Tuple, Union

import torch
import torch.distributed as dist

_ERRORS = {cls.__name__: cls for cls in (ValueError, TypeError, OSError, FileNotFoundError, PermissionError,
                                        IsADirectoryError, FileExistsError, RuntimeError, MemoryError)}


def init_from_env(backend: str = "gloo", timeout: float = 1800.0) -> bool:
    """Starts the default process group from ``torchrun``'s environment (``RANK``,
    ``WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) unless one is running already.

    Args:
        backend: ``"gloo"`` (CPU; the default) or ``"nccl"`` (needs CUDA; the rank's
            GPU ``LOCAL_RANK`` becomes the current device).
        timeout: seconds a collective may wait for the other ranks.

    Returns:
        True when this call started the group (the caller then destroys it), False
        when one was already running.
    """
    if dist.is_initialized():
        return False
    if backend not in ("gloo", "nccl"):
        raise ValueError(f"backend must be 'gloo' or 'nccl', got {backend!r}")
    if backend == "nccl":
        if not torch.cuda.is_available() or not dist.is_nccl_available():
            raise ValueError("backend 'nccl' needs CUDA and a torch build with NCCL; use 'gloo' on CPU")
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=float(timeout)))
    return True


def size_rank(group=None) -> Tuple[int, int]:
    """``(world size, rank)`` of ``group`` (None: the default group); RuntimeError when
    no process group is running."""
    if not dist.is_available() or not dist.is_initialized():
        raise RuntimeError("torch.distributed is not initialised: call torch.distributed.init_process_group "
                           "(launch with torchrun) first")
    return dist.get_world_size(group), dist.get_rank(group)


def global_rank(group, r: int) -> int:
    """The global rank of rank ``r`` of ``group``."""
    return r if group is None or group is dist.group.WORLD else dist.get_global_rank(group, r)


def comm_device(group=None, device: Optional[Union[str, torch.device]] = None) -> torch.device:
    """Where communication buffers live: ``device`` when given, else the rank's GPU
    for NCCL (``cuda:LOCAL_RANK``) and the CPU for every other backend."""
    if device is not None:
        return torch.device(device)
    if str(dist.get_backend(group)).lower() == "nccl":
        return torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0')) % max(torch.cuda.device_count(), 1)}")
    return torch.device("cpu")


def agree(error: Union[None, str, BaseException], group=None) -> None:
    """Collective: raises the same exception on every rank when some rank had a local
    error (``error`` not None), so that no rank waits forever in the next collective.

    The message is the error itself when every rank had that same error (a property
    of the shared input, such as a malformed line), else ``"rank r: message"`` for the
    ranks that failed, joined by ``"; "``. The exception type is the first failing
    rank's (ValueError, OSError and their usual subclasses, TypeError,
    RuntimeError, MemoryError), ValueError for anything else or for a string.
    """
    world, _ = size_rank(group)
    mine = None
    if error is not None:
        mine = ("ValueError", error) if isinstance(error, str) else (type(error).__name__, str(error))
    errors: List[Optional[Tuple[str, str]]] = [None] * world
    dist.all_gather_object(errors, mine, group=group)
    bad = [(r, e) for r, e in enumerate(errors) if e is not None]
    if not bad:
        return
    if len(bad) == world and len({e[1] for _, e in bad}) == 1:
        text = bad[0][1][1]
    else:
        text = "; ".join(f"rank {r}: {e[1]}" for r, e in bad)
    exc = _ERRORS.get(bad[0][1][0], ValueError)(text)
    exc.agreed = True  # every rank raises it: a command line prints it once (rank 0)
    raise exc


def broadcast_object(obj: Any = None, src: int = 0, group=None) -> Any:
    """Collective: ``obj`` of rank ``src`` (of ``group``), returned on every rank."""
    box = [obj]
    dist.broadcast_object_list(box, src=global_rank(group, src), group=group)
    return box[0]


def all_gather_object(obj: Any, group=None) -> List[Any]:
    """Collective: every rank's ``obj``, in rank order."""
    world, _ = size_rank(group)
    out: List[Any] = [None] * world
    dist.all_gather_object(out, obj, group=group)
    return out


__all__ = ["init_from_env", "size_rank", "global_rank", "comm_device", "agree", "broadcast_object",
           "all_gather_object"]
