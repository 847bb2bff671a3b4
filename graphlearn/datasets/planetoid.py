"""Planetoid citation graphs (Cora, CiteSeer, PubMed) from their raw files."""
from __future__ import annotations

import os
from typing import Optional

import numpy as np
import torch

from graphlearn.datasets._paths import BUNDLED, find_dataset_dir
from graphlearn.datasets._cache import cached
from graphlearn._validate import check_memory
from graphlearn.datasets._safe_pickle import check_array, dense, safe_load

_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph")
_LOADER_VERSION = "planetoid-loader-2"


def _read(folder: str, name: str, part: str):
    """One ``ind.<name>.<part>`` pickle, checked: features are a structurally valid
    scipy CSR/CSC matrix (see ``_safe_pickle.compressed_matrix``) of finite numbers,
    labels a 2-D array of finite numbers, the graph a dict."""
    path = os.path.join(folder, f"ind.{name}.{part}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Planetoid {name}: missing file {path}")
    with open(path, "rb") as f:
        obj = safe_load(f.read(), path)
    if part in ("x", "tx", "allx"):
        import scipy.sparse as sp

        if not sp.issparse(obj):  # safe_load only ever builds checked CSR/CSC matrices
            raise ValueError(f"{path}: expected a sparse feature matrix, got {type(obj).__name__}")
        return obj
    if part in ("y", "ty", "ally"):
        if not isinstance(obj, np.ndarray) or obj.ndim != 2:
            raise ValueError(f"{path}: expected a 2-D one-hot label array, got {type(obj).__name__}"
                             + (f" of shape {list(obj.shape)}" if isinstance(obj, np.ndarray) else ""))
        return check_array(obj, path, "label array")
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a dict of adjacency lists, got {type(obj).__name__}")
    return obj


def _is_id(v) -> bool:
    """A node id: a Python or NumPy integer (bool and every float refused, never truncated)."""
    return (type(v) is int or isinstance(v, np.integer)) and not isinstance(v, (bool, np.bool_))


def _graph_ids(graph: dict, path: str):
    """The adjacency dict as (rows, cols) int64 arrays, every key and neighbour checked
    to be an integer >= 0 (``1.7``, ``2.0``, ``True`` or ``"3"`` are errors naming the file)."""
    rows: list = []
    cols: list = []
    for k, nbrs in graph.items():
        if not _is_id(k):
            raise ValueError(f"{path}: node id {k!r} ({type(k).__name__}) is not an integer")
        if isinstance(nbrs, np.ndarray):
            nbrs = check_array(nbrs, path, f"neighbours of node {k}", kinds="iu", ndim=1).tolist()
        elif not isinstance(nbrs, (list, tuple)):
            raise ValueError(f"{path}: neighbours of node {k} must be a list of node ids, got {type(nbrs).__name__}")
        for c in nbrs:
            if not _is_id(c):
                raise ValueError(f"{path}: neighbour {c!r} ({type(c).__name__}) of node {k} is not an integer")
        rows.extend([k] * len(nbrs))
        cols.extend(nbrs)
    ids = [int(v) for v in graph] + [int(v) for v in cols]
    if ids and (min(ids) < 0 or max(ids) > np.iinfo(np.int64).max):
        bad = min(ids) if min(ids) < 0 else max(ids)
        raise ValueError(f"{path}: node id {bad} out of range (ids are >= 0)")
    return np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), (max(ids) + 1 if ids else 0)


