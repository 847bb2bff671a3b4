"""`graphlearn embed` under torchrun: the distributed path with the CLI's flags,
defaults, input formats, progress and atomic outputs gives the single-process
result (same ids in the same order, values to float tolerance), directed and
undirected, weighted and not; errors are the single-process ones (printed once, by
rank 0); string ids are refused with a message naming the limitation.

The command itself is run with torchrun (two cases); the other cases run the same
CLI entry point in two gloo processes started the way torchrun starts them
(tests/distributed/launch.py), one CLI call after another in the same group."""
from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import re
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from graphlearn.cli import main
from graphlearn.embed.io import read_embeddings
from tests.distributed.launch import ROOT, launch, rank_env

EDGES = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7), (7, 5), (8, 0),
         (8, 9), (9, 9), (1, 2), (10, 8), (11, 10), (11, 0), (12, 40), (40, 41), (41, 12), (13, 13)]
WEIGHTS = [1.0 + (i % 4) * 0.5 for i in range(len(EDGES))]


def write_inputs(folder):
    rng = np.random.default_rng(3)
    extra = [(int(a), int(b)) for a, b in zip(rng.integers(0, 300, 900), rng.integers(0, 300, 900))]
    edges = EDGES + extra
    weights = WEIGHTS + [float(w) for w in np.round(rng.random(len(extra)) + 0.1, 4)]
    files = {}

    def put(name, data):
        p = os.path.join(folder, name)
        with open(p, "wb") as f:
            f.write(data)
        files[name] = p

    put("aligned.txt", ("# from  to\r\n" + "".join(f"{a:>5}  {b:>5}\r\n" for a, b in edges[:300])
                        + "% a comment in the middle\r\n" + "".join(f"{a:>5}  {b:>5}\r\n" for a, b in edges[300:])
                        ).encode())
    put("weighted.tsv", "".join(f"{a}\t{b}\t{w}\n" for (a, b), w in zip(edges, weights)).encode())
    put("weighted.tsv.gz", gzip.compress(open(files["weighted.tsv"], "rb").read()))
    put("named.csv", ("weight,junk,to,from\n" + "".join(f"{w},x,{b},{a}\n" for (a, b), w in zip(edges, weights))
                      ).encode())
    np.save(os.path.join(folder, "edges.npy"), np.array(edges, dtype=np.int32))
    files["edges.npy"] = os.path.join(folder, "edges.npy")
    src, dst = np.array(edges).T
    pq.write_table(pa.table({"s": src, "t": dst}), os.path.join(folder, "edges.parquet"), row_group_size=50)
    files["edges.parquet"] = os.path.join(folder, "edges.parquet")
    put("malformed.tsv", b"# c\n0\t1\n1\t2\n1\t2\t3\n")
    put("strings.tsv", b"alice\tbob\nbob\tcarol\n")
    put("sparse_ids.tsv", f"{2**40}\t7\n7\t{2**50}\n{2**50}\t3\n3\t{2**40}\n".encode())
    return files


# (name, input, output, flags)
CASES = [
    ("undirected", "aligned.txt", "o.npy", ["--dim", "16"]),
    ("undirected_weighted", "weighted.tsv.gz", "o.npy", ["--dim", "16", "--weighted"]),
    ("directed", "aligned.txt", "o.npy", ["--dim", "16", "--directed"]),
    ("directed_weighted_in", "weighted.tsv", "o.npy", ["--dim", "8", "--directed", "--weighted", "--direction", "in"]),
    ("directed_both_flags", "weighted.tsv", "o.npy",
     ["--dim", "8", "--directed", "--direction", "both", "--weights", "0.5,1,2", "--beta", "0", "--sparsity", "3",
      "--self-influence", "0.25", "--output-norm", "l2", "--propagation", "adjacency", "--seed", "7",
      "--isolated", "random", "--no-normalize-iterations", "--balance", "nodes", "--halo", "p2p"]),
    ("named_columns_parquet_out", "named.csv", "o.parquet", ["--dim", "8", "--columns", "from,to,weight"]),
    ("npy_in_word2vec_out", "edges.npy", "o.vec", ["--dim", "8", "--precision", "5"]),
    ("parquet_in_columns_layout", "edges.parquet", "o.pq", ["--dim", "8", "--parquet-layout", "columns"]),
    ("sparse_ids", "sparse_ids.tsv", "o.txt", ["--dim", "4"]),
    ("progress", "weighted.tsv", "p.npy", ["--dim", "8"]),
    ("malformed", "malformed.tsv", "e.npy", ["--dim", "8"]),
    ("strings", "strings.tsv", "s.npy", ["--dim", "8"]),
    ("no_numeric_ids", "weighted.tsv", "n.npy", ["--dim", "8", "--no-numeric-ids"]),
    ("missing_folder", "weighted.tsv", os.path.join("nowhere", "o.npy"), ["--dim", "8"]),
]


