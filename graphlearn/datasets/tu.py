"""TU graph-classification datasets (ENZYMES, PROTEINS, MUTAG, ...) from the TU
text format, read offline into a PyG ``InMemoryDataset``."""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, Optional

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from graphlearn._validate import check_memory
from graphlearn.datasets._cache import cache_file, cached
from graphlearn.datasets._paths import find_dataset_dir

__all__ = ["load_tu", "TUGraphDataset"]

_LOADER_VERSION = "tu-loader-2"
_OPTIONAL = ("node_labels", "node_attributes", "edge_labels", "edge_attributes", "graph_labels", "graph_attributes")
_URL = "https://www.chrsmrrs.com/graphkerneldatasets/{name}.zip"


_EXACT = 2**53  # float64 (what the text is parsed into) holds every integer below this exactly
_MIN_LABEL_SPAN = 1024


def _read_txt(path: str, integer: bool, ncols: Optional[int] = None) -> np.ndarray:
    """A comma-separated TU text file as a 2-D array (int64 or float32).

    Every value must be a finite number (``nan``, ``inf`` and missing cells are errors);
    integer files take integers only (``3`` or ``3.0``; ``1.5`` and values of
    ``2**53`` or more in magnitude, which the text parser cannot hold exactly, are errors); attributes
    must fit in float32. Errors name the file and the (1-based) line."""
    import pandas as pd

    try:
        df = pd.read_csv(path, header=None, sep=",", skipinitialspace=True, dtype=np.float64)
    except pd.errors.EmptyDataError:
        return np.zeros((0, ncols or 1), dtype=np.int64 if integer else np.float32)
    except Exception as exc:  # ragged rows, text where numbers belong, ...
        raise ValueError(f"{path}: cannot parse as comma-separated numbers ({type(exc).__name__}: {exc})") from None
    arr = df.to_numpy()
    if ncols is not None and arr.shape[1] != ncols:
        raise ValueError(f"{path}: expected {ncols} column(s), found {arr.shape[1]}")

    def fail(mask: np.ndarray, what: str) -> None:
        r, c = (int(i) for i in np.argwhere(mask)[0])
        raise ValueError(f"{path}: line {r + 1}: {what} (column {c + 1}: {arr[r, c]})")

    if np.isnan(arr).any():
        fail(np.isnan(arr), "missing value or NaN")
    if np.isinf(arr).any():
        fail(np.isinf(arr), "infinite value")
    if integer:
        if (arr != np.round(arr)).any():
            fail(arr != np.round(arr), "expected integers")
        if (np.abs(arr) >= _EXACT).any():  # 2**53 + 1 parses as 2**53: refuse both
            fail(np.abs(arr) >= _EXACT, "integer of magnitude 2**53 or more (not read exactly)")
        return arr.astype(np.int64)
    with np.errstate(over="ignore"):  # values beyond float32 become inf, refused just below
        out = arr.astype(np.float32)
    if not np.isfinite(out).all():
        fail(~np.isfinite(out), "value beyond the float32 range")
    return out


def _check_label_span(labels: np.ndarray, path: str) -> None:
    """Each label column becomes a one-hot block ``max - min + 1`` wide (PyG's rule),
    so a stray label (``-1000000``, ``10**12``) would make it enormous. A column may
    span at most ``max(rows, 1024)`` values: more distinct values than there are rows
    cannot all occur, so a wider span means a damaged file. Names the file and the
    line of the label farthest from the column's median."""
    rows = labels.shape[0]
    if rows == 0:
        return
    limit = max(rows, _MIN_LABEL_SPAN)
    lo, hi = labels.min(0), labels.max(0)
    for c in np.nonzero(hi - lo + 1 > limit)[0]:
        col = labels[:, c]
        r = int(np.argmax(np.abs(col - np.median(col))))
        raise ValueError(f"{path}: line {r + 1}: label {int(col[r])} (column {c + 1}) is far outside the others: "
                         f"the labels span {int(hi[c]) - int(lo[c]) + 1} values, more than the {limit} allowed "
                         f"for {rows} lines (a one-hot block that wide would not be sane)")


