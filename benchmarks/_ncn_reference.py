"""A pure-PyTorch re-implementation of the NCN authors' common-neighbour path, for
``benchmarks/ncn.py`` (written from the description of GraphPKU/NeuralCommonNeighbor's
approach, not from its code).

The authors keep the adjacency as a sparse matrix and, per batch of target pairs (i, j):

1. gather the rows of the i's and of the j's (``adj[src]``, ``adj[dst]``: two [P, N]
   sparse matrices);
2. encode each entry (p, u) as one int64 key ``p << 32 | u``; the keys come out sorted
   because the rows are;
3. intersect the two key arrays with one ``torch.searchsorted`` of one in the other
   (for NCNC the unmatched keys of each side are the set differences N(i) \\ N(j) and
   N(j) \\ N(i));
4. turn the kept keys back into a sparse [P, N] matrix and take the sums over the sets
   with a sparse-dense product (``torch.sparse.mm`` here).

That path differs from graphlearn, and so do four things the authors' code does the
plain way, where graphlearn computes the same function with less work:

* dropout is ``torch.nn.Dropout`` / ``F.dropout`` (graphlearn's
  :class:`graphlearn.nn.Dropout` draws its mask more cheaply);
* the input layer multiplies the dense feature matrix (graphlearn reads sparse features
  as sparse);
* the feature MLP ``h + xlin(h)`` runs on every node (graphlearn: only on the nodes in
  some pair's common-neighbour set, when they are at most half of the graph);
* the common-neighbour MLP runs on every pair (graphlearn, without dropout: once for all
  pairs whose sum is zero).
Otherwise :class:`ReferenceNCNPredictor`, :class:`ReferenceNCNCPredictor` and
:class:`ReferenceNCNEncoder` subclass graphlearn's modules, so the MLPs, the
parameters, edge dropout, the NCNC calibration and recursion are the same code, and the
same weights give the same logits (up to float summation order). :func:`build_adjacency`
is the per-batch graph rebuild of target link removal, in plain PyTorch (coalesced keys,
as the authors' sparse ``to_symmetric``). Degree caps (cn_max_degree, train/test
max degree) are not implemented: the benchmarked settings (the authors' Cora and ddi
commands) have none.
"""
from __future__ import annotations

import copy
import warnings
from typing import Optional, Tuple

import torch
from torch import Tensor

import torch.nn.functional as F
from torch import nn

from graphlearn.nn.dropout import Dropout
from graphlearn.nn.models.ncn import NCN, NCNCPredictor, NCNEncoder, NCNPredictor
from graphlearn.sparse import CSR

__all__ = ["row_keys", "intersect", "overlap_and_differences", "keys_to_sparse", "set_sum", "build_adjacency",
           "ReferenceNCNPredictor", "ReferenceNCNCPredictor", "ReferenceNCNEncoder", "reference_model", "set_layout", "SPARSE_LAYOUTS"]

LOW32 = 0xFFFFFFFF
SPARSE_LAYOUTS = ("coo", "csr")
_layout = {"value": "coo"}  # which torch sparse layout set_sum builds (benchmarks/ncn.py picks the faster)


def set_layout(layout: str) -> None:
    """Sparse layout of the [P, N] set matrices given to torch.sparse.mm: "coo" or "csr"."""
    if layout not in SPARSE_LAYOUTS:
        raise ValueError(f"layout must be one of {SPARSE_LAYOUTS}, got {layout!r}")
    _layout["value"] = layout


def row_keys(rowptr: Tensor, col: Tensor, nodes: Tensor) -> Tensor:
    """Sorted int64 keys ``p << 32 | u`` of every entry u of row ``nodes[p]``: the rows of
    ``nodes`` gathered one after another (``adj[nodes]``) and flattened."""
    start = rowptr[nodes]
    count = rowptr[nodes + 1] - start
    end = torch.cumsum(count, 0)
    total = int(end[-1]) if end.numel() else 0
    pair = torch.repeat_interleave(torch.arange(nodes.numel(), device=nodes.device), count, output_size=total)
    # output slot t of pair p reads col[start[p] + t - (first slot of p)]
    pos = torch.arange(total, device=nodes.device) + torch.repeat_interleave(start - (end - count), count,
                                                                             output_size=total)
    return (pair << 32) | col[pos]


