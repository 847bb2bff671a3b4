"""`graphlearn embed`: every input and output format, agreement with FastRP run on an
adjacency built independently (scipy), id handling, and user errors (exit status,
one-line message, no traceback, no output file)."""
import bz2
import gzip
import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
import torch

from graphlearn.cli import main
from graphlearn.embed.io import read_embeddings
from tests.conftest import require_dataset

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# a small connected graph with a hub, a triangle, a self-loop and a duplicate edge
EDGES = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 5), (8, 0),
         (8, 9), (9, 9), (1, 2), (10, 8), (11, 10), (11, 0)]
WEIGHTS = [1.0 + (i % 4) * 0.5 for i in range(len(EDGES))]
N = 12


def tsv(edges=EDGES, weights=None, sep="\t", end="\n"):
    rows = [f"{a}{sep}{b}" + (f"{sep}{w}" if weights else "") for (a, b), w in zip(edges, weights or edges)]
    return (end.join(rows) + end).encode()


def run(args, capsys):
    rc = main(["embed"] + [str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def embed_ok(args, capsys):
    rc, out, err = run(list(args) + ["--quiet"], capsys)
    assert rc == 0, err
    assert "Traceback" not in err
    return out, err


def reference(edges, weights=None, directed=False, n=N, keys=None, **params):
    """FastRP on an adjacency built with scipy (no graphlearn reader involved)."""
    from graphlearn import CSR
    from graphlearn.embed import FastRP

    src, dst = np.array(edges).T
    w = np.ones(len(edges)) if weights is None else np.asarray(weights, dtype=np.float64)
    if directed:
        a = sp.coo_matrix((w, (src, dst)), shape=(n, n)).tocsr()
    else:
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        c = sp.coo_matrix((w, (lo, hi)), shape=(n, n)).tocsr()
        a = (c + c.T - sp.diags(c.diagonal())).tocsr()
    a.sum_duplicates()
    if weights is None:
        a.data[:] = 1.0
    csr = CSR.from_scipy(a, with_value=weights is not None, dtype=torch.float32)
    model = FastRP(**params)
    return model.fit_transform(csr, node_keys=torch.arange(n) if keys is None else torch.tensor(keys))


DEFAULTS = dict(dim=16, iteration_weights=(0.0, 0.0, 1.0, 6.67), normalization_strength=-0.64, random_state=0)


# ------------------------------------------------------------------------ inputs

def _write_inputs(tmp_path):
    text = tsv()
    files = {}
    p = tmp_path / "plain.tsv"
    p.write_bytes(text)
    files["tsv"] = p
    p = tmp_path / "edges.tsv.gz"
    p.write_bytes(gzip.compress(text))
    files["gzip"] = p
    p = tmp_path / "edges.txt.bz2"
    p.write_bytes(bz2.compress(text))
    files["bz2"] = p
    if pa.Codec.is_available("zstd"):
        p = tmp_path / "edges.tsv.zst"
        with pa.CompressedOutputStream(str(p), "zstd") as f:
            f.write(text)
        files["zstd"] = p
    p = tmp_path / "crlf_comments.txt"
    p.write_bytes(b"# graph\r\n% more\r\n\r\n" + tsv(sep="  ", end="\r\n"))
    files["crlf"] = p
    p = tmp_path / "header.csv"
    p.write_bytes(b"source,target\n" + tsv(sep=","))
    files["header"] = p
    p = tmp_path / "edges.parquet"
    src, dst = np.array(EDGES).T
    pq.write_table(pa.table({"s": src, "t": dst}), str(p), row_group_size=5)
    files["parquet"] = p
    p = tmp_path / "edges.npy"
    np.save(p, np.array(EDGES, dtype=np.int32))
    files["npy"] = p
    return files


def test_every_input_format_gives_the_reference_embedding(tmp_path, capsys):
    expect = reference(EDGES, **DEFAULTS)
    for kind, path in _write_inputs(tmp_path).items():
        out = tmp_path / f"out_{kind}.npy"
        embed_ok([path, "-o", out, "--dim", 16], capsys)
        emb, ids = read_embeddings(str(out))
        assert ids.tolist() == list(range(N)), kind
        np.testing.assert_allclose(emb, expect, rtol=1e-4, atol=1e-5, err_msg=kind)


def test_weighted_and_directed_match_reference(tmp_path, capsys):
    p = tmp_path / "w.tsv"
    p.write_bytes(tsv(weights=WEIGHTS))
    out = tmp_path / "w.npy"
    embed_ok([p, "-o", out, "--dim", 16, "--weighted"], capsys)
    np.testing.assert_allclose(read_embeddings(str(out))[0], reference(EDGES, WEIGHTS, **DEFAULTS),
                               rtol=1e-4, atol=1e-5)
    # directed, other FastRP parameters: each flag must reach FastRP
    args = ["--directed", "--direction", "both", "--weights", "0.5,1,2", "--beta", "0", "--sparsity", "3",
            "--self-influence", "0.25", "--output-norm", "l2", "--propagation", "adjacency", "--seed", "7",
            "--isolated", "random", "--no-normalize-iterations"]
    embed_ok([p, "-o", out, "--dim", 8] + args, capsys)
    params = dict(dim=8, iteration_weights=(0.5, 1.0, 2.0), normalization_strength=0.0, sparsity=3.0,
                  self_influence=0.25, output="l2", propagation="adjacency", random_state=7, isolated="random",
                  direction="both", normalize_iterations=False)
    np.testing.assert_allclose(read_embeddings(str(out))[0], reference(EDGES, directed=True, **params),
                               rtol=1e-4, atol=1e-5)


def test_columns_by_name_and_weight_column(tmp_path, capsys):
    p = tmp_path / "named.csv"
    rows = "".join(f"{w},x,{b},{a}\n" for (a, b), w in zip(EDGES, WEIGHTS))
    p.write_text("weight,junk,to,from\n" + rows)
    out = tmp_path / "o.npy"
    embed_ok([p, "-o", out, "--dim", 16, "--columns", "from,to,weight"], capsys)
    np.testing.assert_allclose(read_embeddings(str(out))[0], reference(EDGES, WEIGHTS, **DEFAULTS),
                               rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------- outputs

def test_every_output_format_round_trips(tmp_path, capsys):
    p = tmp_path / "s.tsv"
    p.write_bytes(tsv(edges=[(f"n{a}", f"n{b}") for a, b in EDGES]))
    results = {}
    for name, extra in [("o.npy", []), ("o.parquet", []), ("c.parquet", ["--parquet-layout", "columns"]),
                        ("o.txt", []), ("o.w2v", []), ("o.vec", []), ("o.emb", ["--format", "w2v"])]:
        out = tmp_path / name
        embed_ok([p, "-o", out, "--dim", 16] + extra, capsys)
        results[name] = read_embeddings(str(out))
    base_emb, base_ids = results["o.npy"]
    assert sorted(base_ids.tolist()) == sorted({f"n{i}" for i in range(N)})
    for name, (emb, ids) in results.items():
        assert ids.tolist() == base_ids.tolist(), name
        np.testing.assert_array_equal(emb, base_emb, err_msg=name)  # every format is exact float32
    assert os.path.isfile(tmp_path / "o.npy.ids")


def test_integer_and_string_ids_same_rows(tmp_path, capsys):
    """The same file read with integer or string ids, and shuffled lines: the same vector per id."""
    p = tmp_path / "g.tsv"
    p.write_bytes(tsv())
    a, b, c = tmp_path / "a.npy", tmp_path / "b.npy", tmp_path / "c.npy"
    embed_ok([p, "-o", a, "--dim", 16, "--numeric-ids"], capsys)
    embed_ok([p, "-o", b, "--dim", 16, "--no-numeric-ids"], capsys)
    shuffled = tmp_path / "shuffled.tsv"
    order = np.random.default_rng(0).permutation(len(EDGES))
    shuffled.write_bytes(tsv(edges=[EDGES[i] for i in order]))
    embed_ok([shuffled, "-o", c, "--dim", 16], capsys)
    ea, ia = read_embeddings(str(a))
    eb, ib = read_embeddings(str(b))  # ids "0".."11" read back as integers, rows in string order
    ec, ic = read_embeddings(str(c))
    assert ia.tolist() == list(range(N)) and ib.tolist() == sorted(range(N), key=str)
    np.testing.assert_allclose(eb, ea[ib], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ec, ea[ic], rtol=1e-5, atol=1e-6)


def test_relabelled_string_graph_same_rows_given_keys(tmp_path):
    """Arbitrary string names: the reader's mapping plus FastRP keys reproduce the integer run."""
    from graphlearn.datasets.edgelist import read_edge_list
    from graphlearn.embed import FastRP

    p1, p2 = tmp_path / "i.tsv", tmp_path / "s.tsv"
    p1.write_bytes(tsv())
    p2.write_bytes(tsv(edges=[(f"user_{a}", f"user_{b}") for a, b in EDGES]))
    ints, strs = read_edge_list(str(p1)), read_edge_list(str(p2))
    assert strs.id_type == "str"
    original = np.array([int(s.split("_")[1]) for s in strs.ids])
    e1 = FastRP(**DEFAULTS).fit_transform(ints.to_csr(), node_keys=torch.from_numpy(ints.keys))
    e2 = FastRP(**DEFAULTS).fit_transform(strs.to_csr(), node_keys=torch.from_numpy(original))
    np.testing.assert_allclose(e2, e1[original], rtol=1e-5, atol=1e-6)


def test_dense_ids_with_gaps_write_only_present_nodes(tmp_path, capsys):
    p = tmp_path / "gaps.tsv"
    p.write_bytes(b"1\t3\n3\t7\n7\t1\n7\t9\n")
    out = tmp_path / "o.txt"
    embed_ok([p, "-o", out, "--dim", 8], capsys)
    emb, ids = read_embeddings(str(out))
    assert ids.tolist() == [1, 3, 7, 9] and emb.shape == (4, 8)
    # rows of the nodes that occur only (ids 0, 2, 4.. would distort sqrt(n) and the standardisation)
    ref = reference([(0, 1), (1, 2), (2, 0), (2, 3)], n=4, keys=[1, 3, 7, 9], **{**DEFAULTS, "dim": 8})
    np.testing.assert_allclose(emb, ref, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------- summary/UX

def test_summary_json_and_progress(tmp_path, capsys):
    p = tmp_path / "g.tsv"
    p.write_bytes(tsv())
    out = tmp_path / "o.npy"
    rc, stdout, stderr = run([p, "-o", out, "--dim", 8, "--json", "--quiet"], capsys)
    assert rc == 0
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert len(stdout.strip().splitlines()) == 1
    assert summary["nodes"] == N and summary["edges"] == len(EDGES) and summary["dim"] == 8
    assert summary["files"] == [str(out), str(out) + ".ids"]
    for key in ("parse_s", "build_s", "embed_s", "write_s", "total_s", "peak_rss_mb"):
        assert summary[key] >= 0
    assert stderr.strip().splitlines()[-1].startswith("graphlearn embed: 12 nodes, 18 edges")
    assert "peak memory" in stderr and "parse" not in stderr.split("graphlearn embed:")[0]
    rc, stdout, stderr = run([p, "-o", out, "--dim", 8], capsys)  # progress bars on stderr only
    assert rc == 0 and stdout == ""
    assert "parse g.tsv" in stderr and "FastRP" in stderr


# ------------------------------------------------------------------------ errors

ERROR_CASES = [
    ("malformed.tsv", b"# c\n0\t1\n1\t2\t3\n", [], r"malformed.tsv, line 3: malformed line: expected 2 fields"),
    ("cols.tsv", b"0\t1\n", ["--columns", "0,5"], r"missing column"),
    ("names.csv", b"a,b\n0,1\n", ["--columns", "a,c"], r"missing column: 'c' is not in the header"),
    ("ids.tsv", b"0\t1\n1\tbob\n", ["--numeric-ids"], r"line 2: target id 'bob'.*not an integer"),
    ("empty.tsv", b"# nothing\n", [], r"empty input"),
    ("nan.tsv", b"0\t1\t1\n1\t2\tnan\n", ["--weighted"], r"line 2: weight 'nan'"),
    ("neg.tsv", b"0\t1\n-3\t2\n", [], r"line 2: negative source id -3"),
]


@pytest.mark.parametrize("name,data,extra,pattern", ERROR_CASES)
def test_input_errors(tmp_path, capsys, name, data, extra, pattern):
    import re

    p = tmp_path / name
    p.write_bytes(data)
    out = tmp_path / "out.npy"
    rc, stdout, stderr = run([p, "-o", out] + extra, capsys)
    assert rc == 1
    assert re.search(pattern, stderr), stderr
    assert stderr.strip().splitlines()[-1].startswith("graphlearn embed: error: ")  # after the progress bar
    assert stderr.count("graphlearn embed: error") == 1
    assert "Traceback" not in stderr and stdout == ""
    assert sorted(os.listdir(tmp_path)) == [name]  # no output, no temporary file


def test_truncated_gzip_and_missing_input(tmp_path, capsys):
    p = tmp_path / "t.tsv.gz"
    data = gzip.compress("".join(f"{i}\t{i + 1}\n" for i in range(50000)).encode())
    p.write_bytes(data[: len(data) // 2])
    rc, _, stderr = run([p, "-o", tmp_path / "o.npy"], capsys)
    assert rc == 1 and "truncated or corrupt gzip stream" in stderr
    rc, _, stderr = run([tmp_path / "absent.tsv", "-o", tmp_path / "o.npy"], capsys)
    assert rc == 1 and "input not found" in stderr
    assert sorted(os.listdir(tmp_path)) == ["t.tsv.gz"]


def test_output_errors(tmp_path, capsys):
    p = tmp_path / "g.tsv"
    p.write_bytes(tsv())
    rc, _, stderr = run([p, "-o", tmp_path / "no_such_dir" / "o.npy"], capsys)
    assert rc == 1 and "does not exist" in stderr
    rc, _, stderr = run([p, "-o", tmp_path / "o.xyz"], capsys)
    assert rc == 1 and "cannot tell the embedding format" in stderr
    rc, _, stderr = run([p, "-o", tmp_path / "ids.txt", "--no-numeric-ids"], capsys)
    assert rc == 0
    with pytest.raises(SystemExit) as info:
        run([p, "-o", tmp_path / "o.npy", "--format", "hdf5"], capsys)
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["embed", str(p), "-o", str(tmp_path / "o.npy"), "--dim", "0"])
    assert info.value.code == 2 and "must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["embed", str(p), "-o", str(tmp_path / "o.npy"), "--sparsity", "0.5"])
    assert "sparsity" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["g.tsv", "ids.txt"]


# ------------------------------------------------------------------ subprocesses

def _python(code, cwd):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": REPO})


def test_help_shows_examples():
    proc = subprocess.run([sys.executable, "-m", "graphlearn.cli", "embed", "--help"], capture_output=True,
                          text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "examples:" in proc.stdout and "graphlearn embed soc-Slashdot0902.txt.gz" in proc.stdout
    assert "--numeric-ids" in proc.stdout and "word2vec" in proc.stdout


@pytest.mark.parametrize("out", ["o.vec", "o.npy", "o.parquet"])
def test_process_run_clean_stdout_and_no_needless_imports(tmp_path, out):
    """Integer ids in, any format out: neither torch_geometric nor pandas is imported
    (pyarrow's own numpy conversions would import pandas, 0.3 s)."""
    p = tmp_path / "g.tsv"
    p.write_bytes(tsv())
    code = (
        "import json, sys\n"
        "from graphlearn.cli import main\n"
        f"rc = main(['embed', {str(p)!r}, '-o', {str(tmp_path / out)!r}, '--dim', '8', '--quiet'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('torch_geometric', 'pandas'))\n"
        f"open({str(tmp_path / 'res.json')!r}, 'w').write(json.dumps({{'rc': rc, 'mods': loaded}}))\n"
    )
    proc = _python(code, str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1].startswith("graphlearn embed: 12 nodes")
    res = json.loads((tmp_path / "res.json").read_text())
    assert res["rc"] == 0
    assert res["mods"] == [], f"graphlearn embed imported {res['mods'][:5]}"


def test_process_error_exit_status_no_traceback(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_bytes(b"0\t1\n1\t2\t3\n")
    proc = subprocess.run([sys.executable, "-m", "graphlearn.cli", "embed", str(p), "-o", str(tmp_path / "o.npy")],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 1
    assert "line 2: malformed line" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(os.listdir(tmp_path)) == ["bad.tsv"]


# ----------------------------------------------------------------------- real data

def test_snap_slashdot(tmp_path, capsys):
    path = require_dataset("snap_soc_slashdot0902", "soc-Slashdot0902.txt.gz")
    out = tmp_path / "slashdot.npy"
    rc, stdout, stderr = run([path, "-o", out, "--directed", "--dim", 32, "--json", "--quiet"], capsys)
    assert rc == 0, stderr
    summary = json.loads(stdout)
    assert summary["nodes"] == 82168 and summary["edges"] == 948464 and summary["stored_entries"] == 948464
    emb, ids = read_embeddings(str(out))
    assert emb.shape == (82168, 32) and ids.tolist() == list(range(82168))
    assert np.isfinite(emb).all()
