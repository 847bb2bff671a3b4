"""A checked cache of one graph-derived adjacency (the ``cached=True`` option of layers and models).

A cached layer prepares the adjacency of the first graph it is given (e.g. the GCN
normalisation) and reuses it. Reusing it for another graph would be silently wrong, so
every call checks that the graph is the cached one:

* fast path: the same tensor objects (CSR ``rowptr``/``col``/``value``, the
  ``edge_index`` tensor, a Data's ``edge_index``/``edge_weight``, the ``edge_weight``
  argument), unchanged in place (their version counters), and the same node count;
* otherwise the graph is converted with :func:`graphlearn.sparse.as_csr` and compared
  entry by entry with the cached one: equal graphs reuse the cache, different ones
  raise ``ValueError``.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

import torch
from torch import Tensor

from graphlearn import _validate
from graphlearn.sparse import CSR, as_csr


def layer_size(value: Any, name: str, owner: str) -> int:
    """A layer's feature size: an integer >= 1 (and at most 2**63 - 1)."""
    return _validate.integer(value, f"{owner}: {name}", min=1, max=_validate.INT64_MAX)


NORMS = ("batch", "layer", None)


def norm_layer(kind: Optional[str], channels: int) -> torch.nn.Module:
    """The normalisation a layer's ``norm`` option names: ``"batch"`` (BatchNorm1d over
    the rows), ``"layer"`` (LayerNorm) or None (identity)."""
    if kind == "batch":
        return torch.nn.BatchNorm1d(channels)
    if kind == "layer":
        return torch.nn.LayerNorm(channels)
    return torch.nn.Identity()


def check_edge_weight(edge_weight: Any, graph: Any, owner: str) -> None:
    """``edge_weight`` of a layer call: None, or a floating-point ``[E]`` tensor with one
    finite weight per edge of an ``edge_index`` / Data graph."""
    if edge_weight is None:
        return
    if not isinstance(edge_weight, Tensor) or not edge_weight.is_floating_point():
        raise TypeError(f"{owner}: edge_weight must be a floating-point [E] tensor, got "
                        f"{getattr(edge_weight, 'dtype', type(edge_weight).__name__)}")
    ei = graph if isinstance(graph, Tensor) else getattr(graph, "edge_index", None)
    num_edges = ei.size(1) if isinstance(ei, Tensor) and ei.dim() == 2 else None
    if edge_weight.dim() != 1 or (num_edges is not None and edge_weight.numel() != num_edges):
        want = f"[{num_edges}]" if num_edges is not None else "[E]"
        raise ValueError(f"{owner}: edge_weight must have shape {want} (one weight per edge), got "
                         f"{list(edge_weight.shape)}")
    finite = torch.isfinite(edge_weight)
    if not bool(finite.all()):
        i = int((~finite).nonzero()[0])
        raise ValueError(f"{owner}: edge_weight[{i}] = {edge_weight[i].item()} is not finite")


