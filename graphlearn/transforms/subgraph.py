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
``sub_pair_attr``   ``[P, 3]``  per pair: the policy's label (distance / marking), the pair
                                :math:`(v, u)` (always kept: the policies are symmetric on
                                undirected graphs), and the number of local edges into it
``sub_local``       ``[Q, 2]``  the local edges :math:`(u, w) \to (u, v)`, one for every edge
                                :math:`w \to v` of the graph with both pairs kept, grouped by
                                the pair :math:`(u, v)` in pair order (so the counts above are
                                the rows of a CSR): the pair :math:`(u, w)` and the edge's
                                position in ``edge_index`` (for edge features)
``sub_root``        ``[N]``     the pair :math:`(u, u)` of each node
``sub_sizes``       ``[1, 3]``  P, Q and the policy's :attr:`~SubgraphPolicy.num_labels` (a
                                model checks that its label embedding has that many rows)
==================  ==========  ============================================================

PyG's ``DataLoader`` batches these as it batches any attribute: ``sub_pair_index``
(an *index*) is offset by the node counts; the pair ids (``sub_pair_attr[:, 1]``,
``sub_local``, ``sub_root``) stay local, and :func:`subgraph_structure` adds the
per-graph offsets (from ``sub_sizes``) when a model runs. So
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
SUBGRAPH_KEYS = ("sub_pair_index", "sub_pair_attr", "sub_local", "sub_root", "sub_sizes")
_LAYOUT = 3
# graphs below this many nodes skip the memory check of the full policies (n^2 pairs: 1.5 MiB)
_SMALL = 256


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
        # the layout of the attributes this transform writes: part of precompute's cache key,
        # so results cached by an older layout are recomputed, never misread
        self._layout = _LAYOUT

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
        roots = torch.arange(n)
        if self.policy == "ego":
            keys = root * n + node  # ascending: pairs are sorted by root, then node
            transpose = _find(keys, node * n + root)
            root_pair = _find(keys, roots * (n + 1))
        else:  # all pairs: pair (u, v) is u * n + v
            keys = None
            transpose = node * n + root
            root_pair = roots * (n + 1)
        local, into = _local_edges(rowptr, col, eid, root, node, keys, n)
        data.sub_pair_index = torch.stack([root, node])
        data.sub_pair_attr = torch.stack([label, transpose, into], 1)
        data.sub_local = local
        data.sub_root = root_pair
        data.sub_sizes = torch.tensor([[root.numel(), local.size(0), self.num_labels]])
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
        if n > _SMALL:
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


def _local_edges(rowptr: Tensor, col: Tensor, eid: Tensor, root: Tensor, node: Tensor, keys: Optional[Tensor],
                 n: int) -> Tensor:
    """The pair-level edges ``(u, w) -> (u, v)`` for every edge ``w -> v`` with both
    pairs kept, grouped by the destination pair in pair order: ``([Q, 2]`` rows (src
    pair, edge id), ``[P]`` the number of them per destination pair). ``keys``: the
    sorted ``u * n + v`` of the kept pairs, or None when every pair is kept (then pair
    ``(u, w)`` is ``u * n + w``)."""
    deg = rowptr[1:] - rowptr[:-1]
    count = deg[node] if node.numel() else node
    total = int(count.sum()) if count.numel() else 0
    if total == 0:
        return torch.zeros(0, 2, dtype=torch.long), torch.zeros(node.numel(), dtype=torch.long)
    dst = torch.repeat_interleave(torch.arange(node.numel()), count)
    start = torch.cumsum(count, 0) - count
    entry = rowptr[node][dst] + torch.arange(total) - start[dst]
    cand = root[dst] * n + col[entry]
    if keys is None:
        return torch.stack([cand, eid[entry]], 1), count
    pos = torch.searchsorted(keys, cand).clamp_max(keys.numel() - 1)
    kept = keys[pos] == cand
    return torch.stack([pos[kept], eid[entry[kept]]], 1), torch.bincount(dst[kept], minlength=node.numel())


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
    * ``num_labels``: the most labels any graph's policy can give;
    * ``num_edges``: the number of edges of the batch's ``edge_index`` (the rows
      ``edge_attr`` must have).
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
    num_edges: int


