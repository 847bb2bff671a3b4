"""Writers of tiny OGB-format dataset folders for tests (not collected by pytest)."""
from __future__ import annotations

import gzip
import os
from typing import Dict, Optional

import numpy as np
import torch


def write_csv_gz(path, arr) -> None:
    arr = np.asarray(arr)
    if arr.ndim == 1:
        arr = arr[:, None]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    floating = arr.dtype.kind == "f"
    with gzip.open(path, "wt") as f:
        for row in arr:
            f.write(",".join("" if floating and np.isnan(v) else repr(v.item()) for v in row) + "\n")


def write_graph_raw(folder, edges, num_nodes, num_edges, node_feat=None, edge_feat=None,
                    extra: Optional[Dict[str, np.ndarray]] = None) -> None:
    """raw/ of an OGB homogeneous csv dataset: `edges` [E, 2] with per-graph local ids."""
    raw = os.path.join(folder, "raw")
    write_csv_gz(os.path.join(raw, "edge.csv.gz"), np.asarray(edges, dtype=np.int64).reshape(-1, 2))
    write_csv_gz(os.path.join(raw, "num-node-list.csv.gz"), np.asarray(num_nodes, dtype=np.int64))
    write_csv_gz(os.path.join(raw, "num-edge-list.csv.gz"), np.asarray(num_edges, dtype=np.int64))
    if node_feat is not None:
        write_csv_gz(os.path.join(raw, "node-feat.csv.gz"), node_feat)
    if edge_feat is not None:
        write_csv_gz(os.path.join(raw, "edge-feat.csv.gz"), edge_feat)
    for name, arr in (extra or {}).items():
        write_csv_gz(os.path.join(raw, name + ".csv.gz"), arr)


def random_edges(n, e, rng):
    src = rng.integers(0, n, e)
    dst = (src + rng.integers(1, n, e)) % n
    return np.stack([src, dst], 1).astype(np.int64)


def write_citation2_like(folder, n=50, e=200, p=7, num_neg=1000, seed=0) -> dict:
    """ogbl-citation2 layout: directed edges, float node-feat, node_year, split
    dicts of source_node / target_node / target_node_neg (numpy, torch.save'd)."""
    rng = np.random.default_rng(seed)
    edges = random_edges(n, e, rng)
    feat = rng.standard_normal((n, 4)).astype(np.float32).round(4)
    year = rng.integers(1990, 2020, n)
    write_graph_raw(folder, edges, [n], [e], node_feat=feat, extra={"node_year": year})
    split = {"train": {"source_node": edges[:, 0].copy(), "target_node": edges[:, 1].copy()}}
    for part in ("valid", "test"):
        split[part] = {"source_node": rng.integers(0, n, p), "target_node": rng.integers(0, n, p),
                       "target_node_neg": rng.integers(0, n, (p, num_neg))}
    sdir = os.path.join(folder, "split", "time")
    os.makedirs(sdir, exist_ok=True)
    for part, d in split.items():
        torch.save(d, os.path.join(sdir, f"{part}.pt"))
    return dict(edges=edges, feat=feat, year=year, split=split, n=n)


def write_collab_like(folder, n=30, e=80, seed=1) -> dict:
    """ogbl-collab layout: undirected, node-feat, edge_weight and edge_year, a
    split_dict.pt holding tensors (edge / weight / year / edge_neg)."""
    rng = np.random.default_rng(seed)
    edges = random_edges(n, e, rng)
    feat = rng.standard_normal((n, 3)).astype(np.float32).round(4)
    weight = rng.integers(1, 5, e)
    year = rng.integers(2000, 2019, e)
    write_graph_raw(folder, edges, [n], [e], node_feat=feat, extra={"edge_weight": weight, "edge_year": year})
    t = torch.from_numpy
    split = {"train": {"edge": t(edges), "weight": t(weight), "year": t(year)},
             "valid": {"edge": t(random_edges(n, 5, rng)), "edge_neg": t(random_edges(n, 9, rng))},
             "test": {"edge": t(random_edges(n, 5, rng)), "edge_neg": t(random_edges(n, 9, rng))}}
    sdir = os.path.join(folder, "split", "time")
    os.makedirs(sdir, exist_ok=True)
    torch.save(split, os.path.join(sdir, "split_dict.pt"))
    return dict(edges=edges, feat=feat, weight=weight, year=year, split=split, n=n)


def write_ddi_like(folder, n=40, e=120, seed=2) -> dict:
    """ogbl-ddi layout: undirected, no features, split/target/{train,valid,test}.pt."""
    rng = np.random.default_rng(seed)
    edges = random_edges(n, e, rng)
    write_graph_raw(folder, edges, [n], [e])
    split = {"train": {"edge": edges}, "valid": {"edge": random_edges(n, 6, rng), "edge_neg": random_edges(n, 8, rng)},
             "test": {"edge": random_edges(n, 6, rng), "edge_neg": random_edges(n, 8, rng)}}
    sdir = os.path.join(folder, "split", "target")
    os.makedirs(sdir, exist_ok=True)
    for part, d in split.items():
        torch.save(d, os.path.join(sdir, f"{part}.pt"))
    return dict(edges=edges, split=split, n=n)


def write_arxiv_like(folder, n=60, e=150, classes=40, seed=3) -> dict:
    """ogbn-arxiv layout: directed, float node-feat, node_year, node-label, split/time/*.csv.gz."""
    rng = np.random.default_rng(seed)
    edges = random_edges(n, e, rng)
    feat = rng.standard_normal((n, 5)).astype(np.float32).round(4)
    year = rng.integers(2000, 2020, n)
    label = rng.integers(0, classes, n)
    write_graph_raw(folder, edges, [n], [e], node_feat=feat, extra={"node_year": year})
    write_csv_gz(os.path.join(folder, "raw", "node-label.csv.gz"), label)
    perm = rng.permutation(n)
    idx = {"train": perm[:30], "valid": perm[30:45], "test": perm[45:]}
    for part, v in idx.items():
        write_csv_gz(os.path.join(folder, "split", "time", f"{part}.csv.gz"), v)
    return dict(edges=edges, feat=feat, year=year, label=label, idx=idx, n=n)


