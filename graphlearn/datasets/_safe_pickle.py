"""Unpickling with an allow-list: numpy arrays, scipy CSR state and builtin
containers only. Anything else (in particular callables that a crafted pickle
could run) raises pickle.UnpicklingError."""
from __future__ import annotations

import io
import pickle
from typing import Any

import numpy as np


class SparseState:
    """Stand-in for a pickled scipy sparse matrix: records its state dict only."""

    def __init__(self, *args, **kwargs):
        self.state: dict = {}

    def __setstate__(self, state):
        self.state = dict(state)

    def to_scipy(self):
        import scipy.sparse as sp

        s = self.state
        fmt = s.get("format", "csr")
        shape = tuple(s.get("_shape") or s.get("shape"))
        if fmt == "csr":
            return sp.csr_matrix((s["data"], s["indices"], s["indptr"]), shape=shape)
        if fmt == "csc":
            return sp.csc_matrix((s["data"], s["indices"], s["indptr"]), shape=shape)
        raise pickle.UnpicklingError(f"unsupported pickled sparse format {fmt!r}")


def _numpy_reconstruct(*args):
    return np.ndarray.__new__(*args)


_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _numpy_reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "scalar"): None,  # resolved below
    ("collections", "defaultdict"): __import__("collections").defaultdict,
    ("collections", "OrderedDict"): __import__("collections").OrderedDict,
    ("__builtin__", "list"): list, ("builtins", "list"): list,
    ("__builtin__", "dict"): dict, ("builtins", "dict"): dict,
    ("__builtin__", "set"): set, ("builtins", "set"): set,
    ("__builtin__", "int"): int, ("builtins", "int"): int,
    ("scipy.sparse.csr", "csr_matrix"): SparseState,
    ("scipy.sparse._csr", "csr_matrix"): SparseState,
    ("scipy.sparse.csc", "csc_matrix"): SparseState,
    ("scipy.sparse._csc", "csc_matrix"): SparseState,
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
