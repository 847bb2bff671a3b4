"""Unpickling with an allow-list: numpy arrays, scipy CSR state and builtin
containers only. Anything else (in particular callables that a crafted pickle
could run) raises pickle.UnpicklingError."""
from __future__ import annotations

import io
import os
import pickle
from typing import Any

import numpy as np


class SparseState:
    """Stand-in for a pickled scipy sparse matrix: records its state dict only.
    The format comes from the pickled class (recent scipy does not store it)."""

    FORMAT = "csr"

    def __init__(self, *args, **kwargs):
        self.state: dict = {}

    def __setstate__(self, state):
        self.state = dict(state)

    def to_scipy(self):
        import scipy.sparse as sp

        s = self.state
        fmt = s.get("format", self.FORMAT)
        shape = tuple(s.get("_shape") or s.get("shape"))
        if fmt == "csr":
            return sp.csr_matrix((s["data"], s["indices"], s["indptr"]), shape=shape)
        if fmt == "csc":
            return sp.csc_matrix((s["data"], s["indices"], s["indptr"]), shape=shape)
        raise pickle.UnpicklingError(f"unsupported pickled sparse format {fmt!r}")


class _CSCState(SparseState):
    FORMAT = "csc"


def _numpy_reconstruct(*args):
    return np.ndarray.__new__(*args)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "scalar"): None,  # resolved below
    ("_codecs", "encode"): __import__("codecs").encode,  # bytes in Python 3 protocol-2 pickles
    ("collections", "defaultdict"): __import__("collections").defaultdict,
    ("collections", "OrderedDict"): __import__("collections").OrderedDict,
    ("__builtin__", "list"): list, ("builtins", "list"): list,
    ("__builtin__", "dict"): dict, ("builtins", "dict"): dict,
    ("__builtin__", "set"): set, ("builtins", "set"): set,
    ("__builtin__", "int"): int, ("builtins", "int"): int,
    ("scipy.sparse.csr", "csr_matrix"): SparseState,
    ("scipy.sparse._csr", "csr_matrix"): SparseState,
    ("scipy.sparse.csc", "csc_matrix"): _CSCState,
    ("scipy.sparse._csc", "csc_matrix"): _CSCState,
}
try:  # numpy scalars inside pickles
    from numpy.core.multiarray import scalar as _scalar  # type: ignore
except Exception:  # numpy >= 2 moved it
    from numpy._core.multiarray import scalar as _scalar  # type: ignore
_ALLOWED[("numpy.core.multiarray", "scalar")] = _scalar
_ALLOWED[("numpy._core.multiarray", "scalar")] = _scalar


class _Refused(pickle.UnpicklingError):
    pass


class _Restricted(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        obj = _ALLOWED.get((module, name))
        if obj is None:
            raise _Refused(f"refusing to unpickle {module}.{name} (not on graphlearn's allow-list)")
        return obj


def safe_load(data: bytes, what: str) -> Any:
    """Unpickles `data` (Python 2 pickles too) allowing only plain data types."""
    try:
        obj = _Restricted(io.BytesIO(data), encoding="latin1").load()
    except _Refused as exc:
        raise ValueError(f"{what}: {exc}") from None
    except Exception as exc:
        raise ValueError(f"{what}: not a readable pickle ({type(exc).__name__}: {exc})") from None
    return obj.to_scipy() if isinstance(obj, SparseState) else obj


def _numpy_globals() -> list:
    """numpy callables/classes that a pickled ndarray needs, under the module
    names numpy 1.x (``numpy.core``) and 2.x (``numpy._core``) write."""
    try:
        from numpy._core import multiarray as ma  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray as ma  # type: ignore
    out: list = [np.ndarray, np.dtype]
    for fn in ("_reconstruct", "scalar"):
        f = getattr(ma, fn)
        out.append(f)
        for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
            if f"{mod}.{fn}" != f"{f.__module__}.{f.__name__}":
                out.append((f, f"{mod}.{fn}"))
    dtypes = getattr(np, "dtypes", None)
    if dtypes is not None:
        out += [getattr(dtypes, n) for n in dir(dtypes) if n.endswith("DType")]
    return out


def safe_torch_load(path: str, what: str = "") -> Any:
    """``torch.load`` of a file written by ``torch.save`` (zip or legacy format)
    holding tensors, numpy arrays and plain containers, e.g. OGB split files.

    Loads with ``weights_only=True`` and an allow-list of numpy's array
    reconstruction functions and dtypes only; a file that references anything
    else (``os.system``, arbitrary classes) raises ValueError naming the file.
    Missing files raise FileNotFoundError."""
    import torch

    label = f"{what} {path}".strip() if what else path
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{label}: no such file")
    allowed = _numpy_globals()
    ser = torch.serialization
    try:
        if hasattr(ser, "safe_globals"):
            try:
                ctx = ser.safe_globals(allowed)
            except Exception:  # torch without (callable, name) pairs
                ctx = ser.safe_globals([a for a in allowed if not isinstance(a, tuple)])
            with ctx:
                return torch.load(path, map_location="cpu", weights_only=True)
        ser.add_safe_globals([a for a in allowed if not isinstance(a, tuple)])  # pragma: no cover
        return torch.load(path, map_location="cpu", weights_only=True)  # pragma: no cover
    except pickle.UnpicklingError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
        detail = [ln for ln in lines if "GLOBAL" in ln or ("global" in ln.lower() and "weights_only" not in ln)]
        if not detail:  # not a pickle at all / damaged
            core = [ln for ln in lines if not ln.startswith(("Weights only", "Please file", "Check the doc"))]
            raise ValueError(f"{label}: not a readable torch.save file (unpickling failed: "
                             f"{core[0] if core else 'damaged data'})") from None
        hint = detail[0]
        raise ValueError(f"{label}: refusing to load, the pickle references something outside graphlearn's "
                         f"allow-list (tensors, numpy arrays, plain containers): {hint}") from None
    except Exception as exc:
        raise ValueError(f"{label}: not a readable torch.save file ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
