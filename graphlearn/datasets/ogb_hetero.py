"""ogbn-mag read from OGB's heterogeneous folder layout, offline, into a PyG ``HeteroData``.

The layout (OGB's ``read_csv_heterograph_raw`` and ``PygNodePropPredDataset``)::

    <folder>/raw/num-node-dict.csv.gz        header: node type names; one row: their counts
    <folder>/raw/triplet-type-list.csv.gz    one "src,relation,dst" per line (no header)
    <folder>/raw/relations/<src>___<rel>___<dst>/edge.csv.gz         [E, 2] local ids (src, dst)
                                             /num-edge-list.csv.gz  [1] E (checked when present)
    <folder>/raw/node-feat/paper/node-feat.csv.gz    [N, 128] floats
    <folder>/raw/node-feat/paper/node_year.csv.gz    [N, 1] integers
    <folder>/raw/node-label/paper/node-label.csv.gz  [N, 1] class ids in [0, 349)
    <folder>/split/time/paper/{train,valid,test}.csv.gz   paper ids

Files are read with numpy/pandas only (nothing is unpickled), validated, and the
result is cached like the homogeneous reader's (``graphlearn.datasets._cache``).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from graphlearn import _io
from graphlearn.datasets._cache import cached

__all__ = ["load_ogb_mag"]

_LOADER_VERSION = "ogb-hetero-loader-1"
_TARGET = "paper"
_SPLITS = (("train", "train"), ("valid", "val"), ("test", "test"))


def _safe_name(name: Any, path: str, what: str) -> str:
    """A node type or relation name used as a folder name: a non-empty string that stays in its folder."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{path}: {what} {name!r} is not a non-empty name")
    if "/" in name or "\\" in name or name.startswith(".") or "___" in name:
        raise ValueError(f"{path}: {what} {name!r} is not a valid name (no '/', '\\', '___', leading '.')")
    return name


