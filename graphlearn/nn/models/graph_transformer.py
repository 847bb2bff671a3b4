r"""A graph transformer model for graph-, node- and edge-level tasks: input encoders,
positional encodings, a stack of graph layers and a readout with an MLP head.

The stack is one of

* ``layer="gt"``: :class:`graphlearn.nn.GraphTransformerLayer` (Dwivedi & Bresson,
  "A Generalization of Transformer Networks to Graphs", 2020): attention restricted
  to the edges, with the edge stream when the graphs have edge features;
* ``layer="gps"``: ``graphlearn.nn.conv.gps.GPSLayer`` (Rampasek et al., "Recipe for
  a General, Powerful, Scalable Graph Transformer", NeurIPS 2022): a local message
  passing layer plus global attention within each graph;
* ``layer="gin"``: ``graphlearn.nn.conv.gin_conv.GINConv`` / ``GINEConv`` (Xu et al.,
  ICLR 2019; with bond embeddings as in OGB's molecule baseline, Hu et al. 2020):
  OGB's update MLP ``Linear(F, 2F) BatchNorm ReLU Linear(2F, F)`` with a learnable
  :math:`\epsilon`, each layer followed by a norm, ReLU (not after the last) and
  dropout; a bond encoder per layer.

The GPS and GIN layers live in their own modules and are imported when a model that
uses them is built; where they are not available, building such a model raises
NotImplementedError.

Typical use on an OGB molecule data set::

    from graphlearn.datasets import load_ogb
    from graphlearn.nn import GraphTransformer
    from graphlearn.train import train_graph_predictor
    from graphlearn.transforms import AddLaplacianPE, precompute

    ds = load_ogb("ogbg-molesol", root)
    ds = precompute(ds, AddLaplacianPE(8), cache_path=os.path.dirname(ds.cache_path))
    model = GraphTransformer(None, 64, ds.num_tasks, 4, input="ogb_mol", edge_dim="ogb_mol", pe="lap")
    fit = train_graph_predictor(model, ds, forward=GraphTransformer.forward_batch)
"""
from __future__ import annotations

import importlib
from typing import Any, Mapping, Optional, Tuple, Union

import torch
from torch import Tensor, nn

from graphlearn import _validate, ops
from graphlearn.nn._cache import NORMS, check_features, layer_size, norm_layer
from graphlearn.nn._edges import ordered_graph, to_caller_order
from graphlearn.nn.conv.graph_transformer_conv import GraphTransformerLayer
from graphlearn.nn.dropout import Dropout
from graphlearn.nn.resolver import register
from graphlearn.sparse import CSR, _graph_kind, as_pairs
from graphlearn.transforms.positional import RandomSignFlip

__all__ = ["GraphTransformer", "graph_pool", "TASKS", "INPUTS", "LAYERS", "READOUTS", "PES", "EDGE_READOUTS"]

TASKS = ("graph", "node", "edge")
INPUTS = ("linear", "ogb_mol")
LAYERS = ("gt", "gps", "gin")
READOUTS = ("mean", "sum", "max")
PES = ("lap", "rw", None)
PE_MODES = ("add", "cat")
EDGE_READOUTS = ("stream", "hadamard", "cat")
_PE_DEFAULTS = {"lap": (8, "lap_pe"), "rw": (16, "rw_pe")}  # (columns, attribute)


# ----------------------------------------------------------------------------- pooling

def graph_pool(h: Tensor, batch: Optional[Tensor] = None, num_graphs: Optional[int] = None,
               reduce: str = "mean") -> Tensor:
    r"""Pools node states per graph: :math:`out_g = \mathrm{reduce}_{i: batch_i = g} h_i`.

    The pooling is one :func:`graphlearn.ops.spmm` with the ``[B, N]`` membership CSR
    (row ``g`` holds the nodes of graph ``g``), so it runs on the compiled core and is
    differentiable in ``h``.

    Args:
        h: ``[N, F]`` float node states.
        batch: ``[N]`` integer graph id of each node (PyG's ``batch.batch``; need not
            be sorted); None: all nodes form one graph.
        num_graphs: the number of graphs B (default ``batch.max() + 1``; pass it when
            the last graphs may have no nodes).
        reduce: ``"mean"``, ``"sum"`` or ``"max"``.

    Returns:
        ``[B, F]``; a graph without nodes gets a zero row.
    """
    where = "graph_pool"
    if not isinstance(h, Tensor) or not h.is_floating_point() or h.dim() != 2:
        raise TypeError(f"{where}: h must be a [N, F] floating-point tensor, got "
                        f"{list(h.shape) if isinstance(h, Tensor) else type(h).__name__}"
                        f"{' ' + str(h.dtype) if isinstance(h, Tensor) else ''}")
    reduce = _validate.choice(reduce, f"{where}: reduce", READOUTS)
    batch, num_graphs = _check_batch(batch, h.size(0), num_graphs, where, h.device)
    n = h.size(0)
    if n == 0:
        return h.new_zeros(num_graphs, h.size(1))
    members = CSR.from_coo(batch, torch.arange(n, device=h.device), num_graphs, num_cols=n)
    return ops.spmm(members, h, reduce)


