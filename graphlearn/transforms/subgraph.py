r"""Subgraph policies for node-based subgraph GNNs, computed once per graph.

A node-based subgraph GNN keeps one representation :math:`h(u, v)` per *pair*: node
:math:`v` in the subgraph rooted at node :math:`u` (Zhang et al., "A Complete
Expressiveness Hierarchy for Subgraph GNNs via Subgraph Weisfeiler-Lehman Tests",
ICML 2023). :class:`SubgraphPolicy` lists the pairs a policy keeps, labels them and
builds the pair-level structure that :class:`graphlearn.nn.SubgraphGNN` aggregates over:

* ``"distance"``: every node in every subgraph (all :math:`n^2` pairs), labelled with
  the shortest-path distance from the root, capped at ``max_distance``; nodes the root
  cannot reach get the label ``max_distance + 1`` of their own;
* ``"marking"``: every node in every subgraph, labelled 0 at the root and 1 elsewhere
  (node marking);
* ``"ego"``: only the nodes within ``k`` hops of the root (the k-hop ego net), labelled
  with their distance ``0..k``; this keeps the number of pairs proportional to the
  ego-net sizes, which is what makes large graphs feasible.

Distances come from the compiled k-hop kernel (:func:`graphlearn.ops.khop_distances`);
use :func:`graphlearn.transforms.precompute` to compute them once per data set and cache
them with the processed data.

Graphs are read as undirected: an edge whose reverse is missing gets it, with the same
features (every edge-level attribute is extended), and ``edge_index`` is replaced by the
symmetric list. Self-loops and repeated edges are kept as given (a repeated edge counts
twice in the local sums, as in GIN); they do not change distances.

Attributes added (``P`` pairs, ``Q`` pair-level edges, local ids within the graph):

==================  ==========  ============================================================
``sub_pair_index``  ``[2, P]``  (root :math:`u`, node :math:`v`), sorted by root then node
``sub_label``       ``[P]``     the policy's label of each pair (distance / marking)
``sub_edge_src``    ``[Q]``     pair :math:`(u, w)` of each local edge :math:`(u, w) \to (u, v)`
``sub_edge_dst``    ``[Q]``     pair :math:`(u, v)` (sorted), for every edge :math:`w \to v`
                                of the graph with both pairs kept
``sub_edge_id``     ``[Q]``     that edge's position in ``edge_index`` (for edge features)
``sub_transpose``   ``[P]``     the pair :math:`(v, u)` of each pair (always kept: the
                                policies are symmetric on undirected graphs)
``sub_root``        ``[N]``     the pair :math:`(u, u)` of each node
``sub_num_pairs``   ``[1]``     P, so that a batch can offset the pair ids per graph
``sub_num_edges``   ``[1]``     Q
``sub_num_labels``  ``[1]``     the policy's :attr:`~SubgraphPolicy.num_labels` (a model checks
                                that its label embedding has that many rows)
==================  ==========  ============================================================

PyG's ``DataLoader`` batches these as it batches any attribute: ``sub_pair_index``
(an *index*) is offset by the node counts; the pair ids (``sub_edge_*``,
``sub_transpose``, ``sub_root``) stay local, and :func:`subgraph_structure` adds the
per-graph offsets (from ``sub_num_pairs`` and ``sub_num_edges``) when a model runs. So
the attributes survive any container (a list, an ``InMemoryDataset``, the cache of
:func:`graphlearn.transforms.precompute`) without a custom ``Data`` class. Memory is
linear in the pairs and pair-level edges kept: ``n^2`` and ``n * E`` for the full
policies, the ego-net sizes for ``"ego"``.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Optional

import torch
from torch import Tensor
from torch_geometric.transforms import BaseTransform

from graphlearn import _validate, ops
from graphlearn.sparse import CSR

__all__ = ["SubgraphPolicy", "SubgraphStructure", "subgraph_structure", "POLICIES", "SUBGRAPH_KEYS"]

POLICIES = ("distance", "marking", "ego")
SUBGRAPH_KEYS = ("sub_pair_index", "sub_label", "sub_edge_src", "sub_edge_dst", "sub_edge_id", "sub_transpose",
                 "sub_root", "sub_num_pairs", "sub_num_edges", "sub_num_labels")


class SubgraphPolicy(BaseTransform):
    r"""Adds the pairs :math:`(u, v)` of a node-based subgraph policy, their labels and
    the pair-level structure to a graph (see :mod:`graphlearn.transforms.subgraph`).

    Args:
        policy: ``"distance"`` (all pairs, shortest-path distance labels; default),
            ``"marking"`` (all pairs, 0 at the root and 1 elsewhere) or ``"ego"`` (the
            pairs within ``k`` hops, distance labels ``0..k``).
        k: the ego-net radius, an integer >= 0 (required for ``"ego"``, refused for
            the others, which keep every node).
        max_distance: the cap on the distance labels of ``"distance"`` (an integer
            >= 0, default 8): distances above it are labelled ``max_distance``, and
            unreachable nodes ``max_distance + 1``. A model's ``max_distance`` must
            be at least this one.

    Input: a ``Data`` with ``edge_index`` ``[2, E]`` (integer node ids in ``[0, N)``)
    and ``num_nodes`` (or ``x``). Output: the same graph with the attributes of the
    module docstring (and ``edge_index`` made symmetric when it was not).

    Raises:
        TypeError / ValueError: bad options (at construction), or a graph without a
        valid ``edge_index`` (naming what is wrong). MemoryError: the full policies'
        ``[N, N]`` distance table of a graph too large for memory (use ``"ego"``).
    """

    def __init__(self, policy: str = "distance", k: Optional[int] = None, max_distance: int = 8):
        where = "SubgraphPolicy"
        self.policy = _validate.choice(policy, f"{where}: policy", POLICIES)
        if self.policy == "ego":
            if k is None:
                raise ValueError(f"{where}: policy='ego' needs k, the ego-net radius (an integer >= 0)")
            self.k = _validate.integer(k, f"{where}: k", min=0, max=2 ** 40)
        else:
            if k is not None:
                raise ValueError(f"{where}: k={k!r} only applies to policy='ego'; policy={self.policy!r} keeps "
                                 "every node of every subgraph")
            self.k = None
        self.max_distance = _validate.integer(max_distance, f"{where}: max_distance", min=0, max=2 ** 40)

    @property
    def num_labels(self) -> int:
        """The number of distinct labels the policy can give: ``max_distance + 2``
        (distance), 2 (marking) or ``k + 1`` (ego)."""
        if self.policy == "distance":
            return self.max_distance + 2
        return 2 if self.policy == "marking" else self.k + 1

    def forward(self, data: Any) -> Any:
        where = f"SubgraphPolicy({self.policy!r})"
        n, edge_index = _graph_of(data, where)
        edge_index = _symmetrize(data, edge_index, n)
        src, dst = edge_index[0], edge_index[1]
        # rows aggregate: the entries of row v are the sources w of the edges w -> v,
        # sorted by source; eid maps each entry to its position in edge_index
        eid = torch.argsort(dst * max(n, 1) + src, stable=True)
        rowptr = torch.zeros(n + 1, dtype=torch.long)
        if n:
            rowptr[1:] = torch.cumsum(torch.bincount(dst, minlength=n), 0)
        col = src[eid]
        root, node, label = self._pairs(rowptr, col, n, where)
        keys = root * n + node  # ascending: pairs are sorted by root, then node
        esrc, edst, edge_id = _local_edges(rowptr, col, eid, root, node, keys, n)
        transpose = _find(keys, node * n + root)
        roots = torch.arange(n)
        data.sub_pair_index = torch.stack([root, node])
        data.sub_label = label
        data.sub_edge_src, data.sub_edge_dst, data.sub_edge_id = esrc, edst, edge_id
        data.sub_transpose = transpose
        data.sub_root = _find(keys, roots * n + roots)
        data.sub_num_pairs = torch.tensor([keys.numel()])
        data.sub_num_edges = torch.tensor([esrc.numel()])
        data.sub_num_labels = torch.tensor([self.num_labels])
        return data

    def _pairs(self, rowptr: Tensor, col: Tensor, n: int, where: str):
        """``(root, node, label)`` of the kept pairs, sorted by root then node."""
        if n == 0:
            empty = torch.zeros(0, dtype=torch.long)
            return empty, empty, empty
        adj = CSR(rowptr, col, num_cols=n, validate=False, sorted=True)
        roots = torch.arange(n)
        if self.policy == "ego":
            r, v, d = ops.khop_distances(adj, roots, self.k, sparse=True)
            return r.long(), v.long(), d.long()
        _validate.check_memory(n * n * 8 * 3, f"{where}: the [{n}, {n}] pairs of a {n}-node graph",
                               hint="use SubgraphPolicy('ego', k) to keep only the pairs within k hops")
        root = roots.repeat_interleave(n)
        node = roots.repeat(n)
        if self.policy == "marking":  # no distances needed
            return root, node, (root != node).long()
        dist = ops.khop_distances(adj, roots, n)  # exact; unreachable: n + 1
        label = dist.clamp_max(self.max_distance).masked_fill_(dist > n, self.max_distance + 1)
        return root, node, label.reshape(-1)

    def __repr__(self) -> str:
        if self.policy == "ego":
            return f"{type(self).__name__}('ego', k={self.k})"
        extra = f", max_distance={self.max_distance}" if self.policy == "distance" else ""
        return f"{type(self).__name__}({self.policy!r}{extra})"


def _graph_of(data: Any, where: str):
    """``(N, edge_index [2, E] int64)`` of a Data, checked."""
    if not (hasattr(data, "keys") and hasattr(data, "num_nodes")):
        raise TypeError(f"{where}: expects a PyG Data, got {type(data).__name__}")
    edge_index = getattr(data, "edge_index", None)
    n = data.num_nodes
    if n is None:
        raise ValueError(f"{where}: the graph has neither num_nodes nor x, so its node count is unknown")
    n = int(n)
    if edge_index is None:
        edge_index = torch.zeros(2, 0, dtype=torch.long)
    if not isinstance(edge_index, Tensor):
        raise TypeError(f"{where}: edge_index must be a [2, E] integer tensor, got {type(edge_index).__name__}")
    if edge_index.dtype.is_floating_point or edge_index.is_complex() or edge_index.dtype == torch.bool:
        raise TypeError(f"{where}: edge_index must hold integer node ids, got {edge_index.dtype}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"{where}: edge_index must have shape [2, E], got {list(edge_index.shape)}")
    edge_index = edge_index.long().cpu()
    if edge_index.numel():
        bad = ((edge_index < 0) | (edge_index >= n)).nonzero()
        if bad.numel():
            r, c = (int(t) for t in bad[0])
            raise ValueError(f"{where}: edge_index[{r}, {c}] = {int(edge_index[r, c])} is not a node id in "
                             f"[0, {n})")
    return n, edge_index


def _symmetrize(data: Any, edge_index: Tensor, n: int) -> Tensor:
    """The edge list with the missing reverse edges appended (their edge-level
    attributes copied from the forward edge); ``data`` is updated when edges were added."""
    if edge_index.size(1) == 0:
        return edge_index
    src, dst = edge_index
    has_reverse = torch.isin(dst * n + src, src * n + dst)
    missing = (~has_reverse).nonzero().view(-1)
    if missing.numel() == 0:
        return edge_index
    num_edges = edge_index.size(1)
    for key, value in list(data.items()):
        if key != "edge_index" and isinstance(value, Tensor) and value.dim() >= 1 and value.size(0) == num_edges \
                and data.is_edge_attr(key):
            data[key] = torch.cat([value, value.index_select(0, missing.to(value.device))])
    out = torch.cat([edge_index, edge_index[:, missing].flip(0)], 1)
    data.edge_index = out
    return out


def _find(keys: Tensor, query: Tensor) -> Tensor:
    """Positions of ``query`` in the sorted ``keys`` (all present by construction)."""
    pos = torch.searchsorted(keys, query)
    if query.numel() and (int(pos.max()) >= keys.numel() or not bool((keys[pos] == query).all())):
        raise RuntimeError("SubgraphPolicy: internal error: a pair (v, u) or (u, u) is missing from the policy; "
                           "please report this graph")
    return pos


def _local_edges(rowptr: Tensor, col: Tensor, eid: Tensor, root: Tensor, node: Tensor, keys: Tensor, n: int):
    """The pair-level edges ``(u, w) -> (u, v)`` for every edge ``w -> v`` with both
    pairs kept: ``(src pair, dst pair, edge id)``, sorted by destination pair."""
    deg = rowptr[1:] - rowptr[:-1]
    count = deg[node] if node.numel() else node
    total = int(count.sum()) if count.numel() else 0
    if total == 0:
        empty = torch.zeros(0, dtype=torch.long)
        return empty, empty, empty
    dst = torch.repeat_interleave(torch.arange(keys.numel()), count)
    start = torch.cumsum(count, 0) - count
    entry = rowptr[node][dst] + torch.arange(total) - start[dst]
    cand = root[dst] * n + col[entry]
    pos = torch.searchsorted(keys, cand).clamp_max(keys.numel() - 1)
    kept = keys[pos] == cand
    return pos[kept], dst[kept], eid[entry[kept]]


# ----------------------------------------------------------------------------- batches


class SubgraphStructure(NamedTuple):
    """The pair-level structure of a batch, with global ids (``P`` pairs, ``Q``
    pair-level edges, ``N`` nodes, ``B`` graphs):

    * ``root``, ``node``: ``[P]`` node ids :math:`u`, :math:`v` of every pair;
    * ``label``: ``[P]`` the policy's labels;
    * ``local``: the ``[P, P]`` CSR of the local aggregation (row :math:`(u, v)` holds
      the pairs :math:`(u, w)` for the edges :math:`w \\to v`), and ``edge_id``
      ``[Q]`` each of its entries' edge in the batch's ``edge_index``;
    * ``transpose``: ``[P]`` the pair :math:`(v, u)` of every pair;
    * ``root_pair``: ``[N]`` the pair :math:`(u, u)` of every node;
    * ``by_root``: the ``[N, P]`` CSR whose row :math:`u` holds the pairs of the
      subgraph rooted at :math:`u` (subgraph sums are one SpMM with it);
    * ``pair_graph``: ``[P]`` the graph of every pair, ``num_graphs`` B;
    * ``num_labels``: the most labels any graph's policy can give.
    """
    root: Tensor
    node: Tensor
    label: Tensor
    local: CSR
    edge_id: Tensor
    transpose: Tensor
    root_pair: Tensor
    by_root: CSR
    pair_graph: Tensor
    num_graphs: int
    num_labels: int


def _counts(data: Any, key: str, num_graphs: int, where: str) -> Tensor:
    value = data[key]
    if not isinstance(value, Tensor):
        value = torch.as_tensor(value)
    value = value.view(-1).long()
    if value.numel() != num_graphs:
        raise ValueError(f"{where}: {key} has {value.numel()} entries for {num_graphs} graphs; the batch mixes graphs "
                         "with and without SubgraphPolicy attributes")
    return value


def _check_range(ids: Tensor, size: int, what: str, where: str, hint: str = "") -> None:
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= size):
        bad = int(ids.min()) if int(ids.min()) < 0 else int(ids.max())
        raise ValueError(f"{where}: {what} holds {bad}, outside [0, {size}){hint}")


def subgraph_structure(data: Any, where: str = "subgraph_structure") -> SubgraphStructure:
    """The :class:`SubgraphStructure` of a ``Data`` / PyG ``Batch`` that
    :class:`SubgraphPolicy` has processed: the per-graph pair and edge ids offset to
    global ones, and the CSRs that the subgraph aggregations run on.

    Raises:
        ValueError: attributes missing (the graphs were not processed by
            :class:`SubgraphPolicy`) or inconsistent (naming which).
    """
    missing = [k for k in SUBGRAPH_KEYS if getattr(data, k, None) is None]
    if missing:
        raise ValueError(f"{where}: the graphs have no {', '.join(missing)}: apply "
                         "graphlearn.transforms.SubgraphPolicy to every graph first (once, e.g. with "
                         "graphlearn.transforms.precompute(dataset, SubgraphPolicy('distance')))")
    n = int(data.num_nodes)
    batch = getattr(data, "batch", None)
    num_graphs = int(data.num_graphs) if batch is not None and hasattr(data, "num_graphs") else 1
    pairs = data.sub_pair_index
    device = pairs.device
    if batch is None:
        batch = torch.zeros(n, dtype=torch.long, device=device)
    num_pairs = _counts(data, "sub_num_pairs", num_graphs, where).to(device)
    num_edges = _counts(data, "sub_num_edges", num_graphs, where).to(device)
    p, q = int(num_pairs.sum()), int(num_edges.sum())
    if pairs.dim() != 2 or pairs.size(0) != 2 or pairs.size(1) != p:
        raise ValueError(f"{where}: sub_pair_index must be [2, {p}] (sub_num_pairs sums to {p}), got "
                         f"{list(pairs.shape)}")
    sizes = {"sub_label": p, "sub_transpose": p, "sub_root": n, "sub_edge_src": q, "sub_edge_dst": q,
             "sub_edge_id": q}
    for key, size in sizes.items():
        if data[key].dim() != 1 or data[key].numel() != size:
            raise ValueError(f"{where}: {key} must have shape [{size}], got {list(data[key].shape)}")
    pair_off = torch.cumsum(num_pairs, 0) - num_pairs
    graphs = torch.arange(num_graphs, device=device)
    pair_graph = torch.repeat_interleave(graphs, num_pairs)
    edge_graph = torch.repeat_interleave(graphs, num_edges)
    ei = getattr(data, "edge_index", None)
    num_batch_edges = 0 if ei is None else ei.size(1)
    if num_batch_edges:
        edges_per_graph = torch.bincount(batch[ei[0]], minlength=num_graphs)
        edge_off = torch.cumsum(edges_per_graph, 0) - edges_per_graph
    else:
        edge_off = torch.zeros(num_graphs, dtype=torch.long, device=device)
    root, node = pairs[0].long(), pairs[1].long()
    src = data.sub_edge_src.long() + pair_off[edge_graph]
    dst = data.sub_edge_dst.long() + pair_off[edge_graph]
    edge_id = data.sub_edge_id.long() + edge_off[edge_graph]
    transpose = data.sub_transpose.long() + pair_off[pair_graph]
    root_pair = data.sub_root.long() + pair_off[batch]
    _check_range(root, n, "sub_pair_index[0]", where)
    _check_range(node, n, "sub_pair_index[1]", where)
    for key, ids in (("sub_edge_src", src), ("sub_edge_dst", dst), ("sub_transpose", transpose),
                     ("sub_root", root_pair)):
        _check_range(ids, p, key + " (offset by the batch)", where)
    _check_range(edge_id, num_batch_edges, "sub_edge_id (offset by the batch)", where,
                 "; edge_index changed after SubgraphPolicy ran")
    if (p > 1 and bool((root[1:] < root[:-1]).any())) or (q > 1 and bool((dst[1:] < dst[:-1]).any())):
        raise ValueError(f"{where}: the pairs (or the pair-level edges) are not in SubgraphPolicy's order; "
                         "the subgraph attributes were reordered or edited after the transform")
    local_ptr = torch.zeros(p + 1, dtype=torch.long, device=device)
    by_root_ptr = torch.zeros(n + 1, dtype=torch.long, device=device)
    if p:
        local_ptr[1:] = torch.cumsum(torch.bincount(dst, minlength=p), 0)
        by_root_ptr[1:] = torch.cumsum(torch.bincount(root, minlength=n), 0)
    local = CSR(local_ptr, src, num_cols=max(p, 1), validate=False, sorted=True) if p else None
    by_root = CSR(by_root_ptr, torch.arange(p, device=device), num_cols=max(p, 1), validate=False,
                  sorted=True) if n else None
    label = data.sub_label.long()
    num_labels = int(_counts(data, "sub_num_labels", num_graphs, where).max()) if num_graphs else 0
    _check_range(label, max(num_labels, 1), "sub_label", where)
    return SubgraphStructure(root, node, label, local, edge_id, transpose, root_pair, by_root, pair_graph,
                             num_graphs, num_labels)
