"""Open Graph Benchmark datasets read from OGB's own folder layout, offline.

``ogb`` 1.3.6's own dataset classes cannot load on torch >= 2.6 (``torch.load``
now defaults to ``weights_only=True`` and the split files hold pickled numpy
arrays) and they insist on downloading; this module reads the same files with
graphlearn's code, validates them, caches the processed graph (see
``graphlearn.datasets._cache``), and returns objects that behave like
``PygLinkPropPredDataset`` / ``PygNodePropPredDataset`` /
``PygGraphPropPredDataset``: same ``get_edge_split()`` / ``get_idx_split()``
output, same ``Data`` attributes, shapes and dtypes.
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from graphlearn import _io
from graphlearn.datasets._cache import cache_file, cached
from graphlearn.datasets._paths import find_dataset_dir
from graphlearn.datasets._safe_pickle import check_array, check_ids, safe_torch_load

__all__ = ["load_ogb", "OGBDataset", "OGBLinkDataset", "OGBNodeDataset", "OGBGraphDataset", "ogb_names"]

_LOADER_VERSION = "ogb-loader-2"
_BASE_URL = "http://snap.stanford.edu/ogb/data"


@dataclass(frozen=True)
class _Meta:
    """One dataset's entry of OGB's meta data (OGB's master.csv files)."""

    name: str
    kind: str  # "link", "node" or "graph"
    download_name: str
    url: str
    split: str
    add_inverse_edge: bool
    has_node_attr: bool
    has_edge_attr: bool
    node_files: Tuple[str, ...]
    edge_files: Tuple[str, ...]
    eval_metric: str
    task_type: str
    is_hetero: bool = False
    binary: bool = False
    num_tasks: Optional[int] = None
    num_classes: Optional[int] = None
    version: int = 1
    data_type: str = ""

    def meta_info(self) -> Dict[str, str]:
        """The entry as OGB's ``dataset.meta_info`` (master.csv keys, string values)."""
        files = lambda t: ",".join(t) if t else "None"  # noqa: E731
        out = {"eval metric": self.eval_metric, "task type": self.task_type,
               "download_name": self.download_name, "version": str(self.version), "url": self.url,
               "add_inverse_edge": str(self.add_inverse_edge), "has_node_attr": str(self.has_node_attr),
               "has_edge_attr": str(self.has_edge_attr), "split": self.split,
               "additional node files": files(self.node_files), "additional edge files": files(self.edge_files),
               "binary": str(self.binary)}
        if self.kind != "graph":
            out["is hetero"] = str(self.is_hetero)
        else:
            out["data type"] = self.data_type
        if self.kind != "link":
            out["num tasks"] = str(self.num_tasks)
            out["num classes"] = str(self.num_classes)
        return out


def _files(s: str) -> Tuple[str, ...]:
    return tuple(s.split(",")) if s else ()


def _link(name, dl, metric, task, inv, nattr, eattr, split, nfiles="", efiles="", hetero=False, binary=False):
    return _Meta(name, "link", dl, f"{_BASE_URL}/linkproppred/{dl}.zip", split, inv, nattr, eattr,
                 _files(nfiles), _files(efiles), metric, task, hetero, binary)


def _node(name, dl, tasks, classes, metric, task, inv, nattr, eattr, split, nfiles="", efiles="",
          hetero=False, binary=False, version=1):
    return _Meta(name, "node", dl, f"{_BASE_URL}/nodeproppred/{dl}.zip", split, inv, nattr, eattr,
                 _files(nfiles), _files(efiles), metric, task, hetero, binary, tasks, classes, version)


def _mol(name, dl, tasks, metric):
    regression = metric == "rmse"
    return _Meta(name, "graph", dl, f"{_BASE_URL}/graphproppred/csv_mol_download/{dl}.zip", "scaffold",
                 True, True, True, (), (), metric, "regression" if regression else "binary classification",
                 num_tasks=tasks, num_classes=-1 if regression else 2, data_type="mol")


_LP, _MC, _BC = "link prediction", "multiclass classification", "binary classification"
_TABLE: List[_Meta] = [
    _link("ogbl-ppa", "ppassoc", "hits@100", _LP, True, True, False, "throughput"),
    _link("ogbl-collab", "collab", "hits@50", _LP, True, True, False, "time", efiles="edge_weight,edge_year"),
    _link("ogbl-citation2", "citation-v2", "mrr", _LP, False, True, False, "time", nfiles="node_year"),
    _link("ogbl-wikikg2", "wikikg-v2", "mrr", "KG completion", False, False, False, "time", efiles="edge_reltype"),
    _link("ogbl-ddi", "ddi", "hits@20", _LP, True, False, False, "target"),
    _link("ogbl-biokg", "biokg", "mrr", "KG completion", False, False, False, "random", efiles="edge_reltype",
          hetero=True),
    _link("ogbl-vessel", "vessel", "rocauc", _LP, False, True, True, "spatial", binary=True),
    _node("ogbn-proteins", "proteins", 112, 2, "rocauc", _BC, True, False, True, "species", nfiles="node_species"),
    _node("ogbn-products", "products", 1, 47, "acc", _MC, True, True, False, "sales_ranking"),
    _node("ogbn-arxiv", "arxiv", 1, 40, "acc", _MC, False, True, False, "time", nfiles="node_year"),
    _node("ogbn-mag", "mag", 1, 349, "acc", _MC, False, True, False, "time", nfiles="node_year",
          efiles="edge_reltype", hetero=True, version=2),
    _node("ogbn-papers100M", "papers100M-bin", 1, 172, "acc", _MC, False, True, False, "time", nfiles="node_year",
          binary=True),
    _mol("ogbg-molbace", "bace", 1, "rocauc"), _mol("ogbg-molbbbp", "bbbp", 1, "rocauc"),
    _mol("ogbg-molclintox", "clintox", 2, "rocauc"), _mol("ogbg-molmuv", "muv", 17, "ap"),
    _mol("ogbg-molpcba", "pcba", 128, "ap"), _mol("ogbg-molsider", "sider", 27, "rocauc"),
    _mol("ogbg-moltox21", "tox21", 12, "rocauc"), _mol("ogbg-moltoxcast", "toxcast", 617, "rocauc"),
    _mol("ogbg-molhiv", "hiv", 1, "rocauc"), _mol("ogbg-molesol", "esol", 1, "rmse"),
    _mol("ogbg-molfreesolv", "freesolv", 1, "rmse"), _mol("ogbg-mollipo", "lipophilicity", 1, "rmse"),
    _mol("ogbg-molchembl", "chembl", 1310, "rocauc"),
    _Meta("ogbg-ppa", "graph", "ogbg_ppi_medium", f"{_BASE_URL}/graphproppred/ogbg_ppi_medium.zip", "species",
          True, False, True, (), (), "acc", _MC, num_tasks=1, num_classes=37),
    _Meta("ogbg-code2", "graph", "code2", f"{_BASE_URL}/graphproppred/code2.zip", "project", False, True, False,
          ("node_is_attributed", "node_dfs_order", "node_depth"), (), "F1", "subtoken prediction",
          num_tasks=1, num_classes=-1),
]
_META: Dict[str, _Meta] = {m.name: m for m in _TABLE}
_SPLIT_ID_KEYS = {"edge", "edge_neg", "source_node", "target_node", "target_node_neg",
                  "head", "tail", "head_neg", "tail_neg"}


def ogb_names() -> List[str]:
    """OGB dataset names known to :func:`load_ogb` (``ogbl-*``, ``ogbn-*``, ``ogbg-*``)."""
    return [m.name for m in _TABLE]


def _meta_for(name: str) -> _Meta:
    if not isinstance(name, str):
        raise TypeError(f"load_ogb: name must be a string like 'ogbl-ddi', got {type(name).__name__}")
    key = name.strip().replace("_", "-").lower()
    for m in _TABLE:
        if m.name.lower() == key:
            return m
    raise ValueError(f"load_ogb: unknown OGB dataset {name!r}; known: {', '.join(ogb_names())}")


# ----------------------------------------------------------------------------- raw file readers

def _read_csv(path: str, integer: bool, ncols: Optional[int] = None, allow_nan: bool = False) -> np.ndarray:
    """A header-less (gzipped) csv as a 2-D array: int64 when `integer` (else int64
    when every column parses as integers, float32 otherwise, OGB's rule).
    Raises ValueError naming `path` on a damaged file, a wrong column count,
    non-numeric cells or (unless `allow_nan`) missing cells."""
    import pandas as pd

    if not os.path.isfile(path):
        raise FileNotFoundError(f"OGB file missing: {path}")
    try:
        df = pd.read_csv(path, header=None, compression="gzip" if path.endswith(".gz") else None)
    except pd.errors.EmptyDataError:
        return np.zeros((0, ncols or 1), dtype=np.int64 if integer else np.float32)
    except Exception as exc:  # truncated gzip (EOFError), bad gzip (OSError), ragged rows (ParserError), ...
        raise ValueError(f"{path}: cannot parse as csv ({type(exc).__name__}: {exc})") from None
    arr = df.to_numpy()
    if ncols is not None and arr.shape[1] != ncols:
        raise ValueError(f"{path}: expected {ncols} column(s), found {arr.shape[1]}")
    kind = arr.dtype.kind
    if kind not in "iufb":
        raise ValueError(f"{path}: expected numbers only, found non-numeric cells (dtype {arr.dtype})")
    row = lambda mask: int(mask.any(1).nonzero()[0][0]) + 1  # noqa: E731
    if kind == "u" and arr.size and int(arr.max()) > np.iinfo(np.int64).max:
        raise ValueError(f"{path}: row {row(arr > np.iinfo(np.int64).max)}: integer beyond the int64 range")
    if kind == "f" and np.isnan(arr).any() and not allow_nan:
        raise ValueError(f"{path}: missing value or NaN in row {row(np.isnan(arr))} (a row with too few columns?)")
    if kind == "f" and np.isinf(arr).any():
        raise ValueError(f"{path}: infinite value in row {row(np.isinf(arr))}")
    if integer and kind not in "iub":
        raise ValueError(f"{path}: row {row(arr != np.round(arr))}: expected integers, found floats")
    with np.errstate(over="ignore"):  # float64 beyond float32 becomes inf, refused just below
        arr = arr.astype(np.int64 if kind in "iub" else np.float32, copy=False)
    if arr.dtype.kind == "f" and np.isinf(arr).any():
        raise ValueError(f"{path}: row {row(np.isinf(arr))}: value beyond the float32 range")
    return arr if arr.flags.writeable else arr.copy()


def _check_counts(counts: np.ndarray, path: str, what: str) -> None:
    """Per-graph node or edge counts: non-negative and summing within int64."""
    if counts.size and counts.min() < 0:
        raise ValueError(f"{path}: negative {what} count {int(counts.min())} for graph {int(np.argmin(counts))}")
    if counts.astype(np.float64).sum() > 2.0**62:
        raise ValueError(f"{path}: the {what} counts sum to more than 2**62 (damaged counts)")


def _ids_in_range(arr: np.ndarray, n: int, path: str, what: str) -> None:
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        bad = arr.max() if arr.max() >= n else arr.min()
        raise ValueError(f"{path}: {what} id {int(bad)} out of range [0, {n})")


def _interleave_inverse(edge: np.ndarray) -> np.ndarray:
    """[2, E] -> [2, 2E] with each edge followed by its reverse (OGB's order)."""
    out = np.empty((2, 2 * edge.shape[1]), dtype=edge.dtype)
    out[:, 0::2] = edge
    out[0, 1::2] = edge[1]
    out[1, 1::2] = edge[0]
    return out


def _raw_inputs(folder: str, meta: _Meta) -> List[str]:
    """Raw files that the processed graph depends on (all that exist)."""
    raw = os.path.join(folder, "raw")
    if meta.binary:
        names = ["data.npz", "node-label.npz", "graph-label.npz"]
    else:
        names = ["edge.csv.gz", "num-node-list.csv.gz", "num-edge-list.csv.gz", "node-feat.csv.gz",
                 "edge-feat.csv.gz", "node-label.csv.gz", "graph-label.csv.gz"]
        names += [f + ".csv.gz" for f in meta.node_files + meta.edge_files]
    return [os.path.join(raw, n) for n in names if os.path.isfile(os.path.join(raw, n))]


def _read_graphs_csv(raw: str, meta: _Meta, progress: bool) -> Dict[str, Any]:
    p = lambda f: os.path.join(raw, f)  # noqa: E731
    steps = _io.progress(3 + 2 + len(meta.node_files) + len(meta.edge_files), f"reading {meta.name}", "files",
                         enabled=progress)
    edge = _read_csv(p("edge.csv.gz"), True, 2)
    steps.update()
    num_nodes = _read_csv(p("num-node-list.csv.gz"), True, 1)[:, 0]
    num_edges = _read_csv(p("num-edge-list.csv.gz"), True, 1)[:, 0]
    steps.update(2)
    if len(num_nodes) != len(num_edges):
        raise ValueError(f"{p('num-node-list.csv.gz')}: {len(num_nodes)} graphs, but "
                         f"{p('num-edge-list.csv.gz')} lists {len(num_edges)}")
    _check_counts(num_nodes, p("num-node-list.csv.gz"), "node")
    _check_counts(num_edges, p("num-edge-list.csv.gz"), "edge")
    if int(num_edges.sum()) != len(edge):
        raise ValueError(f"{p('edge.csv.gz')}: {len(edge)} edges, but num-edge-list.csv.gz sums to "
                         f"{int(num_edges.sum())}")
    edge = np.ascontiguousarray(edge.T)
    bound = np.repeat(num_nodes, num_edges)
    if edge.size and ((edge < 0).any() or (edge >= bound).any()):
        col = int(((edge < 0) | (edge >= bound)).any(0).nonzero()[0][0])
        g = int(np.searchsorted(np.cumsum(num_edges), col, side="right"))
        raise ValueError(f"{p('edge.csv.gz')}: row {col + 1} ({edge[0, col]}, {edge[1, col]}) refers to a node "
                         f"outside graph {g}'s {int(num_nodes[g])} nodes")
    total_n, total_e = int(num_nodes.sum()), len(bound)
    node: Dict[str, np.ndarray] = {}
    edges: Dict[str, np.ndarray] = {}

    def optional(fname: str, rows: int, key: str, store: Dict[str, np.ndarray]) -> None:
        if os.path.isfile(p(fname)):  # features and extras: finite numbers, no missing cells
            arr = _read_csv(p(fname), False)
            if len(arr) != rows:
                raise ValueError(f"{p(fname)}: {len(arr)} rows, expected {rows} (one per "
                                 f"{'node' if store is node else 'edge'})")
            store[key] = arr
        steps.update()

    optional("node-feat.csv.gz", total_n, "x", node)
    optional("edge-feat.csv.gz", total_e, "edge_attr", edges)
    for f in meta.node_files:
        optional(f + ".csv.gz", total_n, f, node)
    for f in meta.edge_files:
        optional(f + ".csv.gz", total_e, f, edges)
    steps.close()
    return dict(edge_index=edge, num_nodes=num_nodes, num_edges=num_edges, node=node, edge=edges)


def _read_graphs_npz(raw: str, meta: _Meta) -> Dict[str, Any]:
    path = os.path.join(raw, "data.npz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"OGB file missing: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except Exception as exc:
        raise ValueError(f"{path}: not a readable .npz of plain arrays ({type(exc).__name__}: {exc})") from None
    for k in ("edge_index", "num_nodes_list", "num_edges_list"):
        if k not in arrays:
            raise ValueError(f"{path}: missing array {k!r}")
    # integers only (a float id is an error, never truncated)
    edge = check_ids(arrays.pop("edge_index"), path, "edge_index", None)
    num_nodes = check_ids(arrays.pop("num_nodes_list").reshape(-1), path, "num_nodes_list", None)
    num_edges = check_ids(arrays.pop("num_edges_list").reshape(-1), path, "num_edges_list", None)
    _check_counts(num_nodes, path, "node")
    _check_counts(num_edges, path, "edge")
    if len(num_nodes) != len(num_edges):
        raise ValueError(f"{path}: {len(num_nodes)} node counts, but {len(num_edges)} edge counts")
    if edge.ndim != 2 or edge.shape[0] != 2 or edge.shape[1] != int(num_edges.sum()):
        raise ValueError(f"{path}: edge_index has shape {edge.shape}, expected [2, {int(num_edges.sum())}]")
    bound = np.repeat(num_nodes, num_edges)
    if edge.size and ((edge < 0).any() or (edge >= bound).any()):
        raise ValueError(f"{path}: edge_index refers to nodes outside their graph")
    node, edges = {}, {}
    for k, v in arrays.items():
        v = check_array(v, path, k)  # numbers, finite
        if v.ndim == 0:
            raise ValueError(f"{path}: {k} is a scalar, expected one row per node or edge")
        if k.startswith("node_"):
            key = "x" if k == "node_feat" else k
            if key == "x" or k in meta.node_files:
                if len(v) != int(num_nodes.sum()):
                    raise ValueError(f"{path}: {k} has {len(v)} rows, expected {int(num_nodes.sum())}")
                node[key] = v
        elif k.startswith("edge_"):
            key = "edge_attr" if k == "edge_feat" else k
            if key == "edge_attr" or k in meta.edge_files:
                if len(v) != len(bound):
                    raise ValueError(f"{path}: {k} has {len(v)} rows, expected {len(bound)}")
                edges[key] = v
        else:
            raise ValueError(f"{path}: array {k!r} is neither node_* nor edge_*")
    return dict(edge_index=edge, num_nodes=num_nodes, num_edges=num_edges, node=node, edge=edges)


def _read_labels(raw: str, meta: _Meta, rows: int) -> Optional[np.ndarray]:
    """ogbn node labels / ogbg graph labels as OGB stores them in ``y``."""
    fname = "node-label" if meta.kind == "node" else "graph-label"
    if meta.binary:
        path = os.path.join(raw, fname + ".npz")
        key = fname.replace("-", "_")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"OGB file missing: {path}")
        try:
            with np.load(path, allow_pickle=False) as z:
                lab = np.asarray(z[key])
        except Exception as exc:
            raise ValueError(f"{path}: cannot read array {key!r} ({type(exc).__name__}: {exc})") from None
        lab = check_array(lab, path, key, finite=False)
        if lab.ndim == 0:
            raise ValueError(f"{path}: {key} is a scalar, expected one row per {meta.kind}")
        lab = lab.reshape(len(lab), -1)
        if lab.dtype.kind == "f" and np.isinf(lab).any():
            raise ValueError(f"{path}: {key} row {int(np.isinf(lab).any(1).nonzero()[0][0])}: infinite label")
    else:
        path = os.path.join(raw, fname + ".csv.gz")
        lab = _read_csv(path, False, allow_nan=True)  # NaN: a missing label (OGB's convention)
    if len(lab) != rows:
        raise ValueError(f"{path}: {len(lab)} rows, expected {rows}")
    f64 = lab.astype(np.float64)
    missing = np.isnan(f64)
    if "classification" in meta.task_type:
        # class ids: integers in [0, num_classes) (a label of 3.5 is an error, never truncated)
        k = meta.num_classes if meta.num_classes and meta.num_classes > 0 else None
        bad = ~missing & ((f64 != np.round(f64)) | (f64 < 0))
        if k is not None:
            bad |= ~missing & (f64 >= k)
        if bad.any():
            r, c = (int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{path}: row {r + 1}: label {lab[r, c]} is not a class id "
                             f"(an integer in [0, {k if k is not None else 'num_classes'}))")
        if not missing.any():
            return lab.astype(np.int64)
    return lab.astype(np.float32)


def _build_payload(folder: str, meta: _Meta, progress: bool) -> Dict[str, Any]:
    raw = os.path.join(folder, "raw")
    g = _read_graphs_npz(raw, meta) if meta.binary else _read_graphs_csv(raw, meta, progress)
    edge, num_edges = g["edge_index"], g["num_edges"]
    edge_store = dict(g["edge"])
    if meta.add_inverse_edge:
        if meta.binary:
            raise ValueError(f"{meta.name}: add_inverse_edge is not defined for binary OGB datasets")
        edge = _interleave_inverse(edge)
        num_edges = num_edges * 2
        edge_store = {k: np.repeat(v, 2, axis=0) for k, v in edge_store.items()}
    node_store = dict(g["node"])
    graph_store: Dict[str, np.ndarray] = {}
    if meta.kind == "node":
        node_store["y"] = _read_labels(raw, meta, int(g["num_nodes"].sum()))
    elif meta.kind == "graph":
        graph_store["y"] = _read_labels(raw, meta, len(g["num_nodes"]))
    t = lambda d: {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in d.items()}  # noqa: E731
    return {"edge_index": torch.from_numpy(edge), "num_nodes": torch.from_numpy(g["num_nodes"].astype(np.int64)),
            "num_edges": torch.from_numpy(num_edges.astype(np.int64)),
            "node": t(node_store), "edge": t(edge_store), "graph": t(graph_store)}


def _check_payload(p: Any) -> None:
    """A cached payload must have our structure (it is trusted data otherwise)."""
    ok = (isinstance(p, dict) and all(isinstance(p.get(k), torch.Tensor) for k in ("edge_index", "num_nodes",
                                                                                    "num_edges"))
          and all(isinstance(p.get(k), dict) for k in ("node", "edge", "graph")))
    if not ok:
        raise ValueError("cached OGB payload has an unexpected structure")


def _assemble(p: Dict[str, Any]) -> Tuple[Data, Optional[Dict[str, torch.Tensor]]]:
    """Payload -> (Data, slices): one graph gives ``slices=None``; several give
    the collated layout of ``InMemoryDataset.collate`` (per-graph local ids)."""
    num_nodes, num_edges = p["num_nodes"], p["num_edges"]
    data = Data(edge_index=p["edge_index"])
    for k in ("node", "edge", "graph"):
        for key, v in p[k].items():
            data[key] = v
    # key order as OGB's Data: num_nodes, edge_index, edge_attr, x, extras, y
    if len(num_nodes) == 1:
        data.num_nodes = int(num_nodes[0])
        return data, None
    data.num_nodes = int(num_nodes.sum())
    data._store._num_nodes = num_nodes.tolist()
    zero = torch.zeros(1, dtype=torch.long)
    node_ptr = torch.cat([zero, num_nodes.cumsum(0)])
    edge_ptr = torch.cat([zero, num_edges.cumsum(0)])
    graph_ptr = torch.arange(len(num_nodes) + 1)
    slices = {"edge_index": edge_ptr}
    slices.update({k: node_ptr for k in p["node"]})
    slices.update({k: edge_ptr for k in p["edge"]})
    slices.update({k: graph_ptr for k in p["graph"]})
    return data, slices


# ----------------------------------------------------------------------------- dataset objects

class OGBDataset(InMemoryDataset):
    """An OGB dataset read by :func:`load_ogb` (a PyG ``InMemoryDataset``).

    Attributes (as OGB's dataset objects): ``name`` ("ogbl-ddi"), ``root`` (the
    dataset folder), ``meta_info`` (OGB's master.csv entry, string values),
    ``eval_metric``, ``task_type``, ``is_hetero``, ``binary``. Indexing, ``len``,
    index/mask/slice subsets and PyG ``DataLoader`` work as for any
    ``InMemoryDataset``. ``cache_path`` tells where the processed graph was cached.
    """

    def __init__(self, meta: _Meta, folder: str, data: Data, slices: Optional[Dict[str, torch.Tensor]],
                 transform: Optional[Callable] = None, cache_path: Optional[str] = None) -> None:
        super().__init__(None, transform, log=False)
        self._meta = meta
        self.name = meta.name
        self.root = folder
        self.meta_info = meta.meta_info()
        self.eval_metric = meta.eval_metric
        self.task_type = meta.task_type
        self.is_hetero = meta.is_hetero
        self.binary = meta.binary
        self.cache_path = cache_path
        self._data = data
        self.slices = slices

    def _split_dir(self, split_type: Optional[str]) -> str:
        split_type = self._meta.split if split_type is None else split_type
        path = os.path.join(self.root, "split", split_type)
        if not os.path.isdir(path):
            base = os.path.join(self.root, "split")
            have = sorted(os.listdir(base)) if os.path.isdir(base) else []
            raise FileNotFoundError(f"{self.name}: split folder {path} not found"
                                    + (f" (available: {', '.join(have)})" if have else ""))
        return path

    def _read_index_split(self, split_type: Optional[str], bound: int, what: str) -> Dict[str, torch.Tensor]:
        path = self._split_dir(split_type)
        whole = os.path.join(path, "split_dict.pt")
        if os.path.isfile(whole):
            out = _to_tensors(safe_torch_load(whole, f"{self.name} split"), whole)
            if not isinstance(out, dict):
                raise ValueError(f"{whole}: expected a dict of index tensors, got {type(out).__name__}")
            for k, v in out.items():
                _check_ids_tensor(v, whole, f"{k!r}", bound, what, ndim=1)
            return out
        out = {}
        for part in ("train", "valid", "test"):
            f = os.path.join(path, f"{part}.csv.gz")
            idx = _read_csv(f, True, 1)[:, 0]
            _ids_in_range(idx, bound, f, what)
            out[part] = torch.from_numpy(idx)
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, graphs={len(self)})"


