"""The ``graphlearn`` command line. Subcommands import only what they need."""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

# Subcommands that live in their own module graphlearn/cli/<name>.py. Each module
# exposes add_parser(subparsers) and keeps heavy imports (torch, pyarrow, ...)
# inside the function it sets as `func`, so `--help` stays fast.
_MODULES: List[str] = ["linkpred", "embed"]


def _info(args) -> int:
    import torch

    import graphlearn
    from graphlearn import ops

    print(f"graphlearn {graphlearn.__version__}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if ops.compiled():
        cuda = torch.ops.graphlearn.cuda_compiled()
        print(f"compiled core: loaded ({torch.ops.graphlearn.version()}), CUDA kernels: {'yes' if cuda else 'no'}")
    else:
        print(f"compiled core: NOT loaded ({ops.load_error()}); ops use the pure-PyTorch reference")
    return 0


def _demo(args) -> int:
    from graphlearn.cli.demo import run_demo, run_embed_demo

    if args.task == "gcn":
        return run_demo(epochs=args.epochs, seed=args.seed, quiet=args.quiet)
    return run_embed_demo(seed=args.seed, quiet=args.quiet, ratios=args.ratios, shuffles=args.shuffles)


def _int_in(lo: int, hi: int):
    """An argparse ``type=``: an integer in ``[lo, hi]`` (``argument --x: ...`` on error)."""
    from graphlearn.train.script import integer_type

    return integer_type(lo, hi)


def _ratios(text: str):
    """Comma-separated training ratios, each in (0, 1)."""
    out = []
    for part in text.split(","):
        try:
            r = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated ratios such as 0.1,0.5, got {text!r}") \
                from None
        if not 0 < r < 1:
            raise argparse.ArgumentTypeError(f"each ratio must lie in (0, 1), got {part.strip()!r}")
        out.append(r)
    return tuple(out)


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of hours, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of hours >= 0, got {text!r}")
    return value


CLEAN_DESCRIPTION = """\
Removes the temporary files that graphlearn writers left behind when they were killed
(kill -9, a power cut): hidden files named .<name>.<random>.<pid>@<host>.graphlearn-tmp
beside the outputs. (SIGINT, SIGTERM and SIGHUP remove them on their way out.)

A temporary is removed only when no live process is writing it: its writer ran on this
host and has exited, or (another host, or an older name without the writer) it has not
been modified for --older-than hours. Nothing else is touched."""


def _clean(args) -> int:
    import os

    from graphlearn import _io

    status = 0
    for folder in args.folders:
        if not os.path.isdir(folder):
            print(f"graphlearn clean: error: {folder} is not a directory", file=sys.stderr)
            status = 1
            continue
        found = _io.leftover_temporaries(folder)
        stale = set(_io.stale_temporaries(folder, older_than=args.older_than * 3600.0))
        for path in found:
            writer = _io.temporary_writer(path)
            if path not in stale:
                who = f"process {writer['pid']}@{writer['host']}" if writer else "an unknown process"
                print(f"kept     {path} (written by {who} less than {args.older_than:g} h ago, or still running)")
                continue
            if args.dry_run:
                print(f"stale    {path}")
                continue
            try:
                os.remove(path)
                print(f"removed  {path}")
            except FileNotFoundError:
                pass
            except OSError as exc:
                print(f"graphlearn clean: error: cannot remove {path}: {exc}", file=sys.stderr)
                status = 1
        if not found:
            print(f"{folder}: no graphlearn temporaries")
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphlearn", description="graphlearn command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("info", help="version, threads and whether the compiled core is loaded")
    p.set_defaults(func=_info)
    p = sub.add_parser("demo", help="graphlearn embed on the bundled BlogCatalog graph and a quality report "
                                    "(or a GCN on the bundled Cora graph)")
    p.add_argument("--task", choices=("embed", "gcn"), default="embed",
                   help="embed: FastRP via `graphlearn embed` + quality report (default); gcn: GCN on Cora")
    p.add_argument("--shuffles", type=_int_in(1, 1000), default=1,
                   help="embed: node-classification shuffles (default 1)")
    p.add_argument("--ratios", type=_ratios, default=(0.1,),
                   help="embed: node-classification training ratios in (0, 1), comma separated "
                        "(default 0.1; the paper also reports 0.5 and 0.9, minutes each)")
    p.add_argument("--epochs", type=_int_in(1, 10**6), default=200, help="gcn: training epochs (default 200)")
    p.add_argument("--seed", type=_int_in(0, 2**63 - 1), default=0, help="random seed, in [0, 2**63 - 1] (default 0)")
    p.add_argument("--quiet", action="store_true", help="print only the final JSON line")
    p.set_defaults(func=_demo)
    p = sub.add_parser("clean", help="remove the temporary files of killed graphlearn writers (kill -9)",
                       description=CLEAN_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", metavar="FOLDER", help="folders holding graphlearn outputs")
    p.add_argument("--dry-run", action="store_true", help="only list what would be removed")
    p.add_argument("--older-than", type=_hours, default=24.0, metavar="HOURS",
                   help="temporaries of other hosts (or without a writer in their name) count as abandoned after "
                        "this many hours without change (default 24)")
    p.set_defaults(func=_clean)
    for name in _MODULES:
        importlib.import_module(f"graphlearn.cli.{name}").add_parser(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """``graphlearn ARGS``; returns the exit status. SIGTERM and SIGHUP end a command
    as Ctrl-C does: its temporary files are removed, the old outputs kept, and the
    status is ``128 + signal`` (143, 129); Ctrl-C gives 130."""
    from graphlearn import _io

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        with _io.terminate_on_signals():
            return args.func(args)
    except _io.Terminated as exc:
        print(f"graphlearn {args.command}: {exc}", file=sys.stderr)
        return exc.exit_status


if __name__ == "__main__":
    sys.exit(main())
