"""Substructure counting: exact counts of small patterns and the seeded synthetic benchmark.

The task of Chen et al., "Can Graph Neural Networks Count Substructures?" (NeurIPS 2020),
as used by GNN-AK, I2-GNN and Zhang et al. (2023): regress, for random unattributed graphs,
how many triangles, tailed triangles, 3-stars and 4-, 5- and 6-cycles each graph (or each
node) has. The graphs here are generated locally from one seed (nothing is downloaded), so
the numbers are comparable across runs of this project, not with the published files.
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple, Union

import numpy as np
import torch
from torch import Tensor

from graphlearn import _io
from graphlearn._validate import choice, flag, integer, reals, seed as _seed
from graphlearn.sparse import as_pairs

__all__ = ["COUNTING_TASKS", "substructure_counts", "counting_dataset", "counting_split"]

COUNTING_TASKS: Tuple[str, ...] = ("triangle", "tailed_triangle", "star", "4cycle", "5cycle", "6cycle")

# nodes in one copy of each pattern: a graph's count is the sum of its node counts / this
_PATTERN_SIZE = {"triangle": 3, "tailed_triangle": 4, "star": 4, "4cycle": 4, "5cycle": 5, "6cycle": 6}
_CYCLE_LENGTH = {"4cycle": 4, "5cycle": 5, "6cycle": 6}
_LEVELS = ("graph", "node")

# the generator's families: Erdos-Renyi average degrees (n - 1) p ~ U[2, 6], regular degrees
_ER_DEGREE = (2.0, 6.0)
_REGULAR_DEGREES = (3, 4, 5)


def _tasks(tasks: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """The task names as a tuple, each checked against COUNTING_TASKS (one name may be a str)."""
    if isinstance(tasks, str):
        tasks = (tasks,)
    try:
        tasks = tuple(tasks)
    except TypeError:
        raise TypeError(f"tasks must be a sequence of names from {COUNTING_TASKS}, got "
                        f"{type(tasks).__name__}") from None
    if not tasks:
        raise ValueError(f"tasks must name at least one of {COUNTING_TASKS}, got an empty sequence")
    for i, t in enumerate(tasks):
        if not isinstance(t, str) or t not in _PATTERN_SIZE:
            raise ValueError(f"tasks[{i}] = {t!r} is not a counting task; choose from {', '.join(COUNTING_TASKS)}")
    if len(set(tasks)) != len(tasks):
        dup = next(t for t in tasks if tasks.count(t) > 1)
        raise ValueError(f"tasks names {dup!r} twice; each task may appear once")
    return tasks


def _neighbours(src: Tensor, dst: Tensor, n: int) -> List[set]:
    """Adjacency sets of the simple undirected graph: both directions, no loops, no repeats."""
    keep = src != dst
    adj: List[set] = [set() for _ in range(n)]
    for u, v in zip(src[keep].tolist(), dst[keep].tolist()):
        adj[u].add(v)
        adj[v].add(u)
    return adj


def _cycle_counts(adj: List[set], lengths: Sequence[int], per_node: bool) -> Dict[int, np.ndarray]:
    """Simple cycles of each length in ``lengths`` (all in 4..6 or so): ``{k: [n] int64}``
    node counts when ``per_node``, else ``{k: [1]}`` graph counts.

    Every cycle is found from its smallest node ``s``, by a depth-first search over paths
    ``s - a - b - ...`` through nodes larger than ``s``; a path that ends next to ``s``
    closes a cycle. The longest cycles are counted at the last step by intersecting the
    path end's neighbours with those of ``s``, without extending the path. Each cycle is
    met once per direction, so the tallies are halved at the end.
    """
    n, kmax = len(adj), max(lengths)
    wanted = set(lengths)
    tally = {k: [0] * (n if per_node else 1) for k in lengths}  # Python ints: faster than numpy here
    path: List[int] = []
    on_path: set = set()

    def add(k: int, times: int, extra: Sequence[int] = ()) -> None:
        t = tally[k]
        if per_node:
            for u in path:
                t[u] += times
            for u in extra:
                t[u] += 1
        else:
            t[0] += times

    for s in range(n):
        close = {w for w in adj[s] if w > s}
        if len(close) < 2:
            continue

        def extend(v: int, edges: int) -> None:
            # `path` holds s .. v, `edges` of them; a neighbour w of v closes an (edges + 2)-cycle
            if edges == kmax - 2:
                ends = [w for w in adj[v] if w in close and w not in on_path]
                if ends:
                    add(kmax, len(ends), ends)
                return
            for w in adj[v]:
                if w > s and w not in on_path:
                    path.append(w)
                    on_path.add(w)
                    if w in close and edges + 2 in wanted and edges >= 1:
                        add(edges + 2, 1)
                    extend(w, edges + 1)
                    on_path.discard(w)
                    path.pop()

        for a in close:
            path[:] = [s, a]
            on_path.clear()
            on_path.update((s, a))
            extend(a, 1)
    return {k: np.asarray(t, dtype=np.int64) // 2 for k, t in tally.items()}


def substructure_counts(edge_index, num_nodes: int, tasks: Union[str, Sequence[str]] = COUNTING_TASKS,
                        level: str = "graph", *, dtype: torch.dtype = torch.float32) -> Tensor:
    """Exact counts of small (non-induced) subgraphs: the targets of the counting benchmark.

    ``edge_index`` is read as an undirected simple graph: ``(u, v)`` and ``(v, u)`` are the
    same edge (either or both may be listed), self-loops and repeated edges are ignored.
    A *copy* of a pattern is a subgraph of the graph (a set of its edges, with their end
    nodes) isomorphic to the pattern; other edges among the copy's nodes are allowed
    (non-induced counting, as in the benchmark). Patterns (``tasks``):

    - ``"triangle"``: the 3-cycle;
    - ``"tailed_triangle"``: a triangle plus one pendant edge from one of its nodes to a
      fourth node (``sum_v t_v (deg v - 2)`` with ``t_v`` the triangles at ``v``);
    - ``"star"``: the 3-star, a centre joined to three leaves (``sum_v C(deg v, 3)``);
    - ``"4cycle"``, ``"5cycle"``, ``"6cycle"``: simple cycles of that length (chords allowed).

    The cycles are enumerated exactly by a bounded depth-first search in Python (about 8
    times faster than ``networkx.simple_cycles`` on the benchmark's graphs; the tests check
    both against each other and against brute force), whose cost grows like ``n d^(k-1)``
    for average degree ``d`` and longest cycle ``k``: this is meant for small graphs.

    Args:
        edge_index: ``[2, E]`` integer tensor or numpy array of node ids in ``[0, num_nodes)``.
        num_nodes: number of nodes (isolated ones included).
        tasks: the patterns, in the order of the output columns (default: all six,
            :data:`COUNTING_TASKS`); a single name may be given as a string.
        level: ``"graph"``: the number of copies in the whole graph; ``"node"``: for each
            node, the number of copies that contain it (as any of the pattern's nodes:
            centre or leaf of a star, triangle node or tail end of a tailed triangle). A
            graph count is the sum of its node counts divided by the pattern's node count.
        dtype: floating dtype of the result (float32 is exact up to 2**24 copies).

    Returns:
        ``[len(tasks)]`` for ``level="graph"``, ``[num_nodes, len(tasks)]`` for ``"node"``.

    Raises:
        TypeError: non-integer ids, a non-string task, a non-floating ``dtype``.
        ValueError: a shape other than ``[2, E]``, an id out of range, an unknown or
            repeated task, an unknown ``level``.
    """
    n = integer(num_nodes, "num_nodes", min=0)
    src, dst = as_pairs(edge_index, n, name="edge_index")
    tasks = _tasks(tasks)
    level = choice(level, "level", _LEVELS)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype, got {dtype!r}")
    per_node = level == "node"
    adj = _neighbours(src.cpu(), dst.cpu(), n)
    deg = np.fromiter((len(a) for a in adj), dtype=np.int64, count=n)
    columns: Dict[str, np.ndarray] = {}

    if "triangle" in tasks or "tailed_triangle" in tasks:
        # edge_tri[v][u] = triangles on the edge (u, v) = common neighbours
        edge_tri = [{u: len(adj[v] & adj[u]) for u in adj[v]} for v in range(n)]
        tri = np.fromiter((sum(e.values()) // 2 for e in edge_tri), dtype=np.int64, count=n)
        if "triangle" in tasks:
            columns["triangle"] = tri if per_node else np.array([tri.sum() // 3])
        if "tailed_triangle" in tasks:
            at = tri * np.maximum(deg - 2, 0)  # copies where v is the triangle node carrying the tail
            if per_node:
                # v as one of the two other triangle nodes (the tail hangs off a, not v) or as the
                # tail's end (hanging off a neighbour a, from a triangle of a's without v)
                rest = np.fromiter((sum(e * (deg[a] - 3) + tri[a] for a, e in edge_tri[v].items())
                                    for v in range(n)), dtype=np.int64, count=n)
                columns["tailed_triangle"] = at + rest
            else:
                columns["tailed_triangle"] = np.array([at.sum()])
    if "star" in tasks:
        centre = deg * (deg - 1) * (deg - 2) // 6
        if per_node:
            pairs = (deg - 1) * (deg - 2) // 2  # leaf pairs a neighbour's star can add to v
            leaf = np.fromiter((sum(int(pairs[a]) for a in adj[v]) for v in range(n)), dtype=np.int64, count=n)
            columns["star"] = centre + leaf
        else:
            columns["star"] = np.array([centre.sum()])
    lengths = sorted(_CYCLE_LENGTH[t] for t in tasks if t in _CYCLE_LENGTH)
    if lengths:
        cycles = _cycle_counts(adj, lengths, per_node)
        for t in tasks:
            if t in _CYCLE_LENGTH:
                columns[t] = cycles[_CYCLE_LENGTH[t]]
    out = np.stack([columns[t] for t in tasks], axis=-1)
    out = torch.from_numpy(np.asarray(out, dtype=np.float64)).to(dtype)
    return out if per_node else out.reshape(len(tasks))


def _random_graph(rng: np.random.Generator, n: int) -> np.ndarray:
    """One benchmark-style graph on ``n`` nodes as ``[2, E]`` int64 pairs ``u < v``: with
    probability 1/2 an Erdos-Renyi G(n, p) with average degree (n - 1) p ~ U[2, 6], else a
    random d-regular graph with d drawn from {3, 4, 5} (d < n, n d even; G(n, p) when no d fits)."""
    import networkx as nx

    degrees = [d for d in _REGULAR_DEGREES if d < n and (n * d) % 2 == 0]
    if rng.random() < 0.5 or not degrees:
        p = min(1.0, rng.uniform(*_ER_DEGREE) / max(n - 1, 1))
        u, v = np.triu_indices(n, 1)
        keep = rng.random(u.size) < p
        return np.stack([u[keep], v[keep]]).astype(np.int64)
    d = int(degrees[rng.integers(len(degrees))])
    g = nx.random_regular_graph(d, n, seed=int(rng.integers(2**32)))
    e = np.array(sorted((min(a, b), max(a, b)) for a, b in g.edges()), dtype=np.int64).reshape(-1, 2)
    return e.T.copy()


def counting_dataset(num_graphs: int = 5000, *, min_nodes: int = 10, max_nodes: int = 40, seed: int = 0,
                     level: str = "graph", tasks: Union[str, Sequence[str]] = COUNTING_TASKS,
                     progress: bool = True) -> list:
    """The substructure-counting benchmark, generated locally: random unattributed graphs
    and their exact pattern counts (:func:`substructure_counts`).

    Each graph has ``n ~ U{min_nodes, ..., max_nodes}`` nodes and is, with probability 1/2,
    an Erdos-Renyi G(n, p) whose average degree ``(n - 1) p`` is drawn from U[2, 6] per
    graph, else a random d-regular graph with ``d`` drawn from {3, 4, 5} among the degrees
    with ``d < n`` and ``n d`` even (an odd ``n`` gives 4-regular graphs). Everything is
    drawn from one ``numpy.random.Generator`` seeded with ``seed`` (the regular graphs from
    networkx seeds taken from it), so the same seed gives the same dataset, bit for bit.

    Args:
        num_graphs: number of graphs (the benchmark has 5000).
        min_nodes, max_nodes: node count range, both ends included.
        seed: the one seed of the whole dataset.
        level: ``"graph"`` or ``"node"`` targets (see :func:`substructure_counts`).
        tasks: the counted patterns, the columns of ``y`` (default :data:`COUNTING_TASKS`).
        progress: show a progress bar.

    Returns:
        a list of PyG ``Data``, each with ``x`` (``[n, 1]`` float32 zeros: no features),
        ``edge_index`` (``[2, 2 m]`` int64, both directions, sorted by source then target),
        ``y`` (float32 counts: ``[1, T]`` at graph level, so a batch stacks them to
        ``[B, T]``; ``[n, T]`` at node level) and ``num_nodes``. Split it with
        :func:`counting_split`.
    """
    from torch_geometric.data import Data

    num_graphs = integer(num_graphs, "num_graphs", min=0)
    min_nodes = integer(min_nodes, "min_nodes", min=1)
    max_nodes = integer(max_nodes, "max_nodes", min=min_nodes)
    rng = np.random.default_rng(_seed(seed))
    level = choice(level, "level", _LEVELS)
    tasks = _tasks(tasks)
    progress = flag(progress, "progress")
    graphs = []
    with _io.progress(num_graphs, "counting substructures", "graph", enabled=progress) as bar:
        for _ in range(num_graphs):
            n = int(rng.integers(min_nodes, max_nodes + 1))
            pairs = torch.from_numpy(_random_graph(rng, n))
            both = torch.cat([pairs, pairs.flip(0)], 1)
            both = both[:, torch.argsort(both[0] * n + both[1])]
            y = substructure_counts(pairs, n, tasks, level)
            graphs.append(Data(x=torch.zeros(n, 1), edge_index=both, y=y.reshape(1, -1) if level == "graph" else y,
                               num_nodes=n))
            bar.update()
    return graphs


def counting_split(num_graphs: int, seed: int = 0, fractions: Sequence[float] = (0.3, 0.2, 0.5)
                   ) -> Dict[str, Tensor]:
    """A seeded random train/valid/test split of ``num_graphs`` graphs (the benchmark's is
    30/20/50).

    Args:
        num_graphs: the dataset's length.
        seed: the permutation's seed.
        fractions: three non-negative numbers summing to 1: the train, valid and test shares.
            Sizes are ``round(f0 N)``, ``round((f0 + f1) N) - round(f0 N)`` and the rest.

    Returns:
        ``{"train": [N0], "valid": [N1], "test": [N2]}`` int64 graph indices, each sorted;
        together they are ``0 .. num_graphs - 1``, each once.
    """
    num_graphs = integer(num_graphs, "num_graphs", min=0)
    f = reals(fractions, "fractions", min=0.0)
    if len(f) != 3:
        raise ValueError(f"fractions must hold three numbers (train, valid, test), got {len(f)}")
    if abs(sum(f) - 1.0) > 1e-6:
        raise ValueError(f"fractions must sum to 1, got {f} (sum {sum(f)!r})")
    perm = np.random.default_rng(_seed(seed)).permutation(num_graphs)
    a = int(round(f[0] * num_graphs))
    b = max(a, min(num_graphs, int(round((f[0] + f[1]) * num_graphs))))
    parts = {"train": perm[:a], "valid": perm[a:b], "test": perm[b:]}
    return {k: torch.from_numpy(np.sort(v)).long() for k, v in parts.items()}
