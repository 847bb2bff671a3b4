"""Combinatorial SWL / 1-WL / 2-FWL tests of tests/nn/swl.py: known answers, the hierarchy
witnesses of HIERARCHY_PAIRS, monotonicity along the hierarchy, and a naive cross-check."""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, Tuple

import networkx as nx
import pytest

from tests.nn import swl

# (weak, strong) separations that HIERARCHY_PAIRS must witness: the strict steps of the
# hierarchy, and both directions of the incomparability of swl_sv and pswl_vs
REQUIRED = [("swl_vs", "swl_sv"), ("swl_vs", "pswl_vs"), ("swl_sv", "pswl_sv"), ("pswl_vs", "pswl_sv"),
            ("pswl_sv", "gswl"), ("gswl", "sswl"), ("sswl", "fwl2"),
            ("swl_sv", "pswl_vs"), ("pswl_vs", "swl_sv")]


def _pair(name: str) -> Tuple[nx.Graph, nx.Graph]:
    if name in swl.CLASSIC_PAIRS:
        return swl.CLASSIC_PAIRS[name]
    entry = swl.HIERARCHY_PAIRS[name]
    return tuple(swl.from_edges(e, n) for e, n in zip(entry["graphs"], entry["num_nodes"]))


@lru_cache(maxsize=None)
def _profile(name: str) -> Dict[str, bool]:
    g1, g2 = _pair(name)
    return {t: swl.preset_distinguishes(t, g1, g2) for t in swl.TESTS}


ALL_PAIRS = list(swl.CLASSIC_PAIRS) + list(swl.HIERARCHY_PAIRS)


def test_two_triangles_vs_hexagon():
    g1, g2 = swl.two_triangles(), swl.hexagon()
    assert not swl.wl_distinguishes(g1, g2)
    assert all(_profile("two_triangles/hexagon").values())
    assert swl.fwl2_distinguishes(g1, g2)
    for aggs, pool in swl.PRESETS.values():
        assert swl.swl_distinguishes(g1, g2, aggs, pool, init="distance")


def test_rook_vs_shrikhande_fools_every_test():
    g1, g2 = swl.rook_4x4(), swl.shrikhande()
    assert not nx.is_isomorphic(g1, g2)
    assert not swl.wl_distinguishes(g1, g2)
    assert not any(_profile("rook_4x4/shrikhande").values())  # every preset and 2-FWL
    for aggs, pool in swl.PRESETS.values():  # distance = adjacency on these diameter-2 graphs
        assert not swl.swl_distinguishes(g1, g2, aggs, pool, init="distance")


def test_furer_graphs_of_cliques():
    plain, twisted = swl.furer_pair(nx.complete_graph(4))
    assert nx.is_isomorphic(plain, swl.rook_4x4()) and nx.is_isomorphic(twisted, swl.shrikhande())
    assert swl.furer_size(nx.complete_graph(4)) == plain.number_of_nodes() == 16
    other = swl.furer_pair(nx.complete_graph(4), twist=(2, 3))[1]  # the twisted edge does not matter
    assert nx.is_isomorphic(other, swl.shrikhande())
    plain, twisted = swl.furer_pair(nx.complete_graph(3))
    assert nx.is_isomorphic(plain, swl.two_triangles()) and nx.is_isomorphic(twisted, swl.hexagon())


@pytest.mark.parametrize("name", list(swl.CLASSIC_PAIRS))
def test_classic_pairs_are_wl_equivalent(name):
    g1, g2 = _pair(name)
    assert not nx.is_isomorphic(g1, g2)
    assert not swl.wl_distinguishes(g1, g2)


@pytest.mark.parametrize("name", list(swl.HIERARCHY_PAIRS))
def test_hierarchy_pair(name):
    entry = swl.HIERARCHY_PAIRS[name]
    g1, g2 = _pair(name)
    assert (g1.number_of_nodes(), g2.number_of_nodes()) == tuple(entry["num_nodes"])
    assert max(entry["num_nodes"]) <= 48
    assert sorted(entry["separated_by"] + entry["not_separated_by"]) == sorted(swl.TESTS)
    profile = _profile(name)
    assert [t for t in swl.TESTS if profile[t]] == list(entry["separated_by"])
    assert [t for t in swl.TESTS if not profile[t]] == list(entry["not_separated_by"])
    assert not swl.wl_distinguishes(g1, g2)
    assert not nx.is_isomorphic(g1, g2)
    # it is the Fuerer pair of the recorded base graph, twisted on the base's first edge
    base = swl.from_edges(entry["base"], 1 + max(max(e) for e in entry["base"]))
    rebuilt = swl.furer_pair(base, twist=tuple(entry["base"][0]))
    assert [swl.to_edges(g) for g in rebuilt] == [list(map(tuple, e)) for e in entry["graphs"]]
    for weak, strong in entry["witnesses"]:
        assert profile[strong] and not profile[weak]