def _one_hot_columns(labels: np.ndarray, path: str) -> np.ndarray:
    """[N, C] integer labels -> concatenated one-hot blocks, each column shifted
    to start at 0 and sized max+1 (PyG's TU convention), float32."""
    if labels.shape[0] == 0:
        return np.zeros((0, 0), dtype=np.float32)
    _check_label_span(labels, path)
    labels = labels - labels.min(0)
    width = int((labels.max(0) + 1).sum())
    check_memory(labels.shape[0] * width * 4, f"{path}: one-hot labels [{labels.shape[0]}, {width}]")
    blocks = []
    for c in range(labels.shape[1]):
        col = labels[:, c]
        block = np.zeros((len(col), int(col.max()) + 1), dtype=np.float32)
        block[np.arange(len(col)), col] = 1.0
        blocks.append(block)
    return np.concatenate(blocks, 1)


def _tu_files(folder: str, name: str) -> Dict[str, str]:
    out = {k: os.path.join(folder, f"{name}_{k}.txt") for k in ("A", "graph_indicator") + _OPTIONAL}
    return {k: p for k, p in out.items() if k in ("A", "graph_indicator") or os.path.isfile(p)}


def _build(folder: str, name: str) -> Dict[str, Any]:
    files = _tu_files(folder, name)
    for k in ("A", "graph_indicator"):
        if not os.path.isfile(files[k]):
            raise FileNotFoundError(f"TU dataset {name}: missing file {files[k]}")
    batch = _read_txt(files["graph_indicator"], True, 1)[:, 0] - 1
    n = len(batch)
    if n == 0:
        raise ValueError(f"{files['graph_indicator']}: no nodes")
    if batch.min() < 0 or (np.diff(batch) < 0).any():
        line = int(np.argmax(batch < 0)) if batch.min() < 0 else int(np.argmax(np.diff(batch) < 0)) + 1
        raise ValueError(f"{files['graph_indicator']}: line {line + 1}: graph ids must start at 1 and never "
                         "decrease (nodes of one graph are consecutive)")
    if batch[-1] >= n:  # more graphs than nodes: a stray id, which would size per-graph arrays
        raise ValueError(f"{files['graph_indicator']}: line {n}: graph id {int(batch[-1]) + 1} exceeds the number "
                         f"of nodes ({n}); graph ids run 1, 2, ... without large gaps")
    num_graphs = int(batch[-1]) + 1
    edges = _read_txt(files["A"], True, 2) - 1
    if edges.size and (edges.min() < 0 or edges.max() >= n):
        bad = int(((edges < 0) | (edges >= n)).any(1).nonzero()[0][0])
        raise ValueError(f"{files['A']}: line {bad + 1} refers to node {int(edges[bad].max()) + 1}, but "
                         f"{files['graph_indicator']} lists {n} nodes")
    cross = batch[edges[:, 0]] != batch[edges[:, 1]]
    if cross.any():
        i = int(cross.nonzero()[0][0])
        u, v = (int(a) for a in edges[i])
        raise ValueError(f"{files['A']}: line {i + 1} joins node {u + 1} (graph {batch[u] + 1}) to node {v + 1} "
                         f"(graph {batch[v] + 1}); edges must stay inside one graph")
    num_e = len(edges)

    def rows_checked(key: str, integer: bool, expected: int, what: str) -> Optional[np.ndarray]:
        if key not in files:
            return None
        arr = _read_txt(files[key], integer)
        if len(arr) != expected:
            raise ValueError(f"{files[key]}: {len(arr)} lines, but there are {expected} {what} "
                             f"(from {os.path.basename(files['graph_indicator' if what != 'edges' else 'A'])})")
        return arr

    node_attr = rows_checked("node_attributes", False, n, "nodes")
    node_lab = rows_checked("node_labels", True, n, "nodes")
    edge_attr = rows_checked("edge_attributes", False, num_e, "edges")
    edge_lab = rows_checked("edge_labels", True, num_e, "edges")
    graph_attr = rows_checked("graph_attributes", False, num_graphs, "graphs")
    graph_lab = rows_checked("graph_labels", True, num_graphs, "graphs")
    if graph_lab is not None and graph_lab.shape[1] != 1:
        raise ValueError(f"{files['graph_labels']}: expected one label per line, found {graph_lab.shape[1]} columns")

    node_onehot = (_one_hot_columns(node_lab, files["node_labels"]) if node_lab is not None
                   else np.zeros((n, 0), np.float32))
    node_attr = node_attr if node_attr is not None else np.zeros((n, 0), np.float32)
    edge_onehot = (_one_hot_columns(edge_lab, files["edge_labels"]) if edge_lab is not None
                   else np.zeros((num_e, 0), np.float32))
    edge_attr = edge_attr if edge_attr is not None else np.zeros((num_e, 0), np.float32)
    eattr = np.concatenate([edge_attr, edge_onehot], 1)

    # drop self-loops, sort by (row, col) and merge duplicates summing their attributes (as PyG's coalesce)
    keep = edges[:, 0] != edges[:, 1]
    edges, eattr = edges[keep], eattr[keep]
    key = edges[:, 0] * n + edges[:, 1]
    uniq, first = np.unique(key, return_index=True)
    order = np.argsort(key, kind="stable")
    if len(uniq) != len(key) and eattr.shape[1]:
        starts = np.searchsorted(key[order], uniq)
        eattr = np.add.reduceat(eattr[order], starts, axis=0) if len(order) else eattr[:0]
    else:
        eattr = eattr[first]
    row, col = uniq // n, uniq % n

    counts = np.bincount(batch, minlength=num_graphs)
    node_ptr = np.concatenate([[0], np.cumsum(counts)])
    edge_counts = np.bincount(batch[row], minlength=num_graphs)
    local = np.stack([row, col]) - node_ptr[batch[row]]

    if graph_attr is not None:
        y = torch.from_numpy(graph_attr[:, 0] if graph_attr.shape[1] == 1 else graph_attr)
    elif graph_lab is not None:
        y = torch.from_numpy(np.unique(graph_lab[:, 0], return_inverse=True)[1].reshape(-1).astype(np.int64))
    else:
        y = None
    out: Dict[str, Any] = {
        "node_attr": torch.from_numpy(np.ascontiguousarray(node_attr)),
        "node_onehot": torch.from_numpy(node_onehot),
        "edge_attr": torch.from_numpy(np.ascontiguousarray(eattr)),
        "num_edge_attributes": int(edge_attr.shape[1]),
        "edge_index": torch.from_numpy(np.ascontiguousarray(local)),
        "num_nodes": torch.from_numpy(counts.astype(np.int64)),
        "num_edges": torch.from_numpy(edge_counts.astype(np.int64)),
    }
    if y is not None:
        out["y"] = y
    return out


