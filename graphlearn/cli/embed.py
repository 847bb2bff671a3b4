"""``graphlearn embed``: FastRP node embeddings of an edge list file.

Only argparse is imported at module level; the reader, torch, pyarrow and FastRP are
imported when the command runs, so ``graphlearn embed --help`` stays fast.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import List, Optional

DESCRIPTION = """\
Reads an edge list, computes FastRP embeddings (Chen et al., CIKM 2019) and writes them.

Progress bars and a one-line summary (nodes, edges, seconds per phase, peak memory)
go to stderr; stdout stays empty unless --json is given, which prints the summary as
one JSON object on stdout. On any error the command prints one line on stderr, exits
with status 1 (2 for bad arguments) and leaves no output file (an existing one is kept);
the output may not be the input, under any name. A run that cannot fit in memory is
refused before it allocates, saying how much it needs. Ctrl-C, SIGTERM and SIGHUP
remove the temporary files and exit with 130, 143 and 129; the leftovers of a
kill -9 (hidden *.graphlearn-tmp files beside the output) are removed by the next run
of the same output or by `graphlearn clean FOLDER`. GRAPHLEARN_DEBUG=1 shows the
traceback of an unexpected error.

Graphs that outgrow one machine: the same command under torchrun,
  torchrun --nproc_per_node N -m graphlearn embed INPUT -o OUTPUT [the same flags]
runs on N processes (and machines: docs/distributed.md), each holding a block of
rows, and writes the same embedding (to float tolerance). Integer node ids only."""

EXAMPLES = """\
examples:
  graphlearn embed soc-Slashdot0902.txt.gz -o slashdot.npy --directed --direction both
  graphlearn embed edges.csv -o emb.parquet --weighted --columns src,dst,weight
  graphlearn embed edges.tsv -o emb.vec --dim 128 --weights 0,0,1,6.67 --beta -0.64 --seed 1
  graphlearn embed users.tsv -o users.txt --no-numeric-ids --header --precision 6
  graphlearn embed edges.npy -o emb.npy --quiet --json > summary.json
  zcat edges.tsv.gz | graphlearn embed - -o emb.npy        # - reads standard input
  torchrun --standalone --nproc_per_node 4 -m graphlearn embed edges.tsv.gz -o emb.npy --dim 128

input formats (by extension and magic bytes):
  text       tab, comma, semicolon, pipe or whitespace separated lines "src dst [weight]";
             plain, gzip (.gz), zstd (.zst) or bz2; lines starting with # or % are
             comments; a header line is detected (or use --header / --no-header)
  parquet    .parquet / .pq: the first two columns (or --columns), integer or string ids
  npy        .npy integer array [E, 2], or [E, 3] with the weight in the third column
             (read as weighted; --columns 0,1 ignores it)
  -          standard input (text), e.g. `zcat edges.gz | graphlearn embed - -o emb.npy`;
             not under torchrun, where every rank reads the input file itself

node ids: integers, or any other strings (detected; --numeric-ids forces integers,
--no-numeric-ids strings). Every node that occurs in some edge gets one row, in
increasing id order (integers) or sorted order (strings). Each node's random vector
is seeded by its id (integers, and strings like "42") or a 64-bit hash of it (other
strings), so the result does not depend on line order or on how ids were read.

output formats (by extension, or --format):
  .npy                float32 [n, dim] matrix, plus <output>.ids: one id per line
  .parquet / .pq      column "id" + "embedding" (list<float32>), or f0..f{dim-1}
                      with --parquet-layout columns
  .txt / .w2v / .vec  word2vec text: "n dim" header, then "id v1 ... vdim" lines
"""


INT64_MAX = 2**63 - 1


def _int_in(lo: int, hi: int, what: str = ""):
    """An argparse ``type=``: an integer in ``[lo, hi]`` (``argument --x: ...`` on error)."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, got {value}")
        if value > hi:
            raise argparse.ArgumentTypeError(f"must be <= {hi}{what}, got {value}")
        return value
    return parse


def _number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _weight(text: str) -> float:
    from graphlearn import _validate
    from graphlearn.embed.params import weight

    return _validate.arg_type(weight, float, "a number")(text)


