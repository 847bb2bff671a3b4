"""Layers and models built on graphlearn.ops."""
from graphlearn.nn.gcn import GCNConv, gcn_norm

__all__ = ["GCNConv", "gcn_norm"]
