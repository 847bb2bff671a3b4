"""`graphlearn embed` against adversarial input (issue 11): the output is never the
input (under any name), out-of-range options are refused by argparse with one line
naming the option, FastRP's data-dependent refusals are named in option terms, runs
that cannot fit in memory say so before allocating, and every refusal is one line on
stderr with a nonzero exit and no traceback."""
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from graphlearn.cli import main
from graphlearn.cli.embed import option_names
from graphlearn.embed.io import read_embeddings
from tests.conftest import run_isolated
from tests.distributed.launch import launch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EDGES = "".join(f"{i}\t{(i * 7 + 1) % 40}\n" for i in range(40))


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (tmp_path / "e.txt").write_text(EDGES)
    os.symlink("e.txt", tmp_path / "sym.txt")
    os.link(tmp_path / "e.txt", tmp_path / "hard.txt")
    (tmp_path / "sub").mkdir()
    (tmp_path / "e.npy.ids").write_text(EDGES)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _digest(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in ("e.txt", "e.npy.ids")}


def refused(args, capsys, status=1):
    """Runs the command, expects one error line and the given status."""
    try:
        rc = main(["embed"] + [str(a) for a in args] + ["--quiet"])
    except SystemExit as exc:  # argparse
        rc = exc.code
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert rc == status, err
    assert lines and lines[-1].startswith("graphlearn embed: error: "), err
    assert sum("error" in ln for ln in lines) == 1 and "Traceback" not in err
    return lines[-1][len("graphlearn embed: error: "):]


# ------------------------------------------------------------ output onto the input

@pytest.mark.parametrize("inp,out,extra", [
    ("e.txt", "e.txt", []), ("e.txt", "{d}/e.txt", []), ("e.txt", "sub/../e.txt", []), ("e.txt", "sym.txt", []),
    ("sym.txt", "e.txt", []), ("e.txt", "hard.txt", []), ("e.npy.ids", "e.npy", []),
    ("e.txt", "e.txt", ["--format", "parquet"]), ("{d}/sym.txt", "./hard.txt", []),
], ids=["same", "absolute", "dotdot", "output_symlink", "input_symlink", "hard_link", "ids_companion",
        "format_parquet", "both_links"])
def test_output_that_is_the_input_is_refused(folder, capsys, inp, out, extra):
    before = _digest(folder)
    msg = refused([inp.replace("{d}", str(folder)), "-o", out.replace("{d}", str(folder))] + extra, capsys)
    assert "is the input" in msg and "choose another output name" in msg
    assert _digest(folder) == before
    assert not [n for n in os.listdir(folder) if n.endswith((".npy", ".graphlearn-tmp"))]


def test_output_beside_the_input_is_fine(folder, capsys):
    assert main(["embed", "e.txt", "-o", "e.vec", "--dim", "4", "--quiet"]) == 0
    assert read_embeddings("e.vec")[0].shape == (40, 4)


# ------------------------------------------------------- option ranges (classes 4, 5)

@pytest.mark.parametrize("args,pattern", [
    (["--self-influence", "1e308"], r"argument --self-influence: must be a number in \[-3.4e\+38, 3.4e\+38\]"),
    (["--weights", "1e39"], r"argument --weights: weight 1 must be a number in \[-3.4e\+38, 3.4e\+38\]"),
    (["--weights", "0,1e-50"], r"argument --weights: weight 2 must be 0 or at least 1.2e-38"),
    (["--sparsity", "1e300"], r"argument --sparsity: must be 'sqrt' or a number in \[1, 2\*\*53\]"),
    (["--sparsity", "0.5"], r"argument --sparsity: .*>= 1"),
    (["--seed", "9223372036854775808"], r"argument --seed: must be <= 9223372036854775807"),
    (["--seed", "-1"], r"argument --seed: must be >= 0, got -1"),
    (["--seed", "1.5"], r"argument --seed: expected an integer, got '1.5'"),
    (["--dim", "9223372036854775808"], r"argument --dim: must be <= 9223372036854775807"),
    (["--dim", "0"], r"argument --dim: must be >= 1, got 0"),
    (["--precision", "99"], r"argument --precision: must be <= 12, got 99"),
    (["--threads", "1000000000"], r"argument --threads: must be <= \d+ \(4 x the \d+ CPUs"),
    (["--timeout", "1e300"], r"argument --timeout: must be a number of seconds in \(0, 1e8\]"),
    (["--beta", "nan"], r"argument --beta: expected a finite number"),
    (["--weights", ""], r"argument --weights: expected comma-separated numbers"),
])
def test_out_of_range_options_are_one_argparse_line(folder, capsys, args, pattern):
    import re

    msg = refused(["e.txt", "-o", "o.npy"] + args, capsys, status=2)
    assert re.search(pattern, msg), msg
    assert not os.path.exists("o.npy")


