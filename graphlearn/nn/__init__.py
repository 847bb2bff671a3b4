"""Layers and models built on graphlearn.ops."""
from graphlearn.nn.gcn import GCN, GCNConv, gcn_norm

__all__ = ["GCN", "GCNConv", "gcn_norm"]