def _check_batch(batch: Any, num_nodes: int, num_graphs: Any, where: str,
                 device: torch.device) -> Tuple[Tensor, int]:
    """``(batch [N] int64, B)``: the graph id of every node and the number of graphs."""
    if num_graphs is not None:
        num_graphs = _validate.integer(num_graphs, f"{where}: num_graphs", min=1)
    if batch is None:
        if num_graphs not in (None, 1):
            raise ValueError(f"{where}: num_graphs={num_graphs} but no batch vector says which node belongs to "
                             "which graph; pass batch (e.g. data.batch)")
        return torch.zeros(num_nodes, dtype=torch.long, device=device), 1
    if not isinstance(batch, Tensor) or batch.dtype.is_floating_point or batch.dtype == torch.bool \
            or batch.is_complex():
        raise TypeError(f"{where}: batch must be an integer tensor of graph ids, got "
                        f"{batch.dtype if isinstance(batch, Tensor) else type(batch).__name__}")
    if batch.dim() != 1 or batch.numel() != num_nodes:
        raise ValueError(f"{where}: batch must have shape [{num_nodes}] (one graph id per node), got "
                         f"{list(batch.shape)}")
    if batch.device != device:
        raise ValueError(f"{where}: batch is on {batch.device} but the node states are on {device}")
    batch = batch.long()
    if num_nodes == 0:
        return batch, num_graphs or 1
    lo, hi = int(batch.min()), int(batch.max())
    if num_graphs is None:
        num_graphs = hi + 1
    if lo < 0 or hi >= num_graphs:
        bad = lo if lo < 0 else hi
        raise ValueError(f"{where}: batch holds graph id {bad}, outside [0, {num_graphs})"
                         + (" (num_graphs)" if hi >= num_graphs else ""))
    return batch, num_graphs


# ----------------------------------------------------------------------------- encoders

def _ogb_dims() -> Tuple[Tuple[int, ...], Tuple[int, ...]]:
    from ogb.utils.features import get_atom_feature_dims, get_bond_feature_dims

    return tuple(get_atom_feature_dims()), tuple(get_bond_feature_dims())


def _check_categorical(t: Any, dims: Tuple[int, ...], what: str, owner: str) -> Tensor:
    """OGB's categorical molecule features: an integer ``[M, len(dims)]`` tensor with
    column ``j`` in ``[0, dims[j])`` (an embedding lookup would fail obscurely)."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{owner}: {what} must be a [M, {len(dims)}] integer tensor of OGB's categorical features, "
                        f"got {type(t).__name__}")
    if t.dtype.is_floating_point or t.dtype == torch.bool or t.is_complex():
        raise TypeError(f"{owner}: input 'ogb_mol' reads {what} as integer category ids (OGB's molecule features, "
                        f"int64), got {t.dtype}; for dense float features use input='linear' / an integer edge_dim")
    if t.dim() != 2 or t.size(1) != len(dims):
        raise ValueError(f"{owner}: {what} must have shape [M, {len(dims)}] (OGB's {len(dims)} categorical "
                         f"features), got {list(t.shape)}")
    if t.numel():
        high = torch.tensor(dims, device=t.device)
        bad = (t < 0) | (t >= high)
        if bool(bad.any()):
            r, c = (int(v) for v in bad.nonzero()[0])
            raise ValueError(f"{owner}: {what}[{r}, {c}] = {int(t[r, c])} is not a category of OGB's feature {c} "
                             f"(expected an integer in [0, {dims[c]}))")
    return t.long()


class _CategoricalEncoder(nn.Module):
    """OGB's atom / bond encoder (``ogb.graphproppred.mol_encoder``) with the input
    checked first: the sum of one embedding per categorical column."""

    def __init__(self, kind: str, channels: int, owner: str):
        super().__init__()
        from ogb.graphproppred.mol_encoder import AtomEncoder, BondEncoder

        self.kind, self.owner = kind, owner
        self.dims = _ogb_dims()[0 if kind == "atom" else 1]
        self.encoder = (AtomEncoder if kind == "atom" else BondEncoder)(channels)

    def reset_parameters(self) -> None:
        for emb in self.modules():
            if isinstance(emb, nn.Embedding):
                nn.init.xavier_uniform_(emb.weight.data)  # OGB's initialisation

    def forward(self, t: Tensor) -> Tensor:
        what = "x" if self.kind == "atom" else "edge_attr"
        return self.encoder(_check_categorical(t, self.dims, what, self.owner))


class _DenseEncoder(nn.Module):
    """A linear map of dense features; integer / boolean features are cast to the
    weights' dtype (one-hot or count features), float ones must have it."""

    def __init__(self, in_channels: int, channels: int, what: str, owner: str):
        super().__init__()
        self.lin = nn.Linear(in_channels, channels)
        self.in_channels, self.what, self.owner = in_channels, what, owner

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()

    def forward(self, t: Tensor) -> Tensor:
        dtype = self.lin.weight.dtype
        if isinstance(t, Tensor) and not t.is_floating_point() and not t.is_complex():
            t = t.to(dtype)
        if self.what == "x":
            check_features(t, self.in_channels, dtype, self.owner)
        else:
            if not isinstance(t, Tensor) or not t.is_floating_point():
                raise TypeError(f"{self.owner}: edge_attr must be a [E, {self.in_channels}] tensor of numbers, got "
                                f"{t.dtype if isinstance(t, Tensor) else type(t).__name__}")
            if t.dim() != 2 or t.size(1) != self.in_channels:
                raise ValueError(f"{self.owner}: edge_attr must have shape [E, {self.in_channels}] "
                                 f"(edge_dim={self.in_channels}), got {list(t.shape)}")
            if t.dtype != dtype:
                raise TypeError(f"{self.owner}: edge_attr is {t.dtype} but the parameters are {dtype}: convert one")
        return self.lin(t)


