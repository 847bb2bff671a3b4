"""Sparse graph operators on graphlearn's compiled core.

Every sparse computation in graphlearn goes through these functions. They run
the C++ kernels registered under ``torch.ops.graphlearn`` when the extension is
built (:func:`compiled`) and the pure-PyTorch references in
:mod:`graphlearn.ops.reference` otherwise.
"""
from graphlearn.ops import reference
from graphlearn.ops._ext import compiled, load_error
from graphlearn.ops.common_neighbors import common_neighbor_sets, common_neighbors
from graphlearn.ops.fastrp import fastrp_random, fastrp_step
from graphlearn.ops.csr import coo_to_csr, csr_transpose, csr_validate
from graphlearn.ops.khop_distances import khop_distances
from graphlearn.ops.sddmm import sddmm
from graphlearn.ops.segment_softmax import segment_softmax
from graphlearn.ops.spmm import spmm

__all__ = [
    "compiled", "load_error", "reference", "spmm", "sddmm", "segment_softmax", "common_neighbors",
    "common_neighbor_sets", "khop_distances", "coo_to_csr", "csr_transpose", "csr_validate",
    "fastrp_random", "fastrp_step",
]
