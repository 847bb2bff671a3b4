"""``graphlearn linkpred``: evaluate a link-prediction heuristic under a protocol.

    graphlearn linkpred --dataset ogbl-ddi --scorer adamic_adar --protocol ogb
    graphlearn linkpred --dataset cora --scorer resource_allocation --protocol heart --json out.json

Prints the result table and ends with one JSON line of the metrics. Every number and
the --json destination are checked before the dataset is loaded.
"""
from __future__ import annotations

import argparse
import os


def _integer(min: int = 1):
    from graphlearn.train.script import integer_type

    return integer_type(min)


def _real(**bounds):
    from graphlearn.train.script import real_type

    return real_type(**bounds)


def _seed():
    from graphlearn.train.script import seed_type

    return seed_type()


def add_parser(subparsers) -> None:
    """Registers the ``linkpred`` subcommand (heavy imports happen in the handler)."""
    p = subparsers.add_parser("linkpred", help="evaluate a link-prediction heuristic (OGB, HeaRT or random protocol)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True,
                   help="OGB link dataset name (ogbl-ddi) or its folder, or cora/citeseer/pubmed")
    p.add_argument("--scorer", default="adamic_adar",
                   help="heuristic: common_neighbors (cn), adamic_adar (aa), resource_allocation (ra), jaccard, "
                        "preferential_attachment (pa), ppr, katz (default adamic_adar)")
    p.add_argument("--protocol", default="ogb", choices=["ogb", "heart", "random"],
                   help="ogb: fixed OGB negatives; heart: 500 HeaRT hard negatives per positive; "
                        "random: random split (graphs without one) and random negatives (default ogb)")
    p.add_argument("--root", default=None, help="data folder (default $GRAPHLEARN_DATA or ../shared/datasets)")
    p.add_argument("--seed", type=_seed(), default=0,
                   help="seed of random splits/negatives and HeaRT ties, in [0, 2**63 - 1] (default 0)")
    p.add_argument("--k", type=_integer(min=1), nargs="+", default=None,
                   help="Hits@K cut-offs, each >= 1 (default 1 3 10 20 50 100)")
    p.add_argument("--splits", nargs="+", default=["valid", "test"], choices=["valid", "test"])
    p.add_argument("--num-neg", type=_integer(min=1), default=None,
                   help="random negatives per split (>= 1) / HeaRT negatives per positive (>= 2) "
                        "(default: #positives / 500)")
    p.add_argument("--valid-as-input", action="store_true", help="score test pairs on train + valid edges")
    p.add_argument("--analysis", nargs="*", default=[], choices=["degree", "tc", "tc_approx"],
                   help="per-bucket metrics by training degree and/or Topological Concentration")
    p.add_argument("--batch-size", type=_integer(min=1), default=65536, help="pairs per scorer call, >= 1 "
                                                                             "(default 65536)")
    p.add_argument("--alpha", type=_real(min=0, max=1, min_open=True), default=None,
                   help="PPR restart probability in (0, 1] (ppr only)")
    p.add_argument("--beta", type=_real(min=0, min_open=True), default=None,
                   help="Katz damping, a finite number > 0 (katz only)")
    p.add_argument("--max-length", type=_integer(min=1), default=None, help="Katz maximum walk length, >= 1 "
                                                                           "(katz only)")
    p.add_argument("--json", default=None, metavar="OUT",
                   help="also write the full result as JSON (atomically; its folder must exist and be writable)")
    p.add_argument("--quiet", action="store_true", help="no progress bars and no table, only the JSON line")
    p.set_defaults(func=run)


def _fail(message: str) -> int:
    import sys

    print(f"graphlearn linkpred: error: {message}", file=sys.stderr)
    return 2


# the options that apply to one scorer only
_SCORER_OPTIONS = (("alpha", "--alpha", "ppr"), ("beta", "--beta", "katz"), ("max_length", "--max-length", "katz"))


def _check_before_loading(args) -> str:
    """What can be checked without the data: the scorer name and its options, the
    protocol's needs, the --json destination. Returns an error message or ''."""
    from graphlearn import _io
    from graphlearn.linkpred.heuristics import canonical_name

    try:
        scorer = canonical_name(args.scorer)
    except ValueError as exc:
        return str(exc)
    for key, flag, owner in _SCORER_OPTIONS:
        if getattr(args, key) is not None and scorer != owner:
            return f"argument {flag}: applies to --scorer {owner} only, not {scorer}"
    if args.protocol == "heart" and args.num_neg is not None and args.num_neg < 2:
        return (f"argument --num-neg: the heart protocol needs at least 2 negatives per positive (one with each "
                f"endpoint replaced), got {args.num_neg}")
    if args.json:
        try:
            out = _io.check_writable(args.json)
        except OSError as exc:
            return f"argument --json: {exc}"
        if os.path.exists(args.dataset):
            src = os.path.realpath(args.dataset)
            dst = os.path.realpath(out)
            if dst == src or (os.path.isdir(src) and dst.startswith(src.rstrip(os.sep) + os.sep)):
                return (f"argument --json: {args.json} is {'the input' if dst == src else 'inside the input folder'} "
                        f"{args.dataset}; write the report elsewhere")
    return ""


def run(args) -> int:
    """Runs the evaluation; returns the exit code (2 for bad input, with the reason on stderr)."""
    import json

    from graphlearn.linkpred import evaluate

    problem = _check_before_loading(args)
    if problem:
        return _fail(problem)
    kwargs = {}
    for flag, key in (("alpha", "alpha"), ("beta", "beta"), ("max_length", "max_length")):
        v = getattr(args, flag)
        if v is not None:
            kwargs[key] = v
    try:
        result = evaluate(args.scorer, args.dataset, args.protocol, splits=args.splits, ks=args.k, root=args.root,
                          seed=args.seed, num_neg=args.num_neg, batch_size=args.batch_size,
                          valid_as_input=args.valid_as_input, analysis=args.analysis, scorer_kwargs=kwargs,
                          progress=not args.quiet)
    except (ValueError, TypeError, FileNotFoundError, MemoryError) as exc:
        return _fail(str(exc))
    if not args.quiet:
        print(result)
    if args.json:
        try:
            result.to_json(args.json)
        except OSError as exc:  # e.g. the folder was removed meanwhile, or the disk is full
            return _fail(f"cannot write --json {args.json}: {exc}")
    line = {"dataset": result.dataset, "scorer": result.scorer, "protocol": result.protocol, "seed": result.seed,
            "primary": result.primary}
    line.update({s: {k: round(v, 6) for k, v in m.items()} for s, m in result.metrics.items()})
    line["seconds"] = round(result.seconds.get("total", 0.0), 3)
    print(json.dumps(line))
    return 0