def intersect(a: Tensor, b: Tensor) -> Tensor:
    """Keys in both sorted key arrays: the smaller one searched in the larger."""
    small, large = (a, b) if a.numel() <= b.numel() else (b, a)
    if small.numel() == 0:
        return small
    pos = torch.searchsorted(large, small).clamp_max_(large.numel() - 1)
    return small[large[pos] == small]


def overlap_and_differences(a: Tensor, b: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """``(a & b, a - b, b - a)`` of two sorted key arrays of distinct keys, from one
    searchsorted of ``b`` in ``a`` (sorted outputs)."""
    if a.numel() == 0 or b.numel() == 0:
        return a[:0], a, b
    pos = torch.searchsorted(a, b).clamp_max_(a.numel() - 1)
    matched = a[pos] == b
    only_a = torch.ones(a.numel(), dtype=torch.bool, device=a.device)
    only_a[pos[matched]] = False
    return b[matched], a[only_a], b[~matched]


def keys_to_sparse(keys: Tensor, num_pairs: int, num_nodes: int, value: Optional[Tensor] = None,
                   dtype: torch.dtype = torch.float32) -> Tensor:
    """The ``[num_pairs, num_nodes]`` torch sparse matrix of sorted, distinct keys
    (coalesced COO, or CSR), with ``value`` (default ones)."""
    row, col = keys >> 32, keys & LOW32
    value = torch.ones(keys.numel(), dtype=dtype, device=keys.device) if value is None else value.to(dtype)
    if _layout["value"] == "csr":
        crow = torch.zeros(num_pairs + 1, dtype=torch.long, device=keys.device)
        torch.cumsum(torch.bincount(row, minlength=num_pairs), 0, out=crow[1:])
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            return torch.sparse_csr_tensor(crow, col, value, (num_pairs, num_nodes), check_invariants=False)
    return torch.sparse_coo_tensor(torch.stack([row, col]), value, (num_pairs, num_nodes), is_coalesced=True,
                                   check_invariants=False)


def set_sum(keys: Tensor, num_pairs: int, x: Tensor, value: Optional[Tensor] = None) -> Tensor:
    """``sum_{(p, u) in keys} value * x[u]`` per pair p, ``[num_pairs, F]`` (torch.sparse.mm)."""
    if keys.numel() == 0:
        return x.new_zeros(num_pairs, x.size(1))
    return torch.sparse.mm(keys_to_sparse(keys, num_pairs, x.size(0), value, x.dtype), x)


def build_adjacency(edges: Tensor, num_nodes: int) -> CSR:
    """The symmetric, deduplicated, loop-free 0/1 adjacency of ``[2, E]`` undirected
    edges, built with plain PyTorch (both directions, sorted unique keys, row counts);
    wrapped in a graphlearn CSR only as the container the shared encoder reads."""
    src, dst = edges[0].long(), edges[1].long()
    keep = src != dst
    src, dst = src[keep], dst[keep]
    keys = torch.unique(torch.cat([(src << 32) | dst, (dst << 32) | src]))
    row, col = keys >> 32, keys & LOW32
    rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=edges.device)
    torch.cumsum(torch.bincount(row, minlength=num_nodes), 0, out=rowptr[1:])
    adj = CSR(rowptr, col, None, num_cols=num_nodes, validate=False, sorted=True)
    adj._symmetric = True  # as graphlearn's own symmetric builds: the encoder's backward uses it as its transpose
    return adj


def _check_caps(predictor: NCNPredictor) -> None:
    caps = [getattr(predictor, a, None) for a in ("cn_max_degree", "train_max_degree", "test_max_degree")]
    if any(c is not None for c in caps):
        raise NotImplementedError("the reference predictors do not implement degree caps")


