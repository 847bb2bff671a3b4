"""PyG-style ``Data -> Data`` transforms.

Every transform here subclasses :class:`torch_geometric.transforms.BaseTransform`, so
it composes with PyG's (``torch_geometric.transforms.Compose``) and serves as a
dataset ``transform=``/``pre_transform=``::

    import torch_geometric.transforms as T
    from graphlearn.transforms import ToCSR

    data = T.Compose([T.NormalizeFeatures(), ToCSR()])(data)   # data.adj: the CSR

PyG's own transforms (``NormalizeFeatures``, ``AddSelfLoops``, ``GCNNorm``, ...) are
not repeated here. Positional encodings (:mod:`graphlearn.transforms.positional`) and
subgraph policies (:mod:`graphlearn.transforms.subgraph`) live here.
"""
from graphlearn.transforms.positional import (AddLaplacianPE, AddRandomWalkPE, EigensolverError, RandomSignFlip,
                                              precompute, random_sign_flip)
from graphlearn.transforms.subgraph import SubgraphPolicy, SubgraphStructure, subgraph_structure
from graphlearn.transforms.to_csr import ToCSR

__all__ = ["ToCSR", "AddLaplacianPE", "AddRandomWalkPE", "random_sign_flip", "RandomSignFlip", "precompute",
           "EigensolverError", "SubgraphPolicy", "SubgraphStructure", "subgraph_structure"]
