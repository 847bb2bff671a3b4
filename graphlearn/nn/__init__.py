"""Layers and models built on graphlearn.ops.

* :mod:`graphlearn.nn.conv`: layers, one per file (:class:`GCNConv`, :func:`gcn_norm`);
* :mod:`graphlearn.nn.models`: whole models (:class:`GCN`, :class:`NCN` / :class:`NCNC`);
* :mod:`graphlearn.nn.resolver`: names -> classes (``resolver.resolve("model", "gcn", ...)``).

Layers and models cache nothing unless built with ``cached=True``. Training loops are
in :mod:`graphlearn.train`.
"""
from graphlearn.nn import resolver
from graphlearn.nn.conv import GCNConv, gcn_norm
from graphlearn.nn.models import GCN, NCN, NCNC, NCNCPredictor, NCNEncoder, NCNPredictor

__all__ = ["GCN", "GCNConv", "gcn_norm", "resolver", "NCN", "NCNC", "NCNEncoder", "NCNPredictor", "NCNCPredictor"]