class ReferenceNCNPredictor(NCNPredictor):
    """graphlearn's :class:`NCNPredictor` with the common-neighbour sums computed the
    authors' way (gathered rows, int64 keys, searchsorted, torch.sparse.mm), over the
    transformed features of every node, and the common-neighbour MLP on every row."""

    def _cn_branch(self, xcn: Tensor) -> Tensor:
        return self.cn_branch(xcn)

    def forward(self, h: Tensor, graph, pairs) -> Tensor:
        _check_caps(self)
        adj, src, dst = self._prepare(h, graph, pairs)
        xij = h[src] * h[dst]
        if not self.use_cn:
            return self._logits(None, xij)
        rowptr, col = adj.rowptr.long(), adj.col.long()
        common = intersect(row_keys(rowptr, col, src), row_keys(rowptr, col, dst))
        return self._logits(set_sum(common, src.numel(), self._features(h)), xij)


class ReferenceNCNCPredictor(NCNCPredictor):
    """graphlearn's :class:`NCNCPredictor` with the sets (intersection and both
    differences from one searchsorted) and their weighted sums computed the authors' way.
    The recursion (``_chunked``), calibration and MLPs are graphlearn's."""

    def _cn_branch(self, xcn: Tensor) -> Tensor:
        return self.cn_branch(xcn)

    def _score(self, h: Tensor, adj: CSR, src: Tensor, dst: Tensor, depth: int) -> Tensor:
        _check_caps(self)
        num_pairs = src.numel()
        xij = h[src] * h[dst]
        hf = self._features(h)
        rowptr, col = adj.rowptr.long(), adj.col.long()
        a, b = row_keys(rowptr, col, src), row_keys(rowptr, col, dst)
        if not (depth > 0 and num_pairs):
            return self._logits(set_sum(intersect(a, b), num_pairs, hf), xij)
        common, only_src, only_dst = overlap_and_differences(a, b)
        xcn = set_sum(common, num_pairs, hf)
        pt = self.pt_mlp(xij) if self.pt_mlp is not None else None
        # u in N(i) \ N(j) completes (i, j) with p(j, u); u in N(j) \ N(i) with p(i, u)
        for keys, other in ((only_src, dst), (only_dst, src)):
            if keys.numel() == 0:
                continue
            rows, nodes = keys >> 32, keys & LOW32
            with torch.no_grad():
                logits = self._chunked(hf, adj, other[rows], nodes, depth - 1)
            weight = self.calibrate(logits, None if pt is None else pt[rows].view(-1))
            xcn = xcn + set_sum(keys, num_pairs, hf, weight)
        return self._logits(xcn, xij)


class ReferenceNCNEncoder(NCNEncoder):
    """graphlearn's :class:`NCNEncoder` with torch's dropout and the dense input layer
    (``Linear(dropout(x))`` on the dense features), as the authors' code does."""

    def _dropout(self, x: Tensor, p: float) -> Tensor:
        return F.dropout(x, p, self.training)

    def _sparse_features(self, x: Tensor):
        return None


def _torch_dropout(module: nn.Module) -> None:
    """Replaces every graphlearn Dropout inside ``module`` by torch's (same p)."""
    for name, child in module.named_children():
        if isinstance(child, Dropout):
            setattr(module, name, nn.Dropout(child.p))
        else:
            _torch_dropout(child)


def reference_model(model: NCN) -> NCN:
    """A copy of a graphlearn :class:`NCN` (same hyper-parameters, same weights) whose
    predictor computes the sets the reference way and whose modules use torch's dropout
    and the dense input layer. The reference classes add no state, so the copy's
    encoder and predictor only change class."""
    out = copy.deepcopy(model)
    if type(out.encoder) is not NCNEncoder:
        raise TypeError(f"reference_model: expected an NCNEncoder, got {type(out.encoder).__name__}")
    out.encoder.__class__ = ReferenceNCNEncoder
    _torch_dropout(out)
    pred = out.predictor
    if type(pred) is NCNCPredictor:
        pred.__class__ = ReferenceNCNCPredictor
    elif type(pred) is NCNPredictor:
        pred.__class__ = ReferenceNCNPredictor
    else:
        raise TypeError(f"reference_model: expected an NCN with an NCNPredictor or NCNCPredictor, got "
                        f"{type(pred).__name__}")
    return out
