"""numpy <-> pyarrow conversion of plain numeric columns without pyarrow's pandas shim.

``pa.array(ndarray)`` and ``Array.to_numpy()`` import pandas on first use (0.3 s here),
which the edge-list reader and the embedding writers do not otherwise need; these read
and wrap the value buffers directly. Anything else (nulls, strings, other types) goes
through pyarrow's own conversions.
"""
from __future__ import annotations

import numpy as np

_NUMPY_OF_ARROW = {"int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64, "uint8": np.uint8,
                   "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64, "float": np.float32,
                   "double": np.float64}


def arrow_to_numpy(arr) -> np.ndarray:
    """A pyarrow integer / floating / boolean ``Array`` or ``ChunkedArray`` without nulls as
    a numpy array (a zero-copy view of a single-chunk numeric array). Arrays with nulls
    or of other types go through pyarrow's ``to_numpy``."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        parts = [arrow_to_numpy(c) for c in arr.chunks]
        if len(parts) == 1:
            return parts[0]
        if parts:
            return np.concatenate(parts)
        t = arr.type
        return np.empty(0, dtype=np.bool_ if pa.types.is_boolean(t) else _NUMPY_OF_ARROW.get(str(t), object))
    if arr.null_count == 0:
        t = arr.type
        if pa.types.is_boolean(t):
            import pyarrow.compute as pc

            return arrow_to_numpy(pc.cast(arr, pa.uint8())).view(np.bool_)
        dtype = _NUMPY_OF_ARROW.get(str(t))
        if dtype is not None:
            buf = arr.buffers()[1]
            if buf is None or len(arr) == 0:
                return np.empty(0, dtype=dtype)
            return np.frombuffer(buf, dtype=dtype, count=len(arr), offset=arr.offset * np.dtype(dtype).itemsize)
    return arr.to_numpy(zero_copy_only=False)


_ARROW_OF_NUMPY = {np.dtype(v).str: k for k, v in _NUMPY_OF_ARROW.items()}


def numpy_to_arrow(a: np.ndarray):
    """A 1-D numeric numpy array as a pyarrow ``Array`` of the same type (no nulls). The
    array references the (contiguous) data; non-contiguous input is copied first. Other
    dtypes go through ``pa.array``."""
    import pyarrow as pa

    a = np.asarray(a)
    if not a.dtype.isnative:  # arrow has no byte-swapped arrays
        a = a.astype(a.dtype.newbyteorder("="))
    name = _ARROW_OF_NUMPY.get(a.dtype.str) if a.ndim == 1 else None
    if name is None:
        return pa.array(a)
    a = np.ascontiguousarray(a)
    return pa.Array.from_buffers(pa.type_for_alias(name), len(a), [None, pa.py_buffer(a)])