class TUGraphDataset(InMemoryDataset):
    """A TU dataset as read by :func:`load_tu` (a PyG ``InMemoryDataset``).

    ``dataset[i]``: ``Data(x [N_i, F] float32, edge_index [2, E_i] int64 (0-based,
    local to the graph), edge_attr [E_i, F_e] (when the dataset has edge labels or
    attributes), y [1] int64 (class) or float32 (graph attributes), num_nodes)``.
    Attributes: ``name``, ``root`` (the folder with the text files),
    ``num_node_attributes``, ``num_node_labels`` (one-hot width),
    ``num_edge_attributes``, ``num_edge_labels``, ``num_classes``.
    """

    def __init__(self, name: str, folder: str, data: Data, slices: Dict[str, torch.Tensor], sizes: Dict[str, int],
                 transform: Optional[Callable] = None, cache_path: Optional[str] = None) -> None:
        super().__init__(None, transform, log=False)
        self.name = name
        self.root = folder
        self.cache_path = cache_path
        self.num_node_attributes = sizes["num_node_attributes"]
        self.num_node_labels = sizes["num_node_labels"]
        self.num_edge_attributes = sizes["num_edge_attributes"]
        self.num_edge_labels = sizes["num_edge_labels"]
        self._data = data
        self.slices = slices

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, graphs={len(self)})"


