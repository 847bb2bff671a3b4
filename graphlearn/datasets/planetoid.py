"""Planetoid citation graphs (Cora, CiteSeer, PubMed) from their raw files."""
from __future__ import annotations

import os
from typing import Optional

import numpy as np
import torch

from graphlearn.datasets._paths import BUNDLED, find_dataset_dir
from graphlearn.datasets._cache import cached
from graphlearn.datasets._safe_pickle import safe_load

_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph")
_LOADER_VERSION = "planetoid-loader-1"


def _read(folder: str, name: str, part: str):
    path = os.path.join(folder, f"ind.{name}.{part}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Planetoid {name}: missing file {path}")
    with open(path, "rb") as f:
        obj = safe_load(f.read(), path)
    if part in ("x", "tx", "allx"):
        if not hasattr(obj, "toarray"):
            raise ValueError(f"{path}: expected a sparse feature matrix, got {type(obj).__name__}")
        return np.asarray(obj.toarray(), dtype=np.float32)
    if part in ("y", "ty", "ally"):
        if not isinstance(obj, np.ndarray) or obj.ndim != 2:
            raise ValueError(f"{path}: expected a 2-D one-hot label array, got {type(obj).__name__}")
        return obj
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a dict of adjacency lists, got {type(obj).__name__}")
    return obj


def load_planetoid(name: str = "cora", root: Optional[str] = None, cache_dir: Optional[str] = None,
                   use_cache: bool = True):
    """Loads a Planetoid dataset with its public split as a PyG ``Data``.

    Args:
        name: ``"cora"``, ``"citeseer"`` or ``"pubmed"`` (case-insensitive).
        root: the folder with the ``ind.<name>.*`` files, or a folder holding it as
            ``planetoid_<name>`` or PyG's ``<Name>/raw``. Default for Cora: the copy
            bundled with graphlearn; otherwise ``$GRAPHLEARN_DATA`` / ``../shared/datasets``.
        cache_dir, use_cache: the parsed tensors are cached (keyed by a hash of the raw
            files and the loader version, so a changed file is re-read) like the other
            loaders: in ``cache_dir``, else next to the raw folder when it is writable,
            else ``$GRAPHLEARN_CACHE`` / ``~/.cache/graphlearn``. The copy bundled in the
            package is small and never cached (the package folder stays untouched).

    Returns:
        ``Data(x [N, F] float32, y [N] int64, edge_index [2, E] (undirected, no
        self-loops or duplicates, ordered by column then row), train_mask, val_mask,
        test_mask, num_nodes)``, the same tensors as
        ``torch_geometric.datasets.Planetoid(split="public")``: train = the first
        ``len(y)`` nodes, val = the next 500, test = ``ind.<name>.test.index``.
        CiteSeer's test index has gaps (isolated nodes without rows in ``tx``/``ty``);
        like PyG, those nodes get all-zero features and label 0 and are in no split.

    Raises:
        FileNotFoundError: no folder with ``ind.<name>.x`` (lists where it looked)
            or a missing ``ind.<name>.*`` file.
        ValueError: unknown name, a pickle that is not plain data (never executed),
            inconsistent row counts or node ids out of range (naming the file).
    """
    from torch_geometric.data import Data

    name = name.lower()
    if name not in ("cora", "citeseer", "pubmed"):
        raise ValueError(f"unknown Planetoid dataset {name!r}; expected cora, citeseer or pubmed")
    pretty = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}[name]
    if root is None and name == "cora":
        root = os.path.join(BUNDLED, "cora")
    folder = find_dataset_dir(root, [f"planetoid_{name}", os.path.join(pretty, "raw"), os.path.join(name, "raw")],
                              f"ind.{name}.x", f"Planetoid {pretty}")
    build = lambda: _build(folder, name)  # noqa: E731
    if use_cache and os.path.abspath(folder) != os.path.abspath(os.path.join(BUNDLED, name)):
        files = [os.path.join(folder, f"ind.{name}.{part}") for part in _PARTS + ("test.index",)]
        p = cached(folder, f"planetoid_{name}", files, build, cache_dir, version=_LOADER_VERSION)
    else:
        p = build()
    feats, labels, edge_index, num_train, sorted_test = (p["x"], p["y"], p["edge_index"], int(p["num_train"]),
                                                         p["test_index"])
    n = feats.size(0)

    def mask(idx):
        m = torch.zeros(n, dtype=torch.bool)
        m[torch.as_tensor(idx)] = True
        return m

    return Data(x=feats, y=labels, edge_index=edge_index,
                train_mask=mask(np.arange(num_train)), val_mask=mask(np.arange(num_train, num_train + 500)),
                test_mask=mask(sorted_test), num_nodes=n)


