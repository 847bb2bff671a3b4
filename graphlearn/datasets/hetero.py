"""Heterogeneous graphs in the MAGNN preprocessed layout (IMDB), read offline
into a PyG ``HeteroData``."""
from __future__ import annotations

import os
from itertools import product
from typing import Dict, Optional, Sequence

import numpy as np
import torch

from graphlearn.datasets._paths import find_dataset_dir
from graphlearn.datasets._safe_pickle import check_array, check_ids, check_shape, check_sparse, compressed_matrix, dense

__all__ = ["load_imdb", "load_hetero"]

_IMDB_TYPES = ("movie", "director", "actor")
_IMDB_FILES = ("adjM.npz", "features_0.npz", "features_1.npz", "features_2.npz", "labels.npy", "node_types.npy",
               "train_val_test_idx.npz")


def _npz_arrays(path: str) -> Dict[str, np.ndarray]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"missing file {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as exc:
        raise ValueError(f"{path}: not a readable .npz of plain arrays ({type(exc).__name__}: {exc})") from None


def _npy(path: str) -> np.ndarray:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"missing file {path}")
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"{path}: not a readable .npy array ({type(exc).__name__}: {exc})") from None


def _sparse(path: str):
    """A scipy sparse matrix saved with ``scipy.sparse.save_npz`` (csr/csc/coo), read without
    pickles and checked structurally before scipy sees it (indices within the shape, a
    monotone ``indptr``, matching lengths, integer indices, finite values; see
    ``_safe_pickle.compressed_matrix``): a damaged file raises ValueError naming it."""
    import scipy.sparse as sp

    z = _npz_arrays(path)
    try:
        fmt = z["format"]
        if fmt.dtype.kind not in "SU" or fmt.size != 1:
            raise ValueError(f"{path}: 'format' must be a string, got {fmt.dtype} of shape {list(fmt.shape)}")
        fmt = fmt.item()
        fmt = fmt.decode("latin1") if isinstance(fmt, bytes) else str(fmt)
        shape = check_shape(z["shape"], path)
        if fmt in ("csr", "csc"):
            return compressed_matrix(fmt, z["data"], z["indices"], z["indptr"], shape, path)
        if fmt == "coo":
            return check_sparse(sp.coo_matrix((check_array(z["data"], path, "data", ndim=1),
                                               (check_ids(z["row"], path, "row", shape[0], ndim=1),
                                                check_ids(z["col"], path, "col", shape[1], ndim=1))), shape=shape),
                                path).tocsr()
    except KeyError as exc:
        raise ValueError(f"{path}: missing array {exc} of a saved sparse matrix") from None
    raise ValueError(f"{path}: unsupported sparse format {fmt!r} (expected csr, csc or coo)")