def _check_range(ids: Tensor, size: int, what: str, where: str, hint: str = "") -> None:
    if ids.numel():
        lo, hi = (int(t) for t in torch.aminmax(ids))
        if lo < 0 or hi >= size:
            raise ValueError(f"{where}: {what} holds {lo if lo < 0 else hi}, outside [0, {size}){hint}")


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
    pairs, attr, local, sizes = data.sub_pair_index, data.sub_pair_attr, data.sub_local, data.sub_sizes
    device = pairs.device
    if batch is None:
        batch = torch.zeros(n, dtype=torch.long, device=device)
    if not isinstance(sizes, Tensor) or sizes.dim() != 2 or sizes.shape != (num_graphs, 3):
        raise ValueError(f"{where}: sub_sizes must be [{num_graphs}, 3] (one row per graph), got "
                         f"{list(sizes.shape) if isinstance(sizes, Tensor) else type(sizes).__name__}; the batch "
                         "mixes graphs with and without SubgraphPolicy attributes")
    sizes = sizes.long()
    num_pairs, num_local = sizes[:, 0], sizes[:, 1]
    p, q = int(num_pairs.sum()), int(num_local.sum())
    for key, value, shape in (("sub_pair_index", pairs, (2, p)), ("sub_pair_attr", attr, (p, 3)),
                              ("sub_local", local, (q, 2)), ("sub_root", data.sub_root, (n,))):
        if tuple(value.shape) != shape:
            raise ValueError(f"{where}: {key} must have shape {list(shape)} (from sub_sizes and the node count), got "
                             f"{list(value.shape)}")
    pair_off = torch.cumsum(num_pairs, 0) - num_pairs
    ei = getattr(data, "edge_index", None)
    num_batch_edges = 0 if ei is None else ei.size(1)
    root, node = pairs[0].long(), pairs[1].long()
    label = attr[:, 0].long().contiguous()
    transpose = attr[:, 1].long() + torch.repeat_interleave(pair_off, num_pairs, output_size=p)
    root_pair = data.sub_root.long() + pair_off[batch]
    _check_range(root, n, "sub_pair_index[0]", where)
    _check_range(node, n, "sub_pair_index[1]", where)
    _check_range(transpose, p, "sub_pair_attr[:, 1] (offset by the batch)", where)
    _check_range(root_pair, p, "sub_root (offset by the batch)", where)
    if p > 1 and bool((root[1:] < root[:-1]).any()):
        raise ValueError(f"{where}: the pairs are not in SubgraphPolicy's order (sorted by root); the subgraph "
                         "attributes were reordered or edited after the transform")
    local_ptr = torch.zeros(p + 1, dtype=torch.long, device=device)
    if p:
        local_ptr[1:] = torch.cumsum(attr[:, 2].long(), 0)
        lo = int(attr[:, 2].min())
        if lo < 0 or int(local_ptr[-1]) != q:
            raise ValueError(f"{where}: sub_pair_attr[:, 2] (local edges per pair) "
                             f"{'holds ' + str(lo) if lo < 0 else 'sums to ' + str(int(local_ptr[-1]))}, "
                             f"but the batch has {q} local edges (sub_sizes)")
    if q:
        # column by column: the sums come out contiguous, as the CSR and the gathers want them
        local = local.long()
        src = local[:, 0] + torch.repeat_interleave(pair_off, num_local, output_size=q)
        edge_id = local[:, 1] + torch.repeat_interleave(_edge_offsets(ei, batch, num_graphs), num_local, output_size=q)
        _check_range(src, p, "sub_local[:, 0] (offset by the batch)", where)
        _check_range(edge_id, num_batch_edges, "sub_local[:, 1] (offset by the batch)", where,
                     "; edge_index changed after SubgraphPolicy ran")
    else:
        src = edge_id = root.new_zeros(0)
    by_root_ptr = torch.zeros(n + 1, dtype=torch.long, device=device)
    if p:
        by_root_ptr[1:] = torch.cumsum(torch.bincount(root, minlength=n), 0)
    local_csr = CSR(local_ptr, src, num_cols=max(p, 1), validate=False, sorted=True) if p else None
    by_root = CSR(by_root_ptr, torch.arange(p, device=device), num_cols=max(p, 1), validate=False,
                  sorted=True) if n else None
    num_labels = int(sizes[:, 2].max()) if num_graphs else 0
    _check_range(label, max(num_labels, 1), "sub_pair_attr[:, 0] (the labels)", where)
    return SubgraphStructure(root, node, label, local_csr, edge_id, transpose, root_pair, by_root,
                             batch[root], num_graphs, num_labels, num_batch_edges)


def _edge_offsets(edge_index: Optional[Tensor], batch: Tensor, num_graphs: int) -> Tensor:
    """The position of each graph's first edge in the batch's ``edge_index``."""
    if edge_index is None or edge_index.size(1) == 0:
        return torch.zeros(num_graphs, dtype=torch.long, device=batch.device)
    per_graph = torch.bincount(batch[edge_index[0]], minlength=num_graphs)
    return torch.cumsum(per_graph, 0) - per_graph
