"""The GCN of Kipf & Welling (ICLR 2017): stacked :class:`GCNConv` layers."""
from __future__ import annotations

from typing import Any, Optional

import torch
from torch import Tensor, nn

from graphlearn import _validate
from graphlearn.nn._cache import GraphCache, check_edge_weight, check_features, layer_size
from graphlearn.nn.conv.gcn_conv import GCNConv, _flag, gcn_norm
from graphlearn.nn.resolver import register
from graphlearn.sparse import CSR, as_csr

__all__ = ["GCN"]


@register("model", "gcn")
class GCN(nn.Module):
    r"""``num_layers`` :class:`GCNConv` layers with ReLU between them and dropout before
    each (the input included, as in the paper): the node-classification GCN of Kipf &
    Welling, and a node encoder for graph-level and link tasks.

    The graph is normalised (:func:`gcn_norm`) once per call and shared by all layers
    (which are ``GCNConv(normalize=False)``); with ``cached=True`` once for good, and
    every later call checks that it is given the same graph (ValueError otherwise).

    Args:
        in_channels: input feature size F.
        hidden_channels: size of the hidden layers.
        out_channels: output size C (classes for node classification).
        num_layers: number of layers (an integer >= 1; the sizes too).
        dropout: dropout probability before every layer, in ``[0, 1)``.
        cached: normalise the first graph once and reuse it (one fixed graph only).
        improved: self-loops of weight 2.
        add_self_loops: add self-loops before normalising.
        bias: learnable bias in every layer.

    Shapes:
        x ``[N, F]``; graph: anything :func:`graphlearn.sparse.as_csr` accepts
        (``edge_index [2, E]`` with ``N = x.size(0)``, CSR, PyG ``Data``);
        edge_weight ``[E]`` (optional) -> ``[N, C]``.
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_layers: int = 2,
                 dropout: float = 0.5, *, cached: bool = False, improved: bool = False, add_self_loops: bool = True,
                 bias: bool = True):
        super().__init__()
        name = type(self).__name__
        in_channels = layer_size(in_channels, "in_channels", name)
        hidden_channels = layer_size(hidden_channels, "hidden_channels", name)
        out_channels = layer_size(out_channels, "out_channels", name)
        num_layers = _validate.integer(num_layers, f"{name}: num_layers", min=1)
        dropout = _validate.real(dropout, f"{name}: dropout", min=0, max=1, max_open=True)
        cached, improved = _flag(cached, "cached", name), _flag(improved, "improved", name)
        add_self_loops, bias = _flag(add_self_loops, "add_self_loops", name), _flag(bias, "bias", name)
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.num_layers, self.dropout = num_layers, dropout
        self.cached, self.improved, self.add_self_loops = cached, improved, add_self_loops
        sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.convs = nn.ModuleList(GCNConv(a, b, normalize=False, bias=bias) for a, b in zip(sizes[:-1], sizes[1:]))
        self._cache = GraphCache(f"{type(self).__name__}(cached=True)")

    def reset_parameters(self) -> None:
        for conv in self.convs:
            conv.reset_parameters()
        self.reset_cache()

    def reset_cache(self) -> None:
        """Forgets the cached graph (``cached=True``)."""
        self._cache.clear()

    def _normalize(self, adj: CSR) -> CSR:
        return gcn_norm(adj, self.add_self_loops, 2.0 if self.improved else 1.0)

    def forward(self, x: Tensor, graph: Any, edge_weight: Optional[Tensor] = None) -> Tensor:
        check_features(x, self.in_channels, self.convs[0].lin.weight.dtype, type(self).__name__)
        check_edge_weight(edge_weight, graph, type(self).__name__)
        if self.cached:
            adj = self._cache.get(graph, x.size(0), edge_weight, self._normalize)
        else:
            adj = self._normalize(as_csr(graph, x.size(0), edge_weight=edge_weight))
        for i, conv in enumerate(self.convs):
            x = torch.nn.functional.dropout(x, self.dropout, self.training)
            x = conv(x, adj)
            if i < len(self.convs) - 1:
                x = torch.relu(x)
        return x

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"num_layers={self.num_layers}, dropout={self.dropout})")
