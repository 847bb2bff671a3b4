"""One edge-file reader: the odd and malformed files of tests/datasets/test_edgelist.py
and tests/cli/test_embed_cli.py through the single-process reader (read_edge_list, what
`graphlearn embed` uses) and the per-rank reader of the distributed path
(EdgeStream + EdgePartition on 2 gloo processes): the same graph (nodes, ids, every
edge on the rank that owns its row, in file order, the same weights) or the same
error message, with the same 1-based line number, on every rank. String ids, which
the distributed path does not take, give an error naming the limitation."""
from __future__ import annotations

import bz2
import gzip
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graphlearn.datasets.edgelist import read_edge_list
from tests.distributed.launch import launch

MESSY = ("\ufeff# a comment line\r\n% another comment\r\n\r\n0\t1\r\n1\t2\r\n  \t \r\n"
         "# FromNodeId\tToNodeId\r\n2\t0\r\n5\t2\r\n\r\n5\t5\r\n")
CLI_EDGES = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 5), (8, 0),
             (8, 9), (9, 9), (1, 2), (10, 8), (11, 10), (11, 0)]


def _lines(edges, sep="\t", end="\n"):
    return (end.join(f"{a}{sep}{b}" for a, b in edges) + end).encode()


def corpus(tmp):
    """(name, path, reader kwargs, expect) with expect "graph", "error" or "strings"."""
    files = []

    def add(name, data, expect="graph", **kwargs):
        p = os.path.join(tmp, name)
        if isinstance(data, bytes):
            with open(p, "wb") as f:
                f.write(data)
        else:
            data(p)
        files.append((name, p, kwargs, expect))

    rng = np.random.default_rng(7)
    # --- odd files that are graphs
    add("messy.txt", MESSY.encode())
    lines = ["# head", "src\tdst\tw"]
    for i in range(400):
        r = rng.random()
        lines.append("# c %d\tx" % i if r < 0.1 else "% pct" if r < 0.15 else "" if r < 0.2 else
                     f"{rng.integers(0, 1000)}\t{rng.integers(0, 1000)}\t{rng.random():.4f}")
    add("comments_mid_file.tsv", ("\r\n".join(lines) + "\r\n").encode(), weighted=True, block_size=1024)
    add("whitespace_runs.txt", b"  1   2 \n3\t\t4\n \t5 6\t\n")
    add("late_double_space.txt", ("\n".join([f"{i} {i + 1}" for i in range(3000)] + ["7  8", "9 10"]) + "\n").encode(),
        block_size=1024)
    add("blank_lines_in_tabs.tsv", ("".join(f"{i}\t{i + 1}\n" for i in range(500)) + "   \n \t\n7\t8\n").encode(),
        block_size=1024)
    add("aligned_weighted.txt", b"# from   to   weight\n   1    2   0.5\n  10    2   1.5\n 100   10   2.5\n",
        weighted=True)
    add("semicolon_columns.txt", b"a;0;1;0.5\nb;1;2;1.5\nc;2;0;2.5\n", sep=";", columns=[2, 1, 3])
    add("named_columns.csv", b"weight,from,to\n0.5,1,2\n2,2,3\n", columns="from,to,weight")
    add("forced_header.csv", b"1,2\n2,3\n", header=True)
    add("numeric_header.tsv", b"# c\nsrc\tdst\n4\t5\n", numeric_ids=True)
    for sep, name in ((",", "g.csv"), (";", "semi.txt"), ("|", "pipe.txt"), (" ", "space.txt")):
        add(name, "".join(f"{a}{sep}{b}\n" for a, b in [(1, 2), (2, 3), (3, 1), (10, 2)]).encode())
    add("messy.txt.gz", gzip.compress(MESSY.encode()))
    add("messy_gzip_no_extension.txt", gzip.compress(MESSY.encode()))
    add("messy.txt.bz2", bz2.compress(MESSY.encode()))
    if pa.Codec.is_available("zstd"):
        add("messy.txt.zst", pa.compress(MESSY.encode(), "zstd", asbytes=True))

        def zstd_stream(p):
            with pa.CompressedOutputStream(p, "zstd") as f:
                f.write("".join(f"{i}\t{(i * 7) % 1000}\n" for i in range(20000)).encode())

        add("stream.tsv.zst", zstd_stream, block_size=2048)
    add("dense_gap.tsv", b"0\t1027\n")
    add("compact.tsv", b"0\t1028\n")
    add("huge_ids.tsv", f"{2**62 + 5}\t7\n7\t3\n".encode())
    add("crlf_41_byte_lines.tsv", ("\r\n".join(f"{i:019d}\t{i + 1:019d}" for i in range(2000)) + "\r\n").encode(),
        block_size=1024)
    add("crlf_comments_aligned.txt", b"# graph\r\n% more\r\n\r\n" + _lines(CLI_EDGES, "  ", "\r\n"))
    add("header.csv", b"source,target\n" + _lines(CLI_EDGES, ","))
    add("directed_duplicates.tsv", _lines(CLI_EDGES + CLI_EDGES[:5] + [(b, a) for a, b in CLI_EDGES[5:9]]))
    src, dst = np.array(CLI_EDGES).T
    add("edges.parquet", lambda p: pq.write_table(pa.table({"s": src, "t": dst}), p, row_group_size=5))
    add("weighted.parquet", lambda p: pq.write_table(
        pa.table({"w": pa.array(np.linspace(0.5, 2, len(src)), pa.float32()), "a": pa.array(src, pa.int32()),
                  "b": pa.array(dst, pa.uint16())}), p, row_group_size=4), columns="a,b,w")
    add("edges.npy", lambda p: np.save(p, np.array(CLI_EDGES, dtype=np.int32)))
    add("weighted.npy", lambda p: np.save(p, np.column_stack([src, dst, np.arange(len(src)) + 0.5])))
    add("npy_ignore_weights.npy", lambda p: np.save(p, np.column_stack([src, dst, np.ones(len(src))])),
        columns=[0, 1])
    # --- malformed files: the same error on every rank as in one process
    for i, (text, kwargs) in enumerate([
        ("# c\n0\t1\n1\t2\t3\n", {}),
        ("# c\nsrc\tdst\n0\t1\n1\tx\n", {"numeric_ids": True}),
        ("0\t1\n-1\t2\n", {}),
        ("0\t1\t1\n1\t2\tnan\n", {"weighted": True}),
        ("0\t1\t1\n1\t2\tinf\n", {"weighted": True}),
        ("0\t1\t1\n1\t2\theavy\n", {"weighted": True}),
        ("0\t1\n", {"weighted": True}),
        ("0\t1\n", {"columns": "0,5"}),
        ("a\tb\n1\t2\n", {"columns": "a,c"}),
        ("1\t2\n", {"columns": "src,dst"}),
        ("0\t1\n1\t\n", {}),
        ("", {}),
        ("# only comments\n\n% more\n", {}),
        ("src\tdst\n", {"header": True}),
        ("0  1\n2   3\n4  5  6\n", {}),
        ("0,1\r\n1,2\r\n\r\n2,3,4\r\n", {}),
    ]):
        add(f"bad{i}.tsv", text.encode(), "error", **kwargs)
    deep = ["# header comment"] + [f"{i}\t{i + 1}" for i in range(6000)]
    deep[5000] = "# a comment in the middle"
    deep[4321] = "4320\tbad_id"
    add("deep_bad_id.tsv", ("\n".join(deep) + "\n").encode(), "error", numeric_ids=True, block_size=1024)
    deep[4321] = "4320\t4321\t7"
    add("deep_extra_field.tsv", ("\n".join(deep) + "\n").encode(), "error", block_size=1024)
    deep[4321] = "4320 \t 4321"
    add("deep_negative.tsv", ("\n".join(deep[:4321] + ["-4\t5"] + deep[4322:]) + "\n").encode(), "error",
        block_size=1024)
    data = gzip.compress("".join(f"{i}\t{i + 1}\n" for i in range(100000)).encode())
    add("truncated.tsv.gz", data[: len(data) // 2], "error")
    add("null.parquet", lambda p: pq.write_table(pa.table({"a": pa.array([1, None, 3]), "b": [2, 3, 1]}), p), "error")
    add("nan.parquet", lambda p: pq.write_table(pa.table({"a": [1, 2], "b": [2, 3], "w": [1.0, float("nan")]}), p),
        "error", weighted=True)
    add("negative.parquet", lambda p: pq.write_table(pa.table({"a": [1, -2], "b": [2, 3]}), p), "error")
    add("missing_column.parquet", lambda p: pq.write_table(pa.table({"a": [1, 2], "b": [2, 3]}), p), "error",
        columns="a,zz")
    add("fraction.npy", lambda p: np.save(p, np.array([[0.0, 1.5], [1.0, 2.0]])), "error")
    add("negative.npy", lambda p: np.save(p, np.array([[0, 1], [1, -2]])), "error")
    add("inf_weight.npy", lambda p: np.save(p, np.array([[0.0, 1.0, np.inf]])), "error")
    add("flat.npy", lambda p: np.save(p, np.zeros(3, dtype=np.int64)), "error")
    add("empty.npy", lambda p: np.save(p, np.zeros((0, 2), dtype=np.int64)), "error")
    # --- string ids: a graph in one process, a clear refusal on the distributed path
    add("strings.txt", b"zoe bob\nbob amy\namy 017\n17 zoe\n", "strings")
    add("late_string.tsv", ("\n".join([f"{i}\t{i + 1}" for i in range(5000)] + ["5001\tnode_x"]) + "\n").encode(),
        "strings", block_size=1024)
    add("strings.parquet", lambda p: pq.write_table(pa.table({"u": ["x", " y", "z"], "v": ["y", "z", "x"]}), p),
        "strings")
    add("as_strings.tsv", b"1\t2\n2\t3\n", "strings", numeric_ids=False)
    return files


MODES = {"src": "src", "dst": "dst", "both": "both"}


def worker(out, files):
    import torch.distributed as dist

    from graphlearn.datasets.edgelist import EdgeStream
    from graphlearn.distributed import EdgePartition, agree

    world, rank = dist.get_world_size(), dist.get_rank()
    results = {}
    for name, path, kwargs, _ in files:
        for rows in (("src", "both") if name.startswith(("messy", "directed")) else ("src",)):
            error, got = None, None
            try:
                stream = EdgeStream(path, **kwargs)
                part = EdgePartition(stream, world, rank, rows=rows, balance="entries")
                edges = [(s.tolist(), d.tolist(), None if w is None else w.tolist()) for s, d, w in part.edges()]
                ids = part.index.ids
                src = [int(ids[x]) for e in edges for x in e[0]]
                dst = [int(ids[x]) for e in edges for x in e[1]]
                weight = None if not stream.weighted else [x for e in edges for x in e[2]]
                got = dict(num_nodes=part.num_nodes, local_ids=part.local_ids.tolist(), src=src, dst=dst,
                           weight=weight, num_edges=part.num_edges, num_lines=stream.num_lines,
                           num_skipped=stream.num_skipped, range=[part.row_start, part.row_end])
            except (ValueError, OSError, TypeError) as e:
                error = e
            try:
                agree(error)
            except (ValueError, OSError, TypeError) as e:
                got = {"error": str(e)}
            results[f"{name}/{rows}"] = got
    return results


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("edge_files"))
    files = corpus(tmp)
    out = str(tmp_path_factory.mktemp("edge_partition"))
    return files, launch(2, "tests.distributed.test_edge_partition:worker", out, timeout=240, files=files)


def _single(path, kwargs):
    try:
        return read_edge_list(path, **kwargs), None
    except (ValueError, OSError, TypeError) as e:
        return None, str(e)


def test_same_graph_or_same_error(run):
    files, results = run
    checked = {"graph": 0, "error": 0, "strings": 0}
    for name, path, kwargs, expect in files:
        el, error = _single(path, kwargs)
        for key in [k for k in results[0] if k.startswith(name + "/")]:
            rows = key.split("/")[1]
            ranks = [r[key] for r in results]
            if expect == "error":
                assert error is not None, name
                for r in ranks:
                    assert r == {"error": error}, (name, r, error)  # same text, same 1-based line
                assert path in error
            elif expect == "strings":
                assert error is None and el.id_type == "str", name
                for r in ranks:
                    assert "integer node ids only" in r["error"] and path in r["error"], (name, r)
            else:
                assert error is None, (name, error)
                c = el.compact()
                assert all(r["num_nodes"] == c.num_nodes for r in ranks), name
                assert sum((r["local_ids"] for r in ranks), []) == c.ids.tolist(), name
                src, dst = el.ids[el.src].tolist(), el.ids[el.dst].tolist()
                w = el.weight.tolist() if el.weight is not None else None
                for r in ranks:
                    lo, hi = r["range"]
                    mine = set(c.ids[lo:hi].tolist())
                    keep = [k for k in range(len(src)) if
                            (src[k] in mine if rows == "src" else src[k] in mine or dst[k] in mine)]
                    assert r["src"] == [src[k] for k in keep] and r["dst"] == [dst[k] for k in keep], (name, rows)
                    assert (r["weight"] is None) == (w is None), name
                    if w is not None:
                        np.testing.assert_allclose(r["weight"], [w[k] for k in keep], rtol=0, atol=0)
                    assert r["num_edges"] == el.num_edges and r["num_lines"] == el.num_lines, name
                    assert r["num_skipped"] == el.num_skipped, name
                if rows == "src":
                    assert sum(len(r["src"]) for r in ranks) == el.num_edges
            checked[expect] += 1
    assert checked["graph"] >= 30 and checked["error"] >= 25 and checked["strings"] == 4, checked


def test_a_file_with_aligned_columns_embeds_on_both_paths(run):
    """The README promise of the issue: aligned columns ("1  2") used to fail under
    distributed FastRP while graphlearn embed read them."""
    files, results = run
    name = "crlf_comments_aligned.txt"
    assert all("error" not in r[f"{name}/src"] for r in results)
    assert sum(len(r[f"{name}/src"]["src"]) for r in results) == len(CLI_EDGES)
