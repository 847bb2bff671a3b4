"""graphlearn._arrow: numpy <-> pyarrow without pyarrow's pandas shim, checked against
pyarrow's own conversions."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from graphlearn._arrow import arrow_to_numpy, numpy_to_arrow
from tests.conftest import run_isolated

DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_round_trip_every_dtype(dtype):
    rng = np.random.default_rng(0)
    a = (rng.random(1000) * 100).astype(dtype)
    arr = numpy_to_arrow(a)
    assert arr.type == pa.from_numpy_dtype(np.dtype(dtype)) and arr.null_count == 0
    assert arr.to_pylist() == a.tolist()
    back = arrow_to_numpy(arr)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, a)
    np.testing.assert_array_equal(back, arr.to_numpy())


def test_sliced_arrays_respect_the_offset():
    base = pa.array(np.arange(100, dtype=np.int64))
    for lo, n in ((0, 100), (7, 50), (99, 1), (40, 0)):
        np.testing.assert_array_equal(arrow_to_numpy(base.slice(lo, n)), np.arange(lo, lo + n))
    flags = pa.array([i % 3 == 0 for i in range(50)])
    sl = flags.slice(5, 30)
    got = arrow_to_numpy(sl)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, np.array(sl.to_pylist()))


def test_chunked_arrays():
    chunks = [pa.array(np.arange(i * 10, i * 10 + 10, dtype=np.int32)) for i in range(3)]
    np.testing.assert_array_equal(arrow_to_numpy(pa.chunked_array(chunks)), np.arange(30))
    np.testing.assert_array_equal(arrow_to_numpy(pa.chunked_array(chunks[:1])), np.arange(10))
    empty = arrow_to_numpy(pa.chunked_array([], type=pa.float32()))
    assert empty.dtype == np.float32 and empty.size == 0
    empty_bool = arrow_to_numpy(pa.chunked_array([], type=pa.bool_()))
    assert empty_bool.dtype == np.bool_ and empty_bool.size == 0


def test_empty_and_computed_arrays():
    assert arrow_to_numpy(pa.array([], type=pa.int64())).size == 0
    idx = pc.index_in(pa.array(["b", "a", "c", "a"]), value_set=pa.array(["a", "b", "c"]))
    np.testing.assert_array_equal(arrow_to_numpy(idx), [1, 0, 2, 0])


def test_nulls_and_other_types_fall_back_to_pyarrow():
    with_null = pa.array([1, None, 3], type=pa.int64())
    got = arrow_to_numpy(with_null)
    assert got[0] == 1 and np.isnan(got[1]) and got[2] == 3  # pyarrow's float upcast for nulls
    strings = arrow_to_numpy(pa.array(["x", "y"]))
    assert list(strings) == ["x", "y"]


def test_numpy_to_arrow_copies_strided_and_falls_back():
    m = np.arange(12, dtype=np.float32).reshape(3, 4)
    col = numpy_to_arrow(m[:, 2])
    assert col.to_pylist() == [2.0, 6.0, 10.0]
    big_endian = np.arange(4, dtype=">i8")
    assert numpy_to_arrow(big_endian).to_pylist() == [0, 1, 2, 3]
    assert numpy_to_arrow(np.array([True, False])).to_pylist() == [True, False]
    keep = np.arange(5, dtype=np.int64)
    arr = numpy_to_arrow(keep)
    del keep  # the array keeps the buffer alive
    assert arr.to_pylist() == [0, 1, 2, 3, 4]


def test_no_pandas_import():
    code = ("import sys, numpy as np\n"
            "from graphlearn._arrow import arrow_to_numpy, numpy_to_arrow\n"
            "a = numpy_to_arrow(np.arange(10))\n"
            "b = arrow_to_numpy(a)\n"
            "import pyarrow.compute as pc\n"
            "assert arrow_to_numpy(pc.equal(a, a)).all()\n"
            "print('pandas' in sys.modules)\n")
    proc = run_isolated(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
