r"""Node-based subgraph GNNs across the Subgraph Weisfeiler-Lehman hierarchy.

Zhang et al., "A Complete Expressiveness Hierarchy for Subgraph GNNs via Subgraph
Weisfeiler-Lehman Tests" (ICML 2023), show that every node-based subgraph GNN is as
expressive as one of six classes, set by its aggregations and its pooling order, with
strictly growing power:

=============  ==========================  =======  =====================================
preset         aggregations                pooling  the paper's class
=============  ==========================  =======  =====================================
``swl_vs``     ``uL``                      VS       SWL(VS) (e.g. NGNN, DS-GNN)
``swl_sv``     ``uL``                      SV       SWL(SV)
``pswl_vs``    ``uL, vv``                  VS       PSWL(VS)
``pswl_sv``    ``uL, vv``                  SV       PSWL(SV)
``gswl``       ``uL, vG``                  VS       GSWL (e.g. DSS-GNN, GNN-AK)
``sswl``       ``uL, vL``                  VS       SSWL, the most expressive class
``sswl+``      ``uL, vL, vv``              VS       GNN-SSWL+, the paper's model
``spen``       ``uL, uG, vG``              VS       SPEN-style (Mitton & Murray-Smith):
                                                    an equivariant update per ego net
                                                    plus the exchange across subgraphs;
                                                    meant for ``SubgraphPolicy('ego', k)``
=============  ==========================  =======  =====================================

(aggregations: :data:`graphlearn.nn.conv.subgraph_conv.AGGREGATIONS`). Pooling VS sums
each subgraph first (over :math:`v`, one vector per root :math:`u`) and then the roots;
SV sums over the roots first (one vector per node :math:`v`) and then the nodes; an MLP
between the two makes the order matter. All of them are bounded by 2-FWL.

Typical use::

    from torch_geometric.loader import DataLoader
    from graphlearn.nn import SubgraphGNN
    from graphlearn.transforms import SubgraphPolicy, precompute

    ds = precompute(dataset, SubgraphPolicy("distance"), cache_path=...)   # once, cached
    model = SubgraphGNN(ds.num_features, 64, 4, ds.num_classes, preset="sswl+")
    for batch in DataLoader(ds, batch_size=32):
        out = model(batch)                                                  # [B, C]
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import torch
from torch import Tensor, nn

from graphlearn import _validate, ops
from graphlearn.nn._cache import NORMS, layer_size, norm_layer
from graphlearn.nn.conv.subgraph_conv import SubgraphConv, check_aggregations, transpose_pairs
from graphlearn.nn.dropout import Dropout
from graphlearn.nn.models.graph_transformer import _CategoricalEncoder, _DenseEncoder, graph_pool
from graphlearn.nn.resolver import register
from graphlearn.ops import _checks
from graphlearn.transforms.subgraph import SubgraphStructure, subgraph_structure

__all__ = ["SubgraphGNN", "PRESETS", "POOLS"]

PRESETS = {
    "swl_vs": (("uL",), "vs"),
    "swl_sv": (("uL",), "sv"),
    "pswl_vs": (("uL", "vv"), "vs"),
    "pswl_sv": (("uL", "vv"), "sv"),
    "gswl": (("uL", "vG"), "vs"),
    "sswl": (("uL", "vL"), "vs"),
    "sswl+": (("uL", "vL", "vv"), "vs"),
    "spen": (("uL", "uG", "vG"), "vs"),
}
POOLS = ("vs", "sv")
INPUTS = ("linear", "ogb_mol")
REDUCES = ("sum", "mean")
TASKS = ("graph", "node")


def _per_layer(aggregations: Any, num_layers: int, owner: str):
    """One tuple of aggregation names per layer, from one sequence of names (every layer)
    or one sequence per layer."""
    if isinstance(aggregations, Sequence) and not isinstance(aggregations, str) and aggregations \
            and all(isinstance(a, Sequence) and not isinstance(a, str) for a in aggregations):
        if len(aggregations) != num_layers:
            raise ValueError(f"{owner}: {len(aggregations)} per-layer aggregation lists for num_layers={num_layers}")
        return tuple(check_aggregations(a, f"{owner} (layer {i})") for i, a in enumerate(aggregations))
    return (check_aggregations(aggregations, owner),) * num_layers


@register("model", "subgraph_gnn")
class SubgraphGNN(nn.Module):
    r"""A node-based subgraph GNN: pair representations
    :math:`h^{0}(u, v) = \mathrm{enc}(x_v) + \mathrm{emb}(\mathrm{label}(u, v))` (the
    policy's distance or marking label), ``num_layers`` :class:`SubgraphConv` layers
    (each followed by a norm, ReLU except after the last, dropout and a residual
    connection), pooling in the preset's order with an MLP between the two stages, and
    an MLP head.

    Args:
        in_channels: node feature size (``input="linear"``); None with ``"ogb_mol"``.
        hidden_channels: the width of every pair representation.
        num_layers: number of subgraph layers (>= 1).
        out_channels: outputs per graph (``task="graph"``) or per node (``"node"``).
        preset: one of :data:`PRESETS` (default ``"sswl+"``).
        aggregations, pool: override the preset's aggregations (names from
            :data:`graphlearn.nn.conv.subgraph_conv.AGGREGATIONS`, for every layer, or
            one sequence of names per layer) / pooling order (``"vs"`` or ``"sv"``).
        input: ``"linear"`` (dense node features; integer ones are cast) or
            ``"ogb_mol"`` (OGB's atom encoder; bonds through OGB's bond encoder when
            ``edge_dim="ogb_mol"``).
        edge_dim: None (no edge features), an integer (dense ``edge_attr [E, edge_dim]``,
            one linear encoder per layer) or ``"ogb_mol"``.
        max_distance: the largest label the label embedding takes is
            ``max_distance + 1`` (a policy's ``num_labels`` must be at most
            ``max_distance + 2``; the default 8 fits the policies' defaults).
        dropout: dropout after every layer.
        norm: ``"batch"`` (default), ``"layer"`` or None, after every layer and inside
            the update MLPs.
        residual: add each layer's input to its output (from the second layer on).
        subgraph_reduce: ``"sum"`` (default) or ``"mean"``, the first pooling stage.
        readout: ``"sum"`` (default) or ``"mean"``, the second stage (over a graph's
            roots / nodes).
        task: ``"graph"`` (one row per graph) or ``"node"`` (one row per node: the
            first pooling stage gives a vector per node, used directly).
        train_eps: learn the GIN :math:`\epsilon` of every aggregation.

    Call ``model(batch)`` on a ``Data`` / PyG ``Batch`` processed by
    :class:`graphlearn.transforms.SubgraphPolicy`: ``[B, out_channels]`` (graph) or
    ``[N, out_channels]`` (node). ValueError names a missing or inconsistent attribute.
    """

    def __init__(self, in_channels: Optional[int], hidden_channels: int, num_layers: int, out_channels: int,
                 preset: str = "sswl+", *, aggregations: Optional[Sequence[str]] = None, pool: Optional[str] = None,
                 input: str = "linear", edge_dim: Union[None, int, str] = None, max_distance: int = 8,
                 dropout: float = 0.0, norm: Optional[str] = "batch", residual: bool = True,
                 subgraph_reduce: str = "sum", readout: str = "sum", task: str = "graph", train_eps: bool = True):
        super().__init__()
        name = type(self).__name__
        self.preset = _validate.choice(preset, f"{name}: preset", tuple(PRESETS))
        aggs, default_pool = PRESETS[self.preset]
        self.pool = default_pool if pool is None else _validate.choice(pool, f"{name}: pool", POOLS)
        self.input = _validate.choice(input, f"{name}: input", INPUTS)
        if self.input == "linear":
            if in_channels is None:
                raise ValueError(f"{name}: input='linear' needs in_channels (the node feature size)")
            self.in_channels = layer_size(in_channels, "in_channels", name)
        else:
            self.in_channels = None
        self.hidden_channels = layer_size(hidden_channels, "hidden_channels", name)
        self.num_layers = _validate.integer(num_layers, f"{name}: num_layers", min=1, max=10_000)
        self.layer_aggregations = _per_layer(aggs if aggregations is None else aggregations, self.num_layers, name)
        self.aggregations = (self.layer_aggregations[0] if len(set(self.layer_aggregations)) == 1
                             else self.layer_aggregations)
        self.out_channels = layer_size(out_channels, "out_channels", name)
        if edge_dim is not None and edge_dim != "ogb_mol":
            edge_dim = layer_size(edge_dim, "edge_dim", name)
        self.edge_dim = edge_dim
        self.max_distance = _validate.integer(max_distance, f"{name}: max_distance", min=0, max=1 << 20)
        self.dropout = _validate.real(dropout, f"{name}: dropout", min=0, max=1, max_open=True)
        self.norm = _validate.choice(norm, f"{name}: norm", NORMS)
        self.residual = _checks.flag(residual, "residual", name)
        self.subgraph_reduce = _validate.choice(subgraph_reduce, f"{name}: subgraph_reduce", REDUCES)
        self.readout = _validate.choice(readout, f"{name}: readout", REDUCES)
        self.task = _validate.choice(task, f"{name}: task", TASKS)
        hid = self.hidden_channels
        self.node_encoder = (_CategoricalEncoder("atom", hid, name) if self.input == "ogb_mol"
                             else _DenseEncoder(self.in_channels, hid, "x", name))
        self.label_embedding = nn.Embedding(self.max_distance + 2, hid)
        self.edge_encoders = nn.ModuleList()
        if self.edge_dim is not None:
            for _ in range(self.num_layers):
                self.edge_encoders.append(_CategoricalEncoder("bond", hid, name) if self.edge_dim == "ogb_mol"
                                          else _DenseEncoder(self.edge_dim, hid, "edge_attr", name))
        self.convs = nn.ModuleList([
            SubgraphConv(hid, hid, self.layer_aggregations[i], edge_dim=hid if self.edge_dim is not None else None,
                         train_eps=train_eps, norm=self.norm) for i in range(self.num_layers)])
        self.norms = nn.ModuleList([norm_layer(self.norm, hid) for _ in range(self.num_layers)])
        self.drop = Dropout(self.dropout)
        self.pool_mlp = nn.Sequential(nn.Linear(hid, hid), norm_layer(self.norm, hid), nn.ReLU(), nn.Linear(hid, hid))
        self.head = nn.Sequential(nn.Linear(hid, hid), nn.ReLU(), nn.Linear(hid, self.out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """A fresh initialisation of every parameter and norm statistic."""
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def embed_pairs(self, data: Any, structure: Optional[SubgraphStructure] = None) -> Tensor:
        """The pair representations after the last layer, ``[P, hidden_channels]``."""
        name = type(self).__name__
        s = structure if structure is not None else subgraph_structure(data, name)
        x = getattr(data, "x", None)
        if x is None:
            raise ValueError(f"{name}: the graphs have no node features x (for unattributed graphs use a constant "
                             "column, e.g. x = torch.ones(N, 1), with in_channels=1)")
        label = s.label
        if s.num_labels > self.max_distance + 2:
            raise ValueError(f"{name}: the graphs' policy gives up to {s.num_labels} pair labels, but the model embeds "
                             f"max_distance + 2 = {self.max_distance + 2}: build the model with max_distance >= the "
                             "policy's max_distance (or k - 1 for policy='ego')")
        if isinstance(x, Tensor) and x.is_floating_point() and not bool(torch.isfinite(x).all()):
            bad = (~torch.isfinite(x)).nonzero()[0].tolist()
            raise ValueError(f"{name}: x{bad} = {x[tuple(bad)].item()} is not finite")
        h = self.node_encoder(x)
        h = h.index_select(0, s.node) + self.label_embedding(label)
        edge_attr = getattr(data, "edge_attr", None) if self.edge_dim is not None else None
        if self.edge_dim is not None and edge_attr is None:
            raise ValueError(f"{name}: edge_dim={self.edge_dim!r} but the graphs have no edge_attr")
        for i, conv in enumerate(self.convs):
            e = self.edge_encoders[i](edge_attr) if self.edge_dim is not None else None
            out = self.norms[i](conv(h, s, e))
            if i < self.num_layers - 1:
                out = torch.relu(out)
            out = self.drop(out)
            h = h + out if self.residual and i > 0 else out
        return h

    def embed(self, data: Any, structure: Optional[SubgraphStructure] = None) -> Tensor:
        """Graph embeddings ``[B, hidden]`` (``task="graph"``) or node embeddings
        ``[N, hidden]`` (``"node"``), before the head. ``structure``: the batch's
        :func:`graphlearn.transforms.subgraph_structure`, when the caller has it
        already (else computed here)."""
        name = type(self).__name__
        s = structure if structure is not None else subgraph_structure(data, name)
        h = self.embed_pairs(data, s)
        if s.by_root is None:
            z = h.new_zeros(0, self.hidden_channels)
        else:
            src = h if self.pool == "vs" else transpose_pairs(h, s)
            z = ops.spmm(s.by_root, src, self.subgraph_reduce)  # [N, F]: per root (VS) / per node (SV)
        z = self.pool_mlp(z) if z.size(0) else z
        if self.task == "node":
            return z
        batch = getattr(data, "batch", None)
        return graph_pool(z, batch, s.num_graphs, self.readout)

    def forward(self, data: Any, structure: Optional[SubgraphStructure] = None) -> Tensor:
        """``[B, out_channels]`` (graph) or ``[N, out_channels]`` (node); ``structure``
        as in :meth:`embed`."""
        return self.head(self.embed(data, structure))

    def forward_batch(self, data: Any) -> Tensor:
        """The same as calling the model (for :func:`graphlearn.train.train_graph_predictor`'s
        ``forward=SubgraphGNN.forward_batch``)."""
        return self.forward(data)

    def __repr__(self) -> str:
        extra = f", edge_dim={self.edge_dim!r}" if self.edge_dim is not None else ""
        return (f"{type(self).__name__}({self.in_channels}, {self.hidden_channels}, num_layers={self.num_layers}, "
                f"out_channels={self.out_channels}, preset={self.preset!r}, aggregations={list(self.aggregations)}, "
                f"pool={self.pool!r}, input={self.input!r}{extra}, task={self.task!r})")
