"""Whole models built from :mod:`graphlearn.nn.conv` layers, registered in
:mod:`graphlearn.nn.resolver` under kind ``"model"``."""
from graphlearn.nn.models.gcn import GCN

__all__ = ["GCN"]