def _test_ids(path: str):
    """``ind.<name>.test.index``: one integer node id per line (blank lines ignored)."""
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("ascii").splitlines()
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: expected one integer node id per line (not text: {exc})") from None
    ids = []
    for i, line in enumerate(lines, 1):
        t = line.strip()
        if not t:
            continue
        if not (t.isdigit() or (t[0] in "+-" and t[1:].isdigit())):
            raise ValueError(f"{path}: line {i}: expected an integer node id, got {t[:40]!r}")
        ids.append(int(t))
    if not ids:
        raise ValueError(f"{path}: no test node ids")
    return ids


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
        ValueError: unknown name, a pickle that is not plain data (never executed), a
            structurally invalid matrix or array (indices out of range, a non-monotone
            ``indptr``, wrong lengths or shapes, non-numeric dtypes, NaN or infinity),
            inconsistent row counts, node ids that are not integers (``1.7`` is an
            error, never truncated) or out of range (all naming the file).
        MemoryError: the dense feature matrix would not fit in memory.
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
    """Parses the raw files into plain tensors (the cached payload). Every file is
    checked (structure, dtypes, finiteness, row counts, id ranges) before any array
    is built from it; errors name the file."""
    x, tx, allx, y, ty, ally, graph = (_read(folder, name, p) for p in _PARTS)
    path = lambda part: os.path.join(folder, f"ind.{name}.{part}")  # noqa: E731
    index_path = path("test.index")
    # the three feature files share a column count, the three label files a class count; when
    # they disagree, the odd one out (by majority, else the all* file's) is named
    for kind, mats in (("feature columns", {"x": x, "tx": tx, "allx": allx}),
                       ("classes", {"y": y, "ty": ty, "ally": ally})):
        counts = {k: m.shape[1] for k, m in mats.items()}
        values = list(counts.values())
        ref = max(values, key=lambda v: (values.count(v), v == values[-1]))
        base = next(k for k, v in reversed(list(counts.items())) if v == ref)
        for k, v in counts.items():
            if v != ref:
                raise ValueError(f"{path(k)}: {v} {kind}, but {path(base)} has {ref}")
    for fp, feat, lab in (("x", x, y), ("tx", tx, ty), ("allx", allx, ally)):
        if lab.shape[0] != feat.shape[0]:
            raise ValueError(f"{path(fp.replace('x', 'y'))}: {lab.shape[0]} label rows, but {path(fp)} has "
                             f"{feat.shape[0]} feature rows")
    rows, cols, graph_nodes = _graph_ids(graph, path("graph"))
    test_list = _test_ids(index_path)
    # ids of test nodes lie past allx; CiteSeer's may leave gaps, but never past the graph's nodes
    num_allx = allx.shape[0]
    bound = max(num_allx + len(test_list), graph_nodes)
    bad = [t for t in test_list if not num_allx <= t < bound]
    if bad:
        raise ValueError(f"{index_path}: test node id {bad[0]} outside [{num_allx}, {bound}) (after the "
                         f"{num_allx} rows of allx, within the {bound} nodes of the graph)")
    test_index = np.array(test_list, dtype=np.int64)
    sorted_test = np.sort(test_index)
    if len(np.unique(test_index)) != len(test_index):
        raise ValueError(f"{index_path}: test node ids repeat (expected distinct ids)")
    if tx.shape[0] != len(test_index):
        raise ValueError(f"Planetoid {name}: {tx.shape[0]} test feature rows for {len(test_index)} test ids")
    allx = dense(allx, path("allx"))
    tx = dense(tx, path("tx"))
    if name == "citeseer":  # isolated test nodes have no rows in tx/ty: pad with zeros
        span = int(sorted_test[-1] - sorted_test[0] + 1)
        check_memory(span * (tx.shape[1] * tx.itemsize + ty.shape[1] * ty.itemsize),
                     f"{index_path}: test rows padded to the span of the test ids")
        tx_ext = np.zeros((span, tx.shape[1]), dtype=tx.dtype)
        ty_ext = np.zeros((span, ty.shape[1]), dtype=ty.dtype)
        tx_ext[sorted_test - sorted_test[0]] = tx
        ty_ext[sorted_test - sorted_test[0]] = ty
        tx, ty = tx_ext, ty_ext
    feats = np.concatenate([allx, tx])
    labels = np.concatenate([ally, ty]).argmax(1)
    if sorted_test[-1] >= len(feats):
        raise ValueError(f"{index_path}: test node id {sorted_test[-1]} >= {len(feats)} nodes (allx + tx rows)")
    if len(y) + 500 > len(feats):
        raise ValueError(f"Planetoid {name}: {len(feats)} nodes, too few for {len(y)} training + 500 validation")
    feats[test_index] = feats[sorted_test]
    labels[test_index] = labels[sorted_test]
    n = len(feats)

    if graph_nodes > n:
        k = int(np.argmax(np.maximum(rows, cols) >= n)) if len(rows) else 0
        bad_id = max((int(v) for v in graph if int(v) >= n), default=None)
        detail = f"node {bad_id}" if bad_id is not None else f"edge ({rows[k]}, {cols[k]})"
        raise ValueError(f"{path('graph')}: {detail} is outside the {n} nodes [0, {n}) of allx + tx")
    # self-loops and duplicates dropped; order by (column, row) like PyG's coalesce(sort_by_row=False)
    keep = rows != cols
    key = np.unique(cols[keep] * n + rows[keep])
    edge_index = torch.from_numpy(np.stack([key % n, key // n]))

    return {"x": torch.from_numpy(feats), "y": torch.from_numpy(labels).long(), "edge_index": edge_index,
            "num_train": torch.tensor(len(y)), "test_index": torch.from_numpy(sorted_test)}