def load_imdb(root: Optional[str] = None, node_type_names: Sequence[str] = _IMDB_TYPES):
    """Loads the IMDB movie graph (MAGNN's preprocessing) as a PyG ``HeteroData``.

    Files: ``adjM.npz`` (scipy sparse adjacency over all 11,616 nodes, types
    stacked in the order of ``node_types.npy``), ``features_{0,1,2}.npz`` (sparse
    bag-of-words per type), ``labels.npy`` (movie genre), ``train_val_test_idx.npz``.

    Args:
        root: the folder with those files, or one containing it as ``imdb_magnn``
            (shared data), ``raw`` or ``IMDB/raw`` (PyG's layouts), ``IMDB`` or ``imdb``.
            Default: ``default_root()``.
        node_type_names: names for type ids 0, 1, 2.

    Returns:
        ``HeteroData`` with node types ``movie`` (x [4278, 3066] float32, y [4278]
        int64 in 0..2, train/val/test_mask [4278] bool: 400/400/3,478),
        ``director`` (x [2081, 3066]) and ``actor`` (x [5257, 3066]), and one edge
        type ``(src, "to", dst)`` per non-empty adjacency block: movie<->director
        (4,278 edges each way) and movie<->actor (12,828 each way); ``edge_index``
        holds local (per-type) ids, in the block's row-major order. The same
        tensors as ``torch_geometric.datasets.IMDB``.

    Raises:
        FileNotFoundError: the folder or a file is missing (lists where it looked).
        ValueError: unreadable files, structurally invalid sparse matrices (indices
            outside the shape, a non-monotone ``indptr``, wrong lengths, non-finite
            values), counts that disagree between files, labels outside ``[0,
            number of movies)``, non-integer or out-of-range split ids, overlapping
            splits (naming the file).
        MemoryError: a dense feature matrix would not fit in memory.
    """
    from torch_geometric.data import HeteroData

    folder = find_dataset_dir(root, ["imdb_magnn", "raw", os.path.join("IMDB", "raw"), "IMDB", "imdb"], "adjM.npz",
                              "IMDB (MAGNN layout)", hint="PyG's IMDB dataset uses the same files "
                              "(https://www.dropbox.com/s/g0btk9ctr1es39x/IMDB_processed.zip).")
    p = lambda f: os.path.join(folder, f)  # noqa: E731
    types = _npy(p("node_types.npy")).reshape(-1)
    if types.dtype.kind not in "iu":
        raise ValueError(f"{p('node_types.npy')}: expected integer type ids, got {types.dtype}")
    num_types = len(node_type_names)
    if len(types) == 0 or types.min() < 0 or types.max() >= num_types:
        raise ValueError(f"{p('node_types.npy')}: type ids must lie in [0, {num_types})")
    adj = _sparse(p("adjM.npz")).tocsr()
    n = len(types)
    if adj.shape != (n, n):
        raise ValueError(f"{p('adjM.npz')}: shape {adj.shape}, expected ({n}, {n}) from node_types.npy")
    ids = [np.flatnonzero(types == t) for t in range(num_types)]
    # contiguous blocks (the usual layout) are sliced, which keeps scipy's stored order
    sel = [slice(int(i[0]), int(i[-1]) + 1) if len(i) and i[-1] - i[0] + 1 == len(i) else i for i in ids]
    data = HeteroData()
    for t, name in enumerate(node_type_names):
        f = p(f"features_{t}.npz")
        feats = _sparse(f)
        if feats.shape[0] != len(ids[t]):
            raise ValueError(f"{f}: {feats.shape[0]} rows, but node_types.npy has {len(ids[t])} {name} nodes")
        data[name].x = torch.from_numpy(dense(feats, f))
    main = node_type_names[0]
    num_main = len(ids[0])
    y = _npy(p("labels.npy")).reshape(-1)
    if len(y) != num_main or y.dtype.kind not in "iu":
        raise ValueError(f"{p('labels.npy')}: expected {num_main} integer labels (one per {main}), "
                         f"got {len(y)} of dtype {y.dtype}")
    # class ids in [0, num_main): more classes than labelled nodes cannot all occur
    y = check_ids(y, p("labels.npy"), "labels", num_main)
    data[main].y = torch.from_numpy(y)
    split = _npz_arrays(p("train_val_test_idx.npz"))
    seen = np.zeros(num_main, dtype=bool)
    for part in ("train", "val", "test"):
        key = f"{part}_idx"
        if key not in split:
            raise ValueError(f"{p('train_val_test_idx.npz')}: missing array {key!r}")
        idx = split[key].reshape(-1)
        if idx.dtype.kind not in "iu":  # a float id is an error, never truncated
            raise ValueError(f"{p('train_val_test_idx.npz')}: {key} has dtype {idx.dtype}, expected integer ids")
        idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= num_main):
            raise ValueError(f"{p('train_val_test_idx.npz')}: {key} has ids outside [0, {num_main})")
        if seen[idx].any() or len(np.unique(idx)) != len(idx):
            raise ValueError(f"{p('train_val_test_idx.npz')}: {key} repeats ids or overlaps an earlier split")
        seen[idx] = True
        mask = torch.zeros(num_main, dtype=torch.bool)
        mask[torch.from_numpy(idx)] = True
        data[main][f"{part}_mask"] = mask
    for (s, src), (d, dst) in product(enumerate(node_type_names), enumerate(node_type_names)):
        block = adj[sel[s], :][:, sel[d]].tocoo()
        if block.nnz:
            data[src, "to", dst].edge_index = torch.from_numpy(
                np.stack([block.row, block.col]).astype(np.int64))
    return data


def load_hetero(name: str, root: Optional[str] = None):
    """Loads a heterogeneous dataset by name; ``"imdb"`` -> :func:`load_imdb`."""
    loaders = {"imdb": load_imdb}
    if not isinstance(name, str) or name.lower() not in loaders:
        raise ValueError(f"unknown heterogeneous dataset {name!r}; known: {', '.join(loaders)}")
    return loaders[name.lower()](root)
