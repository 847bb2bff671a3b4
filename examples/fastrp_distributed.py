"""FastRP embeddings of a large edge list on several processes or machines (torch.distributed).

    torchrun --nproc_per_node 2 examples/fastrp_distributed.py --input EDGES.tsv --output emb.npy --dim 128

Every rank streams the edge list twice (node ids are integers, a node's row is its
id, n = largest id + 1 unless --num-nodes says more): once to count the entries of
every row and cut the nodes into row blocks of equal work, once to keep the entries
of its own rows. Then each rank embeds its rows, exchanging the rows of remote
neighbours once per iteration, and writes them into one .npy at their offset (or,
with --parts, into its own part file). The result equals the single-process
``FastRP(...).fit_transform(graph)`` to float tolerance. On several machines see
docs/distributed.md. Rank 0 prints a table per rank, then one JSON line.
"""
import argparse
import datetime
import json
import os
import resource
import statistics
import sys
import tempfile
import time

import torch
import torch.distributed as dist

from graphlearn.embed import FastRP
from graphlearn.embed import distributed as D


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--input", required=True,
                   help="edge list: text src dst [weight] (plain/gz/zst/bz2) or .npy [E, 2|3]")
    p.add_argument("--output", required=True,
                   help="output .npy ([n, dim] float32; all ranks must see this filesystem), or with --parts the "
                        "prefix of the per-rank files PREFIX.partRRRRR.npy and PREFIX.parts.json")
    p.add_argument("--parts", action="store_true", help="one part file per rank (machines without a shared disk)")
    p.add_argument("--root", default=None,
                   help="folder a relative --input is looked up in when it is not found as given "
                        "(default: $GRAPHLEARN_DATA or ../shared/datasets)")
    p.add_argument("--directed", action="store_true", help="edges are directed (default: undirected)")
    p.add_argument("--weighted", action="store_true", help="third column holds edge weights")
    p.add_argument("--multigraph", action="store_true", help="repeated lines are parallel edges (default: merged)")
    p.add_argument("--sep", default=None, help="field separator (default: detected: tab, comma, semicolon, space)")
    p.add_argument("--num-nodes", type=int, default=None, help="number of nodes (default: largest id + 1)")
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--iteration-weights", default="0,1,1", help="comma-separated w_1..w_q")
    p.add_argument("--normalization-strength", type=float, default=0.0)
    p.add_argument("--self-influence", type=float, default=0.0)
    p.add_argument("--sparsity", default="sqrt")
    p.add_argument("--propagation", choices=("transition", "adjacency"), default="transition")
    p.add_argument("--no-normalize-iterations", action="store_true")
    p.add_argument("--scaling", choices=("standardize", "l2", "none"), default="standardize",
                   help="FastRP's output normalisation")
    p.add_argument("--direction", choices=("out", "in", "both"), default="out")
    p.add_argument("--isolated", choices=("zero", "random"), default="zero")
    p.add_argument("--balance", choices=("edges", "nodes"), default="edges",
                   help="row blocks of equal work (entries + rows) or of equal node counts")
    p.add_argument("--backend", choices=("auto", "gloo", "nccl"), default="auto",
                   help="auto: nccl when CUDA is available, else gloo")
    p.add_argument("--method", choices=("auto", "alltoall", "p2p"), default="auto", help="how halo rows travel")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds a collective may wait for the others")
    p.add_argument("--threads", type=int, default=None, help="torch threads per rank (default: torch's)")
    p.add_argument("--block-size", type=int, default=16 << 20, help="bytes parsed at a time")
    p.add_argument("--runs", type=int, default=1, help="repeat the embedding (timing); the output is the same")
    p.add_argument("--seed", type=int, default=0, help="FastRP random_state")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be >= 1")
    try:
        args.iteration_weights = tuple(float(w) for w in args.iteration_weights.split(","))
    except ValueError:
        p.error(f"--iteration-weights must be comma-separated numbers, got {args.iteration_weights!r}")
    if args.sparsity != "sqrt":
        try:
            args.sparsity = float(args.sparsity)
        except ValueError:
            p.error(f"--sparsity must be 'sqrt' or a number, got {args.sparsity!r}")
    return args


def resolve_input(path: str, root) -> str:
    if os.path.exists(path) or os.path.isabs(path):
        return path
    if root is None:
        root = os.environ.get("GRAPHLEARN_DATA") or os.path.join("..", "shared", "datasets")
    cand = os.path.join(root, path)
    return cand if os.path.exists(cand) else path


def edges(args, path):
    return D.iter_edge_file(path, sep=args.sep, weighted=args.weighted, block_size=args.block_size)


