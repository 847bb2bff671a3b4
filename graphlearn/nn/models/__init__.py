"""Whole models built from :mod:`graphlearn.nn.conv` layers, registered in
:mod:`graphlearn.nn.resolver` under kind ``"model"``."""
from graphlearn.nn.models.gcn import GCN
from graphlearn.nn.models.ncn import NCN, NCNC, NCNCPredictor, NCNEncoder, NCNPredictor

__all__ = ["GCN", "NCN", "NCNC", "NCNEncoder", "NCNPredictor", "NCNCPredictor"]