def _args(files, out, case):
    _, inp, output, flags = case
    quiet = [] if case[0] == "progress" else ["--quiet"]
    return ["embed", files[inp], "-o", os.path.join(out, output)] + flags + quiet + ["--json"]


def worker(out, files):
    from graphlearn.cli import main as cli

    results = {}
    for case in CASES:
        folder = os.path.join(out, case[0])
        os.makedirs(folder, exist_ok=True)
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = cli(_args(files, folder, case))
        results[case[0]] = {"rc": rc, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}
    return results


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_inputs(str(tmp_path_factory.mktemp("inputs")))


@pytest.fixture(scope="module")
def two_ranks(inputs, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ranks"))
    return out, launch(2, "tests.cli.test_embed_distributed:worker", out, timeout=300, files=inputs)


def single(args, capsys):
    rc = main(args)
    got = capsys.readouterr()
    return rc, got.out, got.err


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_same_result_as_one_process(two_ranks, inputs, tmp_path, capsys, case):
    out, results = two_ranks
    name = case[0]
    rank0, rank1 = results[0][name], results[1][name]
    rc, stdout, stderr = single(_args(inputs, str(tmp_path), case), capsys)
    assert rank0["rc"] == rank1["rc"], (rank0, rank1)
    assert rank1["stdout"] == "" and rank1["stderr"] == ""  # the other ranks are quiet
    if name not in ("strings", "no_numeric_ids"):
        assert rank0["rc"] == rc, (rank0, stderr)
    if name in ("malformed", "missing_folder"):
        assert rc == 1
        want = stderr.strip().splitlines()[-1]
        assert rank0["stderr"].strip().splitlines()[-1] == want.replace(str(tmp_path), os.path.join(out, name))
        return
    if name in ("strings", "no_numeric_ids"):
        assert rc == 0 and rank0["rc"] == 1  # one process reads string ids; torchrun refuses them, saying why
        line = rank0["stderr"].strip().splitlines()[-1]
        assert line.startswith("graphlearn embed: error: ") and "integer" in line and "one process" in line
        if name == "strings":
            assert re.search(r"strings.tsv, line 1: source id 'alice' \(field 0\) is not an integer", line)
        assert os.listdir(os.path.join(out, name)) == []
        return
    assert rc == 0, stderr
    summary, want_summary = json.loads(rank0["stdout"]), json.loads(stdout)
    for key in ("nodes", "edges", "stored_entries", "directed", "weighted", "id_type", "dim", "format"):
        assert summary[key] == want_summary[key], key
    assert summary["world_size"] == 2 and len(summary["ranks"]) == 2
    assert summary["files"] == [f.replace(str(tmp_path), os.path.join(out, name)) for f in want_summary["files"]]
    emb, ids = read_embeddings(os.path.join(out, name, case[2]))
    want_emb, want_ids = read_embeddings(os.path.join(str(tmp_path), case[2]))
    assert ids.tolist() == want_ids.tolist()
    np.testing.assert_allclose(emb, want_emb, rtol=1e-5, atol=1e-5)
    line = rank0["stderr"].strip().splitlines()[-1]
    assert line.split(" -> ")[0] == stderr.strip().splitlines()[-1].split(" -> ")[0]  # "N nodes, E edges (...)"
    assert "2 processes (gloo)" in line
    if name == "progress":  # rank 0 draws the single-process bars
        for bar in ("parse weighted.tsv", "build CSR", "FastRP iterations"):
            assert bar in rank0["stderr"], bar


@pytest.mark.parametrize("flags", [["--dim", "16"], ["--dim", "8", "--directed", "--weighted", "--direction", "both"]],
                         ids=["undirected", "directed_weighted_both"])
def test_torchrun_command(inputs, tmp_path, capsys, flags):
    """The documented command: torchrun --nproc_per_node 2 -m graphlearn embed INPUT -o OUTPUT [flags]."""
    inp = inputs["aligned.txt" if "--weighted" not in flags else "weighted.tsv.gz"]
    out = tmp_path / "dist.npy"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "graphlearn",
           "embed", inp, "-o", str(out), "--timeout", "120"] + flags
    env = rank_env(0, 1, 0)
    for key in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(key)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("torchrun -m graphlearn embed hung")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == ""
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("graphlearn embed:")]
    assert len(lines) == 1 and "2 processes" in lines[0]  # one summary, from rank 0
    rc, _, _ = single(["embed", inp, "-o", str(tmp_path / "one.npy"), "--quiet"] + flags, capsys)
    assert rc == 0
    emb, ids = read_embeddings(str(out))
    want_emb, want_ids = read_embeddings(str(tmp_path / "one.npy"))
    assert ids.tolist() == want_ids.tolist()
    np.testing.assert_allclose(emb, want_emb, rtol=1e-5, atol=1e-5)
    assert sorted(os.listdir(tmp_path)) == ["dist.npy", "dist.npy.ids", "one.npy", "one.npy.ids"]
