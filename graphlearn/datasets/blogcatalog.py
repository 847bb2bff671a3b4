"""BlogCatalog (DeepWalk/FastRP's multi-label benchmark) from its MATLAB file."""
from __future__ import annotations

import os
from typing import Optional, Tuple

import numpy as np
import torch

from graphlearn import _validate
from graphlearn.datasets._paths import find_dataset_dir
from graphlearn.datasets._safe_pickle import check_sparse, dense


def load_blogcatalog(root: Optional[str] = None, index_dtype: torch.dtype = torch.int64) -> Tuple["object", torch.Tensor]:
    """Returns ``(adj, labels)``: the symmetric adjacency as a :class:`graphlearn.sparse.CSR`
    (10,312 nodes, 667,966 stored entries, no values) and the ``[N, 39]`` 0/1 label matrix.

    ``root`` is the folder with ``blogcatalog.mat`` or one holding ``blogcatalog/``.
    Both matrices are checked structurally before use (indices within the shape, a
    monotone ``indptr``, matching lengths); ``network`` must be square and symmetric,
    ``group`` have one row per node and only 0/1 entries. A violation raises
    ValueError naming the file.
    """
    import scipy.io
    import scipy.sparse as sp

    from graphlearn.sparse import as_csr

    folder = find_dataset_dir(root, ["blogcatalog"], "blogcatalog.mat", "BlogCatalog")
    path = os.path.join(folder, "blogcatalog.mat")
    try:
        mat = scipy.io.loadmat(path)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable MATLAB file ({exc})") from None
    for key in ("network", "group"):
        if key not in mat or not sp.issparse(mat[key]):
            raise ValueError(f"{path}: expected a sparse matrix '{key}'")
    # loadmat builds the matrices from the file's arrays without checking them; scipy's
    # conversions would write out of bounds on a damaged index
    network = sp.csr_matrix(check_sparse(mat["network"], f"{path}: network"))
    group = sp.csr_matrix(check_sparse(mat["group"], f"{path}: group"))
    n = network.shape[0]
    if network.shape != (n, n):
        raise ValueError(f"{path}: network has shape {network.shape}, expected a square adjacency matrix")
    # an undirected graph's matrix is symmetric: the contract's transpose changes nothing
    if (network != network.T).nnz:
        raise ValueError(f"{path}: network is not symmetric (expected an undirected graph)")
    if group.shape[0] != n:
        raise ValueError(f"{path}: group has {group.shape[0]} rows, but network has {n} nodes")
    group.sum_duplicates()
    if group.nnz and not np.isin(group.data, (0, 1)).all():
        bad = group.data[~np.isin(group.data, (0, 1))][0]
        raise ValueError(f"{path}: group holds {bad}, expected a 0/1 membership matrix")
    adj = as_csr(network, index_dtype=index_dtype, name=f"{path}: network").with_value(None)
    labels = torch.from_numpy(dense(group, f"{path}: group", dtype=np.int64))
    return adj, labels


BUNDLED_EDGES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "blogcatalog",
                             "blogcatalog.edges.tsv.gz")
BUNDLED_LABELS = os.path.join(os.path.dirname(BUNDLED_EDGES), "blogcatalog.labels.tsv.gz")


def read_multilabels(path: str, num_nodes: Optional[int] = None, num_labels: Optional[int] = None) -> torch.Tensor:
    """Reads ``node<TAB>label`` lines (``#`` comments, one line per membership) into an
    ``[N, L]`` int64 0/1 matrix (N, L: largest id + 1 unless given; integers >= 0).
    Ids must be integers (``2.5`` is an error, never truncated); a matrix that would not
    fit in memory (e.g. from one stray huge id) raises MemoryError naming the file."""
    if num_nodes is not None:
        num_nodes = _validate.integer(num_nodes, "read_multilabels: num_nodes", min=0)
    if num_labels is not None:
        num_labels = _validate.integer(num_labels, "read_multilabels: num_labels", min=0)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"label file not found: {path}")
    try:
        pairs = np.loadtxt(path, dtype=np.int64, comments=("#", "%"), delimiter="\t", ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{path}: malformed label file, expected node<TAB>label integer lines ({exc})") from None
    if pairs.shape[1] != 2:
        raise ValueError(f"{path}: expected 2 columns (node, label), got {pairs.shape[1]}")
    node, label = pairs[:, 0], pairs[:, 1]
    if node.size and (node.min() < 0 or label.min() < 0):
        raise ValueError(f"{path}: node and label ids must be >= 0")
    n = int(node.max()) + 1 if num_nodes is None and node.size else int(num_nodes or 0)
    c = int(label.max()) + 1 if num_labels is None and label.size else int(num_labels or 0)
    if node.size and (node.max() >= n or label.max() >= c):
        raise ValueError(f"{path}: ids exceed the given sizes ({n} nodes, {c} labels)")
    _validate.check_memory(n * c * 8, f"{path}: the [{n}, {c}] label matrix (largest node id {n - 1}, "
                                      f"largest label {c - 1})")
    out = torch.zeros(n, c, dtype=torch.int64)
    out[torch.from_numpy(node), torch.from_numpy(label)] = 1
    return out


def load_blogcatalog_bundled() -> Tuple[str, torch.Tensor]:
    """The BlogCatalog copy bundled with graphlearn: ``(edge_list_path, labels [10312, 39])``.
    The edge list (gzip TSV, each undirected pair once) is for ``graphlearn embed``."""
    return BUNDLED_EDGES, read_multilabels(BUNDLED_LABELS, 10312, 39)
