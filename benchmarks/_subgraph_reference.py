"""A pure-PyTorch re-implementation of the data layout of the official SSWL code, for
``benchmarks/subgraph.py`` (written from the description of the approach of Zhang et
al., "A Complete Expressiveness Hierarchy for Subgraph GNNs via Subgraph
Weisfeiler-Lehman Tests", ICML 2023, whose code pins torch 1.9 / PyG 1.7; not copied
from it).

The official code keeps every pair ``(u, v)`` of every graph (``n^2`` pair rows, pair id
``u * n + v``) and recomputes everything on every access of a graph, as the dataset's
``transform`` (so once per graph per epoch):

1. the dense ``[n, n]`` adjacency (``torch_geometric.utils.to_dense_adj``) and all-pairs
   shortest paths by Floyd-Warshall on it: ``n`` relaxation steps
   ``D = min(D, D[:, k, None] + D[None, k, :])``;
2. per pair the node's features (``x_v`` copied to every ``(u, v)``) and the distance
   label, capped;
3. one index tensor per aggregation, ``[2, M]`` (destination pair, source pair):
   local ones for every root ``u`` and every edge (``n * E`` entries: ``uL``
   ``(u, w) -> (u, v)`` for every edge ``w -> v``, ``vL`` ``(w, v) -> (u, v)`` for
   every edge ``w -> u``); global ones for every pair and every third node
   (``n^3`` entries: ``uG`` ``(u, w) -> (u, v)``, ``vG`` ``(w, v) -> (u, v)``); the
   point-wise ones (``uu``, ``vv``, ``vu``) one source pair per pair (``[n^2]``, a
   gather); edge features, when the graph has them, copied to every local entry
   (``[n * E, ...]``);
4. PyG's ``DataLoader`` collates them, offsetting the pair indices by the pair counts
   (:class:`PairData`'s ``__inc__``).

The model side aggregates with a gather of the source rows and ``index_add_`` into the
destination rows over those index tensors (point-wise aggregations: a gather).
:class:`ReferenceSubgraphGNN` is graphlearn's :class:`~graphlearn.nn.SubgraphGNN`
architecture (label embedding, a GIN update with its own epsilon and MLP per
aggregation, norms, residuals, the two pooling stages with an MLP between, the head) on
that layout, with the same module names, so ``load_state_dict`` of a graphlearn model
gives the same function.

Differences from the official code, all in the reference's favour or neutral:

* the official model pools through one more ``uG`` aggregation layer, so its transform
  always builds a ``uG`` index (``n^3``) even for presets with local aggregations only;
  :class:`ReferenceSubgraphTransform` builds only the indices the preset's aggregations
  use and pools with a scatter over the pair's root (VS) or node (SV);
* distances: a self-loop or a repeated edge is one hop here (the official code puts the
  adjacency's value, 2 for a doubled edge, on the diagonal and in the distances), and
  unreachable pairs get the label ``max_distance + 1`` (the official code casts
  ``inf`` to an integer) -- the labels are graphlearn's ``SubgraphPolicy('distance')``
  ones.
"""
from __future__ import annotations

from typing import Optional, Sequence

import torch
from torch import Tensor, nn
from torch_geometric.data import Data

__all__ = ["PairData", "ReferenceSubgraphTransform", "TransformedList", "ReferenceSubgraphConv",
           "ReferenceSubgraphGNN", "PAIR_INDEX_KEYS", "GLOBAL", "LOCAL", "POINTWISE"]

LOCAL = ("uL", "vL")
GLOBAL = ("uG", "vG")
POINTWISE = ("uu", "vv", "vu")
PAIR_INDEX_KEYS = tuple(f"index_{a}" for a in LOCAL + GLOBAL + POINTWISE) + ("root_pairs",)
# the global aggregation whose rows at the root pairs are the first pooling stage
POOL_AGGREGATION = {"vs": "uG", "sv": "vG"}
POOL_LAYOUTS = ("global", "scatter")
_NODE_INDEX_KEYS = ("pair_root", "pair_node")


