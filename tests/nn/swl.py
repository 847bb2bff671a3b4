"""Exact combinatorial tests for subgraph GNN expressiveness (pure Python, networkx, numpy).

Subgraph Weisfeiler-Lehman (SWL) refinement in the sense of Zhang et al., "A Complete
Expressiveness Hierarchy for Subgraph GNNs via Subgraph Weisfeiler-Lehman Tests" (ICML 2023):
a colour chi(u, v) for every node v of the subgraph rooted at u, refined by a chosen set of
atomic aggregations until the partition of pairs is stable, then pooled to a graph colour.
Also 1-WL and 2-FWL (folklore WL) as the lower / upper reference points, graph constructors
for the classic 1-WL-equivalent pairs, and HIERARCHY_PAIRS: literal pairs found by
``python -m tests.nn.find_swl_pairs`` that witness the separations of the hierarchy (a partial
order: swl_vs < {swl_sv, pswl_vs} < pswl_sv < gswl < sswl = sswl+ < 2-FWL, with swl_sv and
pswl_vs incomparable).

Every refinement runs on both graphs jointly: each round maps the canonical signatures of
both graphs through one shared table (``np.unique`` over integer rows), so colours stay
comparable across the two graphs; no Python ``hash()`` is involved.
"""
from __future__ import annotations

from itertools import combinations
from typing import Dict, FrozenSet, Hashable, List, Optional, Sequence, Tuple

import networkx as nx
import numpy as np

Edge = Tuple[int, int]

AGGREGATIONS: FrozenSet[str] = frozenset({"uL", "vL", "uG", "vG", "uu", "vv", "vu"})

PRESETS: Dict[str, Tuple[FrozenSet[str], str]] = {
    "swl_vs": (frozenset({"uL"}), "vs"),
    "swl_sv": (frozenset({"uL"}), "sv"),
    "pswl_vs": (frozenset({"uL", "vv"}), "vs"),
    "pswl_sv": (frozenset({"uL", "vv"}), "sv"),
    "gswl": (frozenset({"uL", "vG"}), "vs"),
    "sswl": (frozenset({"uL", "vL"}), "vs"),
    "sswl+": (frozenset({"uL", "vL", "vv"}), "vs"),
}

TESTS: Tuple[str, ...] = tuple(PRESETS) + ("fwl2",)

# Immediate "at most as strong as" relations of the hierarchy: a partial order, not a chain.
# Adding aggregations under the same pooling only refines; the other edges are Zhang et al.'s
# results. swl_sv and pswl_vs are incomparable (HIERARCHY_PAIRS holds a witness each way);
# sswl and sswl+ are equivalent; 2-FWL bounds them all.
_BELOW: Dict[str, Tuple[str, ...]] = {
    "swl_vs": (), "swl_sv": ("swl_vs",), "pswl_vs": ("swl_vs",), "pswl_sv": ("swl_sv", "pswl_vs"),
    "gswl": ("pswl_sv",), "sswl": ("gswl", "sswl+"), "sswl+": ("gswl", "sswl"), "fwl2": ("sswl", "sswl+"),
}


def weaker_or_equal(name: str) -> FrozenSet[str]:
    """Every test of TESTS at most as strong as name (name included)."""
    out, todo = {name}, [name]
    while todo:
        for w in _BELOW[todo.pop()]:
            if w not in out:
                out.add(w)
                todo.append(w)
    return frozenset(out)


_PAD = -1  # never a colour: colours are non-negative


# ----------------------------------------------------------------------------- helpers

def _index(g: nx.Graph) -> Tuple[int, List[List[int]]]:
    """Number of nodes and adjacency lists over 0..n-1 (self-loops dropped)."""
    pos = {v: i for i, v in enumerate(g.nodes())}
    adj: List[List[int]] = [[] for _ in pos]
    for a, b in g.edges():
        if a != b:
            adj[pos[a]].append(pos[b])
            adj[pos[b]].append(pos[a])
    return len(pos), adj


def _padded_neighbours(n: int, adj: List[List[int]], width: int) -> np.ndarray:
    """(n, width) neighbour indices, missing entries = n (a sentinel slot)."""
    nb = np.full((n, max(width, 1)), n, dtype=np.int64)
    for v, ws in enumerate(adj):
        nb[v, :len(ws)] = ws
    return nb


def _pad_last(a: np.ndarray, width: int) -> np.ndarray:
    """Pads the last axis with _PAD up to width."""
    if a.shape[-1] == width:
        return a
    pad = np.full(a.shape[:-1] + (width - a.shape[-1],), _PAD, dtype=a.dtype)
    return np.concatenate([a, pad], axis=-1)


