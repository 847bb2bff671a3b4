"""Edge splits for link prediction: random, OGB's fixed ones, and time-based.

Every split is a :class:`LinkSplit`: the training edges (which also form the graph
the models and heuristics see), and the positive/negative edges of ``valid`` and
``test``. Node pairs are ``[2, P]`` tensors (row 0 the sources, row 1 the targets:
PyG's ``edge_label_index`` layout, parsed by :func:`graphlearn.sparse.as_pairs`).
Negatives come in three layouts:

* ``[2, M]`` pairs shared by all positives of the split (ogbl-ddi/collab/ppa, random);
* ``[P, M]`` node ids: negatives of positive ``p = (s, t)`` are ``(s, neg[p, j])``
  (ogbl-citation2's ``target_node_neg``; HeaRT candidates, see
  :func:`graphlearn.linkpred.heart_pairs`), marked by ``info["<split>_neg_layout"]``;
* ``[2, P, M]`` pairs per positive: pair ``j`` of positive ``p`` is
  ``(neg[0, p, j], neg[1, p, j])``.

OGB's own dictionaries (``get_edge_split()``) hold ``[E, 2]`` edges;
:func:`from_edge_split` converts them at the boundary and
:meth:`LinkSplit.get_edge_split` converts back, so a ``LinkSplit`` can stand in
wherever an OGB dataset is expected.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Dict, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from graphlearn import _validate
from graphlearn.linkpred._utils import (as_index, check_ids, cpu_pairs, generator_seed, node_count, pair_keys,
                                        pair_tensor, seed_arg)

__all__ = ["LinkSplit", "random_edge_split", "temporal_edge_split", "ogb_split", "from_edge_split",
           "as_link_split", "unique_undirected"]

SPLITS = ("valid", "test")


@dataclass
class LinkSplit:
    """A link-prediction split.

    Attributes:
        num_nodes: number of nodes.
        train_pos: ``[2, E]`` training edges (each undirected edge once unless the data
            lists both directions); the training graph.
        valid_pos, test_pos: ``[2, P]`` positive edges.
        valid_neg, test_neg: negatives (or None when not drawn yet): ``[2, M]`` pairs
            shared by all positives, ``[2, P, M]`` pairs per positive, or ``[P, M]``
            node ids per positive (target nodes, or HeaRT candidates), the last only
            with ``info["valid_neg_layout"]`` / ``info["test_neg_layout"]`` set to
            ``"targets"`` or ``"heart"`` (see :meth:`neg_layout`).
        x: optional ``[N, F]`` node features.
        directed: whether edges are directed (citation2); undirected splits treat
            ``(u, v)`` and ``(v, u)`` as the same edge.
        name: dataset name (for reports).
        info: free-form provenance (seed, ratios, source of the negatives).

    Pair-holding fields may be given as ``[2, P]`` tensors/arrays or ``(src, dst)``
    tuples; :meth:`validate` stores them as ``[2, P]`` int64 CPU tensors and rejects
    ``[P, 2]`` (OGB's layout: convert with :func:`from_edge_split` or ``.t()``).
    """

    num_nodes: int
    train_pos: Tensor
    valid_pos: Tensor
    test_pos: Tensor
    valid_neg: Optional[Tensor] = None
    test_neg: Optional[Tensor] = None
    x: Optional[Tensor] = None
    directed: bool = False
    name: str = "graph"
    info: Dict[str, Any] = field(default_factory=dict)

    def pos(self, split: str) -> Tensor:
        return getattr(self, f"{_check_split(split)}_pos")

    def neg(self, split: str) -> Optional[Tensor]:
        return getattr(self, f"{_check_split(split)}_neg")

    def with_negatives(self, valid_neg: Optional[Tensor], test_neg: Optional[Tensor], **info) -> "LinkSplit":
        """A copy with other negatives (validated)."""
        out = replace(self, valid_neg=valid_neg, test_neg=test_neg, info={**self.info, **info})
        out.validate()
        return out

    def train_graph(self, with_valid: bool = False):
        """The symmetric training adjacency (:class:`graphlearn.sparse.CSR`), optionally
        with the validation positives added (OGB's "use validation edges as input")."""
        from graphlearn.linkpred._utils import build_graph

        edges = self.train_pos if not with_valid else torch.cat([self.train_pos, self.valid_pos], 1)
        return build_graph(edges, self.num_nodes, "train_pos")

    def neg_layout(self, split: str) -> Optional[str]:
        """``"shared"`` ([2, M]), ``"pairs"`` ([2, P, M]), ``"targets"`` ([P, M] target
        nodes) or ``"heart"`` ([P, M] HeaRT candidates); None without negatives.

        A 2-D tensor is read as shared ``[2, M]`` pairs unless ``info["<split>_neg_layout"]``
        is ``"targets"`` or ``"heart"`` (set by :func:`from_edge_split` for citation2-style
        splits and by the HeaRT protocol), so the layout never depends on whether a
        size happens to be 2."""
        neg = self.neg(split)
        if neg is None:
            return None
        if getattr(neg, "ndim", 2) == 3:  # a (src, dst) tuple, before validate(), counts as 2-D
            return "pairs"
        flag = self.info.get(f"{split}_neg_layout")
        if flag in ("targets", "heart"):
            return flag
        return "shared"

    def negative_pairs(self, split: str) -> Optional[Tensor]:
        """The negatives of `split` as pairs: ``[2, M]`` (shared) or ``[2, P, M]``."""
        neg, layout = self.neg(split), self.neg_layout(split)
        if layout == "heart":
            from graphlearn.linkpred.negatives import heart_pairs

            return heart_pairs(self.pos(split), neg, self.info.get("heart_num_source"))
        if layout != "targets":
            return neg
        src = self.pos(split)[0].view(-1, 1).expand_as(neg)
        return torch.stack([src, neg])

    def negative_keys(self, split: str, undirected: Optional[bool] = None) -> Optional[Tensor]:
        """One int64 key per negative pair (``u * N + v``; ``min/max`` when undirected),
        shaped ``[M]`` or ``[P, M]``, computed without materialising the pairs."""
        neg, layout = self.neg(split), self.neg_layout(split)
        if layout is None:
            return None
        undirected = (not self.directed) if undirected is None else undirected
        n = self.num_nodes
        if layout in ("shared", "pairs"):
            return pair_keys(neg[0], neg[1], n, undirected)
        pos = self.pos(split)
        a = pos[0].view(-1, 1).expand_as(neg)
        if layout == "targets":
            return pair_keys(a, neg, n, undirected)
        m = neg.size(1)
        k = self.info.get("heart_num_source") or m - m // 2
        b = pos[1].view(-1, 1).expand_as(neg)
        first = torch.arange(m).view(1, -1) < k
        src = torch.where(first, a, neg)
        dst = torch.where(first, neg, b)
        return pair_keys(src, dst, n, undirected)

    def get_edge_split(self) -> Dict[str, Dict[str, Tensor]]:
        """OGB's dictionary, in OGB's layout: ``{"train": {"edge": [E, 2]}, "valid":
        {"edge": [P, 2], "edge_neg": [M, 2]}, "test": ...}`` (per-positive negatives as
        ``edge_neg`` ``[P, M, 2]``, HeaRT's file layout), or citation2-style
        ``source_node [P]`` / ``target_node [P]`` / ``target_node_neg [P, M]`` for
        target negatives. The inverse of :func:`from_edge_split`."""
        out: Dict[str, Dict[str, Tensor]] = {"train": {"edge": self.train_pos.t()}}
        for s in SPLITS:
            pos, neg = self.pos(s), self.neg(s)
            if self.neg_layout(s) == "targets":
                out[s] = {"source_node": pos[0], "target_node": pos[1], "target_node_neg": neg}
            else:
                out[s] = {"edge": pos.t()}
                if neg is not None:
                    pairs = self.negative_pairs(s)
                    out[s]["edge_neg"] = pairs.t() if pairs.dim() == 2 else pairs.permute(1, 2, 0)
        return out

    def validate(self, check_overlap: bool = True) -> "LinkSplit":
        """Checks shapes, id ranges and (``check_overlap``) that no negative is a positive edge.

        Raises:
            ValueError: naming the field (e.g. ``valid_neg[17]``) and what was wrong.
        """
        n = self.num_nodes = node_count(self.num_nodes)
        for fname in ("train_pos", "valid_pos", "test_pos"):
            setattr(self, fname, pair_tensor(getattr(self, fname), n, fname))
        for s in SPLITS:
            neg = self.neg(s)
            if neg is None:
                continue
            fname = f"{s}_neg"
            layout = self.neg_layout(s)
            p = self.pos(s).size(1)
            if layout == "shared":
                if not isinstance(neg, (tuple, list)):
                    neg = as_index(neg, fname)
                    if neg.dim() == 2 and neg.size(0) == p and neg.size(0) != 2 and neg.size(1) != 2:
                        raise ValueError(f"{fname} has shape {list(neg.shape)}: shared negatives are [2, M] pairs; "
                                         f"for [P, M] target-node negatives set info['{fname}_layout'] = 'targets'")
                neg = pair_tensor(neg, n, fname)
                if neg.size(1) == 0:
                    raise ValueError(f"{fname} must be non-empty, got {list(neg.shape)}")
                setattr(self, fname, neg)
                continue
            neg = as_index(neg, fname)
            setattr(self, fname, neg)
            if layout == "pairs" and (neg.size(0) != 2 or neg.size(1) != p):
                hint = ("; for [P, M, 2] pairs pass neg.permute(2, 0, 1)" if neg.size(0) == p and neg.size(2) == 2
                        else "")
                raise ValueError(f"{fname} with per-positive pairs must have shape [2, {p}, M] (first axis = "
                                 f"(source, target)), got {list(neg.shape)}{hint}")
            if layout in ("targets", "heart") and (neg.dim() != 2 or neg.size(0) != p):
                raise ValueError(f"{fname} must have one row per positive, shape [{p}, M], got {list(neg.shape)}")
            if neg.numel() == 0:
                raise ValueError(f"{fname} must be non-empty, got {list(neg.shape)}")
            check_ids(neg, n, fname)
        if self.x is not None:
            if not isinstance(self.x, Tensor):
                raise TypeError(f"x must be a [{n}, F] tensor of node features, got {type(self.x).__name__}")
            if self.x.dim() != 2 or self.x.size(0) != n:
                raise ValueError(f"x must have shape [{n}, F], got {list(self.x.shape)}")
        if check_overlap:
            self._check_overlap()
        return self

    def _check_overlap(self) -> None:
        undirected = not self.directed
        n = self.num_nodes
        names = ("train", "valid", "test")
        keys = [pair_keys(self.pos(s)[0], self.pos(s)[1], n, undirected) if s != "train" else
                pair_keys(self.train_pos[0], self.train_pos[1], n, undirected) for s in names]
        owner = torch.cat([torch.full((k.numel(),), i, dtype=torch.long) for i, k in enumerate(keys)])
        allk = torch.cat(keys)
        order = torch.argsort(allk)
        allk, owner = allk[order], owner[order]
        for s in SPLITS:
            nk = self.negative_keys(s)
            if nk is None:
                continue
            flat = nk.reshape(-1)
            if allk.numel():
                pos_idx = torch.searchsorted(allk, flat).clamp_max(allk.numel() - 1)
                hit = allk[pos_idx] == flat
            else:
                hit = torch.zeros_like(flat, dtype=torch.bool)
            if bool(hit.any()):
                j = int(hit.nonzero()[0])
                where = [j] if nk.dim() == 1 else list(np.unravel_index(j, tuple(nk.shape)))
                field_idx = "[" + ", ".join(str(int(i)) for i in where) + "]"
                key = int(flat[j])
                u, v = key // n, key % n
                raise ValueError(f"{s}_neg{field_idx} = pair ({u}, {v}) is also a positive edge (in "
                                 f"{names[int(owner[pos_idx[j]])]}_pos): negatives must not be true edges")

    def summary(self) -> Dict[str, Any]:
        """Sizes of every part (for reports)."""
        out: Dict[str, Any] = {"name": self.name, "num_nodes": self.num_nodes, "train_edges": self.train_pos.size(1)}
        for s in SPLITS:
            out[f"{s}_pos"] = self.pos(s).size(1)
            neg = self.neg(s)
            out[f"{s}_neg"] = None if neg is None else list(neg.shape)
        return out

    def __repr__(self) -> str:
        s = self.summary()
        return (f"LinkSplit({s['name']}: {s['num_nodes']} nodes, train {s['train_edges']}, valid {s['valid_pos']} pos "
                f"/ neg {s['valid_neg']}, test {s['test_pos']} pos / neg {s['test_neg']})")


def check_ratios(val_ratio: Any, test_ratio: Any) -> Tuple[float, float]:
    """``(val_ratio, test_ratio)`` as floats, each in ``[0, 1)``."""
    return (_validate.real(val_ratio, "val_ratio", min=0, max=1, max_open=True),
            _validate.real(test_ratio, "test_ratio", min=0, max=1, max_open=True))


def _check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"split must be 'valid' or 'test', got {split!r}")
    return split


def unique_undirected(src: Tensor, dst: Tensor, num_nodes: int, drop_self_loops: bool = True) -> Tensor:
    """``[2, E]`` unique undirected edges ``(min, max)``, sorted, optionally without self-loops."""
    a, b = torch.minimum(src, dst), torch.maximum(src, dst)
    if drop_self_loops:
        keep = a != b
        a, b = a[keep], b[keep]
    keys = torch.unique(a * num_nodes + b)
    return torch.stack([keys // num_nodes, keys % num_nodes])


def _edges_of(data: Any, num_nodes: Optional[int]) -> Tuple[Tensor, Tensor, int]:
    """(src, dst, num_nodes) of a ``Data`` or a ``[2, E]`` / ``(src, dst)`` edge list, on the CPU."""
    num_nodes = node_count(num_nodes, optional=True)
    if hasattr(data, "edge_index"):
        n = num_nodes if num_nodes is not None else node_count(data.num_nodes, "data.num_nodes")
        src, dst = cpu_pairs(data.edge_index, n, name="data.edge_index")
    else:
        src, dst = cpu_pairs(data, name="edge_index")
        if src.numel() == 0 and num_nodes is None:
            raise ValueError("edge_index has no edges, so the number of nodes cannot be inferred; pass num_nodes")
        n = num_nodes if num_nodes is not None else node_count(int(torch.maximum(src.max(), dst.max())) + 1,
                                                              "the number of nodes (largest id + 1)")
        check_ids(torch.stack([src, dst]), n, "edge_index")
    return src, dst, n


def _spanning_forest(edges: Tensor, num_nodes: int, gen: torch.Generator) -> Tensor:
    """Boolean mask over ``edges`` ([2, E] undirected) of a uniformly-weighted random spanning forest."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import minimum_spanning_tree

    e = edges.size(1)
    weight = 1.0 + torch.rand(e, generator=gen, dtype=torch.float64).numpy()  # > 0: scipy drops zeros
    m = sp.coo_matrix((weight, (edges[0].numpy(), edges[1].numpy())), shape=(num_nodes, num_nodes)).tocsr()
    tree = minimum_spanning_tree(m).tocoo()
    tree_keys = torch.from_numpy(np.minimum(tree.row, tree.col).astype(np.int64) * num_nodes
                                 + np.maximum(tree.row, tree.col).astype(np.int64))
    keys = edges[0] * num_nodes + edges[1]
    return torch.isin(keys, tree_keys)


def random_edge_split(data: Any, num_nodes: Optional[int] = None, *, val_ratio: float = 0.05,
                      test_ratio: float = 0.10, num_neg: Optional[int] = None, seed: int = 0,
                      keep_connected: bool = False, name: Optional[str] = None) -> LinkSplit:
    """Random train/valid/test split of an undirected graph's edges, with random negatives.

    The edge list is reduced to unique undirected pairs ``(min(u, v), max(u, v))``
    (self-loops dropped), so an edge and its reverse always land in the same part.
    ``int(val_ratio * E)`` edges go to valid and ``int(test_ratio * E)`` to test
    (HeaRT's rounding; 85/5/10 by default), the rest to train.

    Args:
        data: a PyG ``Data`` (``edge_index``, ``num_nodes``, optional ``x``) or an
            edge list ``[2, E]`` (or ``(src, dst)``).
        num_nodes: number of nodes (default: ``data.num_nodes`` or largest id + 1).
        val_ratio, test_ratio: fractions of the unique edges, each in ``[0, 1)``.
        num_neg: random negatives per split, an integer >= 0 (0: none; default: as
            many as positives; see :func:`graphlearn.linkpred.random_negatives`, which
            excludes every edge of the whole graph).
        seed: seeds the split and the negatives (an integer in ``[0, 2**63 - 1]``).
        keep_connected: first put a random spanning forest of the graph into train, so
            the training graph has the same connected components as the full graph
            and no non-isolated node loses all its edges (ValueError when too few other
            edges remain for valid and test).
        name: dataset name for reports.

    Returns:
        :class:`LinkSplit` with ``[2, E]`` / ``[2, P]`` edges and ``[2, M]`` shared negatives.
    """
    from graphlearn.linkpred.negatives import _random_negatives

    val_ratio, test_ratio = check_ratios(val_ratio, test_ratio)
    num_neg = _validate.integer(num_neg, "num_neg", min=0) if num_neg is not None else None
    seed = seed_arg(seed)
    if val_ratio + test_ratio >= 1:
        raise ValueError(f"val_ratio + test_ratio must be < 1, got {val_ratio} + {test_ratio}")
    src, dst, n = _edges_of(data, num_nodes)
    edges = unique_undirected(src, dst, n)
    e = edges.size(1)
    n_val, n_test = int(val_ratio * e), int(test_ratio * e)
    if e == 0 or (val_ratio > 0 and n_val == 0) or (test_ratio > 0 and n_test == 0):
        raise ValueError(f"the graph has {e} unique undirected edges: too few for val_ratio={val_ratio} and "
                         f"test_ratio={test_ratio}")
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(e, generator=gen)
    if keep_connected:
        forced = _spanning_forest(edges, n, gen)
        free = perm[~forced[perm]]
        if free.numel() < n_val + n_test:
            raise ValueError(f"keep_connected=True: only {free.numel()} edges lie outside a spanning forest, "
                             f"fewer than the {n_val + n_test} needed for valid and test; lower the ratios")
        perm = torch.cat([free, perm[forced[perm]]])
    valid = edges[:, perm[:n_val]]
    test = edges[:, perm[n_val:n_val + n_test]]
    train = edges[:, torch.sort(perm[n_val + n_test:]).values]
    x = getattr(data, "x", None) if hasattr(data, "edge_index") else None
    split = LinkSplit(n, train, valid, test, x=x, directed=False, name=name or "graph",
                      info={"split": "random", "seed": seed, "val_ratio": val_ratio, "test_ratio": test_ratio,
                            "keep_connected": keep_connected})
    all_edges = torch.cat([train, valid, test], 1)
    negs = []
    for i, (s, pos) in enumerate((("valid", valid), ("test", test))):
        m = pos.size(1) if num_neg is None else num_neg
        negs.append(_random_negatives(all_edges, n, m, generator_seed(seed * 2 + 1 + i), exclude=negs) if m else None)
    split.valid_neg, split.test_neg = negs
    split.info["negatives"] = "random"
    return split.validate()


def temporal_edge_split(data: Any, time: Any = None, num_nodes: Optional[int] = None, *,
                        val_time: Optional[float] = None, test_time: Optional[float] = None,
                        val_ratio: float = 0.05, test_ratio: float = 0.10, num_neg: Optional[int] = None,
                        seed: int = 0, name: Optional[str] = None) -> LinkSplit:
    """Time-based split: train on the past, validate and test on later edges.

    Each undirected pair gets the time it *first* appears (so a pair repeated over
    several years is never split across parts). Pairs with time ``< val_time`` go to
    train, ``val_time <= t < test_time`` to valid, ``>= test_time`` to test (ogbl-collab:
    train up to 2017, valid 2018, test 2019). Without thresholds they are chosen so that
    roughly the latest ``test_ratio`` of pairs are test and the ``val_ratio`` before them
    valid (whole time steps are never cut).

    Args:
        data: PyG ``Data`` with ``edge_index`` and a per-edge time (``edge_year``,
            ``edge_time``, ``time`` or ``year``), or a ``[2, E]`` edge list with ``time`` given.
        time: ``[E]`` edge times (years, timestamps), overriding ``data``'s.
        val_time, test_time: thresholds (finite numbers; see above).
        val_ratio, test_ratio: each in ``[0, 1)``, used without thresholds.
        num_neg, seed: as in :func:`random_edge_split`.

    Returns:
        :class:`LinkSplit` with ``[2, M]`` shared random negatives.
    """
    from graphlearn.linkpred.negatives import _random_negatives

    val_ratio, test_ratio = check_ratios(val_ratio, test_ratio)
    val_time = None if val_time is None else _validate.real(val_time, "val_time")
    test_time = None if test_time is None else _validate.real(test_time, "test_time")
    num_neg = _validate.integer(num_neg, "num_neg", min=0) if num_neg is not None else None
    seed = seed_arg(seed)
    src, dst, n = _edges_of(data, num_nodes)
    if time is None:
        for attr in ("edge_year", "edge_time", "time", "year"):
            time = getattr(data, attr, None)
            if time is not None:
                break
        if time is None:
            raise ValueError("temporal_edge_split needs edge times: pass time=[E] or a Data with edge_year/edge_time")
    time = torch.as_tensor(np.asarray(time) if not isinstance(time, Tensor) else time).reshape(-1).to(torch.float64)
    if time.numel() != src.numel():
        raise ValueError(f"time must have one entry per edge: got {time.numel()} times for {src.numel()} edges")
    if not bool(torch.isfinite(time).all()):
        i = int((~torch.isfinite(time)).nonzero()[0])
        raise ValueError(f"time[{i}] = {time[i].item()} is not finite")
    a, b = torch.minimum(src, dst), torch.maximum(src, dst)
    keep = a != b
    keys, t = a[keep] * n + b[keep], time[keep]
    uniq, inv = torch.unique(keys, return_inverse=True)
    first = torch.full((uniq.numel(),), float("inf"), dtype=torch.float64).scatter_reduce(0, inv, t, "amin")
    edges = torch.stack([uniq // n, uniq % n])
    if val_time is None or test_time is None:
        qs = torch.sort(first).values
        e = qs.numel()
        if test_time is None:
            test_time = float(qs[min(e - 1, int((1 - test_ratio) * e))])
        if val_time is None:
            val_time = float(qs[min(e - 1, int((1 - test_ratio - val_ratio) * e))])
    if val_time > test_time:
        raise ValueError(f"val_time ({val_time}) must not be after test_time ({test_time})")
    tr, va, te = first < val_time, (first >= val_time) & (first < test_time), first >= test_time
    for part, mask in (("train", tr), ("valid", va), ("test", te)):
        if not bool(mask.any()):
            raise ValueError(f"temporal split with val_time={val_time}, test_time={test_time} leaves {part} empty "
                             f"(edge times range over [{float(first.min())}, {float(first.max())}])")
    x = getattr(data, "x", None) if hasattr(data, "edge_index") else None
    split = LinkSplit(n, edges[:, tr], edges[:, va], edges[:, te], x=x, directed=False, name=name or "graph",
                      info={"split": "temporal", "val_time": val_time, "test_time": test_time, "seed": seed})
    negs = []
    for i, pos in enumerate((split.valid_pos, split.test_pos)):
        m = pos.size(1) if num_neg is None else num_neg
        negs.append(_random_negatives(edges, n, m, generator_seed(seed * 2 + 1 + i), exclude=negs) if m else None)
    split.valid_neg, split.test_neg = negs
    split.info["negatives"] = "random"
    return split.validate()


def from_edge_split(split_edge: Dict[str, Dict[str, Any]], num_nodes: int, *, x: Optional[Tensor] = None,
                    name: str = "graph", directed: Optional[bool] = None, validate: bool = True) -> LinkSplit:
    """A :class:`LinkSplit` from OGB's ``get_edge_split()`` dictionary.

    Accepts the ``edge``/``edge_neg`` format (ddi, collab, ppa, vessel; shared negatives)
    and the ``source_node``/``target_node``/``target_node_neg`` format (citation2;
    per-positive target negatives, directed). Missing keys raise ValueError naming them.

    This is the boundary between OGB's layout and ours: OGB's ``edge`` and ``edge_neg``
    are ``[E, 2]`` (its documented format, kept as is by
    :func:`graphlearn.datasets.load_ogb`), and are transposed here into the split's
    ``[2, E]`` pairs; ``source_node``/``target_node`` become the rows of ``[2, P]``
    positives, ``target_node_neg`` stays ``[P, M]``.
    """
    if not isinstance(split_edge, dict):
        raise TypeError(f"split_edge must be a dict like OGB's get_edge_split(), got {type(split_edge).__name__}")
    num_nodes = node_count(num_nodes)
    parts: Dict[str, Tensor] = {}
    info: Dict[str, Any] = {"split": "fixed"}
    citation = False
    for s in ("train", "valid", "test"):
        if s not in split_edge:
            raise ValueError(f"split_edge has no {s!r} part (keys: {sorted(split_edge)})")
    for s in ("train", "valid", "test"):
        d = split_edge[s]
        if "edge" in d:
            pos = as_index(d["edge"], f"split['{s}']['edge']")
            if pos.dim() != 2 or pos.size(1) != 2:
                raise ValueError(f"split['{s}']['edge'] must have shape [E, 2] (OGB's layout), got {list(pos.shape)}")
            parts[f"{s}_pos"] = pos.t().contiguous()
            if s != "train":
                if "edge_neg" not in d:
                    raise ValueError(f"split['{s}'] has 'edge' but no 'edge_neg' (OGB's negative edges)")
                neg = as_index(d["edge_neg"], f"split['{s}']['edge_neg']")
                if neg.dim() != 2 or neg.size(1) != 2:
                    raise ValueError(f"split['{s}']['edge_neg'] must have shape [M, 2], got {list(neg.shape)}")
                parts[f"{s}_neg"] = neg.t().contiguous()
        elif "source_node" in d and "target_node" in d:
            citation = True
            srcn = as_index(d["source_node"], f"split['{s}']['source_node']").reshape(-1)
            dstn = as_index(d["target_node"], f"split['{s}']['target_node']").reshape(-1)
            if srcn.numel() != dstn.numel():
                raise ValueError(f"split['{s}']: source_node has {srcn.numel()} entries but target_node "
                                 f"{dstn.numel()}")
            parts[f"{s}_pos"] = torch.stack([srcn, dstn])
            if s != "train":
                if "target_node_neg" not in d:
                    raise ValueError(f"split['{s}'] has no 'target_node_neg'")
                neg = as_index(d["target_node_neg"], f"split['{s}']['target_node_neg']")
                if neg.dim() != 2 or neg.size(0) != srcn.numel():
                    raise ValueError(f"split['{s}']['target_node_neg'] must have shape [{srcn.numel()}, M], "
                                     f"got {list(neg.shape)}")
                parts[f"{s}_neg"] = neg
                info[f"{s}_neg_layout"] = "targets"
        else:
            raise ValueError(f"split['{s}'] must have 'edge' (and 'edge_neg') or 'source_node'/'target_node' "
                             f"keys, got {sorted(d)}")
    out = LinkSplit(num_nodes, parts["train_pos"], parts["valid_pos"], parts["test_pos"], parts.get("valid_neg"),
                    parts.get("test_neg"), x=x, directed=citation if directed is None else directed, name=name,
                    info={**info, "negatives": "fixed"})
    return out.validate(check_overlap=validate)


def ogb_split(name: str, root: Optional[str] = None, validate: bool = True) -> LinkSplit:
    """OGB's fixed split of a link dataset, read offline with :func:`graphlearn.datasets.load_ogb`.

    The training graph is the ``train`` edges (OGB's convention: ``dataset[0].edge_index``
    holds exactly these, in both directions). OGB's ``[E, 2]`` edges come out as
    ``[2, E]`` (see :func:`from_edge_split`).
    """
    from graphlearn.datasets import load_ogb

    dataset = load_ogb(name, root=root)
    return _from_dataset(dataset, getattr(dataset, "name", name), validate)


def _from_dataset(dataset: Any, name: str, validate: bool = True) -> LinkSplit:
    data = dataset[0]
    num_nodes = node_count(data.num_nodes, f"{name}: data.num_nodes")
    x = getattr(data, "x", None)
    return from_edge_split(dataset.get_edge_split(), num_nodes, x=x, name=str(name), validate=validate)


_PLANETOID = ("cora", "citeseer", "pubmed")


def as_link_split(dataset: Any, *, root: Optional[str] = None, seed: int = 0, val_ratio: float = 0.05,
                  test_ratio: float = 0.10, validate: bool = True) -> LinkSplit:
    """Resolves anything :func:`graphlearn.linkpred.evaluate` accepts into a :class:`LinkSplit`.

    * a :class:`LinkSplit`: returned as is;
    * an OGB link dataset name (``"ogbl-ddi"``) or a path to its folder: OGB's fixed split;
    * ``"cora"``, ``"citeseer"``, ``"pubmed"``: the Planetoid graph, randomly split;
    * an object with ``get_edge_split()`` (an OGB dataset): its fixed split;
    * a PyG ``Data`` or a ``[2, E]`` edge list: a random split (``seed``, ratios).
    """
    if isinstance(dataset, LinkSplit):
        return dataset
    if isinstance(dataset, (str, os.PathLike)):
        text = os.fspath(dataset)
        if text.lower() in _PLANETOID:
            from graphlearn.datasets import load_planetoid

            data = load_planetoid(text.lower(), root=root)
            return random_edge_split(data, seed=seed, val_ratio=val_ratio, test_ratio=test_ratio, name=text.lower())
        if os.path.isdir(text):
            folder = os.path.abspath(text)
            base = os.path.basename(folder.rstrip(os.sep)).replace("_", "-").lower()
            if base.endswith("-pyg"):
                base = base[:-4]
            if not base.startswith("ogbl-"):
                raise ValueError(f"dataset folder {text!r}: expected an OGB link dataset folder named like "
                                 f"'ogbl_ddi' (holding raw/ and split/), got {os.path.basename(folder)!r}")
            return ogb_split(base, root=folder, validate=validate)
        low = text.lower().replace("_", "-")
        if low.startswith("ogbl-"):
            return ogb_split(low, root=root, validate=validate)
        if os.path.sep in text or text.startswith("."):
            raise FileNotFoundError(f"dataset path {text!r} does not exist")
        raise ValueError(f"unknown dataset {text!r}: give an OGB link dataset name (e.g. 'ogbl-ddi'), its "
                         f"folder, or one of {_PLANETOID}")
    if hasattr(dataset, "get_edge_split"):
        return _from_dataset(dataset, getattr(dataset, "name", type(dataset).__name__), validate)
    if hasattr(dataset, "edge_index") or isinstance(dataset, (Tensor, np.ndarray)):
        return random_edge_split(dataset, seed=seed, val_ratio=val_ratio, test_ratio=test_ratio)
    raise TypeError(f"cannot evaluate on a {type(dataset).__name__}: pass an OGB name or folder, a PyG Data, "
                    "an object with get_edge_split(), or a LinkSplit")
