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
    ratios = tuple(float(r) for r in args.ratios.split(","))
    return run_embed_demo(seed=args.seed, quiet=args.quiet, ratios=ratios, shuffles=args.shuffles)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphlearn", description="graphlearn command line")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("info", help="version, threads and whether the compiled core is loaded")
    p.set_defaults(func=_info)
    p = sub.add_parser("demo", help="graphlearn embed on the bundled BlogCatalog graph and a quality report "
                                    "(or a GCN on the bundled Cora graph)")
    p.add_argument("--task", choices=("embed", "gcn"), default="embed",
                   help="embed: FastRP via `graphlearn embed` + quality report (default); gcn: GCN on Cora")
    p.add_argument("--shuffles", type=int, default=1, help="embed: node-classification shuffles (default 1)")
    p.add_argument("--ratios", default="0.1", help="embed: node-classification training ratios, comma separated "
                                                  "(default 0.1; the paper also reports 0.5 and 0.9, minutes each)")
    p.add_argument("--epochs", type=int, default=200, help="gcn: training epochs (default 200)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--quiet", action="store_true", help="print only the final JSON line")
    p.set_defaults(func=_demo)
    for name in _MODULES:
        importlib.import_module(f"graphlearn.cli.{name}").add_parser(sub)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