def _relabel(parts: Sequence[np.ndarray]) -> Tuple[List[np.ndarray], int]:
    """Maps the signature rows of all graphs (arrays (..., W)) to shared ints 0..k-1."""
    shapes = [p.shape[:-1] for p in parts]
    rows = np.concatenate([p.reshape(-1, p.shape[-1]) for p in parts], axis=0)
    uniq, inv = np.unique(rows, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    out, start = [], 0
    for s in shapes:
        size = int(np.prod(s))
        out.append(inv[start:start + size].reshape(s).astype(np.int64))
        start += size
    return out, len(uniq)


def _sorted_rows(a: np.ndarray) -> List[Tuple[int, ...]]:
    """Multiset of the rows of a (each row itself a multiset) as a sorted list of tuples."""
    return sorted(tuple(r) for r in np.sort(a, axis=1).tolist())


# ----------------------------------------------------------------------------- SWL

def _initial_pairs(n: int, adj: List[List[int]], init: str) -> np.ndarray:
    if init == "marking":
        return np.eye(n, dtype=np.int64)
    if init == "distance":
        dist = np.full((n, n), _PAD, dtype=np.int64)  # unreachable keeps its own value
        for s in range(n):
            dist[s, s] = 0
            frontier, d = [s], 0
            while frontier:
                d += 1
                nxt = []
                for x in frontier:
                    for y in adj[x]:
                        if dist[s, y] == _PAD:
                            dist[s, y] = d
                            nxt.append(y)
                frontier = nxt
        return dist
    raise ValueError(f"unknown init {init!r}; use 'marking' or 'distance'")


def swl_colours(graphs: Sequence[nx.Graph], aggregations, init: str = "marking") -> List[np.ndarray]:
    """Stable SWL colours chi[u, v] of every graph, refined jointly (shared colour table)."""
    aggs = frozenset(aggregations)
    unknown = aggs - AGGREGATIONS
    if unknown:
        raise ValueError(f"unknown aggregations {sorted(unknown)}; known: {sorted(AGGREGATIONS)}")
    info = [_index(g) for g in graphs]
    big_n = max([n for n, _ in info] + [1])
    deg = max([len(ws) for _, adj in info for ws in adj] + [1])
    nbs = [_padded_neighbours(n, adj, deg) for n, adj in info]
    chis, count = _relabel([_initial_pairs(n, adj, init)[..., None] for n, adj in info])
    while True:
        parts = []
        for (n, _), nb, chi in zip(info, nbs, chis):
            feats = [chi[..., None]]
            if "uL" in aggs:  # {{chi(u, w) : w in N(v)}}
                ext = np.concatenate([chi, np.full((n, 1), _PAD, np.int64)], axis=1)
                feats.append(np.sort(ext[:, nb], axis=-1))
            if "vL" in aggs:  # {{chi(w, v) : w in N(u)}}
                ext = np.concatenate([chi, np.full((1, n), _PAD, np.int64)], axis=0)
                feats.append(np.sort(ext[nb, :].transpose(0, 2, 1), axis=-1))
            if "uG" in aggs:  # {{chi(u, w) : w in V}}
                row = _pad_last(np.sort(chi, axis=1), big_n)
                feats.append(np.broadcast_to(row[:, None, :], (n, n, big_n)))
            if "vG" in aggs:  # {{chi(w, v) : w in V}}
                col = _pad_last(np.sort(chi, axis=0).T, big_n)
                feats.append(np.broadcast_to(col[None, :, :], (n, n, big_n)))
            diag = np.diag(chi)
            if "uu" in aggs:
                feats.append(np.broadcast_to(diag[:, None, None], (n, n, 1)))
            if "vv" in aggs:
                feats.append(np.broadcast_to(diag[None, :, None], (n, n, 1)))
            if "vu" in aggs:
                feats.append(chi.T[..., None])
            parts.append(np.concatenate(feats, axis=-1))
        chis, new_count = _relabel(parts)
        if new_count == count:  # the new colour includes the old one, so this is the fixpoint
            return chis
        count = new_count


def _pool(chi: np.ndarray, pool: str) -> List[Tuple[int, ...]]:
    if pool == "vs":  # pool the nodes v of each subgraph u, then the subgraphs
        return _sorted_rows(chi)
    if pool == "sv":  # pool over subgraphs u for each node v, then over nodes
        return _sorted_rows(chi.T)
    raise ValueError(f"unknown pool {pool!r}; use 'vs' or 'sv'")


def swl_distinguishes(g1: nx.Graph, g2: nx.Graph, aggregations, pool: str = "vs",
                      init: str = "marking") -> bool:
    """True when SWL(aggregations, pool, init) gives g1 and g2 different graph colours."""
    c1, c2 = swl_colours([g1, g2], aggregations, init)
    return _pool(c1, pool) != _pool(c2, pool)


def preset_distinguishes(name: str, g1: nx.Graph, g2: nx.Graph, init: str = "marking") -> bool:
    """swl_distinguishes for a preset of PRESETS, or 2-FWL for name 'fwl2'."""
    if name == "fwl2":
        return fwl2_distinguishes(g1, g2)
    aggs, pool = PRESETS[name]
    return swl_distinguishes(g1, g2, aggs, pool, init)


# ----------------------------------------------------------------------------- WL / 2-FWL

def wl_distinguishes(g1: nx.Graph, g2: nx.Graph) -> bool:
    """1-WL colour refinement (uniform initial colours) run jointly on both graphs."""
    info = [_index(g) for g in (g1, g2)]
    if info[0][0] != info[1][0]:
        return True
    deg = max([len(ws) for _, adj in info for ws in adj] + [1])
    nbs = [_padded_neighbours(n, adj, deg) for n, adj in info]
    cols, count = [np.zeros(n, np.int64) for n, _ in info], 1
    while True:
        parts = []
        for (n, _), nb, c in zip(info, nbs, cols):
            ext = np.concatenate([c, [_PAD]])
            parts.append(np.concatenate([c[:, None], np.sort(ext[nb], axis=1)], axis=1))
        cols, new_count = _relabel(parts)
        if new_count == count:
            break
        count = new_count
    return sorted(cols[0].tolist()) != sorted(cols[1].tolist())


def fwl2_distinguishes(g1: nx.Graph, g2: nx.Graph) -> bool:
    """2-FWL: chi(u,v) <- (chi(u,v), {{(chi(u,w), chi(w,v)) : w}}), from the pair's iso type."""
    info = [_index(g) for g in (g1, g2)]
    if info[0][0] != info[1][0]:
        return True
    n = info[0][0]
    inits = []
    for _, adj in info:
        a = np.zeros((n, n), np.int64)
        for v, ws in enumerate(adj):
            a[v, ws] = 1
        inits.append((a + 2 * np.eye(n, dtype=np.int64))[..., None])
    chis, count = _relabel(inits)
    while True:
        parts = []
        for chi in chis:
            # (u, v, w) -> code of the pair (chi(u, w), chi(w, v)), sorted over w
            codes = chi[:, None, :] * count + chi.T[None, :, :]
            parts.append(np.concatenate([chi[..., None], np.sort(codes, axis=-1)], axis=-1))
        chis, new_count = _relabel(parts)
        if new_count == count:
            break
        count = new_count
    return sorted(chis[0].reshape(-1).tolist()) != sorted(chis[1].reshape(-1).tolist())


# ----------------------------------------------------------------------------- graphs

def from_edges(edges: Sequence[Sequence[int]], num_nodes: int) -> nx.Graph:
    """Undirected graph on nodes 0..num_nodes-1."""
    g = nx.Graph()
    g.add_nodes_from(range(num_nodes))
    g.add_edges_from((int(a), int(b)) for a, b in edges)
    return g


def to_edges(g: nx.Graph) -> List[Edge]:
    """Sorted edge list (a < b) of a graph on 0..n-1."""
    return sorted(tuple(sorted((int(a), int(b)))) for a, b in g.edges())


def two_triangles() -> nx.Graph:
    return from_edges([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)], 6)


