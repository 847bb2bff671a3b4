"""Heterogeneous Graph Benchmark (HGB; Lv et al., KDD 2021) node-classification
folders, read offline into a PyG ``HeteroData``.

The folder format (tab-separated text, one record a line, ids from 0):

* ``node.dat``: ``node_id  name  node_type  [f1,f2,...]`` (features optional per type);
* ``link.dat``: ``src_id  dst_id  link_type  weight``;
* ``label.dat`` / ``label.dat.test``: ``node_id  name  node_type  label[,label...]``
  (several comma-separated labels in multi-label datasets such as HGB-IMDB);
* ``info.dat``: names of node types, link types (``start``/``end`` node type and
  ``meaning``) and classes, as JSON (ACM, DBLP, IMDB) or as HGB's tabular text
  (Freebase: ``TYPE\\tMEANING``, ``LINK\\tSTART\\tEND\\tMEANING`` sections);
* ``meta.dat``: counts (``"Node Type_<i>": <count>``, JSON or ``key: value`` lines).

Some copies ship without ``node.dat``: node types and counts then come from
``info.dat``'s link types and ``meta.dat``'s ``Node Type_<i>`` counts, node type
``i`` holding the contiguous global id range after types ``0..i-1`` (HGB's rule),
and every type is featureless.
"""
from __future__ import annotations

import json
import math
import os
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from graphlearn import _validate
from graphlearn.datasets._cache import cached
from graphlearn.datasets._paths import default_root

__all__ = ["load_hgb"]

_LOADER_VERSION = "hgb-loader-1"
_NAMES = {"imdb": "IMDB", "acm": "ACM", "dblp": "DBLP", "freebase": "Freebase"}
_F32_MAX = float(np.finfo(np.float32).max)
_MIN_CLASS_LIMIT = 1024
_META_LINE = re.compile(r"^\s*Node\s*Type[_ ]?(\d+)\s*[:\t ]\D*?(-?\d+)\s*$", re.IGNORECASE)


# ----------------------------------------------------------------------------- text helpers

def _records(path: str):
    """Yields ``(line number, tab-separated fields)`` for every non-blank line of `path`.
    Raises ValueError when the file holds no record."""
    n = 0
    try:
        with open(path, "r", encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                n += 1
                yield lineno, line.split("\t")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc})") from None
    if n == 0:
        raise ValueError(f"{path}: empty file (no records)")


def _int(s: str, path: str, lineno: int, what: str, minimum: int = 0) -> int:
    t = s.strip()
    body = t[1:] if t.startswith("-") else t
    if not (body.isascii() and body.isdigit()):
        raise ValueError(f"{path}: line {lineno}: {what} must be an integer, got {s!r}")
    v = int(t)
    if v < minimum:
        raise ValueError(f"{path}: line {lineno}: {what} must be at least {minimum}, got {v}")
    return v


def _float(s: str, path: str, lineno: int, what: str) -> float:
    try:
        v = float(s.strip())
    except ValueError:
        raise ValueError(f"{path}: line {lineno}: {what} must be a number, got {s!r}") from None
    if "_" in s or not math.isfinite(v):
        raise ValueError(f"{path}: line {lineno}: {what} must be a finite number, got {s!r}")
    return v


def _features(s: str, path: str, lineno: int) -> np.ndarray:
    parts = s.split(",")
    try:
        arr = np.array(parts, dtype=np.float64)
    except ValueError:
        bad = next(p for p in parts if not _is_float(p))
        raise ValueError(f"{path}: line {lineno}: feature {parts.index(bad) + 1} is not a number: {bad!r}") from None
    ok = np.isfinite(arr) & (np.abs(arr) <= _F32_MAX)
    if not ok.all():
        j = int(np.argmin(ok))
        raise ValueError(f"{path}: line {lineno}: feature {j + 1} is not a finite float32 value: {parts[j]!r}")
    return arr.astype(np.float32)