class PairData(Data):
    """One graph in the all-pairs layout: ``x`` ``[n^2, F]`` (one row per pair), ``d``
    ``[n^2]`` the labels, ``index_<agg>`` the aggregations' pair indices, ``pair_root`` /
    ``pair_node`` ``[n^2]`` the pair's node ids, ``node_graph`` ``[n]`` zeros (the graph
    of each node once batched), ``n_nodes`` / ``n_pairs`` the counts.

    Batching offsets the pair indices by ``n_pairs``, the node ids by ``n_nodes`` and
    ``node_graph`` by one per graph."""

    def __inc__(self, key, value, *args, **kwargs):
        if key in PAIR_INDEX_KEYS:
            return self.n_pairs
        if key in _NODE_INDEX_KEYS:
            return self.n_nodes
        if key == "node_graph":
            return 1
        return super().__inc__(key, value, *args, **kwargs)

    def __cat_dim__(self, key, value, *args, **kwargs):
        if key in PAIR_INDEX_KEYS:
            return -1
        return super().__cat_dim__(key, value, *args, **kwargs)


class ReferenceSubgraphTransform:
    """Data -> :class:`PairData` (see the module docstring), recomputed on every call.

    Args:
        aggregations: the aggregations whose indices to build (names as
            :data:`graphlearn.nn.conv.subgraph_conv.AGGREGATIONS`).
        max_distance: the label cap (distances above it are ``max_distance``, unreachable
            pairs ``max_distance + 1``), as ``SubgraphPolicy('distance', max_distance=...)``.
    """

    def __init__(self, aggregations: Sequence[str], max_distance: int = 8, pool: Optional[str] = "vs"):
        unknown = [a for a in aggregations if a not in LOCAL + GLOBAL + POINTWISE]
        if unknown:
            raise ValueError(f"ReferenceSubgraphTransform: unknown aggregations {unknown}")
        if pool not in (None, "vs", "sv"):
            raise ValueError(f"ReferenceSubgraphTransform: pool must be None, 'vs' or 'sv', got {pool!r}")
        self.aggregations = tuple(aggregations)
        self.max_distance = int(max_distance)
        self.pool = pool
        # the official code pools through one more global aggregation: its index is built too
        extra = () if pool is None else (POOL_AGGREGATION[pool],)
        self.indices = self.aggregations + tuple(a for a in extra if a not in self.aggregations)

    def __call__(self, data: Data) -> PairData:
        from torch_geometric.utils import to_dense_adj

        n = int(data.num_nodes)
        ei = data.edge_index
        adj = to_dense_adj(ei, max_num_nodes=n).squeeze(0) if ei.numel() else torch.zeros(n, n)
        dist = torch.full((n, n), float("inf"))
        dist[adj > 0] = 1.0
        dist.fill_diagonal_(0.0)
        for k in range(n):  # Floyd-Warshall
            dist = torch.minimum(dist, dist[:, k, None] + dist[None, k, :])
        label = dist.clamp_max(self.max_distance).masked_fill_(torch.isinf(dist), self.max_distance + 1)
        pair = torch.arange(n * n).view(n, n)  # pair id of (u, v)
        nodes = torch.arange(n)
        x = data.x if data.x is not None else torch.ones(n, 1)
        out = PairData(x=x.unsqueeze(0).expand(n, *x.shape).reshape(n * n, *x.shape[1:]),
                       d=label.long().reshape(-1), y=data.y, n_nodes=n, n_pairs=n * n,
                       pair_root=nodes.repeat_interleave(n), pair_node=nodes.repeat(n),
                       node_graph=torch.zeros(n, dtype=torch.long))
        w, v = ei[0], ei[1]  # the edges w -> v
        edge_attr = getattr(data, "edge_attr", None)
        out.root_pairs = pair.diagonal().clone()  # the pair (u, u) of every node u
        for a in self.indices:
            if a == "uL":  # for every root u and edge w -> v: (u, w) -> (u, v)
                dst = pair[:, 0, None] + v[None, :]
                src = pair[:, 0, None] + w[None, :]
            elif a == "vL":  # for every node v and edge w -> u: (w, v) -> (u, v)
                dst = pair[0, None, :] + v[:, None] * n
                src = pair[0, None, :] + w[:, None] * n
            elif a == "uG":  # for every pair (u, v) and node w: (u, w) -> (u, v)
                dst, src = torch.broadcast_tensors(pair[:, :, None], pair[:, None, :])
            elif a == "vG":  # for every pair (u, v) and node w: (w, v) -> (u, v)
                dst, src = torch.broadcast_tensors(pair[:, :, None], pair.t()[None, :, :])
            elif a == "uu":
                out.index_uu = pair.diagonal()[:, None].expand(n, n).reshape(-1)
                continue
            elif a == "vv":
                out.index_vv = pair.diagonal()[None, :].expand(n, n).reshape(-1)
                continue
            else:  # vu
                out.index_vu = pair.t().reshape(-1)
                continue
            out[f"index_{a}"] = torch.stack([dst.reshape(-1), src.reshape(-1)])
            if a in LOCAL and edge_attr is not None:  # the edge's features on each of its n copies
                e = edge_attr.unsqueeze(0 if a == "uL" else 1)
                e = e.expand(*((n, -1) if a == "uL" else (-1, n)), *edge_attr.shape[1:])
                out[f"attrs_{a}"] = e.reshape(-1, *edge_attr.shape[1:])
        return out


