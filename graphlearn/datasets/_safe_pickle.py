"""Unpickling with an allow-list: numpy arrays, scipy CSR/CSC state and builtin
containers only. Anything else (in particular callables that a crafted pickle
could run) raises pickle.UnpicklingError.

The allow-list keeps code from running, but a pickle's *contents* are still
untrusted: a scipy matrix whose column indices exceed its shape makes scipy's
``toarray`` write out of bounds (a segfault, or silent memory corruption). So
every matrix and array that comes out of an unpickled file goes through the
structural checks below (:func:`compressed_matrix`, :func:`check_array`,
:func:`check_sparse`) before anything uses it, and a bad one raises a
``ValueError`` naming the file. The same checks serve the loaders that read
``.npz``/``.mat`` files (their sparse arrays are just as untrusted).
"""
from __future__ import annotations

import io
import os
import pickle
from typing import Any, Optional, Tuple

import numpy as np

from graphlearn import _validate

_INT64_MAX = np.iinfo(np.int64).max


# ----------------------------------------------------------------------------- structural checks

def _native(arr: np.ndarray) -> np.ndarray:
    """`arr` in native byte order (pickles from another machine may hold big-endian data)."""
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))


def check_array(arr: Any, what: str, name: str, *, kinds: str = "biuf", ndim: Optional[int] = None,
                finite: bool = True) -> np.ndarray:
    """`arr` as a native-byte-order ndarray, after checking that it is one, that its dtype
    kind is in `kinds` (``b`` bool, ``i``/``u`` integers, ``f`` floats; never object,
    string or structured dtypes), that it has `ndim` dimensions (when given) and, for
    floats with `finite`, that it holds no NaN or infinity.

    Raises ValueError ``"<what>: <name> ..."``, naming the first bad entry."""
    if not isinstance(arr, np.ndarray):
        raise ValueError(f"{what}: {name} must be an array, got {type(arr).__name__}")
    if arr.dtype.kind not in kinds or arr.dtype.fields is not None or arr.dtype.subdtype is not None:
        want = {"b": "bool", "i": "integer", "u": "unsigned", "f": "float"}
        raise ValueError(f"{what}: {name} has dtype {arr.dtype}, expected "
                         + " or ".join(dict.fromkeys(want[k] for k in kinds if k in want)) + " numbers")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{what}: {name} must be {ndim}-D, got shape {list(arr.shape)}")
    arr = _native(arr)
    if finite and arr.dtype.kind == "f":
        bad = ~np.isfinite(arr)
        if bad.any():
            pos = tuple(int(i) for i in np.argwhere(bad)[0])
            where = pos[0] if len(pos) == 1 else list(pos)
            raise ValueError(f"{what}: {name}[{where}] = {arr[pos]} is not a finite number")
    return arr


def check_ids(arr: Any, what: str, name: str, high: Optional[int], *, ndim: Optional[int] = None,
              low: int = 0) -> np.ndarray:
    """An integer array (bool and floats refused, never truncated) whose entries lie in
    ``[low, high)`` (no upper bound when `high` is None), as int64."""
    arr = check_array(arr, what, name, kinds="iu", ndim=ndim)
    if arr.size:
        if arr.dtype.kind == "u" and arr.dtype.itemsize == 8 and int(arr.max()) > _INT64_MAX:
            pos = int(np.argmax(arr.reshape(-1)))
            raise ValueError(f"{what}: {name} holds {int(arr.reshape(-1)[pos])}, beyond the int64 range")
        arr = arr.astype(np.int64, copy=False)
        lo, hi = int(arr.min()), int(arr.max())
        if lo < low or (high is not None and hi >= high):
            flat = arr.reshape(-1)
            pos = int(np.argmax(flat < low)) if lo < low else int(np.argmax(flat >= high))
            idx = np.unravel_index(pos, arr.shape)
            where = int(idx[0]) if len(idx) == 1 else [int(i) for i in idx]
            rng = f"[{low}, {high})" if high is not None else f">= {low}"
            raise ValueError(f"{what}: {name}[{where}] = {int(flat[pos])} is out of range {rng}")
    else:
        arr = arr.astype(np.int64, copy=False)
    return arr