def _build(folder: str, name: str) -> dict:
    """Parses the raw files into plain tensors (the cached payload)."""
    x, tx, allx, y, ty, ally, graph = (_read(folder, name, p) for p in _PARTS)
    index_path = os.path.join(folder, f"ind.{name}.test.index")
    try:
        test_index = np.loadtxt(index_path, dtype=np.int64, ndmin=1)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{index_path}: expected one integer node id per line ({exc})") from None
    sorted_test = np.sort(test_index)
    if len(test_index) == 0 or sorted_test[0] < len(allx) or len(np.unique(test_index)) != len(test_index):
        raise ValueError(f"{index_path}: expected distinct test node ids >= {len(allx)} (the rows of allx)")
    if len(tx) != len(test_index) or len(ty) != len(test_index):
        raise ValueError(f"Planetoid {name}: {len(tx)} test feature rows for {len(test_index)} test ids")
    if name == "citeseer":  # isolated test nodes have no rows in tx/ty: pad with zeros
        span = sorted_test[-1] - sorted_test[0] + 1
        tx_ext = np.zeros((span, tx.shape[1]), dtype=tx.dtype)
        ty_ext = np.zeros((span, ty.shape[1]), dtype=ty.dtype)
        tx_ext[sorted_test - sorted_test[0]] = tx
        ty_ext[sorted_test - sorted_test[0]] = ty
        tx, ty = tx_ext, ty_ext
    feats = np.concatenate([allx, tx])
    labels = np.concatenate([ally, ty]).argmax(1)
    if feats.shape[1] != allx.shape[1] or len(labels) != len(feats):
        raise ValueError(f"Planetoid {name}: allx/tx and ally/ty disagree ({allx.shape}, {tx.shape}, "
                         f"{ally.shape}, {ty.shape})")
    if sorted_test[-1] >= len(feats):
        raise ValueError(f"{index_path}: test node id {sorted_test[-1]} >= {len(feats)} nodes (allx + tx rows)")
    if len(y) + 500 > len(feats):
        raise ValueError(f"Planetoid {name}: {len(feats)} nodes, too few for {len(y)} training + 500 validation")
    feats[test_index] = feats[sorted_test]
    labels[test_index] = labels[sorted_test]
    n = len(feats)

    try:
        rows = np.fromiter((k for k, v in graph.items() for _ in v), dtype=np.int64)
        cols = np.fromiter((c for v in graph.values() for c in v), dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{os.path.join(folder, f'ind.{name}.graph')}: expected integer node ids "
                         f"({exc})") from None
    if len(rows) and (rows.max() >= n or cols.max() >= n or min(rows.min(), cols.min()) < 0):
        raise ValueError(f"Planetoid {name}: the graph file refers to nodes outside [0, {n})")
    # self-loops and duplicates dropped; order by (column, row) like PyG's coalesce(sort_by_row=False)
    keep = rows != cols
    key = np.unique(cols[keep] * n + rows[keep])
    edge_index = torch.from_numpy(np.stack([key % n, key // n]))

    return {"x": torch.from_numpy(feats), "y": torch.from_numpy(labels).long(), "edge_index": edge_index,
            "num_train": torch.tensor(len(y)), "test_index": torch.from_numpy(sorted_test)}