def _is_float(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


# ----------------------------------------------------------------------------- info.dat / meta.dat

def _key_int(k: Any, path: str, where: str) -> int:
    if isinstance(k, bool) or not (isinstance(k, int) or (isinstance(k, str) and k.strip().isascii()
                                                           and k.strip().isdigit())):
        raise ValueError(f"{path}: {where}: expected a non-negative integer id, got {k!r}")
    return int(k)


def _read_info(path: str) -> Dict[str, Any]:
    """``{"node_types": {id: name}, "link_types": {id: (start, end, meaning)},
    "classes": {target type id: number of classes}}`` from info.dat (JSON or text)."""
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    if not text.strip():
        raise ValueError(f"{path}: empty file")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip().startswith("{"):
            raise ValueError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
        return _read_info_text(path, text)
    if not isinstance(obj, dict):
        raise ValueError(f"{path}: expected a JSON object at the top level, got {type(obj).__name__}")
    out: Dict[str, Any] = {"node_types": {}, "link_types": {}, "classes": {}}
    ntypes = (obj.get("node.dat") or {}).get("node type", {}) if isinstance(obj.get("node.dat"), dict) else {}
    if not isinstance(ntypes, dict):
        raise ValueError(f"{path}: 'node.dat' -> 'node type' must map type ids to names")
    for k, v in ntypes.items():
        tid = _key_int(k, path, "'node.dat' -> 'node type'")
        if not isinstance(v, str) or not v:
            raise ValueError(f"{path}: 'node.dat' -> 'node type' -> {k!r}: expected a non-empty name, got {v!r}")
        out["node_types"][tid] = v
    ltypes = (obj.get("link.dat") or {}).get("link type", {}) if isinstance(obj.get("link.dat"), dict) else {}
    if not isinstance(ltypes, dict):
        raise ValueError(f"{path}: 'link.dat' -> 'link type' must map link type ids to descriptions")
    for k, v in ltypes.items():
        where = f"'link.dat' -> 'link type' -> {k!r}"
        lid = _key_int(k, path, where)
        if isinstance(v, dict) and "start" in v and "end" in v:
            start, end, meaning = v["start"], v["end"], v.get("meaning", str(lid))
        elif isinstance(v, (list, tuple)) and len(v) == 3:
            start, end, meaning = v
        else:
            raise ValueError(f"{path}: {where}: expected {{'start': type, 'end': type, 'meaning': name}}, got {v!r}")
        out["link_types"][lid] = (_key_int(start, path, f"{where} start"), _key_int(end, path, f"{where} end"),
                                  str(meaning))
    lt = (obj.get("label.dat") or {}).get("node type", {}) if isinstance(obj.get("label.dat"), dict) else {}
    if isinstance(lt, dict):
        for k, v in lt.items():
            if isinstance(v, dict) and v:
                out["classes"][_key_int(k, path, "'label.dat' -> 'node type'")] = len(v)
    return out


def _read_info_text(path: str, text: str) -> Dict[str, Any]:
    out: Dict[str, Any] = {"node_types": {}, "link_types": {}, "classes": {}}
    section = None
    label_classes: Dict[int, set] = {}
    found = False
    for lineno, line in enumerate(text.splitlines(), 1):
        head = line.strip()
        if not head:
            section = None
            continue
        if head.replace(" ", "") in ("TYPE\tMEANING", "LINK\tSTART\tEND\tMEANING", "TYPE\tCLASS\tMEANING"):
            section = {"TYPE\tMEANING": "node", "LINK\tSTART\tEND\tMEANING": "link",
                       "TYPE\tCLASS\tMEANING": "label"}[head.replace(" ", "")]
            found = True
            continue
        if section is None:
            continue
        f = [p.strip() for p in line.split("\t") if p.strip()]
        if section == "node":
            if len(f) != 2:
                raise ValueError(f"{path}: line {lineno}: expected 'type<TAB>meaning', got {line!r}")
            out["node_types"][_int(f[0], path, lineno, "node type")] = f[1]
        elif section == "link":
            if len(f) != 4:
                raise ValueError(f"{path}: line {lineno}: expected 'link<TAB>start<TAB>end<TAB>meaning', "
                                 f"got {line!r}")
            out["link_types"][_int(f[0], path, lineno, "link type")] = (
                _int(f[1], path, lineno, "start node type"), _int(f[2], path, lineno, "end node type"), f[3])
        else:
            if len(f) < 2:
                raise ValueError(f"{path}: line {lineno}: expected 'type<TAB>class<TAB>meaning', got {line!r}")
            label_classes.setdefault(_int(f[0], path, lineno, "label node type"), set()).add(
                _int(f[1], path, lineno, "class"))
    if not found:
        raise ValueError(f"{path}: neither JSON nor HGB's text layout (no 'TYPE<TAB>MEANING' or "
                         "'LINK<TAB>START<TAB>END<TAB>MEANING' section)")
    out["classes"] = {t: len(c) for t, c in label_classes.items()}
    return out


def _read_meta_counts(path: str) -> Dict[int, Tuple[int, str]]:
    """``{node type id: (count, where)}`` from meta.dat's ``Node Type_<i>`` entries."""
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    if not text.strip():
        raise ValueError(f"{path}: empty file")
    out: Dict[int, Tuple[int, str]] = {}
    try:
        obj = json.loads(text)
    except json.JSONDecodeError:
        obj = None
    if isinstance(obj, dict):
        for k, v in obj.items():
            m = re.fullmatch(r"\s*Node\s*Type[_ ]?(\d+)\s*", str(k), re.IGNORECASE)
            if not m:
                continue
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{path}: {k!r}: expected a non-negative integer node count, got {v!r}")
            out[int(m.group(1))] = (v, f"{path}: {k!r}")
        return out
    for lineno, line in enumerate(text.splitlines(), 1):
        m = _META_LINE.match(line)
        if m:
            c = int(m.group(2))
            if c < 0:
                raise ValueError(f"{path}: line {lineno}: negative node count {c}")
            out[int(m.group(1))] = (c, f"{path}: line {lineno}")
    return out


# ----------------------------------------------------------------------------- the build

def _files(folder: str) -> Dict[str, str]:
    names = {"node": "node.dat", "link": "link.dat", "label": "label.dat", "test": "label.dat.test",
             "info": "info.dat", "meta": "meta.dat"}
    return {k: os.path.join(folder, v) for k, v in names.items()}


def _class_limit(info: Optional[Dict[str, Any]], t: int, n_target: int, info_path: str) -> Tuple[int, str]:
    """The exclusive upper bound of class ids on target type `t`, and why."""
    if info and info["classes"]:
        if t not in info["classes"]:
            raise ValueError(f"{info_path}: gives classes for node type(s) {sorted(info['classes'])}, but the "
                             f"labels are on node type {t}")
        return info["classes"][t], f"{info_path} names {info['classes'][t]} classes"
    # more classes than target nodes cannot all occur: a huge label is a damaged file
    limit = max(n_target, _MIN_CLASS_LIMIT)
    return limit, f"{n_target} target nodes allow at most {limit} classes"


def _build(folder: str) -> Dict[str, Any]:
    p = _files(folder)
    for k in ("link", "label", "test"):
        if not os.path.isfile(p[k]):
            raise FileNotFoundError(f"HGB folder {folder}: missing file {os.path.basename(p[k])}")
    info = _read_info(p["info"]) if os.path.isfile(p["info"]) else None
    named = info["node_types"] if info else {}

    # --- nodes: global id -> (type id, local id)
    if os.path.isfile(p["node"]):
        gid_type: Dict[int, int] = {}
        gid_line: Dict[int, int] = {}
        feats: Dict[int, Dict[int, np.ndarray]] = {}
        feat_line: Dict[int, Tuple[int, bool]] = {}  # first line of each type and whether it had features
        for lineno, f in _records(p["node"]):
            if len(f) not in (3, 4):
                raise ValueError(f"{p['node']}: line {lineno}: expected 3 or 4 tab-separated columns "
                                 f"(id, name, type[, features]), found {len(f)}")
            gid = _int(f[0], p["node"], lineno, "node id")
            t = _int(f[2], p["node"], lineno, "node type")
            if gid in gid_type:
                raise ValueError(f"{p['node']}: line {lineno}: node id {gid} repeats line {gid_line[gid]}")
            if named and t not in named:
                raise ValueError(f"{p['node']}: line {lineno}: node type {t} is not named in {p['info']} "
                                 f"(it names {sorted(named)})")
            has = len(f) == 4
            if t not in feat_line:
                feat_line[t] = (lineno, has)
            elif feat_line[t][1] != has:
                raise ValueError(f"{p['node']}: line {lineno}: node type {t} {'has' if has else 'lacks'} features "
                                 f"here but {'lacks' if has else 'has'} them on line {feat_line[t][0]}")
            if has:
                x = _features(f[3], p["node"], lineno)
                first = feats.setdefault(t, {})
                if first and len(x) != len(next(iter(first.values()))):
                    raise ValueError(f"{p['node']}: line {lineno}: {len(x)} features, but node type {t} has "
                                     f"{len(next(iter(first.values())))} on line {feat_line[t][0]}")
                first[gid] = x
            gid_type[gid] = t
            gid_line[gid] = lineno
        type_ids = sorted(set(gid_type.values()) | set(named))
        for t in type_ids:
            if t not in feat_line:
                raise ValueError(f"{p['info']}: names node type {t} ({named[t]}), but {p['node']} has no node "
                                 "of that type")
        order = sorted(gid_type)
        counts = {t: 0 for t in type_ids}
        gid_local: Dict[int, int] = {}
        for gid in order:
            t = gid_type[gid]
            gid_local[gid] = counts[t]
            counts[t] += 1
        xs = {t: np.stack([feats[t][g] for g in order if gid_type[g] == t]) for t in feats}

        def lookup(gid: int, path: str, lineno: int, what: str) -> Tuple[int, int]:
            if gid not in gid_type:
                raise ValueError(f"{path}: line {lineno}: unknown {what} {gid} (not in {p['node']})")
            return gid_type[gid], gid_local[gid]
    else:
        if info is None or not info["link_types"]:
            raise ValueError(f"HGB folder {folder}: without node.dat, info.dat must describe the link types "
                             f"(start and end node types); {'it does not' if info else 'info.dat is missing'}")
        if not os.path.isfile(p["meta"]):
            raise FileNotFoundError(f"HGB folder {folder}: without node.dat, meta.dat must give the node counts "
                                    "('Node Type_<i>'), and it is missing")
        meta = _read_meta_counts(p["meta"])
        needed = sorted({t for s, e, _ in info["link_types"].values() for t in (s, e)} | set(named))
        type_ids = list(range(max(needed) + 1))  # global ids are laid out by type id, so all of 0..max count
        for t in type_ids:
            if t not in meta:
                why = f"link types in {p['info']} use node type {max(needed)}" if t not in needed else \
                    f"{p['info']} uses node type {t}"
                raise ValueError(f"{p['meta']}: no count for node type {t} ('Node Type_{t}'), but {why}")
        counts = {t: meta[t][0] for t in type_ids}
        shift = np.cumsum([0] + [counts[t] for t in type_ids])
        xs = {}

        def lookup(gid: int, path: str, lineno: int, what: str) -> Tuple[int, int]:
            if gid >= shift[-1]:
                raise ValueError(f"{path}: line {lineno}: unknown {what} {gid}: meta.dat counts {int(shift[-1])} "
                                 "nodes in all")
            t = int(np.searchsorted(shift, gid, side="right")) - 1
            return type_ids[t], gid - int(shift[t])

    names = {t: named.get(t, str(t)) for t in type_ids}
    if len(set(names.values())) != len(names):
        raise ValueError(f"{p['info']}: two node types share a name: {names}")

    # --- links
    declared = info["link_types"] if info else {}
    for lid, (s, e, _) in declared.items():
        for t in (s, e):
            if t not in counts:
                raise ValueError(f"{p['info']}: link type {lid} uses node type {t}, which has no nodes "
                                 f"(node types: {type_ids})")
    ends: Dict[int, Tuple[int, int, int]] = {lid: (s, e, 0) for lid, (s, e, _) in declared.items()}
    src: Dict[int, List[int]] = {}
    dst: Dict[int, List[int]] = {}
    wts: Dict[int, List[float]] = {}
    for lineno, f in _records(p["link"]):
        if len(f) != 4:
            raise ValueError(f"{p['link']}: line {lineno}: expected 4 tab-separated columns "
                             f"(src, dst, link type, weight), found {len(f)}")
        hs, ht = _int(f[0], p["link"], lineno, "source node id"), _int(f[1], p["link"], lineno, "target node id")
        r = _int(f[2], p["link"], lineno, "link type")
        w = _float(f[3], p["link"], lineno, "weight")
        (st, sl), (dt, dl) = lookup(hs, p["link"], lineno, "source node id"), lookup(ht, p["link"], lineno,
                                                                                      "target node id")
        if r not in ends:
            if declared:
                raise ValueError(f"{p['link']}: line {lineno}: link type {r} is not described in {p['info']} "
                                 f"(it has {sorted(declared)})")
            ends[r] = (st, dt, lineno)
        es, ed, first = ends[r]
        if (st, dt) != (es, ed):
            origin = f"line {first}" if first else p["info"]
            raise ValueError(f"{p['link']}: line {lineno}: link type {r} joins node types {st} -> {dt}, but "
                             f"{origin} has it join {es} -> {ed}")
        src.setdefault(r, []).append(sl)
        dst.setdefault(r, []).append(dl)
        wts.setdefault(r, []).append(w)
    rel_names = {lid: m for lid, (_, _, m) in declared.items()}
    triples = {}
    for lid in sorted(ends):
        rel = rel_names.get(lid, str(lid))
        triples[lid] = (names[ends[lid][0]], rel, names[ends[lid][1]])
    if len(set(triples.values())) != len(triples):  # names collide: fall back to the ids
        triples = {lid: (s, str(lid), d) for lid, (s, _, d) in triples.items()}
    edges = []
    for lid in sorted(ends):
        ei = torch.tensor([src.get(lid, []), dst.get(lid, [])], dtype=torch.long).reshape(2, -1)
        w = torch.tensor(wts.get(lid, []), dtype=torch.float32)
        edges.append({"id": lid, "type": list(triples[lid]), "edge_index": ei,
                      "edge_weight": None if bool((w == 1).all()) else w})

    # --- labels
    raw: Dict[str, List[Tuple[int, List[int], int]]] = {}
    target: Optional[Tuple[int, str]] = None
    seen: Dict[int, str] = {}
    multi = False
    for key in ("label", "test"):
        rows = []
        for lineno, f in _records(p[key]):
            if len(f) != 4:
                raise ValueError(f"{p[key]}: line {lineno}: expected 4 tab-separated columns "
                                 f"(node id, name, node type, labels), found {len(f)}")
            gid = _int(f[0], p[key], lineno, "node id")
            t = _int(f[2], p[key], lineno, "node type")
            at, local = lookup(gid, p[key], lineno, "node id")
            if at != t:
                raise ValueError(f"{p[key]}: line {lineno}: node {gid} is listed with type {t}, but it has type {at}")
            if target is None:
                target = (t, f"{p[key]}: line {lineno}")
                limit, why = _class_limit(info, t, counts[t], p["info"])
            elif t != target[0]:
                raise ValueError(f"{p[key]}: line {lineno}: labels on node type {t}, but {target[1]} labels node "
                                 f"type {target[0]} (one target type expected)")
            here = f"{p[key]}: line {lineno}"
            if local in seen:
                raise ValueError(f"{here}: node {gid} is already labelled at {seen[local]}")
            seen[local] = here
            parts = f[3].split(",")
            if len(parts) > 1:
                multi = True
            labs = [_int(v, p[key], lineno, "label") for v in parts]
            if len(set(labs)) != len(labs):
                raise ValueError(f"{here}: repeated label in {f[3]!r}")
            if max(labs) >= limit:
                raise ValueError(f"{here}: label {max(labs)} is out of range [0, {limit}) ({why})")
            rows.append((local, labs, lineno))
        raw[key] = rows
    assert target is not None
    tt = target[0]
    n_target = counts[tt]
    num_classes = limit if info and info["classes"] else \
        max(max(labs) for rows in raw.values() for _, labs, _ in rows) + 1
    if multi:
        y = torch.zeros(n_target, num_classes, dtype=torch.float32)
    else:
        y = torch.full((n_target,), -1, dtype=torch.long)
    masks = {}
    for key, rows in raw.items():
        idx = torch.tensor([r[0] for r in rows], dtype=torch.long)
        for local, labs, _ in rows:
            if multi:
                y[local, labs] = 1.0
            else:
                y[local] = labs[0]
        masks[key] = idx
    return {"types": [names[t] for t in type_ids], "counts": [int(counts[t]) for t in type_ids],
            "x": {names[t]: torch.from_numpy(xs[t]) for t in xs}, "edges": edges, "target": names[tt],
            "y": y, "multilabel": multi, "num_classes": int(num_classes),
            "labelled": masks["label"], "test": masks["test"]}


# ----------------------------------------------------------------------------- split and public API

def _split(idx: torch.Tensor, y: torch.Tensor, multilabel: bool, val_ratio: float, seed: int):
    """Splits the label.dat nodes `idx` into (train, val): ``floor(len * val_ratio)``
    validation nodes, allocated to classes in proportion (largest remainder) when
    single-label and every class has at least 2 nodes, else drawn uniformly."""
    rng = np.random.default_rng(seed)
    ids = idx.numpy().copy()
    k = int(len(ids) * val_ratio)
    if not multilabel and len(ids):
        cls = y[idx].numpy()
        uniq, cnt = np.unique(cls, return_counts=True)
        if (cnt >= 2).all():
            exact = cnt * val_ratio
            take = np.floor(exact).astype(np.int64)
            rest = k - int(take.sum())
            frac_order = sorted(range(len(uniq)), key=lambda i: (-(exact[i] - take[i]), i))
            for i in frac_order[:rest]:
                take[i] += 1
            val = [rng.permutation(ids[cls == c])[:q] for c, q in zip(uniq, take)]
            val = np.concatenate(val) if val else np.zeros(0, dtype=np.int64)
            train = np.setdiff1d(ids, val)
            return np.sort(train), np.sort(val)
    perm = rng.permutation(ids)
    return np.sort(perm[k:]), np.sort(perm[:k])


def _find_folder(name_or_path: str, root: Optional[str]) -> str:
    if os.path.isdir(name_or_path) and os.path.isfile(os.path.join(name_or_path, "link.dat")):
        return name_or_path
    if os.path.isdir(name_or_path) or os.sep in name_or_path:
        raise FileNotFoundError(f"HGB dataset not found: {name_or_path} has no link.dat")
    canon = _NAMES.get(name_or_path.lower(), name_or_path)
    root = default_root() if root is None else os.fspath(root)
    cands = []
    for n in dict.fromkeys([canon, name_or_path]):
        cands += [n, f"hgb_{n.lower()}", os.path.join("HGB", n), os.path.join(n.lower(), "raw", n)]
    tried = []
    for c in dict.fromkeys(cands):
        cand = os.path.join(root, c)
        tried.append(cand)
        if os.path.isfile(os.path.join(cand, "link.dat")):
            return cand
    raise FileNotFoundError(f"HGB dataset {name_or_path} not found: looked for link.dat in " + ", ".join(tried)
                            + ". Pass root=<folder> (or --root), the folder itself, or set GRAPHLEARN_DATA. "
                            "The data is linked from https://github.com/THUDM/HGB.")


def load_hgb(name_or_path: str, root: Optional[str] = None, *, val_ratio: float = 0.2, seed: int = 0,
             multilabel: Optional[bool] = None, cache_dir: Optional[str] = None, use_cache: bool = True):
    """Loads an HGB node-classification dataset (``IMDB``, ``ACM``, ``DBLP``,
    ``Freebase``) as a PyG ``HeteroData``.

    Args:
        name_or_path: the dataset folder itself, or a name looked up under `root`
            as ``<name>``, ``hgb_<name lower>``, ``HGB/<name>`` or
            ``<name lower>/raw/<name>`` (PyG's ``HGBDataset`` layout); names are
            matched case-insensitively to HGB's spelling.
        root: where to look up a name. Default: ``default_root()``.
        val_ratio: fraction in ``[0, 1)`` of the ``label.dat`` nodes moved to
            validation: ``floor(len * val_ratio)`` nodes, as HGB's baselines take,
            stratified by class when single-label and every class has 2 or more
            training nodes, else drawn uniformly.
        seed: seed of that split (same seed, same split).
        multilabel: force (True/False) the label layout; None: multi-label when
            any label line lists several comma-separated labels.
        cache_dir: cache location (see :func:`graphlearn.datasets.load_ogb`).
        use_cache: False neither reads nor writes the processed cache.

    Returns:
        ``HeteroData`` with one node type per HGB type, named from ``info.dat``
        (else ``"0"``, ``"1"``, ...), nodes renumbered ``0..n-1`` per type in
        global-id order; ``x`` [n, F] float32 where ``node.dat`` has features,
        else only ``num_nodes``. One edge type ``(src, rel, dst)`` per link type,
        ``rel`` being the link's ``meaning`` from ``info.dat`` (or ``str(link type id)``
        when not given or not unique), with ``edge_index`` [2, E] (local ids, in
        file order) and ``edge_weight`` [E] float32 when a weight differs from 1;
        ``data.link_types`` maps link type ids to edge types. On the target type
        (the one ``label.dat`` labels): ``y`` [n] int64 (-1 unlabelled) or
        [n, C] float32 multi-hot, ``train_mask``/``val_mask`` (split of
        ``label.dat``) and ``test_mask`` (``label.dat.test``) [n] bool. Also
        ``data.target_type``, ``data.multilabel`` and ``data.num_classes``.

    Raises:
        FileNotFoundError: no folder with ``link.dat``, or a required file missing.
        ValueError: a malformed file, naming it and the line: wrong column counts,
            non-numeric ids, types, labels, weights or features, non-finite
            values, empty files, repeated node ids, unknown node ids, node types
            not named in or missing from ``info.dat``/``meta.dat``, a link type
            joining different node types, labels on several node types, a node's
            type disagreeing with ``node.dat``, repeated or out-of-range labels.
    """
    from torch_geometric.data import HeteroData

    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"load_hgb: name_or_path must be a name or a folder, got {name_or_path!r}")
    name_or_path = os.fspath(name_or_path)
    val_ratio = _validate.real(val_ratio, "val_ratio", min=0.0, max=1.0, max_open=True)
    seed = _validate.seed(seed)
    if multilabel is not None:
        multilabel = _validate.flag(multilabel, "multilabel")
    use_cache = _validate.flag(use_cache, "use_cache")
    folder = _find_folder(name_or_path, root)
    files = [f for f in _files(folder).values() if os.path.isfile(f)]
    key = "hgb_" + re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(os.path.abspath(folder)))
    pl = cached(folder, key, files, lambda: _build(folder), cache_dir, version=_LOADER_VERSION, use_cache=use_cache)

    y, multi = pl["y"], bool(pl["multilabel"])
    if multilabel is not None and multilabel != multi:
        if multilabel:  # single labels as one-hot rows
            y1 = torch.zeros(y.numel(), pl["num_classes"], dtype=torch.float32)
            has = y >= 0
            y1[has.nonzero().view(-1), y[has]] = 1.0
            y, multi = y1, True
        else:
            raise ValueError(f"{folder}: multilabel=False, but a label line lists several labels")
    data = HeteroData()
    for t, n in zip(pl["types"], pl["counts"]):
        if t in pl["x"]:
            data[t].x = pl["x"][t]
        else:
            data[t].num_nodes = int(n)
    link_types = {}
    for e in pl["edges"]:
        et = tuple(e["type"])
        data[et].edge_index = e["edge_index"]
        if e["edge_weight"] is not None:
            data[et].edge_weight = e["edge_weight"]
        link_types[int(e["id"])] = et
    tt = pl["target"]
    n = int(pl["counts"][pl["types"].index(tt)])
    train, val = _split(pl["labelled"], y if not multi else y.argmax(1), multi, val_ratio, seed)
    store = data[tt]
    store.y = y
    for part, idx in (("train", train), ("val", val), ("test", pl["test"].numpy())):
        m = torch.zeros(n, dtype=torch.bool)
        m[torch.as_tensor(idx, dtype=torch.long)] = True
        store[f"{part}_mask"] = m
    data.target_type = tt
    data.multilabel = multi
    data.num_classes = int(pl["num_classes"])
    data.link_types = link_types
    return data
