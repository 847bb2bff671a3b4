"""graphlearn.datasets.edgelist.read_edge_list against independent parsers
(plain Python, pandas, scipy), on every input format and every error case."""
import bz2
import gzip
import hashlib
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
import torch

from graphlearn.datasets import edgelist as el_mod
from graphlearn.datasets.edgelist import read_edge_list, string_keys
from tests.conftest import require_dataset


def write(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


def reference_edges(text: str, comments=("#", "%"), header=False, sep=None, weighted=False):
    """The edges of a small text file, parsed line by line in plain Python."""
    out = []
    seen_header = not header
    for line in text.replace("\ufeff", "").split("\n"):
        line = line.rstrip("\r")
        if not line.strip() or any(line.lstrip().startswith(c) for c in comments):
            continue
        if not seen_header:
            seen_header = True
            continue
        f = line.split(sep) if sep else line.split()
        out.append((f[0].strip(), f[1].strip()) + ((float(f[2]),) if weighted else ()))
    return out


def as_pairs(el):
    ids = el.ids
    return [(str(ids[s]), str(ids[d])) for s, d in zip(el.src.tolist(), el.dst.tolist())]


def blake_key(s: str) -> int:
    return int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "little", signed=True)


# ---------------------------------------------------------------------------- text inputs

MESSY = ("\ufeff# a comment line\r\n% another comment\r\n\r\n0\t1\r\n1\t2\r\n  \t \r\n"
         "# FromNodeId\tToNodeId\r\n2\t0\r\n5\t2\r\n\r\n5\t5\r\n")


def test_plain_tsv_dense_integer_ids(tmp_path):
    rng = np.random.default_rng(0)
    e = rng.integers(0, 50, size=(300, 2))
    p = write(tmp_path, "g.tsv", "".join(f"{a}\t{b}\n" for a, b in e).encode())
    el = read_edge_list(p)
    assert el.id_type == "int" and el.indexing == "dense"
    np.testing.assert_array_equal(el.src, e[:, 0])
    np.testing.assert_array_equal(el.dst, e[:, 1])
    assert el.num_nodes == e.max() + 1
    np.testing.assert_array_equal(el.ids, np.arange(el.num_nodes))
    np.testing.assert_array_equal(el.keys, el.ids)
    assert el.weight is None and el.num_lines == 300 and el.num_skipped == 0
    assert el.src.dtype == np.int64 and el.dst.dtype == np.int64


def test_comments_crlf_blank_lines_bom(tmp_path):
    p = write(tmp_path, "messy.txt", MESSY.encode())
    el = read_edge_list(p)
    assert as_pairs(el) == reference_edges(MESSY)
    assert el.num_lines == MESSY.count("\n") and el.num_edges == 5
    assert el.num_skipped == el.num_lines - 5
    # ids 3 and 4 never occur: dense rows keep them, marked absent; compact() drops them
    assert el.num_nodes == 6 and el.present.tolist() == [True, True, True, False, False, True]
    c = el.compact()
    assert c.num_nodes == 4 and c.ids.tolist() == [0, 1, 2, 5] and as_pairs(c) == as_pairs(el)


