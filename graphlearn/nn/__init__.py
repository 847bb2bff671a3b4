"""Layers and models built on graphlearn.ops.

* :mod:`graphlearn.nn.conv`: layers, one per file (:class:`GCNConv`, :func:`gcn_norm`,
  :class:`GraphTransformerLayer`, :class:`GINConv`, :class:`GINEConv`, :class:`GPSLayer`,
  :class:`SubgraphConv`);
* :mod:`graphlearn.nn.models`: whole models (:class:`GCN`, :class:`NCN` / :class:`NCNC`,
  :class:`GraphTransformer`, :class:`SubgraphGNN`);
* :class:`Dropout`: torch's dropout with a cheaper mask on CPU (no mask stored);
* :mod:`graphlearn.nn.resolver`: names -> classes (``resolver.resolve("model", "gcn", ...)``).

Layers and models cache nothing unless built with ``cached=True``. Training loops are
in :mod:`graphlearn.train`.
"""
from graphlearn.nn import resolver
from graphlearn.nn.conv import GCNConv, GraphTransformerLayer, gcn_norm
from graphlearn.nn.conv import GINConv, GINEConv, GPSLayer, SubgraphConv
from graphlearn.nn.dropout import Dropout
from graphlearn.nn.models import GCN, NCN, GraphTransformer, graph_pool, NCNC, NCNCPredictor, NCNEncoder, NCNPredictor, SubgraphGNN

__all__ = ["Dropout", "GCN", "GCNConv", "GraphTransformerLayer", "GINConv", "GINEConv", "GPSLayer", "GraphTransformer", "graph_pool", "gcn_norm", "resolver", "NCN", "NCNC", "NCNEncoder", "NCNPredictor", "NCNCPredictor", "SubgraphConv", "SubgraphGNN"]
