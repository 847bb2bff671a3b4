"""BlogCatalog (DeepWalk/FastRP's multi-label benchmark) from its MATLAB file."""
from __future__ import annotations

import os
from typing import Optional, Tuple

import numpy as np
import torch

from graphlearn.datasets._paths import find_dataset_dir


def load_blogcatalog(root: Optional[str] = None, index_dtype: torch.dtype = torch.int64) -> Tuple["object", torch.Tensor]:
    """Returns ``(adj, labels)``: the symmetric adjacency as a :class:`graphlearn.sparse.CSR`
    (10,312 nodes, 667,966 stored entries, no values) and the ``[N, 39]`` 0/1 label matrix.

    ``root`` is the folder with ``blogcatalog.mat`` or one holding ``blogcatalog/``.
    """
    import scipy.io
    import scipy.sparse as sp

    from graphlearn.sparse import CSR

    folder = find_dataset_dir(root, ["blogcatalog"], "blogcatalog.mat", "BlogCatalog")
    path = os.path.join(folder, "blogcatalog.mat")
    try:
        mat = scipy.io.loadmat(path)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable MATLAB file ({exc})") from None
    for key in ("network", "group"):
        if key not in mat or not sp.issparse(mat[key]):
            raise ValueError(f"{path}: expected a sparse matrix '{key}'")
    network = sp.csr_matrix(mat["network"])
    adj = CSR.from_scipy(network, with_value=False, index_dtype=index_dtype)
    labels = torch.from_numpy(np.asarray(sp.csr_matrix(mat["group"]).toarray(), dtype=np.int64))
    return adj, labels