def _import_layer(module: str, names: Tuple[str, ...], owner: str, layer: str):
    """The classes ``names`` of ``graphlearn.nn.conv.<module>``; NotImplementedError
    naming what is missing when that module (or a class) is not there."""
    try:
        mod = importlib.import_module(f"graphlearn.nn.conv.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"graphlearn.nn.conv.{module}":
            raise
        raise NotImplementedError(f"{owner}(layer={layer!r}) needs graphlearn.nn.conv.{module} "
                                  f"({', '.join(names)}), which this graphlearn does not have; use layer='gt'") \
            from None
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        raise NotImplementedError(f"{owner}(layer={layer!r}): graphlearn.nn.conv.{module} has no "
                                  f"{', '.join(missing)}; use layer='gt'")
    return tuple(getattr(mod, n) for n in names)


# ----------------------------------------------------------------------------- the model

@register("model", "graph_transformer")
class GraphTransformer(nn.Module):
    r"""Input encoders, positional encodings, ``num_layers`` graph layers, a readout
    and an MLP head.

    **Input.** ``input="linear"``: a linear map of dense node features ``[N, F]`` to
    the model width (integer features are cast to float); ``input="ogb_mol"``: OGB's
    atom encoder (``ogb.graphproppred.mol_encoder.AtomEncoder``, one embedding per
    categorical atom feature, summed) of ``x [N, 9]`` int64. Edge features
    (``edge_dim``): an integer ``F_e`` for dense ``edge_attr [E, F_e]`` (a linear map),
    or ``"ogb_mol"`` for OGB's bond encoder of ``edge_attr [E, 3]`` int64. The
    encoded edge features enter every layer: the edge variant of
    :class:`GraphTransformerLayer` (whose edge stream is carried from layer to layer),
    GPS's local GINE layer (the same encoded features in every layer), or, for
    ``layer="gin"``, a fresh edge encoder per layer (OGB's GIN baseline).

    **Positional encodings** (``pe``), read from the graphs (``pe_attr``; computed
    once per data set with :class:`graphlearn.transforms.AddLaplacianPE` /
    :class:`~graphlearn.transforms.AddRandomWalkPE` and
    :func:`~graphlearn.transforms.precompute`):

    * ``"lap"``: Laplacian eigenvectors ``[N, pe_dim]``. In training mode each graph's
      eigenvectors get a random sign at every call
      (:class:`graphlearn.transforms.RandomSignFlip`, seeded by ``flip_seed``): an
      eigenvector's sign is arbitrary, so the model must not learn one. Eval mode
      uses the signs as computed (fixed by a rule in the transform).
    * ``"rw"``: random-walk return probabilities ``[N, pe_dim]`` (no flip), through a
      BatchNorm over the nodes first when ``pe_norm`` (the default for ``"rw"``,
      as GraphGPS normalises raw RWSE).

    The encoding goes through a linear map ``W_p`` and joins the node embedding
    :math:`h^0 = \mathrm{Enc}(x)`: ``pe_mode="add"`` (default; Dwivedi & Bresson):
    :math:`h^0 + W_p p` with both of the model width; ``pe_mode="cat"`` (GraphGPS):
    :math:`[\mathrm{Enc}(x) \,\Vert\, W_p p]` with ``Enc`` of width
    ``hidden_channels - pe_channels`` and ``W_p`` of width ``pe_channels``.

    **Readout.** ``task="graph"``: the node states pooled per graph
    (:func:`graph_pool`, one :func:`graphlearn.ops.spmm` with the ``[B, N]`` membership
    CSR built from the batch vector; ``readout`` ``"mean"``, ``"sum"`` or ``"max"``) ->
    ``[B, C]``. ``task="node"``: every node state -> ``[N, C]``. ``task="edge"``: per
    edge of the graph (or per node pair given as ``pairs``) -> ``[E, C]`` / ``[P, C]``,
    from ``edge_readout``: ``"stream"`` the final edge stream (``layer="gt"`` with edge
    features; the default there), ``"hadamard"`` :math:`h_s \odot h_t` (the default
    otherwise) or ``"cat"`` :math:`[h_s \Vert h_t]`. The head is an MLP of
    ``head_layers`` linear layers (width ``hidden_channels``, ReLU between them).

    **Calling it.** ``forward(x, edge_index, batch=None, edge_attr=None, pe=None, *,
    num_graphs=None, pairs=None)``, or :meth:`forward_batch` with a PyG ``Batch`` /
    ``Data`` (which reads ``x``, ``edge_index``, ``batch``, ``edge_attr`` and the PE
    attribute, and ``num_graphs``). With :func:`graphlearn.train.train_graph_predictor`
    pass ``forward=GraphTransformer.forward_batch``; its default call
    ``model(x, edge_index, batch)`` suits a model without edge features and PE.

    Args:
        in_channels: node feature size F for ``input="linear"``; None (or 9) for
            ``input="ogb_mol"``.
        hidden_channels: the model width (divisible by ``heads`` for ``gt``/``gps``).
        out_channels: output size C (tasks or classes).
        num_layers: number of graph layers, >= 1.
        heads: attention heads (``gt``, ``gps``).
        task: ``"graph"``, ``"node"`` or ``"edge"``.
        input: ``"linear"`` or ``"ogb_mol"``.
        edge_dim: None (no edge features), an integer ``F_e``, or ``"ogb_mol"``.
        pe: ``"lap"``, ``"rw"`` or None.
        pe_dim: columns of the encoding (default 8 for ``"lap"``, 16 for ``"rw"``).
        pe_attr: the graphs' attribute that holds it, for :meth:`forward_batch`
            (default ``"lap_pe"`` / ``"rw_pe"``, the transforms' defaults).
        pe_mode: ``"add"`` or ``"cat"``; pe_channels: the width of the encoding in
            ``"cat"`` mode (default ``hidden_channels // 4``), < ``hidden_channels``.
        pe_norm: BatchNorm on the raw encoding (default: True for ``"rw"``).
        flip_seed: seed of the sign flips' generator (None: torch's global generator).
        dropout: dropout inside the layers (``gt``: attention output and FFN; ``gin``:
            after every layer).
        attn_dropout: dropout on the attention weights (``gt``, ``gps``).
        norm: ``"batch"``, ``"layer"`` or None: the layers' norm.
        readout: graph pooling, ``"mean"``, ``"sum"`` or ``"max"``.
        layer: ``"gt"``, ``"gps"`` or ``"gin"``.
        edge_readout: None (see above), ``"stream"``, ``"hadamard"`` or ``"cat"``.
        head_layers: linear layers of the head, >= 1 (1: a single linear map, OGB's GIN).
        layer_options: further keyword arguments for every layer's constructor (e.g.
            ``{"global_attn": "linear"}`` for GPS, ``{"ffn_ratio": 2}`` for GT).

    Shapes:
        x ``[N, F]`` (``[N, 9]`` int64 for ``"ogb_mol"``); edge_index: anything
        :func:`graphlearn.sparse.as_csr` accepts with an edge order when there are edge
        features (``[2, E]`` ``edge_index``, CSR, PyG ``Data``); batch ``[N]``;
        edge_attr ``[E, F_e]`` (``[E, 3]`` int64 for ``"ogb_mol"``); pe ``[N, pe_dim]``
        (cast to the parameters' dtype); pairs ``[2, P]`` -> ``[B, C]``, ``[N, C]`` or
        ``[E, C]`` / ``[P, C]``.

    Raises (when built): TypeError / ValueError for sizes, probabilities and choices out
    of range, ``in_channels`` missing for ``"linear"``; NotImplementedError for
    ``layer="gps"`` / ``"gin"`` when their layer modules are missing. When called:
    ValueError / TypeError naming the missing or misshapen input (edge features or PE
    the model needs, OGB category ids out of range, a batch vector of the wrong length).
    """

    def __init__(self, in_channels: Optional[int], hidden_channels: int, out_channels: int, num_layers: int = 4, *,
                 heads: int = 8, task: str = "graph", input: str = "linear",
                 edge_dim: Union[None, int, str] = None, pe: Optional[str] = None, pe_dim: Optional[int] = None,
                 pe_attr: Optional[str] = None, pe_mode: str = "add", pe_channels: Optional[int] = None,
                 pe_norm: Optional[bool] = None, flip_seed: Optional[int] = 0, dropout: float = 0.0,
                 attn_dropout: float = 0.0, norm: Optional[str] = "batch", readout: str = "mean",
                 layer: str = "gt", edge_readout: Optional[str] = None, head_layers: int = 2,
                 layer_options: Optional[Mapping[str, Any]] = None):
        super().__init__()
        name = type(self).__name__
        self.task = _validate.choice(task, f"{name}: task", TASKS)
        self.input = _validate.choice(input, f"{name}: input", INPUTS)
        self.layer = _validate.choice(layer, f"{name}: layer", LAYERS)
        self.readout = _validate.choice(readout, f"{name}: readout", READOUTS)
        self.norm = _validate.choice(norm, f"{name}: norm", NORMS)
        self.pe = _validate.choice(pe, f"{name}: pe", PES)
        self.pe_mode = _validate.choice(pe_mode, f"{name}: pe_mode", PE_MODES)
        hidden = self.hidden_channels = layer_size(hidden_channels, "hidden_channels", name)
        self.out_channels = layer_size(out_channels, "out_channels", name)
        self.num_layers = _validate.integer(num_layers, f"{name}: num_layers", min=1)
        self.heads = layer_size(heads, "heads", name)
        self.head_layers = _validate.integer(head_layers, f"{name}: head_layers", min=1)
        self.dropout = _validate.real(dropout, f"{name}: dropout", min=0, max=1, max_open=True)
        self.attn_dropout = _validate.real(attn_dropout, f"{name}: attn_dropout", min=0, max=1, max_open=True)
        if self.layer in ("gt", "gps") and hidden % self.heads:
            raise ValueError(f"{name}: hidden_channels ({hidden}) must be divisible by heads ({self.heads}) for "
                             f"layer={self.layer!r}")
        if layer_options is not None and not isinstance(layer_options, Mapping):
            raise TypeError(f"{name}: layer_options must be a dict of keyword arguments or None, got "
                            f"{type(layer_options).__name__}")
        self.layer_options = dict(layer_options or {})

        # node input
        if self.input == "ogb_mol":
            atom_dims = _ogb_dims()[0]
            if in_channels is not None and in_channels != len(atom_dims):
                raise ValueError(f"{name}: input='ogb_mol' reads OGB's {len(atom_dims)} atom features; in_channels "
                                 f"must be None or {len(atom_dims)}, got {in_channels!r}")
            self.in_channels = len(atom_dims)
        else:
            if in_channels is None:
                raise ValueError(f"{name}: input='linear' needs in_channels (the node feature size); "
                                 "in_channels=None is for input='ogb_mol' (OGB's atom features)")
            self.in_channels = layer_size(in_channels, "in_channels", name)

        # edge input
        if edge_dim is None or edge_dim == "ogb_mol":
            self.edge_dim = edge_dim
        elif isinstance(edge_dim, str):
            raise ValueError(f"{name}: edge_dim must be None, an integer >= 1 or 'ogb_mol', got {edge_dim!r}")
        else:
            self.edge_dim = layer_size(edge_dim, "edge_dim", name)
        has_edges = self.edge_dim is not None

        # positional encoding
        if self.pe is None:
            for arg, value in (("pe_dim", pe_dim), ("pe_attr", pe_attr), ("pe_channels", pe_channels),
                               ("pe_norm", pe_norm)):
                if value is not None:
                    raise ValueError(f"{name}: {arg}={value!r} given but pe=None; choose pe='lap' or pe='rw'")
            self.pe_dim = self.pe_attr = self.pe_channels = None
            self.pe_norm = False
        else:
            default_dim, default_attr = _PE_DEFAULTS[self.pe]
            self.pe_dim = default_dim if pe_dim is None else layer_size(pe_dim, "pe_dim", name)
            self.pe_attr = default_attr if pe_attr is None else pe_attr
            if not isinstance(self.pe_attr, str) or not self.pe_attr.isidentifier():
                raise ValueError(f"{name}: pe_attr must be an attribute name like 'lap_pe', got {pe_attr!r}")
            self.pe_norm = (self.pe == "rw") if pe_norm is None else _validate.flag(pe_norm, f"{name}: pe_norm")
            if self.pe_mode == "cat":
                self.pe_channels = max(1, hidden // 4) if pe_channels is None else layer_size(pe_channels,
                                                                                              "pe_channels", name)
                if self.pe_channels >= hidden:
                    raise ValueError(f"{name}: pe_mode='cat' splits hidden_channels ({hidden}) into the node "
                                     f"embedding and pe_channels ({self.pe_channels}); pe_channels must be smaller")
            else:
                if pe_channels is not None and pe_channels != hidden:
                    raise ValueError(f"{name}: pe_mode='add' maps the encoding to hidden_channels ({hidden}); "
                                     f"pe_channels={pe_channels!r} applies to pe_mode='cat'")
                self.pe_channels = hidden
        self.flip_seed = None if flip_seed is None else _validate.seed(flip_seed, f"{name}: flip_seed")

        # edge readout
        if self.task == "edge":
            default = "stream" if self.layer == "gt" and has_edges else "hadamard"
            self.edge_readout = default if edge_readout is None else _validate.choice(
                edge_readout, f"{name}: edge_readout", EDGE_READOUTS)
            if self.edge_readout == "stream" and not (self.layer == "gt" and has_edges):
                raise ValueError(f"{name}: edge_readout='stream' reads the edge stream, which only layer='gt' with "
                                 "edge features (edge_dim) has; use 'hadamard' or 'cat'")
        elif edge_readout is not None:
            raise ValueError(f"{name}: edge_readout applies to task='edge', not task={self.task!r}")
        else:
            self.edge_readout = None

        # modules
        node_width = hidden - self.pe_channels if self.pe is not None and self.pe_mode == "cat" else hidden
        self.node_encoder = (_CategoricalEncoder("atom", node_width, name) if self.input == "ogb_mol"
                             else _DenseEncoder(self.in_channels, node_width, "x", name))
        if self.pe is not None:
            self.pe_bn = nn.BatchNorm1d(self.pe_dim) if self.pe_norm else None
            self.pe_lin = nn.Linear(self.pe_dim, self.pe_channels)
            self.sign_flip = RandomSignFlip(self.flip_seed) if self.pe == "lap" else None
        else:
            self.pe_bn = self.pe_lin = self.sign_flip = None

        def edge_encoder() -> nn.Module:
            return (_CategoricalEncoder("bond", hidden, name) if self.edge_dim == "ogb_mol"
                    else _DenseEncoder(self.edge_dim, hidden, "edge_attr", name))

        # gin: one edge encoder per layer (OGB's baseline); gt/gps: one at the input
        self.edge_encoder = edge_encoder() if has_edges and self.layer != "gin" else None
        self.edge_encoders = (nn.ModuleList(edge_encoder() for _ in range(self.num_layers))
                              if has_edges and self.layer == "gin" else None)
        self.layers = nn.ModuleList(self._make_layer(i, has_edges) for i in range(self.num_layers))
        if self.layer == "gin":
            self.gin_norms = nn.ModuleList(norm_layer(self.norm, hidden) for _ in range(self.num_layers))
            self.gin_dropout = Dropout(self.dropout)
        else:
            self.gin_norms = self.gin_dropout = None
        head_in = 2 * hidden if self.edge_readout == "cat" else hidden
        sizes = [head_in] + [hidden] * (self.head_layers - 1) + [self.out_channels]
        self.head = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))

    def _make_layer(self, index: int, has_edges: bool) -> nn.Module:
        name, hidden, opts = type(self).__name__, self.hidden_channels, self.layer_options
        if self.layer == "gt":
            kwargs = dict(edge_dim=hidden if has_edges else None, dropout=self.dropout,
                          attn_dropout=self.attn_dropout, norm=self.norm)
            kwargs.update(opts)
            return GraphTransformerLayer(hidden, hidden, self.heads, **kwargs)
        if self.layer == "gps":
            (gps,) = _import_layer("gps", ("GPSLayer",), name, "gps")
            kwargs = dict(local="gine" if has_edges else "gin", edge_dim=hidden if has_edges else None,
                          dropout=self.dropout, attn_dropout=self.attn_dropout, norm=self.norm)
            kwargs.update(opts)
            return gps(hidden, self.heads, **kwargs)
        gin, gine = _import_layer("gin_conv", ("GINConv", "GINEConv"), name, "gin")
        # OGB's GIN: MLP Linear(F, 2F) BatchNorm ReLU Linear(2F, F) (the norm follows `norm`), learnable eps from 0
        kwargs = dict(mlp=(2 * hidden,), norm=self.norm, train_eps=True)
        kwargs.update(opts)
        if has_edges:
            return gine(hidden, hidden, hidden, **kwargs)
        return gin(hidden, hidden, **kwargs)

    def reset_parameters(self) -> None:
        """Fresh parameters everywhere (each submodule's own initialisation: OGB's for
        the atom / bond encoders) and a restarted sign-flip generator."""
        def reset(module: nn.Module) -> None:
            for child in module.children():
                if hasattr(child, "reset_parameters"):
                    child.reset_parameters()
                else:  # containers
                    reset(child)

        reset(self)
        if self.sign_flip is not None:
            self.sign_flip = RandomSignFlip(self.flip_seed)

    @property
    def has_edge_stream(self) -> bool:
        """Whether the layers carry an edge stream (``layer="gt"`` with edge features)."""
        return self.layer == "gt" and self.edge_dim is not None

    # ------------------------------------------------------------------- inputs

    def _pe(self, pe: Any, num_nodes: int, batch: Tensor, num_graphs: int, dtype: torch.dtype,
            device: torch.device) -> Tensor:
        name = type(self).__name__
        if pe is None:
            raise ValueError(f"{name}(pe={self.pe!r}) needs pe, the [N, {self.pe_dim}] positional encoding (data."
                             f"{self.pe_attr}, from graphlearn.transforms."
                             f"{'AddLaplacianPE' if self.pe == 'lap' else 'AddRandomWalkPE'}({self.pe_dim}))")
        if not isinstance(pe, Tensor) or not pe.is_floating_point():
            raise TypeError(f"{name}: pe must be a [N, {self.pe_dim}] float tensor, got "
                            f"{pe.dtype if isinstance(pe, Tensor) else type(pe).__name__}")
        if pe.dim() != 2 or pe.size(0) != num_nodes or pe.size(1) != self.pe_dim:
            raise ValueError(f"{name}: pe must have shape [{num_nodes}, {self.pe_dim}] (one row per node, "
                             f"pe_dim={self.pe_dim}), got {list(pe.shape)}")
        if pe.device != device:
            raise ValueError(f"{name}: pe is on {pe.device} but x is on {device}")
        pe = pe.to(dtype)
        if self.sign_flip is not None:
            pe = self.sign_flip(pe, batch, num_graphs)  # identity in eval mode
        if self.pe_bn is not None:
            pe = self.pe_bn(pe)
        return self.pe_lin(pe)

    # ------------------------------------------------------------------ forward

    def encode(self, x: Tensor, edge_index: Any, batch: Optional[Tensor] = None, edge_attr: Optional[Tensor] = None,
               pe: Optional[Tensor] = None, *, num_graphs: Optional[int] = None
               ) -> Tuple[Tensor, Optional[Tensor], Tensor, int]:
        """The node states after the last layer.

        Returns ``(h [N, hidden], e [E, hidden] or None, batch [N], B)``: ``e`` is the
        final edge stream in the caller's edge order (``layer="gt"`` with edge
        features), ``batch`` the checked graph ids (zeros when None was given)."""
        name = type(self).__name__
        if isinstance(x, Tensor) and x.dim() >= 1:
            num_nodes = x.size(0)
        else:
            raise TypeError(f"{name}: x must be a [N, {self.in_channels}] tensor of node features, got "
                            f"{type(x).__name__ if not isinstance(x, Tensor) else list(x.shape)}")
        if num_nodes == 0:
            raise ValueError(f"{name}: x has no rows; a graph needs at least one node")
        has_edges = self.edge_dim is not None
        if has_edges and edge_attr is None:
            hint = (" (train_graph_predictor's default call passes none: use "
                    "forward=GraphTransformer.forward_batch)")
            raise ValueError(f"{name}(edge_dim={self.edge_dim!r}) needs edge_attr, the graphs' edge features "
                             f"(data.edge_attr){hint}")
        if not has_edges and edge_attr is not None:
            raise ValueError(f"{name} was built without edge_dim and takes no edge_attr; build it with edge_dim=F_e "
                             "(or 'ogb_mol') to use edge features")
        if self.pe is None and pe is not None:
            raise ValueError(f"{name} was built with pe=None and takes no pe; build it with pe='lap' or 'rw'")
        h = self.node_encoder(x)
        device, dtype = h.device, h.dtype
        batch, num_graphs = _check_batch(batch, num_nodes, num_graphs, name, device)
        if self.pe is not None:
            p = self._pe(pe, num_nodes, batch, num_graphs, dtype, device)
            h = h + p if self.pe_mode == "add" else torch.cat([h, p], dim=1)

        adj, perm = ordered_graph(edge_index, num_nodes, type(self).__name__, has_edges)
        e = None
        if has_edges:
            if isinstance(edge_attr, Tensor) and edge_attr.dim() >= 1 and edge_attr.size(0) != adj.nnz:
                raise ValueError(f"{name}: edge_attr has {edge_attr.size(0)} rows but the graph has {adj.nnz} edges "
                                 "(one row per edge, in the edge_index's order)")
            if isinstance(edge_attr, Tensor) and edge_attr.device != device:
                raise ValueError(f"{name}: edge_attr is on {edge_attr.device} but x is on {device}")
            if perm is not None:  # the layers run on the CSR, so edge features go to its entry order once
                edge_attr = edge_attr.index_select(0, perm.to(edge_attr.device))

        for i, conv in enumerate(self.layers):
            if self.layer == "gt":
                if has_edges:
                    if i == 0:
                        e = self.edge_encoder(edge_attr)
                    h, e = conv(h, adj, e)
                else:
                    h = conv(h, adj)
            elif self.layer == "gps":
                if i == 0 and has_edges:
                    e = self.edge_encoder(edge_attr)
                out = conv(h, adj, edge_attr=e, batch=batch)
                h = out[0] if isinstance(out, tuple) else out
            else:  # gin: conv, norm, ReLU (but after the last layer), dropout
                h = conv(h, adj, self.edge_encoders[i](edge_attr)) if has_edges else conv(h, adj)
                h = self.gin_norms[i](h)
                if i < self.num_layers - 1:
                    h = torch.relu(h)
                h = self.gin_dropout(h)
        stream = None
        if self.has_edge_stream:
            stream = e if perm is None else to_caller_order(e, perm)
        return h, stream, batch, num_graphs

    def embed(self, x: Tensor, edge_index: Any, batch: Optional[Tensor] = None, edge_attr: Optional[Tensor] = None,
              pe: Optional[Tensor] = None, *, num_graphs: Optional[int] = None, pairs: Any = None) -> Tensor:
        """What the head reads: ``[B, hidden]`` pooled graph states, ``[N, hidden]``
        node states, or ``[E or P, hidden]`` (``[., 2 hidden]`` for ``"cat"``) edge /
        pair representations. Arguments as :meth:`forward`."""
        name = type(self).__name__
        if pairs is not None and self.task != "edge":
            raise ValueError(f"{name}: pairs apply to task='edge', not task={self.task!r}")
        h, stream, batch, num_graphs = self.encode(x, edge_index, batch, edge_attr, pe, num_graphs=num_graphs)
        if self.task == "graph":
            return graph_pool(h, batch, num_graphs, self.readout)
        if self.task == "node":
            return h
        if self.edge_readout == "stream":
            if pairs is not None:
                raise ValueError(f"{name}: edge_readout='stream' predicts the graph's own edges (from the edge "
                                 "stream); for other node pairs build the model with edge_readout='hadamard' or 'cat'")
            return stream
        if pairs is None:
            src, dst = _edge_endpoints(edge_index, h.size(0), name)
        else:
            src, dst = as_pairs(pairs, h.size(0), name=f"{name}: pairs")
        hs, ht = h.index_select(0, src.to(h.device).long()), h.index_select(0, dst.to(h.device).long())
        return hs * ht if self.edge_readout == "hadamard" else torch.cat([hs, ht], dim=1)

    def forward(self, x: Any, edge_index: Any = None, batch: Optional[Tensor] = None,
                edge_attr: Optional[Tensor] = None, pe: Optional[Tensor] = None, *, num_graphs: Optional[int] = None,
                pairs: Any = None) -> Tensor:
        """Predictions: ``[B, C]`` (graph), ``[N, C]`` (node), ``[E, C]`` or ``[P, C]``
        (edge). A PyG ``Data``/``Batch`` as the only argument is read by
        :meth:`forward_batch`."""
        if edge_index is None and hasattr(x, "edge_index") and hasattr(x, "num_nodes"):
            return self.forward_batch(x)
        if edge_index is None:
            raise TypeError(f"{type(self).__name__}: forward needs x and edge_index (or one PyG Data / Batch)")
        out = self.embed(x, edge_index, batch, edge_attr, pe, num_graphs=num_graphs, pairs=pairs)
        for i, lin in enumerate(self.head):
            out = lin(out)
            if i < len(self.head) - 1:
                out = torch.relu(out)
        return out

    def forward_batch(self, data: Any) -> Tensor:
        """:meth:`forward` on a PyG ``Batch`` (or ``Data``): ``x``, ``edge_index``,
        ``batch`` and ``num_graphs`` (when present), ``edge_attr`` when the model has
        ``edge_dim``, ``data[pe_attr]`` when it has ``pe``. Pass it to
        :func:`graphlearn.train.train_graph_predictor` as ``forward=GraphTransformer.forward_batch``."""
        name = type(self).__name__
        if not (hasattr(data, "edge_index") and hasattr(data, "num_nodes")):
            raise TypeError(f"{name}.forward_batch takes a PyG Data or Batch, got {type(data).__name__}")
        x = getattr(data, "x", None)
        if x is None:
            raise ValueError(f"{name}: the batch has no node features x")
        edge_attr = getattr(data, "edge_attr", None) if self.edge_dim is not None else None
        pe = None
        if self.pe is not None:
            pe = getattr(data, self.pe_attr, None)
            if pe is None:
                transform = "AddLaplacianPE" if self.pe == "lap" else "AddRandomWalkPE"
                raise ValueError(f"{name}(pe={self.pe!r}): the batch has no {self.pe_attr!r} attribute; compute it "
                                 f"once with graphlearn.transforms.precompute(dataset, {transform}({self.pe_dim}, "
                                 f"attr={self.pe_attr!r}))")
        batch = getattr(data, "batch", None)
        num_graphs = getattr(data, "num_graphs", None) if batch is not None else None
        return self.forward(x, data.edge_index, batch, edge_attr, pe,
                            num_graphs=int(num_graphs) if num_graphs is not None else None)

    def __repr__(self) -> str:
        parts = [f"{self.in_channels if self.input == 'linear' else None}", f"{self.hidden_channels}",
                 f"{self.out_channels}", f"num_layers={self.num_layers}", f"layer={self.layer!r}",
                 f"task={self.task!r}", f"input={self.input!r}"]
        if self.edge_dim is not None:
            parts.append(f"edge_dim={self.edge_dim!r}")
        if self.pe is not None:
            parts.append(f"pe={self.pe!r}, pe_dim={self.pe_dim}, pe_mode={self.pe_mode!r}")
        if self.layer != "gin":
            parts.append(f"heads={self.heads}")
        if self.task == "graph":
            parts.append(f"readout={self.readout!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


def _edge_endpoints(graph: Any, num_nodes: int, owner: str) -> Tuple[Tensor, Tensor]:
    """``(src, dst)`` of the graph's edges in the caller's order (a CSR: entry order,
    entry ``(t, s)`` is the edge ``s -> t``)."""
    if isinstance(graph, CSR):
        return graph.col, graph.row
    kind = _graph_kind(graph, f"{owner}: edge_index")
    if kind not in ("edge_index", "data"):
        raise TypeError(f"{owner}: task='edge' predicts per edge of an edge_index, a PyG Data or a CSR, got a "
                        f"{type(graph).__name__}")
    ei = graph if kind == "edge_index" else graph.edge_index
    ei = torch.as_tensor(ei)
    return ei[0], ei[1]
