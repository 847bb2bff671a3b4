"""Search for pairs witnessing the separations of the SWL hierarchy (a script, not a test module).

    python -m tests.nn.find_swl_pairs [--max-nodes 48]

A witness for "weak < strong" is a pair of graphs that strong separates and weak does not.
Candidates are Fuerer pairs (F(B), twisted F(B)) that 1-WL does not separate, for base graphs B:

1. every connected graph of networkx's graph atlas with 3..7 nodes (all tests are run);
2. for the witnesses stage 1 misses: block graphs with 8 or 9 nodes, i.e. 2..4 biconnected atlas
   graphs of 3..5 nodes glued at single (cut) vertices, tried in order of Fuerer size (only the
   two tests in question are run until a hit).

F(B) has at most --max-nodes nodes. For every witness the smallest pair is kept; the
HIERARCHY_PAIRS literal that tests/nn/swl.py holds is printed on stdout, a log on stderr.
"""
from __future__ import annotations

import argparse
import pprint
import sys
import time
from typing import Dict, List, Optional, Tuple

import networkx as nx

from tests.nn.swl import (TESTS, from_edges, furer_pair, furer_size, preset_distinguishes, to_edges,
                          weaker_or_equal, wl_distinguishes)

# (weak, strong): a witness is separated by strong and not by weak
WITNESSES: List[Tuple[str, str]] = [
    ("swl_vs", "swl_sv"), ("swl_vs", "pswl_vs"), ("swl_sv", "pswl_vs"), ("pswl_vs", "swl_sv"),
    ("swl_sv", "pswl_sv"), ("pswl_vs", "pswl_sv"), ("pswl_sv", "gswl"), ("gswl", "sswl"), ("sswl", "fwl2")]


def log(msg: str) -> None:
    print(f"# {msg}", file=sys.stderr, flush=True)


def canonical_pair(base: nx.Graph) -> Tuple[List[Tuple[int, int]], nx.Graph, nx.Graph]:
    """Base edges on 0..k-1 and its Fuerer pair, twisted on the first of those edges (so that
    furer_pair(from_edges(base), twist=base[0]) rebuilds exactly these graphs)."""
    b = nx.convert_node_labels_to_integers(base)
    edges = to_edges(b)
    g1, g2 = furer_pair(from_edges(edges, b.number_of_nodes()), twist=edges[0])
    return edges, g1, g2


def atlas_bases(max_nodes: int) -> List[Tuple[str, str, nx.Graph]]:
    """(description, short tag, base) for the connected atlas graphs with a small Fuerer graph."""
    return [(f"networkx graph_atlas_g()[{i}]", f"atlas{i}", g) for i, g in enumerate(nx.graph_atlas_g())
            if g.number_of_nodes() >= 3 and nx.is_connected(g) and furer_size(g) <= max_nodes]


def block_bases(max_nodes: int, min_base: int = 8, max_base: int = 9) -> List[Tuple[str, str, nx.Graph]]:
    """Non-isomorphic block graphs (biconnected atlas blocks of 3..5 nodes glued at cut vertices)."""
    blocks = [g for g in nx.graph_atlas_g() if 3 <= g.number_of_nodes() <= 5 and nx.is_biconnected(g)]
    seen: Dict[Tuple, List[nx.Graph]] = {}

    def new(h: nx.Graph) -> bool:
        key = (h.number_of_nodes(), h.number_of_edges(), tuple(sorted(d for _, d in h.degree())),
               tuple(sorted(nx.triangles(h).values())))
        if any(nx.is_isomorphic(o, h) for o in seen.get(key, [])):
            return False
        seen.setdefault(key, []).append(h)
        return True

    level, out = list(blocks), []
    for _ in range(3):  # up to 4 blocks
        nxt = []
        for g in level:
            for b in blocks:
                if g.number_of_nodes() + b.number_of_nodes() - 1 > max_base:
                    continue
                for x in g:
                    for y in b:  # identify x of g with y of b
                        rest = [v for v in b if v != y]
                        name = {y: x, **{v: g.number_of_nodes() + i for i, v in enumerate(rest)}}
                        h = g.copy()
                        h.add_edges_from((name[a], name[c]) for a, c in b.edges())
                        if furer_size(h) <= max_nodes and new(h):
                            nxt.append(h)
        level = nxt
        out += [h for h in nxt if h.number_of_nodes() >= min_base]
    out.sort(key=lambda h: (furer_size(h), h.number_of_edges()))
    return [(f"block graph on {h.number_of_nodes()} nodes (biconnected atlas blocks glued at cut vertices)",
             f"block{i}", h) for i, h in enumerate(out)]


