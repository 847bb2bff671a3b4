"""Reader errors (issue 11): one line naming the file, the true 1-based line (every
physical line counts) or Parquet/NumPy row, and the offending content (bytes shown
with repr); no RuntimeWarning, no message from numpy or pyarrow alone."""
import bz2
import gzip
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graphlearn.datasets.edgelist import EdgeStream, read_edge_list


def write(tmp_path, name, data):
    p = tmp_path / name
    p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return str(p)


def raises(fn, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=pattern) as info:
            fn()
    msg = str(info.value)
    assert "\n" not in msg and len(msg) < 600, msg
    return msg


def test_errors_invalid_utf8_deep_in_the_file(tmp_path):
    head = "".join(f"n{i}\tn{i + 1}\n" for i in range(50000)).encode()
    tail = "".join(f"n{i}\tn{i + 1}\n" for i in range(10000)).encode()
    p = write(tmp_path, "u.tsv", head + b"caf\xe9\tbob\n" + tail)
    raises(lambda: read_edge_list(p, block_size=1 << 16),
           r"u.tsv, line 50001: source id \(field 0\) is not valid UTF-8 text: b'caf\\xe9\\tbob'$")
    p = write(tmp_path, "v.tsv", b"# c\n# \xff comments may hold any bytes\na\tb\nc\t\xff\xfe\n")
    raises(lambda: read_edge_list(p), r"v.tsv, line 4: target id \(field 1\) is not valid UTF-8 text: "
                                      r"b'c\\t\\xff\\xfe'$")
    p = write(tmp_path, "w.txt", b"a b\nc\xff d\n")
    raises(lambda: read_edge_list(p), r"w.txt, line 2: source id \(field 0\) is not valid UTF-8 text: b'c\\xff d'")
    p = write(tmp_path, "x.tsv", b"0\t1\n1\t\xff\n")
    raises(lambda: read_edge_list(p, numeric_ids=True), r"x.tsv, line 2: target id b'\\xff' \(field 1\) is not an "
                                                        r"integer .*: b'1\\t\\xff'$")


@pytest.mark.parametrize("reader", ["read_edge_list", "EdgeStream"])
def test_errors_weight_beyond_float32(tmp_path, reader):
    p = write(tmp_path, "w.tsv", "# c\n0\t1\t1\n1\t2\t1e300\n")
    read = (lambda: read_edge_list(p, weighted=True)) if reader == "read_edge_list" else \
        (lambda: list(EdgeStream(p, weighted=True)))
    raises(read, r"w.tsv, line 3: weight '1e300' \(field 2\) is beyond the float32 range that weights are stored "
                 r"in \(\|w\| <= 3.403e\+38\): '1\\t2\\t1e300'$")
    assert read_edge_list(write(tmp_path, "ok.tsv", "0\t1\t3.4028235e38\n"), weighted=True).weight[0] > 3e38


def test_errors_parquet_rows(tmp_path):
    p = str(tmp_path / "g.parquet")
    pq.write_table(pa.table({"a": [0, 1], "b": [1, 2], "w": [1.0, 1e300]}), p)
    raises(lambda: read_edge_list(p, weighted=True), r"g.parquet, row 2: weight 1e\+300 in column 'w' is beyond the "
                                                     r"float32 range")
    pq.write_table(pa.table({"a": pa.array([0, 2**64 - 1], pa.uint64()), "b": [1, 2]}), p)
    raises(lambda: read_edge_list(p), r"g.parquet, row 2: id 18446744073709551615 in column 'a' does not fit in int64")
    q = write(tmp_path, "t.parquet", "0\t1\n1\t2\n")
    raises(lambda: read_edge_list(q), r"t.parquet: not a Parquet file: it does not start with PAR1 .*format='text'")


@pytest.mark.parametrize("codec,ext", [("gzip", "gz"), ("bz2", "bz2"), ("zstd", "zst"), (None, "tsv")])
@pytest.mark.parametrize("bad,pattern", [
    ("5\t6\t7", r"line 20002: malformed line: expected 2 fields, found 3: '5\\t6\\t7'$"),
    ("-3\t4", r"line 20002: negative source id -3"),
    ("5\t99999999999999999999", r"line 20002: target id 99999999999999999999 \(field 1\) does not fit in int64"),
    ("5\t", r"line 20002: empty target id"),
])
def test_errors_true_line_numbers_in_compressed_files(tmp_path, codec, ext, bad, pattern):
    lines = ["# c", ""] + [f"{i}\t{i + 1}" for i in range(30000)]
    lines[20001] = bad
    data = ("\n".join(lines) + "\n").encode()
    if codec == "gzip":
        data = gzip.compress(data)
    elif codec == "bz2":
        data = bz2.compress(data)
    elif codec == "zstd":
        if not pa.Codec.is_available("zstd"):
            pytest.skip("pyarrow built without zstd")
        p = str(tmp_path / "z.zst")
        with pa.CompressedOutputStream(p, "zstd") as f:
            f.write(data)
        data = open(p, "rb").read()
    p = write(tmp_path, f"e.{ext}", data)
    raises(lambda: read_edge_list(p, numeric_ids=True, block_size=1 << 14), r"e\.%s, %s" % (ext, pattern))
    raises(lambda: list(EdgeStream(p, numeric_ids=True, block_size=1 << 14)), r"e\.%s, %s" % (ext, pattern))


def test_errors_every_message_is_one_line(tmp_path):
    cases = [
        ("a.tsv", b"0\t1\n1\t2\t3\n", {}),
        ("b.tsv", b"0\t1\n1\x00\t2\n", {"numeric_ids": True}),
        ("c.tsv", b"0\t1\t1\n1\t2\tx\n", {"weighted": True}),
        ("d.tsv.gz", gzip.compress("".join(f"{i}\t{i * 7 % 1000}\n" for i in range(100000)).encode())[:5000], {}),
        ("e.tsv", b"1\t2\r3\t4\n", {}),
    ]
    for name, data, kwargs in cases:
        p = write(tmp_path, name, data)
        msg = raises(lambda: read_edge_list(p, **kwargs), r"\S")
        assert msg.startswith(p), msg