def check_shape(shape: Any, what: str, ndim: int = 2) -> Tuple[int, ...]:
    """A matrix shape: a tuple/list/array of `ndim` non-negative integers (floats refused)."""
    if isinstance(shape, np.ndarray):
        shape = shape.reshape(-1).tolist() if shape.dtype.kind in "iu" else list(shape.reshape(-1))
    if not isinstance(shape, (tuple, list)) or len(shape) != ndim:
        raise ValueError(f"{what}: matrix shape must be {ndim} integers, got {shape!r}")
    try:
        return tuple(_validate.integer(v, "shape", min=0, max=_INT64_MAX) for v in shape)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: bad matrix shape {tuple(shape)!r} ({exc})") from None


def compressed_matrix(fmt: str, data: Any, indices: Any, indptr: Any, shape: Any, what: str):
    """A scipy CSR (`fmt` ``"csr"``) or CSC matrix from its three arrays, after checking
    them the way scipy does not: a shape of two non-negative integers; ``indptr`` an
    integer array of length ``major + 1`` that starts at 0, never decreases and ends at
    ``nnz``; ``indices`` integers in ``[0, minor)``, ``nnz`` of them; ``data`` ``nnz``
    finite numbers (bool, integer or float). Raises ValueError naming `what`."""
    import scipy.sparse as sp

    if fmt not in ("csr", "csc"):
        raise ValueError(f"{what}: unsupported sparse format {fmt!r} (expected csr or csc)")
    rows, cols = check_shape(shape, what)
    major, minor = (rows, cols) if fmt == "csr" else (cols, rows)
    label = f"{fmt} matrix of shape ({rows}, {cols})"
    indptr = check_ids(indptr, what, f"{label}: indptr", None, ndim=1)
    if len(indptr) != major + 1:
        raise ValueError(f"{what}: {label}: indptr has {len(indptr)} entries, expected {major + 1}")
    indices = check_array(indices, what, f"{label}: indices", kinds="iu", ndim=1)
    data = check_array(data, what, f"{label}: data", ndim=1)
    nnz = len(indices)
    if len(data) != nnz:
        raise ValueError(f"{what}: {label}: {len(data)} values for {nnz} indices")
    if indptr[0] != 0 or indptr[-1] != nnz:
        raise ValueError(f"{what}: {label}: indptr runs from {int(indptr[0])} to {int(indptr[-1])}, "
                         f"expected 0 to {nnz} (the number of stored entries)")
    steps = np.diff(indptr)
    if (steps < 0).any():
        r = int(np.argmax(steps < 0))
        raise ValueError(f"{what}: {label}: indptr decreases at {r + 1} ({int(indptr[r])} -> {int(indptr[r + 1])})")
    indices = check_ids(indices, what, f"{label}: indices", minor)
    index_dtype = np.int32 if max(major, minor, nnz) < np.iinfo(np.int32).max else np.int64
    cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    return cls((data, indices.astype(index_dtype), indptr.astype(index_dtype)), shape=(rows, cols))


def check_sparse(m: Any, what: str):
    """A scipy sparse matrix from an untrusted file (``loadmat``), checked as by
    :func:`compressed_matrix` (CSR/CSC) or with in-range, equal-length ``row``/``col``
    (COO), and returned as a fresh CSR/CSC matrix."""
    import scipy.sparse as sp

    if not sp.issparse(m):
        raise ValueError(f"{what}: expected a sparse matrix, got {type(m).__name__}")
    if m.format in ("csr", "csc"):
        return compressed_matrix(m.format, m.data, m.indices, m.indptr, m.shape, what)
    if m.format == "coo":
        rows, cols = check_shape(m.shape, what)
        r = check_ids(np.asarray(m.row), what, "coo matrix: row", rows, ndim=1)
        c = check_ids(np.asarray(m.col), what, "coo matrix: col", cols, ndim=1)
        d = check_array(np.asarray(m.data), what, "coo matrix: data", ndim=1)
        if not len(r) == len(c) == len(d):
            raise ValueError(f"{what}: coo matrix has {len(r)} rows, {len(c)} columns and {len(d)} values")
        return sp.coo_matrix((d, (r, c)), shape=(rows, cols)).tocsr()
    raise ValueError(f"{what}: unsupported sparse format {m.format!r} (expected csr, csc or coo)")