@pytest.mark.parametrize("args,pattern", [
    (["--beta", "-200"], r"degree \*\* --beta underflows to 0 in float32 .*\(--beta -200.0"),
    (["--beta", "300"], r"degree \*\* --beta overflows float32 .*use a smaller \|--beta\|"),
    (["--weights", "3e38,3e38", "--output-norm", "none"],
     r"NaN or infinite .*\(--weights 3e\+38,3e\+38, --self-influence 0.0\)"),
    (["--weights", ",".join(["1"] * 300), "--propagation", "adjacency"],
     r"norms overflow.*--propagation adjacency makes the powers .*use --propagation transition or fewer --weights"),
    (["--dim", "1", "--sparsity", "9e15"], r"random projection is all zero: with --sparsity s = 9e\+15"),
    (["--directed", "--weights", "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
      "0,0,1"], r"all zero: every weighted power M\^i X0 vanished.*try --direction both"),
])
def test_fastrp_refusals_name_the_options(folder, capsys, args, pattern):
    import re

    if "--directed" in args:
        (folder / "chain.txt").write_text("0\t1\n1\t2\n")
        inp = "chain.txt"
    else:
        inp = "e.txt"
    msg = refused([inp, "-o", "o.npy"] + args, capsys)
    assert re.search(pattern, msg), msg
    assert not os.path.exists("o.npy") and not os.path.exists("o.npy.ids")


def test_option_names_maps_parameters():
    assert option_names("FastRP: iteration_weights=[1.0, 2.0], self_influence=0.0") == \
        "FastRP: --weights 1.0,2.0, --self-influence 0.0"
    assert option_names("FastRP: use propagation='transition' or normalize_iterations=True; lower dim") == \
        "FastRP: use --propagation transition or --normalize-iterations; lower --dim"
    assert option_names("input.tsv, line 3: sparsity") == "input.tsv, line 3: sparsity"  # not FastRP's


# ------------------------------------------------------------------- memory (class 6)

MEMORY = """
import sys
from graphlearn.cli import main
sys.exit(main(["embed", sys.argv[1], "-o", sys.argv[2], "--dim", sys.argv[3], "--quiet"]))
"""