def write_mol_like(folder, num_graphs=6, tasks=1, seed=4, nan=False) -> dict:
    """ogbg-mol* layout: several graphs, int node/edge features, graph-label, scaffold split."""
    rng = np.random.default_rng(seed)
    nn_ = rng.integers(2, 7, num_graphs)
    nn_[2] = 1  # a single-atom molecule without bonds
    ne = np.array([0 if k == 1 else int(rng.integers(1, 2 * k)) for k in nn_])
    edges = np.concatenate([random_edges(int(k), int(m), rng) if m else np.zeros((0, 2), np.int64)
                            for k, m in zip(nn_, ne)])
    node_feat = rng.integers(0, 10, (int(nn_.sum()), 9))
    edge_feat = rng.integers(0, 4, (int(ne.sum()), 3))
    label = rng.integers(0, 2, (num_graphs, tasks)).astype(np.float64)
    if nan:
        label[1, 0] = np.nan
    write_graph_raw(folder, edges, nn_, ne, node_feat=node_feat, edge_feat=edge_feat)
    write_csv_gz(os.path.join(folder, "raw", "graph-label.csv.gz"),
                 label if nan else label.astype(np.int64))
    idx = {"train": np.arange(0, 4), "valid": np.array([4]), "test": np.array([5])}
    for part, v in idx.items():
        write_csv_gz(os.path.join(folder, "split", "scaffold", f"{part}.csv.gz"), v)
    return dict(edges=edges, num_nodes=nn_, num_edges=ne, node_feat=node_feat, edge_feat=edge_feat,
                label=label, idx=idx)


MAG_RELATIONS = (("author", "affiliated_with", "institution"), ("author", "writes", "paper"),
                 ("paper", "cites", "paper"), ("paper", "has_topic", "field_of_study"))


def write_mag_like(folder, sizes=None, dim=8, classes=349, seed=5) -> dict:
    """ogbn-mag layout: raw/num-node-dict.csv.gz (header of types, one row of counts),
    raw/triplet-type-list.csv.gz, raw/relations/<s>___<r>___<d>/{edge,edge_reltype,num-edge-list}.csv.gz,
    raw/node-feat/paper/{node-feat,node_year}.csv.gz, raw/node-label/paper/node-label.csv.gz,
    raw/nodetype-has-label.csv.gz, split/time/nodetype-has-split.csv.gz and split/time/paper/*.csv.gz."""
    rng = np.random.default_rng(seed)
    sizes = dict(sizes or {"author": 12, "field_of_study": 9, "institution": 5, "paper": 20})
    raw = os.path.join(folder, "raw")
    os.makedirs(raw, exist_ok=True)
    types = sorted(sizes)

    def header_csv(path, row):
        with gzip.open(path, "wt") as f:
            f.write(",".join(types) + "\n" + ",".join(str(row[t]) for t in types) + "\n")

    header_csv(os.path.join(raw, "num-node-dict.csv.gz"), sizes)
    header_csv(os.path.join(raw, "nodetype-has-label.csv.gz"), {t: t == "paper" for t in types})
    with gzip.open(os.path.join(raw, "triplet-type-list.csv.gz"), "wt") as f:
        f.write("".join(",".join(t) + "\n" for t in MAG_RELATIONS))
    edges = {}
    for k, (s, r, d) in enumerate(MAG_RELATIONS):
        e = int(rng.integers(10, 30))
        edge = np.stack([rng.integers(0, sizes[s], e), rng.integers(0, sizes[d], e)], 1).astype(np.int64)
        sub = os.path.join(raw, "relations", f"{s}___{r}___{d}")
        write_csv_gz(os.path.join(sub, "edge.csv.gz"), edge)
        write_csv_gz(os.path.join(sub, "edge_reltype.csv.gz"), np.full(e, k, dtype=np.int64))
        write_csv_gz(os.path.join(sub, "num-edge-list.csv.gz"), np.array([e], dtype=np.int64))
        edges[(s, r, d)] = edge
    n = sizes["paper"]
    feat = rng.standard_normal((n, dim)).astype(np.float32).round(4)
    year = rng.integers(2010, 2020, n)
    label = rng.integers(0, classes, n)
    write_csv_gz(os.path.join(raw, "node-feat", "paper", "node-feat.csv.gz"), feat)
    write_csv_gz(os.path.join(raw, "node-feat", "paper", "node_year.csv.gz"), year)
    write_csv_gz(os.path.join(raw, "node-label", "paper", "node-label.csv.gz"), label)
    perm = rng.permutation(n)
    idx = {"train": perm[: n // 2], "valid": perm[n // 2: 3 * n // 4], "test": perm[3 * n // 4:]}
    sdir = os.path.join(folder, "split", "time")
    for part, v in idx.items():
        write_csv_gz(os.path.join(sdir, "paper", f"{part}.csv.gz"), v)
    os.makedirs(sdir, exist_ok=True)
    with gzip.open(os.path.join(sdir, "nodetype-has-split.csv.gz"), "wt") as f:
        f.write(",".join(types) + "\n" + ",".join(str(t == "paper") for t in types) + "\n")
    return dict(sizes=sizes, edges=edges, feat=feat, year=year, label=label, idx=idx)