def check_features(x: Any, in_channels: int, dtype: torch.dtype, owner: str) -> None:
    """The input of a layer or model: a floating-point ``[N, in_channels]`` tensor of
    the parameters' dtype (TypeError / ValueError naming the layer otherwise), so a
    wrong input fails with its shapes named instead of inside a matrix product."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{owner}: x must be a [N, {in_channels}] tensor of node features, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{owner}: x must be floating point ({dtype}, like the parameters), got {x.dtype}")
    if x.dim() != 2 or x.size(1) != in_channels:
        raise ValueError(f"{owner}: x must have shape [N, {in_channels}] (in_channels={in_channels}), got "
                         f"{list(x.shape)}")
    if x.dtype != dtype:
        raise TypeError(f"{owner}: x is {x.dtype} but the parameters are {dtype}: convert one (x.to({dtype}) or "
                        f"module.to({x.dtype}))")


def _tensors_of(graph: Any, edge_weight: Optional[Tensor]) -> Optional[Tuple[Any, ...]]:
    """The objects that define ``graph`` (None for inputs without version counters)."""
    if isinstance(graph, CSR):
        return (graph.rowptr, graph.col, graph.value, edge_weight)
    if isinstance(graph, Tensor):
        return (graph, edge_weight)
    if hasattr(graph, "edge_index") and hasattr(graph, "num_nodes"):
        return (getattr(graph, "edge_index", None), getattr(graph, "edge_weight", None), edge_weight)
    return None  # numpy / scipy: converted and compared on every call


def _versions(refs: Tuple[Any, ...]) -> Tuple[Optional[int], ...]:
    return tuple(getattr(t, "_version", None) for t in refs)


def _same_csr(a: CSR, b: CSR) -> bool:
    if a.shape != b.shape or a.nnz != b.nnz or (a.value is None) != (b.value is None):
        return False
    a, b = a.sort(), b.to(a.device).sort()
    if not (a.rowptr.long().equal(b.rowptr.long()) and a.col.long().equal(b.col.long())):
        return False
    return a.value is None or (a.value.shape == b.value.shape
                               and a.value.equal(b.value.to(a.value.dtype)))


class GraphCache:
    """Holds the adjacency prepared from one graph and refuses to serve another graph.

    Args:
        owner: how to name the layer in error messages (e.g. ``"GCNConv(cached=True)"``).
    """

    def __init__(self, owner: str):
        self.owner = owner
        self.clear()

    def clear(self) -> None:
        """Forgets the cached graph."""
        self.value: Optional[CSR] = None
        self._source: Optional[CSR] = None
        self._refs: Optional[Tuple[Any, ...]] = None
        self._versions: Optional[Tuple[Optional[int], ...]] = None
        self._num_nodes: Optional[int] = None

    def __bool__(self) -> bool:
        return self.value is not None

    def get(self, graph: Any, num_nodes: int, edge_weight: Optional[Tensor], prepare: Callable[[CSR], CSR]) -> CSR:
        """The prepared adjacency of ``graph`` (``prepare(as_csr(graph))``), computed on
        the first call and reused while ``graph`` is the same graph.

        Raises:
            ValueError: ``graph`` differs from the cached graph, or its edge weights
                require gradients (a cache cannot follow learnable weights).
        """
        refs = _tensors_of(graph, edge_weight)
        same_objects = (self.value is not None and refs is not None and self._refs is not None
                        and len(refs) == len(self._refs) and all(a is b for a, b in zip(refs, self._refs)))
        if same_objects and _versions(refs) != self._versions:
            # the cached graph's own tensors changed (the cache may alias them): nothing to compare with
            raise ValueError(self._different(f"the same tensors, modified in place since ({self._source.num_rows} "
                                             f"nodes, {self._source.nnz} edges before)"))
        if same_objects and num_nodes == self._num_nodes:
            return self.value
        csr = as_csr(graph, num_nodes, edge_weight=edge_weight)
        if csr.value is not None and csr.value.requires_grad:
            raise ValueError(f"{self.owner}: the edge weights require gradients, and a cached adjacency cannot "
                             "follow learnable weights; use cached=False")
        if self.value is None:
            self.value, self._source = prepare(csr), csr
        elif not _same_csr(self._source, csr):
            same_size = self._source.shape == csr.shape and self._source.nnz == csr.nnz
            raise ValueError(self._different(f"{csr.num_rows} nodes, {csr.nnz} edges"
                                             + (", other edges or weights" if same_size else "")))
        elif self.value.device != csr.device:
            self.value, self._source = self.value.to(csr.device), self._source.to(csr.device)
        self._refs, self._versions, self._num_nodes = refs, (_versions(refs) if refs else None), num_nodes
        return self.value

    def _different(self, what: str) -> str:
        old = self._source
        return (f"{self.owner} prepared a graph with {old.num_rows} nodes and {old.nnz} edges on its first call and "
                f"was now given a different graph ({what}). A cached layer serves one fixed graph (transductive "
                "training); use cached=False for batches of graphs or inductive use, or call reset_cache() before "
                "switching graphs")