def _check_ids_tensor(v: Any, path: str, name: str, bound: int, what: str, ndim: Optional[int] = None) -> None:
    """`v` must be an integer tensor (bool and floats refused) of `ndim` dims with ids in [0, bound)."""
    if not isinstance(v, torch.Tensor):
        raise ValueError(f"{path}: {name} is a {type(v).__name__}, expected a tensor or array of {what} ids")
    if v.is_floating_point() or v.is_complex() or v.dtype == torch.bool:
        raise ValueError(f"{path}: {name} holds {v.dtype} values, expected integer {what} ids")
    if ndim is not None and v.dim() != ndim:
        raise ValueError(f"{path}: {name} has shape {list(v.shape)}, expected {ndim}-D")
    _ids_in_range(v.numpy(), bound, path, f"{name} {what}")


_SPLIT_1D = {"source_node", "target_node", "head", "tail", "relation"}
_SPLIT_2D = {"target_node_neg", "head_neg", "tail_neg"}
_SPLIT_INT_KEYS = {"year", "relation"}  # integers, but not node ids


def _check_link_split(d: Dict[str, Any], part: str, path: str, n: Optional[int]) -> None:
    """One part of an OGB edge split: tensors only (floats finite); ``edge``/``edge_neg``
    ``[E, 2]``; ``source_node``/``target_node``/``head``/``tail``/``relation`` 1-D;
    ``*_node_neg``/``head_neg``/``tail_neg`` 2-D; every entry but ``edge_neg`` with one
    row per positive; node ids integers in ``[0, n)`` (unchecked when `n` is None);
    ``year`` and ``relation`` integers."""
    positives = None
    for k, v in d.items():
        name = f"{part}[{k!r}]"
        if not isinstance(v, torch.Tensor):
            raise ValueError(f"{path}: {name} is a {type(v).__name__}, expected an array")
        if v.is_complex():
            raise ValueError(f"{path}: {name} holds complex numbers")
        if v.dim() == 0:
            raise ValueError(f"{path}: {name} is a scalar, expected one row per pair")
        if v.is_floating_point() and not torch.isfinite(v).all():
            i = int((~torch.isfinite(v)).reshape(v.size(0), -1).any(1).nonzero()[0, 0])
            raise ValueError(f"{path}: {name} row {i} is not finite ({v[i].tolist()})")
        if k in ("edge", "edge_neg") and (v.dim() != 2 or v.size(1) != 2):
            hint = "; OGB's split files hold [E, 2] pairs (transpose it)" if v.dim() == 2 and v.size(0) == 2 else ""
            raise ValueError(f"{path}: {name} has shape {list(v.shape)}, expected [E, 2]{hint}")
        if k in _SPLIT_1D and v.dim() != 1:
            raise ValueError(f"{path}: {name} has shape {list(v.shape)}, expected 1-D")
        if k in _SPLIT_2D and v.dim() != 2:
            raise ValueError(f"{path}: {name} has shape {list(v.shape)}, expected [P, M] (M candidates per positive)")
        if k in _SPLIT_ID_KEYS or k in _SPLIT_INT_KEYS:
            if v.is_floating_point() or v.dtype == torch.bool:
                what = "node ids" if k in _SPLIT_ID_KEYS else "integers"
                raise ValueError(f"{path}: {name} holds {v.dtype} values, expected {what}")
        if k in _SPLIT_ID_KEYS:
            if n is not None:
                _ids_in_range(v.numpy(), n, path, f"{name} node")
        if k != "edge_neg":
            if positives is None:
                positives = (k, v.size(0))
            elif v.size(0) != positives[1]:
                raise ValueError(f"{path}: {name} has {v.size(0)} rows, but {part}[{positives[0]!r}] has "
                                 f"{positives[1]} (one row per positive pair)")