def main(argv=None) -> None:
    args = parse_args(argv)
    start = time.perf_counter()
    backend = args.backend
    if backend == "auto":
        backend = "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
    timeout = datetime.timedelta(seconds=args.timeout)
    if "RANK" in os.environ:  # launched by torchrun
        dist.init_process_group(backend, timeout=timeout)
    else:  # plain `python examples/fastrp_distributed.py`: a group of one process
        store = tempfile.mktemp(prefix="fastrp_distributed_store_")
        dist.init_process_group(backend, init_method=f"file://{store}", rank=0, world_size=1, timeout=timeout)
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.threads:
        torch.set_num_threads(args.threads)
    show = rank == 0 and not args.no_progress
    model = FastRP(dim=args.dim, iteration_weights=args.iteration_weights,
                   normalization_strength=args.normalization_strength, self_influence=args.self_influence,
                   sparsity=args.sparsity, propagation=args.propagation,
                   normalize_iterations=not args.no_normalize_iterations, output=args.scaling,
                   direction=args.direction, isolated=args.isolated, random_state=args.seed, progress=show)
    path = resolve_input(args.input, args.root)

    # pass 1: node count and entries per row -> the partition; pass 2: this rank's rows
    error, block = None, None
    try:
        model._check_params()
        if show:
            print(f"[rank 0] scanning {path} ...", file=sys.stderr, flush=True)
        n, degree, lines = D.scan_edges(edges(args, path), directed=args.directed, direction=args.direction,
                                        num_nodes=args.num_nodes)
        bounds = D.row_partition(n, world, degree if args.balance == "edges" else None)
        del degree
        r0, r1 = int(bounds[rank]), int(bounds[rank + 1])
        builder = D.BlockBuilder(n, r0, r1, directed=args.directed, direction=args.direction,
                                 weighted=args.weighted, dedupe=not args.multigraph)
        if show:
            print(f"[rank 0] {n} nodes, {lines} edge lines; keeping the rows of each rank ...", file=sys.stderr,
                  flush=True)
        for chunk in edges(args, path):
            builder.add(*chunk)
        block = builder.finish()
    except (OSError, ValueError) as e:
        error = f"{type(e).__name__}: {e}"
    D._agree(None, error)  # every rank stops with the error instead of waiting for the failed one
    read_s = time.perf_counter() - start

    times = []
    for _ in range(args.runs):
        dist.barrier()
        t = time.perf_counter()
        job = D.DistributedFastRP(model, method=args.method)
        rows = job.fit_transform(block)
        dist.barrier()
        times.append(time.perf_counter() - t)

    t = time.perf_counter()
    if args.parts:
        D.write_npy_parts(args.output, rows, r0, n)
    else:
        D.write_npy_rows(args.output, rows, r0, n)
    write_s = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    ex = job.exchange_
    mine = dict(rank=rank, rows=r1 - r0, entries=block.nnz, halo_rows=ex.halo_rows, sent_rows=ex.sent_rows,
                sent_mb_per_iteration=ex.bytes_per_exchange(args.dim) / 2**20, peak_rss_mb=peak / 2**20)
    table = [None] * world
    dist.all_gather_object(table, mine)
    if rank == 0:
        print(f"{'rank':>4} {'rows':>10} {'entries':>12} {'halo rows':>10} {'sent rows':>10} "
              f"{'MB sent/it':>10} {'peak MB':>9}")
        for r in table:
            print(f"{r['rank']:>4} {r['rows']:>10} {r['entries']:>12} {r['halo_rows']:>10} {r['sent_rows']:>10} "
                  f"{r['sent_mb_per_iteration']:>10.2f} {r['peak_rss_mb']:>9.1f}")
        print(json.dumps({
            "nodes": n, "edges": lines, "entries": sum(r["entries"] for r in table), "world_size": world,
            "backend": backend, "method": ex.method, "dim": args.dim, "iterations": job.n_exchanges_,
            "runs": args.runs, "seconds": round(time.perf_counter() - start, 3), "seconds_read": round(read_s, 3),
            "seconds_embed": {"mean": round(statistics.mean(times), 3),
                              "std": round(statistics.stdev(times), 3) if len(times) > 1 else 0.0},
            "seconds_write": round(write_s, 3),
            "halo_rows": [r["halo_rows"] for r in table],
            "exchange_mb_per_iteration": round(sum(r["sent_mb_per_iteration"] for r in table), 3),
            "peak_rss_mb": [round(r["peak_rss_mb"], 1) for r in table],
            "output": args.output + (".parts.json" if args.parts else "")}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
