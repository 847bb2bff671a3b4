"""NumPy edge lists of the wrong shape or dtype (issue 11): refused with one line naming
the file, the row and the value, never read in part or truncated."""
import warnings

import numpy as np
import pytest

from graphlearn.datasets.edgelist import EdgeStream, read_edge_list


def npy(tmp_path, arr, name="e.npy", **kw):
    p = str(tmp_path / name)
    np.save(p, arr, **kw)
    return p


@pytest.mark.parametrize("arr,kwargs,pattern", [
    (np.zeros((3, 4), np.int64), {}, r"expected an \[E, 2\] or \[E, 3\] array .*got shape \[3, 4\]; pass columns"),
    (np.zeros((2, 5), np.int64), {"weighted": True}, r"got shape \[2, 5\]"),
    (np.zeros((3, 1), np.int64), {}, r"got shape \[3, 1\]"),
    (np.zeros(4, np.int64), {}, r"got shape \[4\]"),
    (np.zeros((2, 2, 2), np.int64), {}, r"got shape \[2, 2, 2\]"),
    (np.int64(3), {}, r"got shape \[\]"),
    (np.array([[True, False]]), {}, r"dtype bool"),
    (np.array([[1 + 1j, 2]]), {}, r"dtype complex128"),
    (np.zeros(2, dtype=[("s", "i8"), ("d", "i8")]), {}, r"got shape \[2\]"),
    (np.zeros((2, 2), dtype="U3"), {}, r"dtype <U3"),
    (np.array([[0, 1], [1.5, 2]]), {}, r"row 2: id 1.5 in column 0 is not an integer"),
    (np.array([[0, 1], [2, np.nan]]), {}, r"row 2: id nan in column 1 is not an integer"),
    (np.array([[0, 1], [np.inf, 2]]), {}, r"row 2: id inf in column 0 is not an integer"),
    (np.array([[0, 1], [1e20, 2]]), {}, r"row 2: id 1e\+20 in column 0 does not fit in int64"),
    (np.array([[0, 1], [-1, 2]]), {}, r"row 2: negative id -1 in column 0"),
    (np.array([[0, 1], [-1.0, 2]]), {}, r"row 2: negative id -1 in column 0"),
    (np.array([[0, 2**64 - 1]], np.uint64), {}, r"row 1: id 18446744073709551615 in column 1 does not fit in int64"),
    (np.array([[0, 1, 1.0], [1, 2, 1e300]]), {}, r"row 2: weight 1e\+300 in column 2 is beyond the float32 range"),
    (np.array([[0, 1, np.nan]]), {}, r"row 1: weight nan in column 2 is not finite"),
    (np.zeros((0, 2), np.int64), {}, r"no edges \(empty input: 0 rows"),
    (np.zeros((2, 2), np.int64), {"weighted": True}, r"missing column: column 2 requested"),
    (np.zeros((2, 2), np.int64), {"numeric_ids": False}, r"integer ids only"),
])
def test_npy_shapes_and_dtypes_refused(tmp_path, arr, kwargs, pattern):
    p = npy(tmp_path, arr)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a cast on the way
        with pytest.raises(ValueError, match=pattern) as info:
            read_edge_list(p, **kwargs)
    assert str(info.value).startswith(p) and "\n" not in str(info.value)


def test_npy_shapes_object_array(tmp_path):
    p = npy(tmp_path, np.array([[1, "a"]], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"e.npy: holds a NumPy object array"):
        read_edge_list(p)


def test_npy_shapes_wider_array_with_columns(tmp_path):
    a = np.array([[9, 0, 1, 5], [9, 1, 2, 6]])
    p = npy(tmp_path, a)
    el = read_edge_list(p, columns=[1, 2, 3])
    assert el.ids[el.src].tolist() == [0, 1] and el.ids[el.dst].tolist() == [1, 2] and el.weight.tolist() == [5, 6]
    assert EdgeStream(p, columns=[1, 2]).weighted is False


@pytest.mark.parametrize("content,pattern", [
    (b"0\t1\n1\t2\n", r"t.npy: not a NumPy .npy file: it does not start with \\x93NUMPY but is something else, "
                      r"starting with b'0\\t1\\n1\\t2\\n'; a text edge list\? pass format='text'"),
    (b"PK\x03\x04rest", r"not a NumPy .npy file: .* a zip archive \(a .npz file\?\)"),
    (b"\x1f\x8b\x08\x00abcd", r"not a NumPy .npy file: .* gzip compressed data"),
    (b"", r"t.npy: no edges \(empty input: the file is empty\)"),
])
def test_npy_shapes_file_that_is_not_numpy(tmp_path, content, pattern):
    p = tmp_path / "t.npy"
    p.write_bytes(content)
    with pytest.raises(ValueError, match=pattern):
        read_edge_list(str(p))
    if content.startswith(b"0"):  # read as what it is when asked
        assert read_edge_list(str(p), format="text").num_edges == 2


def test_npy_shapes_compressed_numpy_file(tmp_path):
    import gzip
    import io

    buf = io.BytesIO()
    np.save(buf, np.array([[0, 1]]))
    p = tmp_path / "e.npy.gz"
    p.write_bytes(gzip.compress(buf.getvalue()))
    with pytest.raises(ValueError, match=r"e.npy.gz: a gzip compressed NumPy .npy file: decompress it first"):
        read_edge_list(str(p))
