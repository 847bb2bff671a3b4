"""Whole models built from :mod:`graphlearn.nn.conv` layers, registered in
:mod:`graphlearn.nn.resolver` under kind ``"model"``."""
from graphlearn.nn.models.gcn import GCN
from graphlearn.nn.models.graph_transformer import GraphTransformer, graph_pool
from graphlearn.nn.models.ncn import NCN, NCNC, NCNCPredictor, NCNEncoder, NCNPredictor
from graphlearn.nn.models.subgraph_gnn import SubgraphGNN

__all__ = ["GCN", "GraphTransformer", "graph_pool", "NCN", "NCNC", "NCNEncoder", "NCNPredictor", "NCNCPredictor", "SubgraphGNN"]