def load_tu(name: str, root: Optional[str] = None, cache_dir: Optional[str] = None, *, use_node_attr: bool = True,
            use_edge_attr: bool = True, transform: Optional[Callable] = None,
            use_cache: bool = True) -> TUGraphDataset:
    """Loads a TU dataset (text format) as a list-like dataset of PyG ``Data``.

    Files (``<name>_<part>.txt``, comma separated, 1-based ids): ``A`` (edges,
    global node ids), ``graph_indicator`` (graph id per node), optional
    ``node_labels``, ``node_attributes``, ``edge_labels``, ``edge_attributes``,
    ``graph_labels`` or ``graph_attributes``.

    Args:
        name: file prefix, case as in the files (``"ENZYMES"``, ``"PROTEINS_full"``).
        root: the folder with the files, or one containing it as ``<name>/raw``
            (PyG's layout), ``<name>``, ``tu_<name lower>/<name>/raw`` (the shared
            data layout) or ``tu_<name lower>``. Default: ``default_root()``.
        cache_dir: cache location (see :func:`graphlearn.datasets.load_ogb`).
        use_node_attr: ``x`` = node attributes followed by the one-hot node labels
            (one block per label column, each ``max - min + 1`` wide). With False,
            ``x`` holds the one-hot labels only (PyG ``TUDataset``'s default).
        use_edge_attr: likewise for ``edge_attr`` (edge attributes + one-hot edge labels).
        transform: optional PyG transform applied on access.
        use_cache: False neither reads nor writes the processed cache.

    Graph labels are renumbered ``0..C-1`` in sorted order (so any integer is a
    valid graph label); self-loops are dropped and duplicate edges merged
    (attributes summed), as PyG does.

    Values: every value must be a finite number (``nan``, ``inf`` and empty cells
    are errors in every file); ids and labels are integers (``3`` or ``3.0``;
    ``1.5`` is an error, never truncated; below ``2**53`` in magnitude);
    attributes must fit in float32. Node and edge label columns become one-hot
    blocks ``max - min + 1`` wide, so each column may span at most
    ``max(lines, 1024)`` values: a label such as ``-1000000`` or ``10**12`` among
    small ones is an error (naming the file and line), not a huge allocation.
    Graph ids must not exceed the number of nodes.

    Raises:
        FileNotFoundError: no folder with ``<name>_A.txt`` (lists where it looked).
        ValueError: a node-count mismatch between ``graph_indicator`` and the node
            files, an edge joining nodes of two graphs or out of range, an
            unsorted graph indicator, unparsable lines, non-finite or non-integer
            values, out-of-range labels (naming the file and line).
        MemoryError: the one-hot label blocks would not fit in memory.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"load_tu: name must be a non-empty string, got {name!r}")
    low = name.lower()
    cands = [os.path.join(name, "raw"), name, os.path.join(f"tu_{low}", name, "raw"), f"tu_{low}",
             os.path.join(f"tu_{low}", name)]
    folder = find_dataset_dir(root, cands, f"{name}_A.txt", f"TU dataset {name}",
                              hint=f"The TU datasets are at {_URL.format(name=name)}.")
    base = os.path.dirname(folder) if os.path.basename(folder) == "raw" else folder
    files = list(_tu_files(folder, name).values())
    key = f"tu_{name}"
    p = cached(base, key, files, lambda: _build(folder, name), cache_dir, version=_LOADER_VERSION,
               use_cache=use_cache)
    data, slices, sizes = _assemble(p, use_node_attr, use_edge_attr)
    return TUGraphDataset(name, folder, data, slices, sizes, transform=transform,
                          cache_path=cache_file(base, key, cache_dir) if use_cache else None)


def _assemble(p: Dict[str, Any], use_node_attr: bool, use_edge_attr: bool):
    n_attr, n_onehot = p["node_attr"], p["node_onehot"]
    x = torch.cat([n_attr, n_onehot], 1) if use_node_attr else n_onehot
    ne_attr = int(p["num_edge_attributes"])
    eattr = p["edge_attr"] if use_edge_attr else p["edge_attr"][:, ne_attr:]
    num_nodes, num_edges = p["num_nodes"], p["num_edges"]
    zero = torch.zeros(1, dtype=torch.long)
    node_ptr, edge_ptr = torch.cat([zero, num_nodes.cumsum(0)]), torch.cat([zero, num_edges.cumsum(0)])
    data = Data(edge_index=p["edge_index"])
    slices: Dict[str, torch.Tensor] = {"edge_index": edge_ptr}
    if x.size(1):
        data.x = x
        slices["x"] = node_ptr
    data.num_nodes = int(num_nodes.sum())
    data._store._num_nodes = num_nodes.tolist()
    if eattr.size(1):
        data.edge_attr = eattr
        slices["edge_attr"] = edge_ptr
    if "y" in p:
        data.y = p["y"]
        slices["y"] = torch.arange(len(num_nodes) + 1)
    sizes = {"num_node_attributes": int(n_attr.size(1)), "num_node_labels": int(n_onehot.size(1)),
             "num_edge_attributes": ne_attr, "num_edge_labels": int(p["edge_attr"].size(1)) - ne_attr}
    return data, slices, sizes