def _read_num_nodes(raw: str) -> Dict[str, int]:
    """``num-node-dict.csv.gz``: header of node type names, one row of counts."""
    import pandas as pd

    path = os.path.join(raw, "num-node-dict.csv.gz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"OGB file missing: {path}")
    try:  # header read as a row, so that repeated type names are seen (pandas would rename them)
        df = pd.read_csv(path, compression="gzip", header=None, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty, expected a header of node types and one row of counts") from None
    except Exception as exc:
        raise ValueError(f"{path}: cannot parse as csv ({type(exc).__name__}: {exc})") from None
    if len(df) != 2:
        raise ValueError(f"{path}: expected one row of node counts under the header of node types, found "
                         f"{len(df) - 1} (graphlearn reads single-graph heterogeneous datasets only)")
    names = [_safe_name(c, path, "node type") for c in df.iloc[0].tolist()]
    if len(set(names)) != len(names):
        raise ValueError(f"{path}: node type names must be unique, got {names}")
    out = {}
    for name, cell in zip(names, df.iloc[1].tolist()):
        cell = str(cell).strip()
        if not cell.isdigit():
            raise ValueError(f"{path}: count of node type {name!r} is {cell!r}, expected a non-negative integer")
        out[name] = int(cell)
        if out[name] > 2**62:
            raise ValueError(f"{path}: count of node type {name!r} is {cell}, beyond any real graph")
    return out


def _read_triplets(raw: str, num_nodes: Dict[str, int]) -> List[Tuple[str, str, str]]:
    """``triplet-type-list.csv.gz``: (src type, relation, dst type) per line, sorted as OGB does."""
    import pandas as pd

    path = os.path.join(raw, "triplet-type-list.csv.gz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"OGB file missing: {path}")
    try:
        df = pd.read_csv(path, compression="gzip", header=None, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: empty, expected one 'src,relation,dst' line per edge type") from None
    except Exception as exc:
        raise ValueError(f"{path}: cannot parse as csv ({type(exc).__name__}: {exc})") from None
    if df.shape[1] != 3:
        raise ValueError(f"{path}: expected 3 columns (src type, relation, dst type), found {df.shape[1]}")
    out = []
    for i, (s, r, d) in enumerate(df.itertuples(index=False, name=None)):
        for t in (s, d):
            if t not in num_nodes:
                raise ValueError(f"{path}: row {i + 1}: node type {t!r} is not in num-node-dict.csv.gz "
                                 f"(types: {', '.join(num_nodes)})")
        out.append((s, _safe_name(r, path, f"row {i + 1}: relation"), d))
    if len(set(out)) != len(out):
        raise ValueError(f"{path}: an edge type is listed twice")
    return sorted(out)


def _paths(folder: str, triplets: List[Tuple[str, str, str]], types: List[str]) -> Dict[str, Any]:
    raw = os.path.join(folder, "raw")
    rel = {t: os.path.join(raw, "relations", "___".join(t)) for t in triplets}
    return dict(
        raw=raw,
        num_nodes=os.path.join(raw, "num-node-dict.csv.gz"),
        triplets=os.path.join(raw, "triplet-type-list.csv.gz"),
        relations=rel,
        edge={t: os.path.join(d, "edge.csv.gz") for t, d in rel.items()},
        num_edge={t: os.path.join(d, "num-edge-list.csv.gz") for t, d in rel.items()},
        feat={t: os.path.join(raw, "node-feat", t, "node-feat.csv.gz") for t in types},
        year=os.path.join(raw, "node-feat", _TARGET, "node_year.csv.gz"),
        label=os.path.join(raw, "node-label", _TARGET, "node-label.csv.gz"),
        split={part: os.path.join(folder, "split", "time", _TARGET, f"{part}.csv.gz") for part, _ in _SPLITS},
    )


def _inputs(p: Dict[str, Any]) -> List[str]:
    """Every file the processed graph depends on (that exists)."""
    files = [p["num_nodes"], p["triplets"], p["year"], p["label"]]
    files += list(p["edge"].values()) + list(p["num_edge"].values()) + list(p["feat"].values())
    files += list(p["split"].values())
    return [f for f in files if os.path.isfile(f)]


def _build(folder: str, num_nodes: Dict[str, int], triplets: List[Tuple[str, str, str]], num_classes: int,
           progress: bool) -> Dict[str, Any]:
    from graphlearn.datasets.ogb import _ids_in_range, _read_csv

    if _TARGET not in num_nodes:
        raise ValueError(f"{os.path.join(folder, 'raw', 'num-node-dict.csv.gz')}: no {_TARGET!r} node type "
                         f"(types: {', '.join(num_nodes)})")
    types = sorted(num_nodes)
    p = _paths(folder, triplets, types)
    n = num_nodes[_TARGET]
    steps = _io.progress(len(triplets) + len(types) + 2 + len(_SPLITS), "reading ogbn-mag", "files", enabled=progress)
    edges: Dict[str, torch.Tensor] = {}
    for t in triplets:
        if not os.path.isdir(p["relations"][t]):
            raise FileNotFoundError(f"OGB relation folder missing: {p['relations'][t]} (listed in {p['triplets']})")
        f = p["edge"][t]
        e = _read_csv(f, True, 2)
        for col, typ in ((0, t[0]), (1, t[2])):
            ids = e[:, col]
            if ids.size and (ids.min() < 0 or ids.max() >= num_nodes[typ]):
                row = int(((ids < 0) | (ids >= num_nodes[typ])).nonzero()[0][0])
                raise ValueError(f"{f}: row {row + 1}: {'source' if col == 0 else 'target'} id {int(ids[row])} "
                                 f"out of range [0, {num_nodes[typ]}) for node type {typ!r}")
        if os.path.isfile(p["num_edge"][t]):
            counts = _read_csv(p["num_edge"][t], True, 1)[:, 0]
            if len(counts) != 1 or int(counts[0]) != len(e):
                raise ValueError(f"{p['num_edge'][t]}: lists {counts.tolist()}, but {f} has {len(e)} edges "
                                 "(expected one count, equal to it)")
        edges["___".join(t)] = torch.from_numpy(np.ascontiguousarray(e.T))
        steps.update()
    node: Dict[str, Dict[str, torch.Tensor]] = {t: {} for t in types}
    for t in types:  # features and years: finite numbers, no missing cells (_read_csv refuses them)
        f = p["feat"][t]
        if os.path.isfile(f):
            x = _read_csv(f, False)
            if len(x) != num_nodes[t]:
                raise ValueError(f"{f}: {len(x)} rows, expected {num_nodes[t]} (one per {t} node)")
            node[t]["x"] = torch.from_numpy(np.ascontiguousarray(x.astype(np.float32)))
        elif t == _TARGET:
            raise FileNotFoundError(f"OGB file missing: {f}")
        steps.update()
    year = _read_csv(p["year"], True, 1)[:, 0]
    if len(year) != n:
        raise ValueError(f"{p['year']}: {len(year)} rows, expected {n} (one per {_TARGET} node)")
    node[_TARGET]["year"] = torch.from_numpy(year)
    steps.update()
    y = _read_csv(p["label"], False, 1)[:, 0]  # a NaN (missing label) is refused here
    if len(y) != n:
        raise ValueError(f"{p['label']}: {len(y)} rows, expected {n} (one per {_TARGET} node)")
    bad = (y != np.round(y)) | (y < 0) | (y >= num_classes)
    if bad.any():
        r = int(bad.nonzero()[0][0])
        raise ValueError(f"{p['label']}: row {r + 1}: label {y[r]} is not a class id "
                         f"(an integer in [0, {num_classes}))")
    node[_TARGET]["y"] = torch.from_numpy(y.astype(np.int64))
    steps.update()
    seen = np.zeros(n, dtype=np.int64)  # 0: in no split yet, else 1 + index of the split holding it
    for k, (part, attr) in enumerate(_SPLITS):
        f = p["split"][part]
        idx = _read_csv(f, True, 1)[:, 0]
        _ids_in_range(idx, n, f, f"{_TARGET} node")
        if len(np.unique(idx)) != len(idx):
            raise ValueError(f"{f}: repeats {_TARGET} ids")
        if seen[idx].any():
            j = int(idx[seen[idx] > 0][0])
            raise ValueError(f"{f}: {_TARGET} id {j} is also in {p['split'][_SPLITS[seen[j] - 1][0]]} "
                             "(splits must be disjoint)")
        seen[idx] = k + 1
        mask = torch.zeros(n, dtype=torch.bool)
        mask[torch.from_numpy(idx)] = True
        node[_TARGET][f"{attr}_mask"] = mask
        steps.update()
    steps.close()
    return {"num_nodes": dict(num_nodes), "node": node, "edge": edges, "num_classes": int(num_classes)}


def _check_payload(pl: Any) -> None:
    """A cached payload must have our structure (it is trusted data otherwise)."""
    ok = (isinstance(pl, dict) and isinstance(pl.get("num_nodes"), dict) and isinstance(pl.get("node"), dict)
          and isinstance(pl.get("edge"), dict) and isinstance(pl.get("num_classes"), int)
          and all(isinstance(v, int) for v in pl["num_nodes"].values())
          and all(isinstance(d, dict) and all(isinstance(v, torch.Tensor) for v in d.values())
                  for d in pl["node"].values())
          and all(isinstance(k, str) and len(k.split("___")) == 3 and isinstance(v, torch.Tensor)
                  for k, v in pl["edge"].items()))
    if not ok:
        raise ValueError("cached ogbn-mag payload has an unexpected structure")


def load_ogb_mag(root: Optional[str] = None, cache_dir: Optional[str] = None, progress: bool = False, *,
                 use_cache: bool = True):
    """Loads ogbn-mag from its unzipped OGB folder as a PyG ``HeteroData``, offline.

    Args:
        root: the dataset folder itself (holding ``raw/`` and ``split/``) or a folder
            containing it as ``ogbn_mag``, ``ogbn-mag``, ``ogbn_mag_pyg`` or ``mag``.
            Default: ``default_root()``.
        cache_dir: where to cache the processed graph (as :func:`graphlearn.datasets.load_ogb`).
        progress: show tqdm progress while parsing raw files.
        use_cache: False parses the raw files and neither reads nor writes a cache.

    Returns:
        ``HeteroData`` with node types ``author``, ``field_of_study``, ``institution``,
        ``paper`` (every type of ``num-node-dict.csv.gz``, sorted), each with
        ``num_nodes``; ``paper`` also has ``x`` [N, 128] float32, ``year`` [N] int64,
        ``y`` [N] int64 (class ids in [0, 349)) and ``train_mask`` / ``val_mask`` /
        ``test_mask`` [N] bool (OGB's time split); one edge type ``(src, rel, dst)``
        per line of ``triplet-type-list.csv.gz`` (ogbn-mag: affiliated_with, writes,
        cites, has_topic) with ``edge_index`` [2, E] int64 of per-type ids, in file
        order, as stored (no inverse edges); ``data.target_type = "paper"`` and
        ``data.num_classes = 349``. The same tensors as PyG's ``OGB_MAG`` (without
        ``preprocess``) on the same files.

    Raises:
        FileNotFoundError: the folder (the message lists the places tried and OGB's
            URL), a file or a relation folder is missing.
        ValueError: a damaged csv, a wrong column or row count, unknown node types in
            the triplet list, edge ids out of range for their node type, NaN/missing or
            infinite features, labels that are not class ids, split ids out of range,
            repeated or in two splits, or edge counts that disagree (naming the file).
    """
    from torch_geometric.data import HeteroData

    from graphlearn.datasets.ogb import _meta_for, find_ogb_folder

    meta = _meta_for("ogbn-mag")
    dir_name = meta.name.replace("-", "_")
    folder = find_ogb_folder(root, meta, os.path.join("raw", "num-node-dict.csv.gz"), ("mag",))
    raw = os.path.join(folder, "raw")
    num_nodes = _read_num_nodes(raw)
    triplets = _read_triplets(raw, num_nodes)
    inputs = _inputs(_paths(folder, triplets, sorted(num_nodes)))
    payload = cached(folder, dir_name + "_hetero", inputs,
                     lambda: _build(folder, num_nodes, triplets, int(meta.num_classes), progress), cache_dir,
                     version=f"{_LOADER_VERSION}|{meta!r}", use_cache=use_cache)
    _check_payload(payload)
    data = HeteroData()
    for t in sorted(payload["num_nodes"]):
        data[t].num_nodes = int(payload["num_nodes"][t])
        for k, v in payload["node"].get(t, {}).items():
            data[t][k] = v
    for key in sorted(payload["edge"]):
        s, r, d = key.split("___")
        data[s, r, d].edge_index = payload["edge"][key]
    data.target_type = _TARGET
    data.num_classes = int(payload["num_classes"])
    return data