def _to_tensors(obj: Any, path: str) -> Any:
    """numpy arrays -> tensors (``torch.from_numpy``, dtype kept), recursively."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind not in "iufb":
            raise ValueError(f"{path}: array of dtype {obj.dtype} where numbers were expected")
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, dict):
        return {k: _to_tensors(v, path) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_tensors(v, path) for v in obj]
    return obj


class OGBLinkDataset(OGBDataset):
    """An ``ogbl-*`` dataset: one graph whose edges are the training edges.

    ``dataset[0]``: ``Data(num_nodes, edge_index [2, E] int64, ...)``, with each
    raw edge followed by its reverse for undirected datasets (``2E`` columns,
    OGB's order), plus ``x`` (node-feat), ``edge_weight`` / ``edge_year``
    ([E, 1], collab) and ``node_year`` ([N, 1], citation2) when present.
    """

    def get_edge_split(self, split_type: Optional[str] = None) -> Dict[str, Dict[str, torch.Tensor]]:
        """OGB's edge split: ``{"train": {...}, "valid": {...}, "test": {...}}``.

        The inner dicts are the split files' contents with numpy arrays turned
        into tensors (dtype kept), e.g. ogbl-ddi: train ``{"edge": [E, 2]}``,
        valid/test ``{"edge": [P, 2], "edge_neg": [Q, 2]}``; ogbl-citation2:
        ``{"source_node": [P], "target_node": [P], "target_node_neg": [P, 1000]}``
        (train without negatives); ogbl-collab adds ``"weight"`` / ``"year"``.
        Reads ``split/<split_type>/split_dict.pt`` when present, else
        ``{train,valid,test}.pt`` (default split type: OGB's). Files are read with
        an allow-list (no arbitrary unpickling) and checked: node ids must be
        integers in ``[0, num_nodes)``, ``edge``/``edge_neg`` ``[E, 2]``, the
        per-positive entries (``weight``, ``year``, ``target_node``, ...) one row per
        positive, floats finite; a violation raises ValueError naming the file.
        """
        path = self._split_dir(split_type)
        n = int(self._data.num_nodes)
        whole = os.path.join(path, "split_dict.pt")
        if os.path.isfile(whole):
            out = _to_tensors(safe_torch_load(whole, f"{self.name} split"), whole)
            if not isinstance(out, dict) or not all(isinstance(v, dict) for v in out.values()):
                raise ValueError(f"{whole}: expected a dict of dicts (train/valid/test)")
            files = {k: whole for k in out}
        else:
            out, files = {}, {}
            for part in ("train", "valid", "test"):
                f = os.path.join(path, f"{part}.pt")
                d = _to_tensors(safe_torch_load(f, f"{self.name} {part} split"), f)
                if not isinstance(d, dict):
                    raise ValueError(f"{f}: expected a dict of arrays, got {type(d).__name__}")
                out[part], files[part] = d, f
        for part, d in out.items():
            _check_link_split(d, part, files[part], None if self.is_hetero else n)
        return out


class _LabelledOGBDataset(OGBDataset):
    """OGB datasets with labels: ``num_tasks`` and ``num_classes`` from OGB's meta data."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.num_tasks = self._meta.num_tasks

    @property
    def num_classes(self) -> int:
        """OGB's number of classes (from its meta data, not inferred from ``y``; -1 for regression)."""
        return int(self._meta.num_classes)


class OGBNodeDataset(_LabelledOGBDataset):
    """An ``ogbn-*`` dataset: one graph with node labels ``y`` ([N, num_tasks],
    int64 for classification without missing labels, else float32)."""

    def get_idx_split(self, split_type: Optional[str] = None) -> Dict[str, torch.Tensor]:
        """``{"train", "valid", "test"}`` -> int64 node index tensors, read from
        ``split/<split_type>/{train,valid,test}.csv.gz`` (or ``split_dict.pt``)."""
        return self._read_index_split(split_type, int(self._data.num_nodes), "node")


class OGBGraphDataset(_LabelledOGBDataset):
    """An ``ogbg-*`` dataset: ``dataset[i]`` is ``Data(edge_index [2, 2E_i],
    edge_attr [2E_i, F_e], x [N_i, F_n], y [1, num_tasks], num_nodes)`` as OGB
    builds it (molecules: int64 atom/bond features, inverse edges interleaved)."""

    def get_idx_split(self, split_type: Optional[str] = None) -> Dict[str, torch.Tensor]:
        """``{"train", "valid", "test"}`` -> int64 graph index tensors, read from
        ``split/<split_type>/{train,valid,test}.csv.gz`` (or ``split_dict.pt``)."""
        n = 1 if self.slices is None else len(next(iter(self.slices.values()))) - 1
        return self._read_index_split(split_type, n, "graph")


# ----------------------------------------------------------------------------- entry point

def find_ogb_folder(root: Optional[str], meta: Any, marker: str, extra_names: Tuple[str, ...] = ()) -> str:
    """The folder of OGB dataset ``meta`` under ``root`` (``ogbl_ddi``, ``ogbl-ddi`` or
    ``ogbl_ddi_pyg``, then ``extra_names``), recognised by the file ``marker`` in it;
    FileNotFoundError naming where it looked and the download URL. Warns when the
    folder holds another OGB release than the current one."""
    dir_name = meta.name.replace("-", "_")
    folder = find_dataset_dir(root, [dir_name, meta.name, dir_name + "_pyg", *extra_names], marker,
                              f"OGB dataset {meta.name}",
                              hint=f"Download {meta.url} and unzip it into <root>/{dir_name} "
                                   f"(so that <root>/{dir_name}/{marker} exists).")
    releases = sorted(f for f in os.listdir(folder) if f.startswith("RELEASE_v") and f.endswith(".txt"))
    if releases and f"RELEASE_v{meta.version}.txt" not in releases:
        warnings.warn(f"{folder}: holds {releases[-1]}, but OGB's current release of {meta.name} is "
                      f"v{meta.version}; results may not be comparable to published ones", stacklevel=3)
    return folder


def load_ogb(name: str, root: Optional[str] = None, cache_dir: Optional[str] = None, progress: bool = False,
             *, transform: Optional[Callable] = None, use_cache: bool = True) -> OGBDataset:
    """Loads an OGB dataset from its unzipped OGB folder, without network access.

    Args:
        name: OGB's name, e.g. ``"ogbl-ddi"``, ``"ogbn-arxiv"``, ``"ogbg-molesol"``
            (case-insensitive; ``"ogbl_ddi"`` works too). See :func:`ogb_names`.
        root: the dataset folder itself (holding ``raw/``, ``split/``), or a folder
            containing it as ``ogbl_ddi`` (OGB's and the shared-data folder name),
            ``ogbl-ddi`` or ``ogbl_ddi_pyg``. Default: ``default_root()``
            (``$GRAPHLEARN_DATA`` or ``../shared/datasets``).
        cache_dir: where to cache the processed graph. Default: ``<folder>/processed``
            when the dataset folder is writable, else ``$GRAPHLEARN_CACHE``, else
            ``~/.cache/graphlearn``. The cache is keyed by a blake2b hash of the raw
            files, so edited raw files are re-read.
        progress: show tqdm progress while parsing raw files.
        transform: optional PyG transform applied on every access.
        use_cache: False parses the raw files and neither reads nor writes a cache.

    Returns:
        :class:`OGBLinkDataset` (``get_edge_split()``), :class:`OGBNodeDataset` or
        :class:`OGBGraphDataset` (``get_idx_split()``, ``num_tasks``,
        ``num_classes``); all with ``name``, ``eval_metric``, ``task_type``,
        ``meta_info``, ``len`` and indexing. Tensors, shapes and dtypes match
        ``ogb``'s ``Pyg*PropPredDataset`` for the same files.

    Raises:
        FileNotFoundError: the folder is missing (the message lists the places
            tried and OGB's download URL) or a required file is missing.
        ValueError: unknown name; a truncated/damaged file, a csv with the wrong
            column count, ids out of range, or inconsistent counts (naming the file);
            non-integer ids or counts (never truncated); NaN, missing or infinite
            values in node/edge features and extra files (labels may be NaN, OGB's
            missing label, but not infinite); classification labels that are not
            class ids in ``[0, num_classes)``.

    A cached graph is only used when it matches its own checksum (see
    ``graphlearn.datasets._cache``); a damaged cache is rebuilt with a warning.

    ``ogbn-mag``, heterogeneous, is read by :func:`graphlearn.datasets.load_ogb_mag`
    into a PyG ``HeteroData`` (the other heterogeneous OGB datasets are refused).
    """
    meta = _meta_for(name)
    if meta.name == "ogbn-mag":  # heterogeneous: a HeteroData (see graphlearn.datasets.ogb_hetero)
        from graphlearn.datasets.ogb_hetero import load_ogb_mag

        data = load_ogb_mag(root, cache_dir, progress, use_cache=use_cache)
        return transform(data) if transform is not None else data
    if meta.is_hetero:
        raise ValueError(f"load_ogb: {meta.name} is a heterogeneous OGB dataset, which graphlearn's OGB reader "
                         "does not support (of the heterogeneous ones, only ogbn-mag)")
    if meta.task_type == "subtoken prediction":
        raise ValueError(f"load_ogb: {meta.name} has string-sequence labels, which graphlearn's OGB reader "
                         "does not support")
    folder = find_ogb_folder(root, meta, os.path.join("raw", "data.npz" if meta.binary else "edge.csv.gz"))
    key = meta.name.replace("-", "_")
    inputs = _raw_inputs(folder, meta)
    payload = cached(folder, key, inputs, lambda: _build_payload(folder, meta, progress), cache_dir,
                     version=f"{_LOADER_VERSION}|{meta!r}", use_cache=use_cache)
    _check_payload(payload)
    data, slices = _assemble(payload)
    cls = {"link": OGBLinkDataset, "node": OGBNodeDataset, "graph": OGBGraphDataset}[meta.kind]
    return cls(meta, folder, data, slices, transform=transform,
               cache_path=cache_file(folder, key, cache_dir) if use_cache else None)