class TransformedList(torch.utils.data.Dataset):
    """A list of graphs with a transform applied on every access (as a PyG dataset's
    ``transform``)."""

    def __init__(self, graphs: Sequence[Data], transform):
        self.graphs, self.transform = list(graphs), transform

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, i: int):
        return self.transform(self.graphs[i])


def _mlp(channels: int) -> nn.Sequential:
    """graphlearn's default update MLP: Linear, BatchNorm, ReLU, Linear (same names)."""
    return nn.Sequential(nn.Linear(channels, channels), nn.BatchNorm1d(channels), nn.ReLU(),
                         nn.Linear(channels, channels))


class ReferenceSubgraphConv(nn.Module):
    r""":math:`h'(u, v) = \sum_a \mathrm{MLP}_a((1 + \epsilon_a) h(u, v) + \mathrm{agg}_a(h)(u, v))`
    with ``agg_a`` a gather + ``index_add_`` over the batch's ``index_<a>`` (a gather for
    the point-wise ones). Module names as :class:`graphlearn.nn.SubgraphConv`'s."""

    def __init__(self, channels: int, aggregations: Sequence[str]):
        super().__init__()
        self.aggregations = tuple(aggregations)
        self.mlps = nn.ModuleDict({a: _mlp(channels) for a in self.aggregations})
        self.eps = nn.Parameter(torch.zeros(len(self.aggregations)))
        self.lin_edge = nn.ModuleDict()  # no edge features

    @staticmethod
    def aggregate(name: str, h: Tensor, batch) -> Tensor:
        index = batch[f"index_{name}"]
        if name in POINTWISE:
            return h.index_select(0, index)
        dst, src = index
        return h.new_zeros(h.shape).index_add_(0, dst, h.index_select(0, src))

    def forward(self, h: Tensor, batch) -> Tensor:
        out = None
        for i, a in enumerate(self.aggregations):
            y = self.mlps[a]((1 + self.eps[i]) * h + self.aggregate(a, h, batch))
            out = y if out is None else out + y
        return out


class _Linear(nn.Module):
    def __init__(self, a: int, b: int):
        super().__init__()
        self.lin = nn.Linear(a, b)