def _weights(text: str) -> List[float]:
    from graphlearn.embed.params import weight

    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers such as 0,0,1,6.67, got {text!r}") \
            from None
    if any(v != v or v in (float("inf"), float("-inf")) for v in values):
        raise argparse.ArgumentTypeError(f"iteration weights must be finite numbers, got {text!r}")
    for i, v in enumerate(values):
        try:
            weight(v, f"weight {i + 1}")
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return values


def _sparsity(text: str):
    from graphlearn import _validate
    from graphlearn.embed.params import sparsity

    if text.strip().lower() == "sqrt":
        return "sqrt"
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'sqrt' or a number >= 1, got {text!r}") from None
    if not value >= 1 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"sparsity s (density 1/s) must be a finite number >= 1, got {text!r}")
    return _validate.arg_type(sparsity, float, "a number")(text)


def _finite(text: str) -> float:
    value = _number(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _seconds(text: str) -> float:
    value = _finite(text)
    if not 0 < value <= 1e8:
        raise argparse.ArgumentTypeError(f"must be a number of seconds in (0, 1e8], got {text!r}")
    return value


def _max_threads() -> int:
    return max(256, 4 * (os.cpu_count() or 1))


def _threads(text: str) -> int:
    return _int_in(1, _max_threads(), f" (4 x the {os.cpu_count()} CPUs here; more threads only slow down)")(text)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Registers ``embed`` on the ``graphlearn`` subcommand parsers."""
    p = subparsers.add_parser("embed", help="FastRP node embeddings of an edge list file",
                              description=DESCRIPTION, epilog=EXAMPLES,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="edge list: text (optionally .gz/.zst/.bz2), .parquet or .npy; '-' reads standard "
                                 "input, and pipes and FIFOs work too (zcat edges.gz | graphlearn embed - -o emb.npy): "
                                 "such input is copied once to a temporary file in $TMPDIR")
    p.add_argument("-o", "--output", required=True, help="output file (.npy, .parquet, .txt/.w2v/.vec)")

    g = p.add_argument_group("FastRP")
    g.add_argument("--dim", type=_int_in(1, INT64_MAX), default=256, help="embedding dimension (default 256)")
    g.add_argument("--weights", type=_weights, default=[0.0, 0.0, 1.0, 6.67], metavar="W1,W2,...",
                   help="weight of each propagation step 1..q (default 0,0,1,6.67)")
    g.add_argument("--beta", type=_finite, default=-0.64,
                   help="normalisation strength: initial vectors scaled by degree**beta (default -0.64)")
    g.add_argument("--self-influence", type=_weight, default=0.0, metavar="W0",
                   help="weight of the initial random vectors themselves (default 0)")
    g.add_argument("--sparsity", type=_sparsity, default="sqrt", metavar="S",
                   help="random projection sparsity: 'sqrt' (s = sqrt(n), default) or a number >= 1 "
                        "(density 1/s; 3 = Achlioptas)")
    g.add_argument("--propagation", choices=("transition", "adjacency"), default="transition",
                   help="propagate with D^-1 A (transition, default) or A (adjacency)")
    g.add_argument("--normalize-iterations", action=argparse.BooleanOptionalAction, default=True,
                   help="L2-normalise every node's vector after each step (default: yes)")
    g.add_argument("--output-norm", choices=("standardize", "l2", "none"), default="standardize",
                   help="final normalisation: standardize columns (default), l2 rows, or none")
    g.add_argument("--direction", choices=("out", "in", "both"), default="out",
                   help="directed graphs: average over successors (out, default), predecessors (in) or both")
    g.add_argument("--isolated", choices=("zero", "random"), default="zero",
                   help="nodes without neighbours: zero vector (default) or their own random vector")
    g.add_argument("--seed", type=_int_in(0, INT64_MAX, " (2**63 - 1)"), default=0,
                   help="random seed, in [0, 2**63 - 1] (default 0)")

    g = p.add_argument_group("input")
    g.add_argument("--directed", action="store_true",
                   help="keep edge directions (default: undirected, every edge both ways)")
    g.add_argument("--weighted", action="store_true", help="read edge weights (third column, or --columns): "
                   "finite numbers within the float32 range; the weights of repeated edges add up, whatever the "
                   "order of the lines")
    g.add_argument("--columns", metavar="SRC,DST[,W]",
                   help="columns of source, target [and weight]: 0-based numbers or header names (a .npy array "
                        "wider than [E, 3] needs them)")
    g.add_argument("--sep", help="text separator: tab, comma, ';', '|', space/whitespace (default: tab, comma, ';' "
                                 "or '|' when each of the first lines holds it, else runs of blanks); a field may "
                                 "be quoted with \"...\"")
    g.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                   help="the first non-comment line is (--header) or is not (--no-header) a header. Default: "
                        "it is one when its id fields are not numbers and --numeric-ids is given, or the id fields "
                        "of the next lines are numbers, or (--weighted) its weight field is not a number, or both "
                        "its id fields are column names (src, source, from, dst, dest, destination, target, to, "
                        "node, vertex, u, v, head, tail; any case; optionally + id/node/nodeid and a digit: "
                        "FromNodeId, node_1) that occur as no node id on any other line; else it is data")
    g.add_argument("--numeric-ids", action=argparse.BooleanOptionalAction, default=None,
                   help="ids must be integers in [0, 2**63) (--numeric-ids) or are strings of any length "
                        "(--no-numeric-ids) (default: integers when every id is one, else strings)")
    g.add_argument("--comment", default=None, metavar="PREFIX",
                   help="comment line prefix (default: '#' and '%%'; '' for none); error messages count every "
                        "line, comments included")

    g = p.add_argument_group("output and run")
    g.add_argument("--format", choices=("npy", "parquet", "word2vec", "w2v", "txt", "vec"),
                   help="output format (default: from the output extension)")
    g.add_argument("--parquet-layout", choices=("list", "columns"), default="list",
                   help="parquet: one list<float32> column (default) or one column per dimension")
    g.add_argument("--precision", type=_int_in(0, 12), default=None, metavar="DIGITS",
                   help="word2vec: round values to this many decimals (default: exact float32)")
    g.add_argument("--threads", type=_threads, default=None, help="CPU threads (default: all)")
    g.add_argument("--quiet", action="store_true",
                   help="no progress bars (the summary line and errors still go to stderr)")
    g.add_argument("--json", action="store_true", help="also print the summary as one JSON line on stdout")

    g = p.add_argument_group("distributed (under torchrun only; ignored otherwise)")
    g.add_argument("--backend", choices=("gloo", "nccl"), default="gloo",
                   help="torch.distributed backend (default gloo; nccl moves the exchanges through the GPUs)")
    g.add_argument("--balance", choices=("entries", "nodes"), default="entries",
                   help="row blocks of equal work (entries + rows, default) or of equal node counts")
    g.add_argument("--halo", choices=("auto", "alltoall", "p2p"), default="auto",
                   help="how neighbour rows travel: one all_to_all per step, or isend/irecv pairs (default auto)")
    g.add_argument("--timeout", type=_seconds, default=1800.0, metavar="SECONDS",
                   help="seconds a rank waits for the others before failing (default 1800)")
    p.set_defaults(func=run)
    return p


def _peak_rss_bytes() -> int:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # bytes on macOS, KiB on Linux


def _error(msg: str, rank: int = 0, exc: Optional[BaseException] = None) -> int:
    """Prints the one error line; under torchrun, rank 0 prints the errors every rank
    raised together and the other ranks only their own."""
    if rank == 0:
        print(f"graphlearn embed: error: {msg}", file=sys.stderr)
    elif not getattr(exc, "agreed", False):
        print(f"graphlearn embed: error (rank {rank}): {msg}", file=sys.stderr)
    return 1


# FastRP's parameter names -> this command's options, for messages of the library
_OPTION_NAMES = [
    (r"\biteration_weights=\[([^\]]*)\]", lambda m: "--weights " + m.group(1).replace(" ", "")),
    (r"\biteration_weights\b", "--weights"),
    (r"\bself_influence=", "--self-influence "), (r"\bself_influence\b", "--self-influence"),
    (r"\bnormalization_strength=", "--beta "), (r"\bnormalization_strength\b", "--beta"),
    (r"\bsparsity=", "--sparsity "), (r"\bsparsity\b", "--sparsity"),
    (r"\brandom_state\b", "--seed"),
    (r"\bpropagation='(\w+)'", r"--propagation \1"),
    (r"\bnormalize_iterations=True", "--normalize-iterations"),
    (r"\bnormalize_iterations=False", "--no-normalize-iterations"),
    (r"\bdirection='(\w+)'", r"--direction \1"),
    (r"\boutput='(\w+)'", r"--output-norm \1"),
    (r"\b(larger|smaller|lower) dim\b", r"\1 --dim"), (r"\bdim \(--dim\)", "--dim"),
]


def option_names(msg: str) -> str:
    """A FastRP message in this command's terms: ``iteration_weights`` -> ``--weights``,
    ``self_influence`` -> ``--self-influence``, ``normalization_strength`` -> ``--beta``, ..."""
    import re

    if not msg.startswith("FastRP"):
        return msg
    for pattern, repl in _OPTION_NAMES:
        msg = re.sub(pattern, repl, msg)
    return msg


def _files(output: str, fmt: str) -> List[str]:
    """The files ``graphlearn embed`` writes for ``output``."""
    from graphlearn.embed.io import ids_path

    return [output, ids_path(output)] if fmt == "npy" else [output]


def _check_input(path: str, distributed: bool) -> None:
    """The input exists ("-": standard input, single process only); under torchrun it
    must be a regular file, which every rank reads itself."""
    import stat

    if path == "-":
        if distributed:
            raise ValueError("input '-' (standard input) cannot be read under torchrun: every rank reads the input "
                             "file itself (twice); save it to a file first (zcat edges.gz > edges.tsv)")
        return
    if not os.path.exists(path):
        raise FileNotFoundError(f"input not found: {path}")
    if distributed and not stat.S_ISREG(os.stat(path).st_mode) and not os.path.isdir(path):
        raise ValueError(f"input {path} is not a regular file (a pipe or a device?): under torchrun every rank "
                         "reads the input file itself (twice), so it must be a file that can be reread; save it to "
                         "a file first")


def _model(args: argparse.Namespace, show: bool):
    """The FastRP of the options, checked before any work (messages in option names)."""
    from graphlearn.embed import FastRP

    model = FastRP(dim=args.dim, iteration_weights=tuple(args.weights), normalization_strength=args.beta,
                   self_influence=args.self_influence, sparsity=args.sparsity, propagation=args.propagation,
                   normalize_iterations=args.normalize_iterations, output=args.output_norm,
                   direction=args.direction, isolated=args.isolated, random_state=args.seed, progress=show)
    p = model._check_params()
    from graphlearn.embed.fastrp import check_memory

    # a single node's rows must fit: refuses --dim 2**62 before reading the input
    check_memory(p, 1, what=f"FastRP with dim={p.dim} even on a single node", hint="lower --dim")
    return model, p


def _memory_hint() -> str:
    return "lower --dim (or run under torchrun on several machines: docs/distributed.md)"


def run(args: argparse.Namespace) -> int:
    """Runs ``graphlearn embed`` for parsed arguments; returns the exit status. Under
    ``torchrun`` with several processes, runs the distributed path."""
    from graphlearn.distributed import launched

    rank = int(os.environ.get("RANK", "0")) if launched() else 0
    try:
        return _run_distributed(args) if launched() else _run(args)
    except KeyboardInterrupt:
        print("graphlearn embed: interrupted", file=sys.stderr)
        return 130
    except MemoryError as exc:
        msg = str(exc)
        if "needs about" not in msg:
            msg = f"out of memory{f' ({msg})' if msg else ''}; try a smaller --dim"
        return _error(option_names(msg), rank, exc)
    except (ValueError, TypeError, OSError) as exc:  # user errors: bad input, unwritable output, ...
        return _error(option_names(str(exc)), rank, exc)
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("GRAPHLEARN_DEBUG"):
            raise
        return _error(f"unexpected {type(exc).__name__}: {exc} (set GRAPHLEARN_DEBUG=1 for the traceback)", rank,
                      exc)


def _report(summary: dict, args: argparse.Namespace, output: str, fmt: str, tail: str) -> int:
    """The one-line summary on stderr (``tail`` appended), and the JSON line with --json."""
    print(f"graphlearn embed: {summary['nodes']:,} nodes, {summary['edges']:,} edges "
          f"({'directed' if args.directed else 'undirected'}) -> {output} [{fmt}, dim {summary['dim']}] | "
          f"startup {summary['startup_s']:.2f}s, parse {summary['parse_s']:.2f}s, "
          f"build {summary['build_s']:.2f}s, embed {summary['embed_s']:.2f}s, write {summary['write_s']:.2f}s, "
          f"total {summary['total_s']:.2f}s | peak memory {summary['peak_rss_mb']:,.0f} MiB{tail}", file=sys.stderr)
    if args.json:
        print(json.dumps(summary), flush=True)
    return 0


def _run(args: argparse.Namespace) -> int:
    t_start = time.perf_counter()
    from graphlearn.embed.io import check_writable, embedding_format

    from graphlearn import _io

    fmt = embedding_format(args.output, args.format)  # fail before any work
    output = check_writable(args.output)
    _check_input(args.input, distributed=False)
    _io.check_not_input(_files(output, fmt), [args.input])
    show = not args.quiet
    model, p = _model(args, show)

    import numpy as np
    import pyarrow
    import torch
    from graphlearn.datasets.edgelist import read_edge_list
    from graphlearn.embed.fastrp import check_memory
    from graphlearn.embed.io import write_embeddings

    t_ready = time.perf_counter()
    if args.threads:
        torch.set_num_threads(args.threads)
        pyarrow.set_cpu_count(args.threads)

    edges = read_edge_list(args.input, sep=args.sep, columns=args.columns, header=args.header,
                           comment=args.comment, weighted=args.weighted, numeric_ids=args.numeric_ids,
                           directed=args.directed, progress=show)
    edges = edges.compact()  # one row per node that occurs in an edge
    t_parse = time.perf_counter()
    check_memory(p, edges.num_nodes, hint=_memory_hint())  # before the CSR and the buffers

    with _io.progress(1, "build CSR", "step", enabled=show) as bar:
        adj = edges.to_csr(directed=args.directed)
        bar.update(1)
    num_edges, weighted = edges.num_edges, edges.weight is not None
    edges.src = edges.dst = edges.weight = None  # 16 bytes per edge line, not needed from here on
    t_build = time.perf_counter()

    emb = model.fit_transform(adj, node_keys=torch.from_numpy(edges.keys))
    t_embed = time.perf_counter()

    _io.remove_stale_temporaries(os.path.dirname(output), older_than=float("inf"),
                                 names=[os.path.basename(f) for f in _files(output, fmt)])  # of a kill -9
    files = write_embeddings(output, emb, edges.ids, format=fmt, layout=args.parquet_layout,
                             precision=args.precision, progress=show)
    t_end = time.perf_counter()

    peak = _peak_rss_bytes()
    summary = {
        "input": args.input, "output": output, "files": files, "format": fmt,
        "nodes": int(edges.num_nodes), "edges": int(num_edges), "stored_entries": int(adj.nnz),
        "directed": bool(args.directed), "weighted": weighted, "id_type": edges.id_type,
        "dim": int(np.asarray(emb).shape[1]),
        "startup_s": round(t_ready - t_start, 3), "parse_s": round(t_parse - t_ready, 3),
        "build_s": round(t_build - t_parse, 3), "embed_s": round(t_embed - t_build, 3),
        "write_s": round(t_end - t_embed, 3),
        "total_s": round(t_end - t_start, 3), "peak_rss_mb": round(peak / 2**20, 1),
    }
    return _report(summary, args, output, fmt, "")


def _run_distributed(args: argparse.Namespace) -> int:
    """``graphlearn embed`` on the processes torchrun started: the same flags, defaults,
    reader and outputs (embed.distributed.embed_edge_list / write_embeddings); rank 0
    draws the progress bars and prints the summary."""
    t_start = time.perf_counter()
    import pyarrow
    import torch
    import torch.distributed as dist
    from graphlearn import _io
    from graphlearn.distributed.group import agree, all_gather_object, init_from_env, size_rank
    from graphlearn.embed.distributed import embed_edge_list, write_embeddings
    from graphlearn.embed.io import check_writable, embedding_format

    if args.threads:
        torch.set_num_threads(args.threads)
        pyarrow.set_cpu_count(args.threads)
    created = init_from_env(args.backend, args.timeout)
    try:
        world, rank = size_rank()
        show = not args.quiet and rank == 0
        error = None
        try:  # fail before any work, on every rank together (a rank may lack the input or the output folder)
            fmt = embedding_format(args.output, args.format)
            output = check_writable(args.output)
            _check_input(args.input, distributed=True)
            _io.check_not_input(_files(output, fmt), [args.input])
            model, _ = _model(args, show)
            if args.numeric_ids is False:
                raise ValueError("--no-numeric-ids: string node ids are not supported under torchrun (the "
                                 "distributed path reads integer ids only); run graphlearn embed in one process, or "
                                 "relabel the nodes with integers")
        except (ValueError, TypeError, OSError, MemoryError) as e:
            error = e
        agree(error)
        t_ready = time.perf_counter()
        res = embed_edge_list(args.input, model, directed=args.directed, weighted=args.weighted, sep=args.sep,
                              columns=args.columns, header=args.header, comment=args.comment,
                              numeric_ids=args.numeric_ids, balance=args.balance, method=args.halo)
        t_embed = time.perf_counter()
        if rank == 0:  # the leftovers of a kill -9 of an earlier run (rank 0 creates the temporaries)
            _io.remove_stale_temporaries(os.path.dirname(output), older_than=float("inf"),
                                         names=[os.path.basename(f) for f in _files(output, fmt)])
        files = write_embeddings(output, res.rows, res.ids, res.row_start, res.num_nodes, format=fmt,
                                 layout=args.parquet_layout, precision=args.precision, progress=show)
        t_end = time.perf_counter()
        ex = res.job.exchange_
        mine = {"rank": rank, "rows": res.row_end - res.row_start, "entries": int(res.local_entries),
                "halo_rows": ex.halo_rows, "sent_rows": ex.sent_rows,
                "sent_mb_per_iteration": round(ex.bytes_per_exchange(args.dim) / 2**20, 3),
                "parse_s": round(res.seconds["parse"], 3), "embed_s": round(res.seconds["embed"], 3),
                "peak_rss_mb": round(_peak_rss_bytes() / 2**20, 1)}
        table = all_gather_object(mine)
    finally:
        if created:
            dist.destroy_process_group()
    if rank != 0:
        return 0
    summary = {
        "input": args.input, "output": output, "files": files, "format": fmt,
        "nodes": int(res.num_nodes), "edges": int(res.num_edges), "stored_entries": int(res.stored_entries),
        "directed": bool(args.directed), "weighted": bool(res.weighted), "id_type": "int", "dim": int(args.dim),
        "startup_s": round(t_ready - t_start, 3), "parse_s": round(res.seconds["parse"], 3),
        "build_s": round(res.seconds["build"], 3), "embed_s": round(res.seconds["embed"], 3),
        "write_s": round(t_end - t_embed, 3), "total_s": round(t_end - t_start, 3),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in table),
        "world_size": world, "backend": args.backend, "halo": ex.method, "balance": args.balance,
        "iterations": int(res.job.n_exchanges_),
        "exchange_mb_per_iteration": round(sum(r["sent_mb_per_iteration"] for r in table), 3), "ranks": table,
    }
    return _report(summary, args, output, fmt, f" per process | {world} processes ({args.backend}), "
                   f"{summary['exchange_mb_per_iteration']:,.1f} MB exchanged per iteration")


def main(argv: Optional[List[str]] = None) -> int:
    """``graphlearn embed ARGS`` as a function (``argv`` without the ``embed`` word)."""
    from graphlearn.cli import main as cli_main

    return cli_main(["embed"] + list(sys.argv[1:] if argv is None else argv))
