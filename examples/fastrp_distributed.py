"""FastRP embeddings of a large edge list on several processes or machines: a thin
wrapper of ``graphlearn embed``, which runs the distributed path under torchrun.

    torchrun --standalone --nproc_per_node 2 examples/fastrp_distributed.py edges.tsv -o emb.npy --dim 128

is ``torchrun --standalone --nproc_per_node 2 -m graphlearn embed edges.tsv -o emb.npy --dim 128``
plus the flags every example takes: ``--root DIR`` (folder a relative INPUT is looked
up in when it is not found as given; default $GRAPHLEARN_DATA or ../shared/datasets),
``--runs N`` (embed N times, for timing; the output is the same) and ``--seed S``.
Every other flag is a ``graphlearn embed`` flag (``graphlearn embed --help``; the
distributed ones: --backend, --balance, --halo, --timeout). Without torchrun it is
the single-process command. Rank 0 ends with one JSON line: the summary of
``graphlearn embed --json`` (per-rank rows, halo rows, bytes sent, peak memory) with
``embed_s``/``total_s`` as mean and std over the runs. See docs/distributed.md.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import sys


def resolve_input(path: str, root) -> str:
    if os.path.exists(path) or os.path.isabs(path):
        return path
    if root is None:
        root = os.environ.get("GRAPHLEARN_DATA") or os.path.join("..", "shared", "datasets")
    cand = os.path.join(root, path)
    return cand if os.path.exists(cand) else path


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                add_help=False)
    from graphlearn.train.script import integer_type, real_type

    p.add_argument("--root", default=None)
    p.add_argument("--runs", type=integer_type(1), default=1)
    p.add_argument("--backend", default="gloo")
    p.add_argument("--timeout", type=real_type(0, min_open=True), default=1800.0)
    p.add_argument("-h", "--help", action="store_true")
    args, rest = p.parse_known_args(argv)
    if args.help:
        print(__doc__)
        return 0
    from graphlearn.cli import build_parser
    from graphlearn.cli import main as cli
    from graphlearn.distributed import launched

    given = build_parser().parse_args(["embed"] + rest).input  # exits with graphlearn embed's usage on bad flags
    rest[rest.index(given)] = resolve_input(given, args.root)
    rest += ["--backend", args.backend, "--timeout", str(args.timeout)]

    created = False
    if launched():  # one process group for all the runs
        from graphlearn.distributed.group import init_from_env

        created = init_from_env(args.backend, args.timeout)
    try:
        summaries = []
        for _ in range(args.runs):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = cli(["embed"] + rest + ["--json"])
            if rc != 0:
                return rc
            if out.getvalue().strip():
                summaries.append(json.loads(out.getvalue().strip().splitlines()[-1]))
    finally:
        if created:
            import torch.distributed as dist

            dist.destroy_process_group()
    if summaries:  # rank 0 (or the single process)
        result = dict(summaries[-1], runs=args.runs)
        for key in ("embed_s", "total_s"):
            values = [s[key] for s in summaries]
            result[key] = {"mean": round(statistics.mean(values), 3),
                           "std": round(statistics.stdev(values), 3) if len(values) > 1 else 0.0}
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