@pytest.mark.parametrize("chunk", [5, 17, 64, 4096])
def test_filter_chunk_boundaries(tmp_path, monkeypatch, chunk):
    """Comments, a header and CRLF lines split across the filter's chunks in every way."""
    monkeypatch.setattr(el_mod, "_CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    lines = ["# head", "src\tdst\tw"]
    for i in range(400):
        r = rng.random()
        if r < 0.1:
            lines.append("# c %d\tx" % i)
        elif r < 0.15:
            lines.append("% pct")
        elif r < 0.2:
            lines.append("")
        else:
            lines.append(f"{rng.integers(0, 1000)}\t{rng.integers(0, 1000)}\t{rng.random():.4f}")
    text = "\r\n".join(lines) + "\r\n"
    p = write(tmp_path, "c.tsv", text.encode())
    el = read_edge_list(p, weighted=True, block_size=1024)
    ref = reference_edges(text, header=True, sep="\t", weighted=True)
    assert el.header == ["src", "dst", "w"]
    assert as_pairs(el) == [(a, b) for a, b, _ in ref]
    np.testing.assert_allclose(el.weight, [w for _, _, w in ref], rtol=1e-6)
    assert el.num_lines == len(lines)


def test_many_blocks_match_pandas(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(1)
    e = rng.integers(0, 5000, size=(60000, 2))
    p = write(tmp_path, "big.tsv", ("# x\n" + "".join(f"{a}\t{b}\n" for a, b in e)).encode())
    el = read_edge_list(p, block_size=4096)
    df = pd.read_csv(p, sep="\t", comment="#", header=None)
    np.testing.assert_array_equal(el.ids[el.src], df[0].to_numpy())
    np.testing.assert_array_equal(el.ids[el.dst], df[1].to_numpy())


@pytest.mark.parametrize("sep,name", [(",", "g.csv"), (";", "g.txt"), ("|", "g.txt"), (" ", "g.txt")])
def test_separators_detected(tmp_path, sep, name):
    text = "".join(f"{a}{sep}{b}\n" for a, b in [(1, 2), (2, 3), (3, 1), (10, 2)])
    el = read_edge_list(write(tmp_path, name, text.encode()))
    assert as_pairs(el) == reference_edges(text, sep=sep if sep != " " else None)
    assert el.sep == (sep if sep != " " else None)


def test_whitespace_runs_and_late_double_space(tmp_path, monkeypatch):
    text = "  1   2 \n3\t\t4\n \t5 6\t\n"
    el = read_edge_list(write(tmp_path, "ws.txt", text.encode()))
    assert as_pairs(el) == reference_edges(text)
    # single spaces in the sampled lines, a double space far later: parsed again with normalisation
    lines = [f"{i} {i + 1}" for i in range(3000)] + ["7  8", "9 10"]
    text = "\n".join(lines) + "\n"
    el = read_edge_list(write(tmp_path, "late.txt", text.encode()), block_size=1024)
    assert as_pairs(el) == reference_edges(text)


def test_whitespace_only_lines_in_tab_file(tmp_path):
    text = "".join(f"{i}\t{i + 1}\n" for i in range(500)) + "   \n \t\n" + "7\t8\n"
    el = read_edge_list(write(tmp_path, "w.tsv", text.encode()), block_size=1024)
    assert as_pairs(el) == reference_edges(text, sep="\t")


def test_explicit_sep_and_columns_by_index(tmp_path):
    text = "a;0;1;0.5\nb;1;2;1.5\nc;2;0;2.5\n"
    el = read_edge_list(write(tmp_path, "g.txt", text.encode()), sep=";", columns=[2, 1, 3])
    assert as_pairs(el) == [("1", "0"), ("2", "1"), ("0", "2")]
    np.testing.assert_allclose(el.weight, [0.5, 1.5, 2.5])
    assert el.weight.dtype == np.float32


def test_header_detection_and_names(tmp_path):
    text = "weight,from,to\n0.5,1,2\n2,2,3\n"
    p = write(tmp_path, "h.csv", text.encode())
    el = read_edge_list(p, columns="from,to,weight")
    assert el.header == ["weight", "from", "to"]
    assert as_pairs(el) == [("1", "2"), ("2", "3")] and el.weight.tolist() == [0.5, 2.0]
    el = read_edge_list(p, columns=["to", "from"])
    assert as_pairs(el) == [("2", "1"), ("3", "2")]
    # a numeric first line is data, not a header
    el = read_edge_list(write(tmp_path, "n.csv", b"1,2\n2,3\n"))
    assert el.header is None and el.num_edges == 2
    # string ids: two column names that occur as ids on no other line are a header
    # (this used to give the nodes "src" and "dst"); header=True / False decide it
    p = write(tmp_path, "s.csv", b"src,dst\nalice,bob\nbob,carol\n")
    el = read_edge_list(p)
    assert el.num_edges == 2 and el.header == ["src", "dst"] and el.num_skipped == 1
    assert read_edge_list(p, header=False).num_edges == 3
    el = read_edge_list(p, header=True)
    assert el.num_edges == 2 and el.ids.tolist() == ["alice", "bob", "carol"]
    el = read_edge_list(write(tmp_path, "f.csv", b"1,2\n2,3\n"), header=True)
    assert as_pairs(el) == [("2", "3")]


def test_numeric_mode_header_with_numeric_ids(tmp_path):
    el = read_edge_list(write(tmp_path, "h.tsv", b"# c\nsrc\tdst\n4\t5\n"), numeric_ids=True)
    assert el.header == ["src", "dst"] and as_pairs(el) == [("4", "5")]


@pytest.mark.parametrize("codec", ["gzip", "bz2", "zstd"])
def test_compressed_by_magic_bytes(tmp_path, codec):
    text = MESSY.encode()
    if codec == "gzip":
        data = gzip.compress(text)
    elif codec == "bz2":
        data = bz2.compress(text)
    else:
        if not pa.Codec.is_available("zstd"):
            pytest.skip("pyarrow built without zstd")
        data = pa.compress(text, "zstd", asbytes=True)
        # pa.compress writes a raw frame; make sure it is a real .zst file
        assert data[:4] == b"\x28\xb5\x2f\xfd"
    ext = {"gzip": ".gz", "bz2": ".bz2", "zstd": ".zst"}[codec]
    for name in ("edges.txt" + ext, "no_extension.txt"):
        el = read_edge_list(write(tmp_path, name, data))
        assert el.compression == codec
        assert as_pairs(el) == reference_edges(MESSY)


def test_zstd_stream_file(tmp_path):
    if not pa.Codec.is_available("zstd"):
        pytest.skip("pyarrow built without zstd")
    p = str(tmp_path / "s.tsv.zst")
    text = "".join(f"{i}\t{(i * 7) % 1000}\n" for i in range(20000))
    with pa.CompressedOutputStream(p, "zstd") as f:
        f.write(text.encode())
    el = read_edge_list(p, block_size=2048)
    assert as_pairs(el) == reference_edges(text)


# --------------------------------------------------------------------------- node ids

def test_string_ids_sorted_with_stable_keys(tmp_path):
    text = "zoe bob\nbob amy\namy 017\n17 zoe\n"
    el = read_edge_list(write(tmp_path, "s.txt", text.encode()))
    assert el.id_type == "str" and el.indexing == "sorted"
    assert el.ids.tolist() == sorted({"zoe", "bob", "amy", "017", "17"})
    assert as_pairs(el) == reference_edges(text)
    expected = [17 if s == "17" else blake_key(s) for s in el.ids]  # "017" is not canonical: hashed
    assert el.keys.tolist() == expected
    # the keys do not depend on line order
    el2 = read_edge_list(write(tmp_path, "s2.txt", "\n".join(reversed(text.strip().split("\n"))).encode()))
    assert el2.ids.tolist() == el.ids.tolist() and el2.keys.tolist() == el.keys.tolist()


def test_string_keys_function():
    ids = ["0", "9223372036854775807", "9223372036854775808", "-1", "x", "é", ""]
    k = string_keys(ids)
    assert k[0] == 0 and k[1] == 2**63 - 1
    for i in (2, 3, 4, 5, 6):
        assert k[i] == blake_key(ids[i])


def test_same_file_as_ints_or_strings_same_keys(tmp_path):
    p = write(tmp_path, "g.tsv", b"3\t10\n10\t2\n2\t3\n")
    a = read_edge_list(p, numeric_ids=True)
    b = read_edge_list(p, numeric_ids=False)
    assert b.id_type == "str" and a.id_type == "int"
    ka = dict(zip(a.ids.tolist(), a.keys.tolist()))
    kb = dict(zip(b.ids.tolist(), b.keys.tolist()))
    assert {int(k): v for k, v in kb.items()} == {k: ka[k] for k in (2, 3, 10)}


def test_auto_mode_falls_back_to_strings_late(tmp_path):
    lines = [f"{i}\t{i + 1}" for i in range(5000)] + ["5001\tnode_x"]
    el = read_edge_list(write(tmp_path, "late.tsv", ("\n".join(lines) + "\n").encode()), block_size=1024)
    assert el.id_type == "str" and el.num_edges == 5001
    assert as_pairs(el)[-1] == ("5001", "node_x") and as_pairs(el)[0] == ("0", "1")


def test_dense_or_compact_rule(tmp_path):
    # 2 distinct ids: dense iff max_id < 2 * 2 + 1024 = 1028
    el = read_edge_list(write(tmp_path, "a.tsv", b"0\t1027\n"))
    assert el.indexing == "dense" and el.num_nodes == 1028 and el.present.sum() == 2
    el = read_edge_list(write(tmp_path, "b.tsv", b"0\t1028\n"))
    assert el.indexing == "compact" and el.num_nodes == 2 and el.ids.tolist() == [0, 1028]
    assert el.keys.tolist() == [0, 1028] and el.src.tolist() == [0] and el.dst.tolist() == [1]
    huge = 2**62 + 5
    el = read_edge_list(write(tmp_path, "c.tsv", f"{huge}\t7\n7\t3\n".encode()))
    assert el.ids.tolist() == [3, 7, huge] and as_pairs(el) == [(str(huge), "7"), ("7", "3")]


# ------------------------------------------------------------------------------ to_csr

def _scipy_adj(el, directed):
    w = np.ones(el.num_edges) if el.weight is None else el.weight.astype(np.float64)
    n = el.num_nodes
    if directed:
        a = sp.coo_matrix((w, (el.src, el.dst)), shape=(n, n)).tocsr()
    else:
        lo, hi = np.minimum(el.src, el.dst), np.maximum(el.src, el.dst)
        c = sp.coo_matrix((w, (lo, hi)), shape=(n, n)).tocsr()
        a = (c + c.T - sp.diags(c.diagonal())).tocsr()
    a.sum_duplicates()
    return a


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("directed", [False, True])
def test_to_csr_matches_scipy(tmp_path, weighted, directed):
    rng = np.random.default_rng(3)
    e = rng.integers(0, 40, size=(400, 2))
    e[:10, 1] = e[:10, 0]  # self-loops
    e = np.concatenate([e, e[:30], e[30:50, ::-1]])  # duplicates and reversed duplicates
    w = rng.random(len(e)) + 0.5
    text = "".join(f"{a} {b} {x:.6f}\n" if weighted else f"{a} {b}\n" for (a, b), x in zip(e, w))
    el = read_edge_list(write(tmp_path, "g.txt", text.encode()), weighted=weighted, directed=directed)
    csr = el.to_csr()
    assert csr.rowptr.dtype == csr.col.dtype == torch.int32  # small graph: int32 indices
    # the graph contract: rows aggregate, so the CSR is the adjacency matrix A[src, dst]
    # transposed (the same for undirected graphs)
    ref = _scipy_adj(el, directed).T.tocsr()
    ref.sort_indices()
    got = csr.to_scipy().tocsr()
    assert csr.nnz == ref.nnz
    np.testing.assert_array_equal(got.indptr, ref.indptr)
    np.testing.assert_array_equal(got.indices, ref.indices)
    if weighted:
        np.testing.assert_allclose(got.data, ref.data, rtol=1e-5)
    else:
        assert csr.value is None


# ----------------------------------------------------------------------- parquet, npy

def test_parquet_int_string_and_weights(tmp_path):
    p = str(tmp_path / "g.parquet")
    table = pa.table({"w": pa.array([0.5, 1.0, 2.0, 3.0], pa.float32()), "a": pa.array([1, 2, 3, 9], pa.int32()),
                      "b": pa.array([2, 3, 1, 1], pa.uint16())})
    pq.write_table(table, p, row_group_size=2)
    el = read_edge_list(p, columns="a,b,w")
    assert el.format == "parquet" and as_pairs(el) == [("1", "2"), ("2", "3"), ("3", "1"), ("9", "1")]
    assert el.weight.tolist() == [0.5, 1.0, 2.0, 3.0] and el.num_lines == 4
    el = read_edge_list(p, columns=[1, 2])
    assert el.weight is None and el.num_edges == 4
    s = read_edge_list(p, columns=[1, 2], numeric_ids=False)
    assert s.id_type == "str" and s.ids.tolist() == ["1", "2", "3", "9"]
    assert s.keys.tolist() == [1, 2, 3, 9]

    p2 = str(tmp_path / "s.pq")
    pq.write_table(pa.table({"u": ["x", " y", "z"], "v": ["y", "z", "x"]}), p2)
    el = read_edge_list(p2)
    assert el.ids.tolist() == ["x", "y", "z"] and as_pairs(el) == [("x", "y"), ("y", "z"), ("z", "x")]
    pq.write_table(pa.table({"u": ["1", "2", "x3"], "v": ["2", "3", "1"]}), p2)
    with pytest.raises(ValueError, match=r"row 3.*'x3'.*not an integer"):
        read_edge_list(p2, numeric_ids=True)


def test_parquet_errors(tmp_path):
    p = str(tmp_path / "g.parquet")
    pq.write_table(pa.table({"a": pa.array([1, None, 3]), "b": [2, 3, 1]}), p)
    with pytest.raises(ValueError, match=r"row 2.*null"):
        read_edge_list(p)
    pq.write_table(pa.table({"a": [1, 2], "b": [2, 3], "w": [1.0, float("nan")]}), p)
    with pytest.raises(ValueError, match=r"row 2.*weight"):
        read_edge_list(p, weighted=True)
    with pytest.raises(ValueError, match="missing column"):
        read_edge_list(p, columns="a,zz")
    pq.write_table(pa.table({"a": [1, -2], "b": [2, 3]}), p)
    with pytest.raises(ValueError, match=r"row 2.*negative"):
        read_edge_list(p)
    pq.write_table(pa.table({"a": pa.array([], pa.int64()), "b": pa.array([], pa.int64())}), p)
    with pytest.raises(ValueError, match="empty input"):
        read_edge_list(p)


def test_npy_inputs(tmp_path):
    e = np.array([[0, 1], [1, 2], [5, 0]], dtype=np.int32)
    p = str(tmp_path / "e.npy")
    np.save(p, e)
    el = read_edge_list(p)
    assert el.format == "npy" and as_pairs(el) == [("0", "1"), ("1", "2"), ("5", "0")] and el.weight is None
    np.save(p, np.array([[0, 1, 3], [1, 2, 4]], dtype=np.int64))
    el = read_edge_list(p)
    assert el.weight.tolist() == [3.0, 4.0] and el.weight.dtype == np.float32
    assert read_edge_list(p, columns=[0, 1]).weight is None
    np.save(p, np.array([[0.0, 1.0], [1.0, 2.0]]))
    assert as_pairs(read_edge_list(p)) == [("0", "1"), ("1", "2")]
    np.save(p, np.array([[0.0, 1.5], [1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"row 1.*not an integer"):
        read_edge_list(p)
    np.save(p, np.array([[0, 1], [1, -2]]))
    with pytest.raises(ValueError, match=r"row 2.*negative"):
        read_edge_list(p)
    np.save(p, np.array([[0, 1, 2]], dtype=np.float64) * np.array([[1, 1, np.inf]]))
    with pytest.raises(ValueError, match=r"row 1.*not finite"):
        read_edge_list(p)
    np.save(p, np.zeros((3,), dtype=np.int64))
    with pytest.raises(ValueError, match=r"\[E, 2\]"):
        read_edge_list(p)
    np.save(p, np.zeros((0, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="empty input"):
        read_edge_list(p)


# ------------------------------------------------------------------------------ errors

@pytest.mark.parametrize("text,kwargs,pattern", [
    ("# c\n0\t1\n1\t2\t3\n", {}, r"line 3: malformed line: expected 2 fields, found 3: '1\\t2\\t3'"),
    ("# c\nsrc\tdst\n0\t1\n1\tx\n", {"numeric_ids": True}, r"line 4: target id 'x'.*not an integer.*'1\\tx'"),
    ("0\t1\n-1\t2\n", {}, r"line 2: negative source id -1"),
    ("0\t1\t1\n1\t2\tnan\n", {"weighted": True}, r"line 2: weight 'nan'.*not finite"),
    ("0\t1\t1\n1\t2\tinf\n", {"weighted": True}, r"line 2: weight 'inf'.*not finite"),
    ("0\t1\t1\n1\t2\theavy\n", {"weighted": True}, r"line 2: weight 'heavy'.*not a number"),
    ("0\t1\n", {"weighted": True}, r"line 1: missing column.*third"),
    ("0\t1\n", {"columns": "0,5"}, r"line 1: missing column: column 5"),
    ("a\tb\n1\t2\n", {"columns": "a,c"}, r"line 1: missing column: 'c' is not in the header"),
    ("1\t2\n", {"columns": "src,dst"}, r"missing column: column 'src' given by name, but the file has no header"),
    ("0\t1\n1\t\n", {}, r"line 2: empty target id"),
    ("", {}, r"empty input"),
    ("# only comments\n\n% more\n", {}, r"empty input"),
    ("src\tdst\n", {"header": True}, r"empty input"),
])
def test_text_errors_name_line_and_content(tmp_path, text, kwargs, pattern):
    p = write(tmp_path, "bad.tsv", text.encode())
    with pytest.raises(ValueError, match=pattern) as info:
        read_edge_list(p, **kwargs)
    assert p in str(info.value)


def test_error_line_number_deep_in_a_multi_block_file(tmp_path):
    lines = ["# header comment"] + [f"{i}\t{i + 1}" for i in range(6000)]
    lines[4321] = "4320\tbad_id"
    lines[5000] = "# a comment in the middle"
    p = write(tmp_path, "deep.tsv", ("\n".join(lines) + "\n").encode())
    with pytest.raises(ValueError, match=r"line 4322: target id 'bad_id'"):
        read_edge_list(p, numeric_ids=True, block_size=1024)
    lines[4321] = "4320\t4321\t7"
    p = write(tmp_path, "deep2.tsv", ("\n".join(lines) + "\n").encode())
    with pytest.raises(ValueError, match=r"line 4322: malformed line: expected 2 fields, found 3"):
        read_edge_list(p, block_size=1024)


def test_truncated_gzip(tmp_path):
    data = gzip.compress("".join(f"{i}\t{i + 1}\n" for i in range(100000)).encode())
    p = write(tmp_path, "t.tsv.gz", data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"truncated or corrupt gzip stream"):
        read_edge_list(p)


def test_bad_paths_and_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.tsv"):
        read_edge_list(str(tmp_path / "nope.tsv"))
    with pytest.raises(ValueError, match="directory"):
        read_edge_list(str(tmp_path))
    p = write(tmp_path, "g.tsv", b"0\t1\n")
    with pytest.raises(ValueError, match="sep"):
        read_edge_list(p, sep="::")
    with pytest.raises(ValueError, match="columns"):
        read_edge_list(p, columns=[0])
    with pytest.raises(ValueError, match="block_size"):
        read_edge_list(p, block_size=10)


# ----------------------------------------------------------------------------- real data

def test_snap_slashdot_counts():
    import pandas as pd

    path = require_dataset("snap_soc_slashdot0902", "soc-Slashdot0902.txt.gz")
    el = read_edge_list(path, directed=True)
    assert el.compression == "gzip" and el.id_type == "int" and el.indexing == "dense"
    assert el.num_nodes == 82168 and el.num_edges == 948464 and el.present is None
    assert el.num_lines == 948464 + 4 and el.num_skipped == 4  # 4 '#' lines, CRLF ends
    df = pd.read_csv(path, sep="\t", comment="#", header=None)
    np.testing.assert_array_equal(el.ids[el.src], df[0].to_numpy())
    np.testing.assert_array_equal(el.ids[el.dst], df[1].to_numpy())
    assert int((el.src == el.dst).sum()) == int((df[0] == df[1]).sum()) > 0  # self-loops kept
    a = sp.csr_matrix((np.ones(len(df)), (df[0], df[1])), shape=(82168, 82168))
    assert el.to_csr(directed=True).nnz == a.nnz
    assert el.to_csr(directed=False).nnz == ((a + a.T) > 0).nnz


def test_crlf_split_between_blocks(tmp_path, monkeypatch):
    """pyarrow (26) stops reading, without an error, after a block that holds only the
    "\\n" of a "\\r\\n": 41-byte lines, 1025-byte chunks and 1024-byte blocks used to
    produce exactly that block."""
    monkeypatch.setattr(el_mod, "_CHUNK", 1025)
    lines = [f"{i:019d}\t{i + 1:019d}" for i in range(2000)]
    assert all(len(line) + 2 == 41 for line in lines)
    p = write(tmp_path, "crlf.tsv", ("\r\n".join(lines) + "\r\n").encode())
    el = read_edge_list(p, block_size=1024, numeric_ids=False)
    assert el.num_edges == 2000 and as_pairs(el)[-1] == (f"{1999:019d}", f"{2000:019d}")


# ------------------------------------------------------------------- EdgeStream

def test_edge_stream_blocks_are_read_edge_list_in_pieces(tmp_path):
    """EdgeStream (the per-rank reader of the distributed path) yields the edges
    read_edge_list reads, as the file's ids, in file order; every pass is a new one; an
    id range keeps the edges with an endpoint in it. Distributed use (2 ranks, every
    odd and malformed file) is tested in tests/distributed/test_edge_partition.py."""
    from graphlearn.datasets.edgelist import EdgeStream

    rng = np.random.default_rng(4)
    e = rng.integers(0, 3000, size=(5000, 2))
    w = rng.random(5000)
    text = "# c\n" + "".join(f"{a}  {b}  {x:.5f}\n" for (a, b), x in zip(e, w))
    p = write(tmp_path, "g.txt", text.encode())
    el = read_edge_list(p, weighted=True)
    stream = EdgeStream(p, weighted=True, block_size=4096)
    for _ in range(2):
        blocks = list(stream)
        assert len(blocks) > 1
        s, d, x = (np.concatenate(b) for b in zip(*blocks))
        np.testing.assert_array_equal(s, el.ids[el.src])
        np.testing.assert_array_equal(d, el.ids[el.dst])
        assert x.dtype == np.float32 and np.array_equal(x, el.weight)
        assert (stream.num_lines, stream.num_edges, stream.num_skipped) == (el.num_lines, el.num_edges,
                                                                            el.num_skipped)
    for lo, hi, endpoint in ((100, 200, "src"), (2500, None, "dst"), (0, 10, "any")):
        got = [np.concatenate(b) for b in zip(*stream.blocks(id_range=(lo, hi), endpoint=endpoint))]
        inside = [(a >= lo) & (a < (hi if hi is not None else 1 << 62)) for a in (e[:, 0], e[:, 1])]
        keep = inside[0] if endpoint == "src" else inside[1] if endpoint == "dst" else inside[0] | inside[1]
        np.testing.assert_array_equal(got[0], e[keep, 0])
        np.testing.assert_array_equal(got[1], e[keep, 1])
    with pytest.raises(ValueError, match="endpoint"):
        list(stream.blocks(endpoint="middle"))
    with pytest.raises(ValueError, match="integer node ids only"):
        EdgeStream(p, numeric_ids=False)
    q = write(tmp_path, "s.txt", b"1 2\nann bob\n")
    with pytest.raises(ValueError, match=r"s.txt, line 2: source id 'ann' \(field 0\) is not an integer.*integer"):
        EdgeStream(q)