def record(source: str, tag: str, base: nx.Graph) -> Optional[dict]:
    """Fuerer pair of base with an empty result cache, or None when 1-WL separates it."""
    edges, g1, g2 = canonical_pair(base)
    if wl_distinguishes(g1, g2):
        return None
    return dict(source=source, tag=tag, base=edges, g1=g1, g2=g2, sep={})


def outcome(r: dict, name: str) -> bool:
    """Lazily evaluated result of test name on record r."""
    if name not in r["sep"]:
        r["sep"][name] = preset_distinguishes(name, r["g1"], r["g2"])
    return r["sep"][name]


def _size(r: dict) -> Tuple[int, int]:
    return r["g1"].number_of_nodes(), r["g1"].number_of_edges()


def search(max_nodes: int) -> Dict[Tuple[str, str], dict]:
    """Smallest witness record for every (weak, strong) of WITNESSES that has one."""
    t0 = time.time()
    records = []
    for source, tag, base in atlas_bases(max_nodes):
        r = record(source, tag, base)
        if r is not None:
            for t in TESTS:
                outcome(r, t)
            records.append(r)
    log(f"stage 1: {len(records)} atlas Fuerer pairs profiled in {time.time() - t0:.0f} s")
    profiles: Dict[Tuple[str, ...], List[int]] = {}
    for r in records:
        profiles.setdefault(tuple(t for t in TESTS if r["sep"][t]), []).append(r["g1"].number_of_nodes())
    for key, sizes in sorted(profiles.items(), key=lambda kv: len(kv[0])):
        log(f"  {len(sizes):4d} pairs (smallest {min(sizes)} nodes) separated by {list(key)}")
    for r in records:  # the partial order of swl.py must hold on every profiled pair
        for t in TESTS:
            assert not any(r["sep"][w] and not r["sep"][t] for w in weaker_or_equal(t)), r["source"]
    found: Dict[Tuple[str, str], dict] = {}
    for weak, strong in WITNESSES:
        hits = [r for r in records if r["sep"][strong] and not r["sep"][weak]]
        if hits:
            found[weak, strong] = min(hits, key=_size)
    missing = [w for w in WITNESSES if w not in found]
    if missing:
        t1 = time.time()
        bases = block_bases(max_nodes)
        log(f"stage 2: {len(bases)} block graphs for {missing}")
        for source, tag, base in bases:
            if not missing:
                break
            r = record(source, tag, base)
            if r is None:
                continue
            for weak, strong in list(missing):
                if outcome(r, strong) and not outcome(r, weak):
                    found[weak, strong] = r
                    missing.remove((weak, strong))
                    log(f"  {weak} < {strong}: {source}, {r['g1'].number_of_nodes()} nodes")
        log(f"stage 2 took {time.time() - t1:.0f} s")
    for weak, strong in missing:
        log(f"no witness found for {weak} < {strong}")
    for r in found.values():
        for t in TESTS:
            outcome(r, t)
    return found


def hierarchy_pairs(found: Dict[Tuple[str, str], dict]) -> Dict[str, dict]:
    """HIERARCHY_PAIRS entries: one per distinct pair, with every (weak, strong) witness it gives."""
    out: Dict[str, dict] = {}
    for r in sorted({id(r): r for r in found.values()}.values(), key=lambda r: r["g1"].number_of_nodes()):
        sep = [t for t in TESTS if r["sep"][t]]
        n = r["g1"].number_of_nodes()
        out[f"furer_{r['tag']}_{n}"] = dict(
            source=f"Fuerer pair of {r['source']}, twisted on base edge {r['base'][0]}",
            base=r["base"],
            graphs=(to_edges(r["g1"]), to_edges(r["g2"])),
            num_nodes=(n, r["g2"].number_of_nodes()),
            separated_by=sep,
            not_separated_by=[t for t in TESTS if not r["sep"][t]],
            witnesses=[(w, s) for (w, s) in WITNESSES if r["sep"][s] and not r["sep"][w]])
    return out


def main(argv: Optional[List[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-nodes", type=int, default=48, help="largest Fuerer graph")
    args = ap.parse_args(argv)
    print(literal(hierarchy_pairs(search(args.max_nodes))), end="")


def literal(pairs: Dict[str, dict]) -> str:
    """The HIERARCHY_PAIRS assignment as Python source."""
    lines = ["HIERARCHY_PAIRS: Dict[str, dict] = {"]
    for name, entry in pairs.items():
        body = pprint.pformat(entry, width=100, compact=True, sort_dicts=False).replace("\n", "\n       ")
        lines.append(f"    {name!r}: {{\n        {body[1:]},")
    return "\n".join(lines + ["}"]) + "\n"


if __name__ == "__main__":
    main()