def hexagon() -> nx.Graph:
    return nx.cycle_graph(6)


def rook_4x4() -> nx.Graph:
    """K4 x K4 (line graph of K_{4,4}): srg(16, 6, 2, 2)."""
    return from_edges([(a, b) for a, b in combinations(range(16), 2)
                       if a // 4 == b // 4 or a % 4 == b % 4], 16)


def shrikhande() -> nx.Graph:
    """Cayley graph of Z4 x Z4 with connection set {+-(1,0), +-(0,1), +-(1,1)}: srg(16, 6, 2, 2)."""
    steps = {(1, 0), (3, 0), (0, 1), (0, 3), (1, 1), (3, 3)}
    return from_edges([(a, b) for a, b in combinations(range(16), 2)
                       if ((b // 4 - a // 4) % 4, (b % 4 - a % 4) % 4) in steps], 16)


def decalin() -> nx.Graph:
    """Two hexagons sharing an edge (4-5)."""
    return from_edges([(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0), (4, 6), (6, 7), (7, 8), (8, 9),
                       (9, 5)], 10)


def bicyclopentyl() -> nx.Graph:
    """Two pentagons joined by an edge (0-5); 1-WL-equivalent to decalin."""
    return from_edges([(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (5, 6), (6, 7), (7, 8), (8, 9), (9, 5),
                       (0, 5)], 10)


def cube() -> nx.Graph:
    """The 3-cube Q3 (3-regular, 8 nodes)."""
    return nx.convert_node_labels_to_integers(nx.hypercube_graph(3), ordering="sorted")


def wagner() -> nx.Graph:
    """Wagner graph / Moebius ladder M8 (3-regular, 8 nodes, not bipartite unlike Q3)."""
    return nx.circulant_graph(8, [1, 4])


def two_k4() -> nx.Graph:
    """Two disjoint K4 (3-regular, 8 nodes)."""
    return nx.disjoint_union(nx.complete_graph(4), nx.complete_graph(4))


CLASSIC_PAIRS: Dict[str, Tuple[nx.Graph, nx.Graph]] = {}  # filled below, after furer_pair


def furer_pair(base: nx.Graph, twist: Optional[Tuple[Hashable, Hashable]] = None
               ) -> Tuple[nx.Graph, nx.Graph]:
    """(Fuerer graph F(base), twisted F(base)), both relabelled to 0..n-1 in the same order.

    Nodes (v, S) for every even-size subset S of N(v); for a base edge {u, v}, (u, S) ~ (v, T)
    iff (v in S) == (u in T); the twisted copy negates this on one base edge (default: the
    first edge of the base graph).
    """
    if base.number_of_edges() == 0:
        raise ValueError("the base graph needs an edge")
    order = list(base.nodes())
    nodes: List[Tuple[Hashable, FrozenSet]] = []
    for v in order:
        nbrs = list(base.neighbors(v))
        for k in range(0, len(nbrs) + 1, 2):
            nodes.extend((v, frozenset(s)) for s in combinations(nbrs, k))
    pos = {x: i for i, x in enumerate(nodes)}
    by_vertex: Dict[Hashable, List[Tuple[Hashable, FrozenSet]]] = {v: [] for v in order}
    for x in nodes:
        by_vertex[x[0]].append(x)
    tw = tuple(twist) if twist is not None else tuple(next(iter(base.edges())))
    if not base.has_edge(*tw):
        raise ValueError(f"twist {tw} is not an edge of the base graph")
    plain, twisted = [], []
    for u, v in base.edges():
        flip = {u, v} == set(tw)
        for (_, s) in by_vertex[u]:
            for (_, t) in by_vertex[v]:
                same = (v in s) == (u in t)
                e = (pos[(u, s)], pos[(v, t)])
                if same:
                    plain.append(e)
                if same != flip:
                    twisted.append(e)
    return from_edges(plain, len(nodes)), from_edges(twisted, len(nodes))


def furer_size(base: nx.Graph) -> int:
    """Number of nodes of F(base): sum over v of 2^(deg v - 1)."""
    return sum(2 ** max(d - 1, 0) for _, d in base.degree())


CLASSIC_PAIRS.update({
    "two_triangles/hexagon": (two_triangles(), hexagon()),
    "rook_4x4/shrikhande": (rook_4x4(), shrikhande()),
    "decalin/bicyclopentyl": (decalin(), bicyclopentyl()),
    "cube/wagner": (cube(), wagner()),
    "cube/two_k4": (cube(), two_k4()),
    "wagner/two_k4": (wagner(), two_k4()),
})


# ----------------------------------------------------------------------------- hierarchy witnesses
# Printed by `python -m tests.nn.find_swl_pairs` (which documents the search) and checked by
# tests/nn/test_swl_refinement.py. Each entry: the Fuerer pair of `base` (furer_pair(base,
# twist=base[0]) rebuilds `graphs` exactly), the tests of TESTS that separate it and those that do
# not, and `witnesses`: the (weak, strong) pairs with strong separating it and weak not. 1-WL
# separates none of them. Sizes: 16, 20, 28, 30, 32 and 38 nodes.

HIERARCHY_PAIRS: Dict[str, dict] = {
    'furer_atlas130_16': {
        'source': 'Fuerer pair of networkx graph_atlas_g()[130], twisted on base edge (0, 1)',
        'base': [(0, 1), (0, 2), (0, 3), (1, 2), (3, 4), (3, 5), (4, 5)],
        'graphs': ([(0, 4), (0, 6), (0, 8), (0, 11), (1, 5), (1, 7), (1, 8), (1, 11), (2, 5), (2, 6),
                    (2, 9), (2, 10), (3, 4), (3, 7), (3, 9), (3, 10), (4, 6), (5, 7), (8, 12), (8, 14),
                    (9, 13), (9, 14), (10, 12), (10, 15), (11, 13), (11, 15), (12, 14), (13, 15)],
                   [(0, 5), (0, 6), (0, 8), (0, 11), (1, 4), (1, 7), (1, 8), (1, 11), (2, 4), (2, 6),
                    (2, 9), (2, 10), (3, 5), (3, 7), (3, 9), (3, 10), (4, 6), (5, 7), (8, 12), (8, 14),
                    (9, 13), (9, 14), (10, 12), (10, 15), (11, 13), (11, 15), (12, 14), (13, 15)]),
        'num_nodes': (16, 16),
        'separated_by': ['swl_sv', 'pswl_vs', 'pswl_sv', 'gswl', 'sswl', 'sswl+', 'fwl2'],
        'not_separated_by': ['swl_vs'],
        'witnesses': [('swl_vs', 'swl_sv'), ('swl_vs', 'pswl_vs')]},
    'furer_atlas152_20': {
        'source': 'Fuerer pair of networkx graph_atlas_g()[152], twisted on base edge (0, 1)',
        'base': [(0, 1), (0, 5), (1, 2), (1, 5), (2, 3), (2, 4), (3, 4), (4, 5)],
        'graphs': ([(0, 2), (0, 5), (0, 16), (0, 19), (1, 3), (1, 4), (1, 17), (1, 18), (2, 6), (2, 9),
                    (2, 16), (2, 18), (3, 7), (3, 8), (3, 16), (3, 18), (4, 6), (4, 9), (4, 17), (4, 19),
                    (5, 7), (5, 8), (5, 17), (5, 19), (6, 10), (6, 12), (6, 15), (7, 11), (7, 12), (7, 15),
                    (8, 10), (8, 13), (8, 14), (9, 11), (9, 13), (9, 14), (10, 12), (10, 14), (11, 13),
                    (11, 15), (12, 16), (12, 17), (13, 16), (13, 17), (14, 18), (14, 19), (15, 18),
                    (15, 19)],
                   [(0, 3), (0, 4), (0, 16), (0, 19), (1, 2), (1, 5), (1, 17), (1, 18), (2, 6), (2, 9),
                    (2, 16), (2, 18), (3, 7), (3, 8), (3, 16), (3, 18), (4, 6), (4, 9), (4, 17), (4, 19),
                    (5, 7), (5, 8), (5, 17), (5, 19), (6, 10), (6, 12), (6, 15), (7, 11), (7, 12), (7, 15),
                    (8, 10), (8, 13), (8, 14), (9, 11), (9, 13), (9, 14), (10, 12), (10, 14), (11, 13),
                    (11, 15), (12, 16), (12, 17), (13, 16), (13, 17), (14, 18), (14, 19), (15, 18),
                    (15, 19)]),
        'num_nodes': (20, 20),
        'separated_by': ['sswl', 'sswl+', 'fwl2'],
        'not_separated_by': ['swl_vs', 'swl_sv', 'pswl_vs', 'pswl_sv', 'gswl'],
        'witnesses': [('gswl', 'sswl')]},
    'furer_atlas724_28': {
        'source': 'Fuerer pair of networkx graph_atlas_g()[724], twisted on base edge (0, 1)',
        'base': [(0, 1), (0, 5), (1, 5), (1, 6), (2, 3), (2, 4), (2, 6), (3, 4), (4, 6), (5, 6)],
        'graphs': ([(0, 2), (0, 5), (0, 16), (0, 19), (1, 3), (1, 4), (1, 17), (1, 18), (2, 16), (2, 18),
                    (2, 20), (2, 24), (2, 25), (2, 26), (3, 17), (3, 19), (3, 20), (3, 24), (3, 25),
                    (3, 26), (4, 16), (4, 18), (4, 21), (4, 22), (4, 23), (4, 27), (5, 17), (5, 19),
                    (5, 21), (5, 22), (5, 23), (5, 27), (6, 10), (6, 12), (6, 15), (6, 20), (6, 22),
                    (6, 23), (6, 26), (7, 11), (7, 13), (7, 14), (7, 20), (7, 22), (7, 23), (7, 26),
                    (8, 11), (8, 12), (8, 15), (8, 21), (8, 24), (8, 25), (8, 27), (9, 10), (9, 13),
                    (9, 14), (9, 21), (9, 24), (9, 25), (9, 27), (10, 12), (10, 14), (11, 13), (11, 15),
                    (12, 20), (12, 21), (12, 23), (12, 25), (13, 20), (13, 21), (13, 23), (13, 25),
                    (14, 22), (14, 24), (14, 26), (14, 27), (15, 22), (15, 24), (15, 26), (15, 27),
                    (16, 20), (16, 21), (16, 22), (16, 24), (17, 20), (17, 21), (17, 22), (17, 24),
                    (18, 23), (18, 25), (18, 26), (18, 27), (19, 23), (19, 25), (19, 26), (19, 27)],
                   [(0, 3), (0, 4), (0, 16), (0, 19), (1, 2), (1, 5), (1, 17), (1, 18), (2, 16), (2, 18),
                    (2, 20), (2, 24), (2, 25), (2, 26), (3, 17), (3, 19), (3, 20), (3, 24), (3, 25),
                    (3, 26), (4, 16), (4, 18), (4, 21), (4, 22), (4, 23), (4, 27), (5, 17), (5, 19),
                    (5, 21), (5, 22), (5, 23), (5, 27), (6, 10), (6, 12), (6, 15), (6, 20), (6, 22),
                    (6, 23), (6, 26), (7, 11), (7, 13), (7, 14), (7, 20), (7, 22), (7, 23), (7, 26),
                    (8, 11), (8, 12), (8, 15), (8, 21), (8, 24), (8, 25), (8, 27), (9, 10), (9, 13),
                    (9, 14), (9, 21), (9, 24), (9, 25), (9, 27), (10, 12), (10, 14), (11, 13), (11, 15),
                    (12, 20), (12, 21), (12, 23), (12, 25), (13, 20), (13, 21), (13, 23), (13, 25),
                    (14, 22), (14, 24), (14, 26), (14, 27), (15, 22), (15, 24), (15, 26), (15, 27),
                    (16, 20), (16, 21), (16, 22), (16, 24), (17, 20), (17, 21), (17, 22), (17, 24),
                    (18, 23), (18, 25), (18, 26), (18, 27), (19, 23), (19, 25), (19, 26), (19, 27)]),
        'num_nodes': (28, 28),
        'separated_by': ['swl_sv', 'pswl_sv', 'gswl', 'sswl', 'sswl+', 'fwl2'],
        'not_separated_by': ['swl_vs', 'pswl_vs'],
        'witnesses': [('swl_vs', 'swl_sv'), ('pswl_vs', 'swl_sv'), ('pswl_vs', 'pswl_sv')]},
    'furer_atlas699_30': {
        'source': 'Fuerer pair of networkx graph_atlas_g()[699], twisted on base edge (0, 1)',
        'base': [(0, 1), (0, 2), (1, 2), (1, 4), (1, 6), (2, 3), (2, 5), (3, 4), (3, 5), (4, 6)],
        'graphs': ([(0, 2), (0, 6), (0, 7), (0, 8), (0, 10), (0, 14), (0, 15), (0, 16), (1, 3), (1, 4),
                    (1, 5), (1, 9), (1, 11), (1, 12), (1, 13), (1, 17), (2, 10), (2, 12), (2, 13), (2, 16),
                    (2, 22), (2, 25), (2, 28), (3, 11), (3, 14), (3, 15), (3, 17), (3, 22), (3, 25),
                    (3, 28), (4, 10), (4, 12), (4, 13), (4, 16), (4, 23), (4, 24), (4, 28), (5, 10),
                    (5, 12), (5, 13), (5, 16), (5, 22), (5, 25), (5, 29), (6, 11), (6, 14), (6, 15),
                    (6, 17), (6, 23), (6, 24), (6, 28), (7, 11), (7, 14), (7, 15), (7, 17), (7, 22),
                    (7, 25), (7, 29), (8, 10), (8, 12), (8, 13), (8, 16), (8, 23), (8, 24), (8, 29),
                    (9, 11), (9, 14), (9, 15), (9, 17), (9, 23), (9, 24), (9, 29), (10, 18), (10, 21),
                    (10, 26), (11, 18), (11, 21), (11, 26), (12, 19), (12, 20), (12, 26), (13, 18),
                    (13, 21), (13, 27), (14, 19), (14, 20), (14, 26), (15, 18), (15, 21), (15, 27),
                    (16, 19), (16, 20), (16, 27), (17, 19), (17, 20), (17, 27), (18, 22), (18, 24),
                    (18, 26), (19, 23), (19, 25), (19, 26), (20, 22), (20, 24), (20, 27), (21, 23),
                    (21, 25), (21, 27), (22, 28), (23, 28), (24, 29), (25, 29)],
                   [(0, 3), (0, 4), (0, 5), (0, 9), (0, 10), (0, 14), (0, 15), (0, 16), (1, 2), (1, 6),
                    (1, 7), (1, 8), (1, 11), (1, 12), (1, 13), (1, 17), (2, 10), (2, 12), (2, 13), (2, 16),
                    (2, 22), (2, 25), (2, 28), (3, 11), (3, 14), (3, 15), (3, 17), (3, 22), (3, 25),
                    (3, 28), (4, 10), (4, 12), (4, 13), (4, 16), (4, 23), (4, 24), (4, 28), (5, 10),
                    (5, 12), (5, 13), (5, 16), (5, 22), (5, 25), (5, 29), (6, 11), (6, 14), (6, 15),
                    (6, 17), (6, 23), (6, 24), (6, 28), (7, 11), (7, 14), (7, 15), (7, 17), (7, 22),
                    (7, 25), (7, 29), (8, 10), (8, 12), (8, 13), (8, 16), (8, 23), (8, 24), (8, 29),
                    (9, 11), (9, 14), (9, 15), (9, 17), (9, 23), (9, 24), (9, 29), (10, 18), (10, 21),
                    (10, 26), (11, 18), (11, 21), (11, 26), (12, 19), (12, 20), (12, 26), (13, 18),
                    (13, 21), (13, 27), (14, 19), (14, 20), (14, 26), (15, 18), (15, 21), (15, 27),
                    (16, 19), (16, 20), (16, 27), (17, 19), (17, 20), (17, 27), (18, 22), (18, 24),
                    (18, 26), (19, 23), (19, 25), (19, 26), (20, 22), (20, 24), (20, 27), (21, 23),
                    (21, 25), (21, 27), (22, 28), (23, 28), (24, 29), (25, 29)]),
        'num_nodes': (30, 30),
        'separated_by': ['fwl2'],
        'not_separated_by': ['swl_vs', 'swl_sv', 'pswl_vs', 'pswl_sv', 'gswl', 'sswl', 'sswl+'],
        'witnesses': [('sswl', 'fwl2')]},
    'furer_block27_32': {
        'source': 'Fuerer pair of block graph on 8 nodes (biconnected atlas blocks glued at cut '
                  'vertices), twisted on base edge (0, 1)',
        'base': [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (3, 4), (3, 5), (4, 5), (5, 6), (5, 7), (6, 7)],
        'graphs': ([(0, 8), (0, 10), (0, 12), (0, 15), (0, 16), (0, 19), (1, 9), (1, 11), (1, 12), (1, 15),
                    (1, 16), (1, 19), (2, 9), (2, 10), (2, 13), (2, 14), (2, 16), (2, 19), (3, 9), (3, 10),
                    (3, 12), (3, 15), (3, 17), (3, 18), (4, 8), (4, 11), (4, 13), (4, 14), (4, 16),
                    (4, 19), (5, 8), (5, 11), (5, 12), (5, 15), (5, 17), (5, 18), (6, 8), (6, 10), (6, 13),
                    (6, 14), (6, 17), (6, 18), (7, 9), (7, 11), (7, 13), (7, 14), (7, 17), (7, 18),
                    (8, 10), (9, 11), (12, 16), (12, 18), (12, 20), (12, 24), (12, 25), (12, 26), (13, 17),
                    (13, 19), (13, 20), (13, 24), (13, 25), (13, 26), (14, 16), (14, 18), (14, 21),
                    (14, 22), (14, 23), (14, 27), (15, 17), (15, 19), (15, 21), (15, 22), (15, 23),
                    (15, 27), (16, 20), (16, 22), (16, 23), (16, 26), (17, 20), (17, 22), (17, 23),
                    (17, 26), (18, 21), (18, 24), (18, 25), (18, 27), (19, 21), (19, 24), (19, 25),
                    (19, 27), (20, 28), (20, 30), (21, 28), (21, 30), (22, 29), (22, 30), (23, 28),
                    (23, 31), (24, 29), (24, 30), (25, 28), (25, 31), (26, 29), (26, 31), (27, 29),
                    (27, 31), (28, 30), (29, 31)],
                   [(0, 9), (0, 10), (0, 12), (0, 15), (0, 16), (0, 19), (1, 8), (1, 11), (1, 12), (1, 15),
                    (1, 16), (1, 19), (2, 8), (2, 10), (2, 13), (2, 14), (2, 16), (2, 19), (3, 8), (3, 10),
                    (3, 12), (3, 15), (3, 17), (3, 18), (4, 9), (4, 11), (4, 13), (4, 14), (4, 16),
                    (4, 19), (5, 9), (5, 11), (5, 12), (5, 15), (5, 17), (5, 18), (6, 9), (6, 10), (6, 13),
                    (6, 14), (6, 17), (6, 18), (7, 8), (7, 11), (7, 13), (7, 14), (7, 17), (7, 18),
                    (8, 10), (9, 11), (12, 16), (12, 18), (12, 20), (12, 24), (12, 25), (12, 26), (13, 17),
                    (13, 19), (13, 20), (13, 24), (13, 25), (13, 26), (14, 16), (14, 18), (14, 21),
                    (14, 22), (14, 23), (14, 27), (15, 17), (15, 19), (15, 21), (15, 22), (15, 23),
                    (15, 27), (16, 20), (16, 22), (16, 23), (16, 26), (17, 20), (17, 22), (17, 23),
                    (17, 26), (18, 21), (18, 24), (18, 25), (18, 27), (19, 21), (19, 24), (19, 25),
                    (19, 27), (20, 28), (20, 30), (21, 28), (21, 30), (22, 29), (22, 30), (23, 28),
                    (23, 31), (24, 29), (24, 30), (25, 28), (25, 31), (26, 29), (26, 31), (27, 29),
                    (27, 31), (28, 30), (29, 31)]),
        'num_nodes': (32, 32),
        'separated_by': ['pswl_vs', 'pswl_sv', 'gswl', 'sswl', 'sswl+', 'fwl2'],
        'not_separated_by': ['swl_vs', 'swl_sv'],
        'witnesses': [('swl_vs', 'pswl_vs'), ('swl_sv', 'pswl_vs'), ('swl_sv', 'pswl_sv')]},
    'furer_block82_38': {
        'source': 'Fuerer pair of block graph on 9 nodes (biconnected atlas blocks glued at cut '
                  'vertices), twisted on base edge (0, 1)',
        'base': [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (1, 6), (1, 7), (3, 4), (3, 5), (4, 5), (6, 7),
                 (6, 8), (7, 8)],
        'graphs': ([(0, 8), (0, 12), (0, 13), (0, 14), (0, 16), (0, 18), (0, 21), (0, 22), (0, 25), (1, 9),
                    (1, 10), (1, 11), (1, 15), (1, 17), (1, 18), (1, 21), (1, 22), (1, 25), (2, 9),
                    (2, 10), (2, 11), (2, 15), (2, 16), (2, 19), (2, 20), (2, 22), (2, 25), (3, 9),
                    (3, 10), (3, 11), (3, 15), (3, 16), (3, 18), (3, 21), (3, 23), (3, 24), (4, 8),
                    (4, 12), (4, 13), (4, 14), (4, 17), (4, 19), (4, 20), (4, 22), (4, 25), (5, 8),
                    (5, 12), (5, 13), (5, 14), (5, 17), (5, 18), (5, 21), (5, 23), (5, 24), (6, 8),
                    (6, 12), (6, 13), (6, 14), (6, 16), (6, 19), (6, 20), (6, 23), (6, 24), (7, 9),
                    (7, 10), (7, 11), (7, 15), (7, 17), (7, 19), (7, 20), (7, 23), (7, 24), (8, 16),
                    (8, 28), (8, 31), (8, 32), (8, 35), (9, 17), (9, 28), (9, 31), (9, 32), (9, 35),
                    (10, 16), (10, 29), (10, 30), (10, 32), (10, 35), (11, 16), (11, 28), (11, 31),
                    (11, 33), (11, 34), (12, 17), (12, 29), (12, 30), (12, 32), (12, 35), (13, 17),
                    (13, 28), (13, 31), (13, 33), (13, 34), (14, 16), (14, 29), (14, 30), (14, 33),
                    (14, 34), (15, 17), (15, 29), (15, 30), (15, 33), (15, 34), (18, 22), (18, 24),
                    (18, 26), (19, 23), (19, 25), (19, 26), (20, 22), (20, 24), (20, 27), (21, 23),
                    (21, 25), (21, 27), (22, 26), (23, 26), (24, 27), (25, 27), (28, 32), (28, 34),
                    (28, 36), (29, 33), (29, 35), (29, 36), (30, 32), (30, 34), (30, 37), (31, 33),
                    (31, 35), (31, 37), (32, 36), (33, 36), (34, 37), (35, 37)],
                   [(0, 9), (0, 10), (0, 11), (0, 15), (0, 16), (0, 18), (0, 21), (0, 22), (0, 25), (1, 8),
                    (1, 12), (1, 13), (1, 14), (1, 17), (1, 18), (1, 21), (1, 22), (1, 25), (2, 8),
                    (2, 12), (2, 13), (2, 14), (2, 16), (2, 19), (2, 20), (2, 22), (2, 25), (3, 8),
                    (3, 12), (3, 13), (3, 14), (3, 16), (3, 18), (3, 21), (3, 23), (3, 24), (4, 9),
                    (4, 10), (4, 11), (4, 15), (4, 17), (4, 19), (4, 20), (4, 22), (4, 25), (5, 9),
                    (5, 10), (5, 11), (5, 15), (5, 17), (5, 18), (5, 21), (5, 23), (5, 24), (6, 9),
                    (6, 10), (6, 11), (6, 15), (6, 16), (6, 19), (6, 20), (6, 23), (6, 24), (7, 8),
                    (7, 12), (7, 13), (7, 14), (7, 17), (7, 19), (7, 20), (7, 23), (7, 24), (8, 16),
                    (8, 28), (8, 31), (8, 32), (8, 35), (9, 17), (9, 28), (9, 31), (9, 32), (9, 35),
                    (10, 16), (10, 29), (10, 30), (10, 32), (10, 35), (11, 16), (11, 28), (11, 31),
                    (11, 33), (11, 34), (12, 17), (12, 29), (12, 30), (12, 32), (12, 35), (13, 17),
                    (13, 28), (13, 31), (13, 33), (13, 34), (14, 16), (14, 29), (14, 30), (14, 33),
                    (14, 34), (15, 17), (15, 29), (15, 30), (15, 33), (15, 34), (18, 22), (18, 24),
                    (18, 26), (19, 23), (19, 25), (19, 26), (20, 22), (20, 24), (20, 27), (21, 23),
                    (21, 25), (21, 27), (22, 26), (23, 26), (24, 27), (25, 27), (28, 32), (28, 34),
                    (28, 36), (29, 33), (29, 35), (29, 36), (30, 32), (30, 34), (30, 37), (31, 33),
                    (31, 35), (31, 37), (32, 36), (33, 36), (34, 37), (35, 37)]),
        'num_nodes': (38, 38),
        'separated_by': ['gswl', 'sswl', 'sswl+', 'fwl2'],
        'not_separated_by': ['swl_vs', 'swl_sv', 'pswl_vs', 'pswl_sv'],
        'witnesses': [('pswl_sv', 'gswl')]},
}