def test_every_required_separation_is_witnessed():
    witnessed = {(w, s) for e in swl.HIERARCHY_PAIRS.values() for w, s in e["witnesses"]}
    assert set(REQUIRED) <= witnessed, sorted(set(REQUIRED) - witnessed)


@pytest.mark.parametrize("name", ALL_PAIRS)
def test_monotone_along_the_hierarchy(name):
    profile = _profile(name)
    for strong in swl.TESTS:
        for weak in swl.weaker_or_equal(strong):
            assert not profile[weak] or profile[strong], (weak, strong)


def test_partial_order():
    assert swl.weaker_or_equal("pswl_sv") == {"swl_vs", "swl_sv", "pswl_vs", "pswl_sv"}
    assert "pswl_vs" not in swl.weaker_or_equal("swl_sv") and "swl_sv" not in swl.weaker_or_equal("pswl_vs")
    assert swl.weaker_or_equal("sswl") == swl.weaker_or_equal("sswl+")
    assert swl.weaker_or_equal("fwl2") == set(swl.TESTS)


def _naive_swl(g1: nx.Graph, g2: nx.Graph, aggs, pool: str) -> bool:
    """Dict-and-tuple SWL with node marking, written independently of swl.swl_colours."""
    graphs = [g1, g2]
    col = [{(u, v): int(u == v) for u in g for v in g} for g in graphs]
    count = 2
    while True:
        sigs = []
        for g, c in zip(graphs, col):
            s = {}
            for u in g:
                for v in g:
                    sig = [c[u, v]]
                    if "uL" in aggs:
                        sig.append(tuple(sorted(c[u, w] for w in g[v])))
                    if "vL" in aggs:
                        sig.append(tuple(sorted(c[w, v] for w in g[u])))
                    if "uG" in aggs:
                        sig.append(tuple(sorted(c[u, w] for w in g)))
                    if "vG" in aggs:
                        sig.append(tuple(sorted(c[w, v] for w in g)))
                    sig += [c[u, u]] if "uu" in aggs else []
                    sig += [c[v, v]] if "vv" in aggs else []
                    sig += [c[v, u]] if "vu" in aggs else []
                    s[u, v] = tuple(sig)
            sigs.append(s)
        table = {x: i for i, x in enumerate(sorted({x for s in sigs for x in s.values()}))}
        col = [{k: table[x] for k, x in s.items()} for s in sigs]
        if len(table) == count:
            break
        count = len(table)
    pooled = []
    for g, c in zip(graphs, col):
        key = (lambda a, b: (a, b)) if pool == "vs" else (lambda a, b: (b, a))  # a: outer, b: inner
        pooled.append(sorted(tuple(sorted(c[key(a, b)] for b in g)) for a in g))
    return pooled[0] != pooled[1]


@pytest.mark.parametrize("name", ["decalin/bicyclopentyl", "cube/wagner"] +
                         [n for n in swl.HIERARCHY_PAIRS if max(swl.HIERARCHY_PAIRS[n]["num_nodes"]) <= 20])
def test_against_naive_refinement(name):
    g1, g2 = _pair(name)
    extra = [(frozenset({"uL", "uG", "uu", "vu"}), "vs"), (frozenset(swl.AGGREGATIONS), "sv")]
    for aggs, pool in list(swl.PRESETS.values()) + extra:
        assert swl.swl_distinguishes(g1, g2, aggs, pool) == _naive_swl(g1, g2, aggs, pool), (aggs, pool)


def test_bad_arguments():
    g = swl.hexagon()
    with pytest.raises(ValueError, match="unknown aggregations"):
        swl.swl_distinguishes(g, g, {"uL", "xx"})
    with pytest.raises(ValueError, match="unknown pool"):
        swl.swl_distinguishes(g, g, {"uL"}, pool="ss")
    with pytest.raises(ValueError, match="unknown init"):
        swl.swl_distinguishes(g, g, {"uL"}, init="random")
