"""``graphlearn linkpred``: evaluate a link-prediction heuristic under a protocol.

    graphlearn linkpred --dataset ogbl-ddi --scorer adamic_adar --protocol ogb
    graphlearn linkpred --dataset cora --scorer resource_allocation --protocol heart --json out.json

Prints the result table and ends with one JSON line of the metrics.
"""
from __future__ import annotations

import argparse


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
    p.add_argument("--seed", type=int, default=0, help="seed of random splits/negatives and HeaRT ties (default 0)")
    p.add_argument("--k", type=int, nargs="+", default=None, help="Hits@K cut-offs (default 1 3 10 20 50 100)")
    p.add_argument("--splits", nargs="+", default=["valid", "test"], choices=["valid", "test"])
    p.add_argument("--num-neg", type=int, default=None,
                   help="random negatives per split / HeaRT negatives per positive (default: #positives / 500)")
    p.add_argument("--valid-as-input", action="store_true", help="score test pairs on train + valid edges")
    p.add_argument("--analysis", nargs="*", default=[], choices=["degree", "tc", "tc_approx"],
                   help="per-bucket metrics by training degree and/or Topological Concentration")
    p.add_argument("--batch-size", type=int, default=65536, help="pairs per scorer call")
    p.add_argument("--alpha", type=float, default=None, help="PPR restart probability (ppr only)")
    p.add_argument("--beta", type=float, default=None, help="Katz damping (katz only)")
    p.add_argument("--max-length", type=int, default=None, help="Katz maximum walk length (katz only)")
    p.add_argument("--json", default=None, metavar="OUT", help="also write the full result as JSON (atomically)")
    p.add_argument("--quiet", action="store_true", help="no progress bars and no table, only the JSON line")
    p.set_defaults(func=run)


def run(args) -> int:
    """Runs the evaluation; returns the exit code (2 for bad input, with the reason on stderr)."""
    import json
    import sys

    from graphlearn.linkpred import evaluate

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
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"graphlearn linkpred: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(result)
    if args.json:
        result.to_json(args.json)
    line = {"dataset": result.dataset, "scorer": result.scorer, "protocol": result.protocol, "seed": result.seed,
            "primary": result.primary}
    line.update({s: {k: round(v, 6) for k, v in m.items()} for s, m in result.metrics.items()})
    line["seconds"] = round(result.seconds.get("total", 0.0), 3)
    print(json.dumps(line))
    return 0
