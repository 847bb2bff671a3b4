#!/usr/bin/env python
"""Classic heuristics under two standard protocols, with graphlearn.linkpred.evaluate.

* ogbl-ddi, OGB protocol: the training graph is the train edges; Hits@20 on OGB's fixed
  valid/test positives and negatives (the OGB leaderboard lists Common Neighbour at
  9.47 valid / 17.73 test and Adamic-Adar at 9.66 / 18.61).
* Cora, random protocol (HeaRT's "existing setting"): 85/5/10 random edge split and one
  random negative per positive, seeded; Hits@100 (mean and std over --runs seeds).

    python examples/linkpred_heuristics.py                 # all heuristics, 3 Cora seeds
    python examples/linkpred_heuristics.py --runs 1 --heuristics cn aa ra

Prints a table and ends with one JSON line.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from graphlearn.linkpred import HEURISTICS, evaluate  # noqa: E402
from graphlearn.train.script import add_common_args, print_json_line, run_seeds  # noqa: E402


def _heuristic(text: str) -> str:
    """An argparse type: a heuristic name or alias, checked before any dataset is read."""
    from graphlearn.linkpred.heuristics import canonical_name

    try:
        canonical_name(text)
        return text
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_common_args(p, runs=3, seed=0)  # --runs: Cora random splits (seeds seed .. seed+runs-1)
    p.add_argument("--heuristics", nargs="+", default=list(HEURISTICS), type=_heuristic,
                   help=f"heuristics or their aliases (default: all of {', '.join(HEURISTICS)})")
    p.add_argument("--skip-ddi", action="store_true")
    p.add_argument("--progress", action="store_true", help="progress bars (off by default; --quiet keeps them off)")
    args = p.parse_args()
    seeds = run_seeds(args, p)
    args.progress = args.progress and not args.quiet
    root = args.root
    ddi_dir = os.path.join(root, "ogbl_ddi")
    results = {"ddi": {}, "cora": {}}
    rows = []
    for name in args.heuristics:
        row = [name]
        t0 = time.perf_counter()
        if not args.skip_ddi and os.path.isdir(ddi_dir):
            r = evaluate(name, ddi_dir, "ogb", ks=(20,), progress=args.progress, extra_metrics=False)
            results["ddi"][name] = {"valid_hits@20": r["valid"]["hits@20"], "test_hits@20": r["test"]["hits@20"],
                                    "seconds": round(r.seconds["total"], 2)}
            row += [f"{100 * r['valid']['hits@20']:.2f}", f"{100 * r['test']['hits@20']:.2f}"]
        else:
            row += ["-", "-"]
        vals, tests = [], []
        for seed in seeds:
            r = evaluate(name, "cora", "random", seed=seed, ks=(100,), progress=args.progress,
                         extra_metrics=False)
            vals.append(r["valid"]["hits@100"])
            tests.append(r["test"]["hits@100"])
        sd = (lambda v: statistics.stdev(v) if len(v) > 1 else 0.0)
        results["cora"][name] = {"valid_hits@100": {"mean": statistics.mean(vals), "std": sd(vals)},
                                 "test_hits@100": {"mean": statistics.mean(tests), "std": sd(tests)},
                                 "runs": args.runs}
        row += [f"{100 * statistics.mean(vals):.2f} ± {100 * sd(vals):.2f}",
                f"{100 * statistics.mean(tests):.2f} ± {100 * sd(tests):.2f}", f"{time.perf_counter() - t0:.1f}"]
        rows.append(row)
        print("  ".join(row), flush=True, file=sys.stderr)
    head = ["heuristic", "ddi valid H@20", "ddi test H@20", "cora valid H@100", "cora test H@100", "seconds"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths)))
    print_json_line({"seed": args.seed, "runs": args.runs, **results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
