"""Graph layers, one per file (``gcn_conv.py``, ...). Each takes node features and a graph
in any form :func:`graphlearn.sparse.as_csr` accepts and is registered in
:mod:`graphlearn.nn.resolver` under kind ``"conv"``."""
from graphlearn.nn.conv.gcn_conv import GCNConv, gcn_norm
from graphlearn.nn.conv.graph_transformer_conv import GraphTransformerLayer
from graphlearn.nn.conv.gin_conv import GINConv, GINEConv
from graphlearn.nn.conv.gps import GPSLayer, batch_complete_graph, shortest_path_buckets
from graphlearn.nn.conv.subgraph_conv import SubgraphConv

__all__ = ["GCNConv", "gcn_norm", "GraphTransformerLayer", "GINConv", "GINEConv", "GPSLayer", "batch_complete_graph",
           "shortest_path_buckets", "SubgraphConv"]