@pytest.mark.parametrize("dim,limit,pattern", [
    ("1000000000000", None, "FastRP with dim=1000000000000 even on a single node needs about 7.3 TiB, but only "),
    (str(2**62), None, f"FastRP with dim={2**62} even on a single node needs about "),
    ("2000", "200000", "FastRP with dim=2000 on 40 nodes needs about 625.0 KiB, but only 195.3 KiB of memory is "
                       "available; lower --dim (or run under torchrun"),
])
def test_runs_that_do_not_fit_say_so_before_allocating(folder, dim, limit, pattern):
    env = {"GRAPHLEARN_MEMORY_LIMIT": limit} if limit else {}
    proc = run_isolated(MEMORY, args=[folder / "e.txt", folder / "o.npy", dim], env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("graphlearn embed: error: " + pattern), last
    assert "Traceback" not in proc.stderr and not os.path.exists(folder / "o.npy")


# ------------------------------------------------------------ standard input (class 8)

def test_help_says_dash_reads_standard_input():
    proc = subprocess.run([sys.executable, "-m", "graphlearn", "embed", "--help"], capture_output=True, text=True,
                          cwd=REPO, timeout=120, env={**os.environ, "PYTHONPATH": REPO})
    assert "zcat edges.tsv.gz | graphlearn embed - -o emb.npy" in proc.stdout
    assert "graphlearn clean" in proc.stdout and "143" in proc.stdout


def test_dash_reads_standard_input(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "graphlearn", "embed", "-", "-o", str(tmp_path / "o.npy"),
                           "--dim", "4", "--quiet"], input=EDGES, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": REPO})
    assert proc.returncode == 0, proc.stderr
    assert read_embeddings(str(tmp_path / "o.npy"))[0].shape == (40, 4)


def test_dash_is_not_blocked_by_the_command(folder, capsys, monkeypatch):
    """The command hands '-' to the reader (no existence check of a file named '-')."""
    import graphlearn.datasets.edgelist as edgelist

    seen = []
    real = edgelist.read_edge_list

    def spy(path, **kw):
        seen.append(path)
        return real("e.txt", **kw)

    monkeypatch.setattr(edgelist, "read_edge_list", spy)
    assert main(["embed", "-", "-o", "o.npy", "--dim", "4", "--quiet"]) == 0
    assert seen == ["-"]


def test_unexpected_errors_are_one_line(folder, capsys, monkeypatch):
    from graphlearn.embed import fastrp

    def bug(*a, **k):
        raise KeyError("boom")

    monkeypatch.setattr(fastrp, "finalize", bug)
    msg = refused(["e.txt", "-o", "o.npy"], capsys)
    assert msg == "unexpected KeyError: 'boom' (set GRAPHLEARN_DEBUG=1 for the traceback)"
    monkeypatch.setenv("GRAPHLEARN_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["embed", "e.txt", "-o", "o.npy", "--quiet"])


# ------------------------------------------------------------- torchrun refusals

def worker(out, folder):
    import contextlib
    import io

    from graphlearn.cli import main as cli

    fifo = os.path.join(out, "pipe")  # made by the test
    cases = {"stdin": ["-", "-o", os.path.join(out, "a.npy")],
             "fifo": [fifo, "-o", os.path.join(out, "b.npy")],
             "onto_input": [os.path.join(folder, "e.txt"), "-o", os.path.join(folder, "hard.txt")],
             "memory": [os.path.join(folder, "e.txt"), "-o", os.path.join(out, "c.npy"), "--dim", "4000"]}
    results = {}
    for name, args in cases.items():
        if name == "memory":
            os.environ["GRAPHLEARN_MEMORY_LIMIT"] = "300000"
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            rc = cli(["embed"] + args + ["--quiet"])
        os.environ.pop("GRAPHLEARN_MEMORY_LIMIT", None)
        results[name] = {"rc": rc, "stderr": err.getvalue()}
    return results


def test_torchrun_refuses_standard_input_and_pipes(folder, tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ranks"))
    os.mkfifo(os.path.join(out, "pipe"))
    results = launch(2, "tests.cli.test_embed_safety:worker", out, timeout=300, folder=str(folder))
    want = {"stdin": "input '-' (standard input) cannot be read under torchrun",
            "fifo": "is not a regular file (a pipe or a device?): under torchrun every rank reads the input",
            "onto_input": "is the input",
            "memory": "on rank 0's 20 rows (of 40 nodes"}
    for name, text in want.items():
        r0, r1 = results[0][name], results[1][name]
        assert r0["rc"] == 1 and r1["rc"] == 1, (name, r0, r1)
        line = r0["stderr"].strip().splitlines()[-1]
        assert line.startswith("graphlearn embed: error: ") and text in line, (name, line)
        if name != "memory":
            assert r1["stderr"] == ""  # the same error on every rank: printed once, by rank 0
    assert not [f for f in os.listdir(out) if f.endswith((".npy", ".ids", ".graphlearn-tmp"))]