class ReferenceSubgraphGNN(nn.Module):
    """:class:`graphlearn.nn.SubgraphGNN` (``input="linear"``, no edge features,
    ``norm="batch"``, sum pooling stages, graph task, no dropout) on the all-pairs layout
    of :class:`ReferenceSubgraphTransform`. ``forward(batch)`` -> ``[B, out_channels]``."""

    def __init__(self, in_channels: int, hidden_channels: int, num_layers: int, out_channels: int,
                 aggregations: Sequence[str], pool: str = "vs", max_distance: int = 8, residual: bool = True,
                 pool_layout: str = "global"):
        super().__init__()
        if pool_layout not in POOL_LAYOUTS:
            raise ValueError(f"ReferenceSubgraphGNN: pool_layout must be one of {POOL_LAYOUTS}, got {pool_layout!r}")
        self.pool_layout = pool_layout
        hid = hidden_channels
        self.aggregations, self.pool, self.residual, self.num_layers = tuple(aggregations), pool, residual, num_layers
        self.node_encoder = _Linear(in_channels, hid)
        self.label_embedding = nn.Embedding(max_distance + 2, hid)
        self.convs = nn.ModuleList([ReferenceSubgraphConv(hid, self.aggregations) for _ in range(num_layers)])
        self.norms = nn.ModuleList([nn.BatchNorm1d(hid) for _ in range(num_layers)])
        self.pool_mlp = nn.Sequential(nn.Linear(hid, hid), nn.BatchNorm1d(hid), nn.ReLU(), nn.Linear(hid, hid))
        self.head = nn.Sequential(nn.Linear(hid, hid), nn.ReLU(), nn.Linear(hid, out_channels))

    @classmethod
    def from_graphlearn(cls, model, pool_layout: str = "global") -> "ReferenceSubgraphGNN":
        """A copy of a graphlearn ``SubgraphGNN`` with its weights, dtype and mode;
        ValueError for options this reference does not mirror."""
        unsupported = {"input": (model.input, "linear"), "edge_dim": (model.edge_dim, None),
                       "norm": (model.norm, "batch"), "dropout": (model.dropout, 0.0), "task": (model.task, "graph"),
                       "subgraph_reduce": (model.subgraph_reduce, "sum"), "readout": (model.readout, "sum")}
        bad = {k: v for k, (v, want) in unsupported.items() if v != want}
        if bad:
            raise ValueError(f"ReferenceSubgraphGNN mirrors input='linear', no edge_dim, norm='batch', no dropout, "
                             f"task='graph' and sum pooling only; got {bad}")
        ref = cls(model.in_channels, model.hidden_channels, model.num_layers, model.out_channels,
                  model.aggregations, model.pool, model.max_distance, model.residual, pool_layout)
        p = next(model.parameters())
        ref.to(dtype=p.dtype, device=p.device)
        ref.load_state_dict(model.state_dict())
        return ref.train(model.training)

    def forward(self, batch) -> Tensor:
        dtype = self.label_embedding.weight.dtype
        h = self.node_encoder.lin(batch.x.to(dtype)) + self.label_embedding(batch.d)
        for i, conv in enumerate(self.convs):
            out = self.norms[i](conv(h, batch))
            if i < self.num_layers - 1:
                out = torch.relu(out)
            h = h + out if self.residual and i > 0 else out
        if self.pool_layout == "global":  # the official way: a global aggregation, read at the root pairs
            z = ReferenceSubgraphConv.aggregate(POOL_AGGREGATION[self.pool], h, batch)
            z = z.index_select(0, batch.root_pairs)
        else:  # a scatter of the pairs into their root (VS) / node (SV)
            index = batch.pair_root if self.pool == "vs" else batch.pair_node
            z = h.new_zeros(int(batch.n_nodes.sum()), h.size(1)).index_add_(0, index, h)
        z = self.pool_mlp(z)
        g = z.new_zeros(int(batch.num_graphs), z.size(1)).index_add_(0, batch.node_graph, z)
        return self.head(g)