def dense(m: Any, what: str, dtype=np.float32) -> np.ndarray:
    """A checked scipy matrix as a dense `dtype` array, refusing (MemoryError) when it
    would not fit in memory and (ValueError) values that overflow `dtype`."""
    rows, cols = m.shape
    per_entry = np.dtype(dtype).itemsize + (0 if m.dtype == np.dtype(dtype) else m.dtype.itemsize)
    _validate.check_memory(rows * cols * per_entry, f"{what}: the dense [{rows}, {cols}] matrix")
    out = np.asarray(m.toarray(), dtype=dtype)
    if out.dtype.kind == "f" and m.nnz and not np.isfinite(out).all():
        r, c = (int(i) for i in np.argwhere(~np.isfinite(out))[0])
        raise ValueError(f"{what}: entry ({r}, {c}) does not fit in {np.dtype(dtype).name} (|value| too large)")
    return out


# ----------------------------------------------------------------------------- restricted unpickler

class SparseState:
    """Stand-in for a pickled scipy sparse matrix: records its state dict only.
    The format comes from the pickled class (recent scipy does not store it)."""

    FORMAT = "csr"

    def __init__(self, *args, **kwargs):
        self.state: dict = {}

    def __setstate__(self, state):
        if not isinstance(state, dict):
            raise pickle.UnpicklingError(f"sparse matrix state is a {type(state).__name__}, not a dict")
        self.state = dict(state)

    def to_scipy(self, what: str = "pickled sparse matrix"):
        """The scipy matrix, built only after :func:`compressed_matrix`'s checks."""
        s = self.state
        fmt = s.get("format", self.FORMAT)
        fmt = fmt.decode("latin1") if isinstance(fmt, bytes) else fmt
        shape = s.get("_shape", s.get("shape"))
        missing = [k for k in ("data", "indices", "indptr") if k not in s]
        if missing or shape is None:
            raise ValueError(f"{what}: pickled sparse matrix lacks {', '.join(missing or ['its shape'])}")
        return compressed_matrix(fmt, s["data"], s["indices"], s["indptr"], shape, what)


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


def _checked(obj: Any, what: str, depth: int = 0) -> Any:
    """`obj` with every pickled sparse matrix (anywhere in its containers) rebuilt through
    :func:`compressed_matrix` and every ndarray checked to hold plain numbers (no object,
    string or structured dtype; native byte order). Nesting deeper than 64 levels (or a
    container that holds itself) is refused."""
    if isinstance(obj, SparseState):
        return obj.to_scipy(what)
    if isinstance(obj, np.ndarray):
        return check_array(obj, what, "pickled array", finite=False)
    if not isinstance(obj, (dict, list, tuple, set, frozenset)):
        return obj
    if depth >= 64:
        raise ValueError(f"{what}: containers nested more than 64 levels deep (or holding themselves)")
    if isinstance(obj, dict):
        for k in list(obj):
            obj[k] = _checked(obj[k], what, depth + 1)
        return obj
    if isinstance(obj, list):
        obj[:] = [_checked(v, what, depth + 1) for v in obj]
        return obj
    return type(obj)(_checked(v, what, depth + 1) for v in obj)


def safe_load(data: bytes, what: str) -> Any:
    """Unpickles `data` (Python 2 pickles too) allowing only plain data types; sparse
    matrices and arrays in it are structurally checked (see :func:`compressed_matrix`,
    :func:`check_array`). Raises ValueError naming `what` (the file) on anything else."""
    try:
        obj = _Restricted(io.BytesIO(data), encoding="latin1").load()
    except _Refused as exc:
        raise ValueError(f"{what}: {exc}") from None
    except Exception as exc:
        raise ValueError(f"{what}: not a readable pickle ({type(exc).__name__}: {exc})") from None
    return _checked(obj, what)


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
    else (``os.system``, arbitrary classes) raises ValueError naming the file, as
    does a numpy array of non-numeric dtype (object, strings). What the arrays
    hold (shapes, id ranges) is for the caller to check.
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
                obj = torch.load(path, map_location="cpu", weights_only=True)
        else:  # pragma: no cover - older torch
            ser.add_safe_globals([a for a in allowed if not isinstance(a, tuple)])
            obj = torch.load(path, map_location="cpu", weights_only=True)
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
    return _checked(obj, label)
