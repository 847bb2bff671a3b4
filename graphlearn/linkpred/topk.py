"""``predict_topk``: the k best-scoring partners of query nodes over all N candidates.

For users who want recommendations (which nodes should link to u?) rather than a metric:
every candidate v of every query node u is scored by the model, in chunks of pairs whose
memory a byte budget sets, and only a running top k per query is kept.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import torch
from torch import Tensor

from graphlearn import _validate

__all__ = ["predict_topk"]


def _graph_and_features(data: Any, graph: Any, x: Any):
    from graphlearn.linkpred._utils import build_graph
    from graphlearn.linkpred.splits import LinkSplit

    if isinstance(data, LinkSplit):
        g = data.train_graph() if graph is None else graph
        return g, (data.x if x is None else x), data.num_nodes
    if hasattr(data, "edge_index"):
        n = int(data.num_nodes)
        g = build_graph(data.edge_index, n, "data.edge_index") if graph is None else graph
        return g, (getattr(data, "x", None) if x is None else x), n
    raise TypeError(f"predict_topk: data must be a PyG Data or a graphlearn.linkpred.LinkSplit, got "
                    f"{type(data).__name__}")


def predict_topk(model: Any, data: Any, nodes: Any, k: int, *, exclude_existing: bool = True, graph: Any = None,
                 x: Optional[Tensor] = None, batch_bytes: int = 256 << 20) -> Tuple[Tensor, Tensor]:
    """The ``k`` highest-scoring partners of each query node among all N nodes.

    Args:
        model: a pair model (``encode(x, graph) -> h``, ``score(h, graph, pairs) ->
            logits``), such as :class:`graphlearn.nn.NCN`; it is run in eval mode
            without gradients (its mode is restored afterwards).
        data: a PyG ``Data`` (``edge_index``, optional ``x``; its edges are the graph,
            made undirected) or a :class:`graphlearn.linkpred.LinkSplit` (its training
            graph and features).
        nodes: query node ids, a 1-D integer tensor/array/list (or one int).
        k: partners per query, ``1 <= k <= N``.
        exclude_existing: leave out the query itself and its neighbours in the graph.
        graph, x: override the graph / features taken from ``data``.
        batch_bytes: memory budget of one scoring chunk (pairs x hidden size x 4 bytes
            x a few intermediate activations); at least 1 MiB.

    Returns:
        ``(scores [Q, k], indices [Q, k])``, best first per row (ties by the lower
        node id). Where fewer than ``k`` candidates remain (``exclude_existing`` on a
        dense neighbourhood) the row ends with ``-inf`` scores and index ``-1``.
    """
    from graphlearn.sparse import as_csr

    if not (callable(getattr(model, "encode", None)) and callable(getattr(model, "score", None))):
        raise TypeError(f"predict_topk: model must have encode(x, graph) and score(h, graph, pairs) (e.g. "
                        f"graphlearn.nn.NCN), got {type(model).__name__}")
    exclude_existing = _validate.flag(exclude_existing, "predict_topk: exclude_existing")
    batch_bytes = _validate.integer(batch_bytes, "predict_topk: batch_bytes", min=1 << 20)
    g, feats, n = _graph_and_features(data, graph, x)
    k = _validate.integer(k, "predict_topk: k", min=1, max=n)
    if isinstance(nodes, int) or (isinstance(nodes, Tensor) and nodes.dim() == 0):
        nodes = [int(nodes)]
    q = torch.as_tensor(nodes)
    if q.dim() != 1 or q.is_floating_point() or q.dtype == torch.bool:
        raise ValueError(f"predict_topk: nodes must be a 1-D list of integer node ids, got dtype {q.dtype} and "
                         f"shape {list(q.shape)}")
    q = q.long()
    if q.numel() and (int(q.min()) < 0 or int(q.max()) >= n):
        bad = int(q[(q < 0) | (q >= n)][0])
        raise ValueError(f"predict_topk: node id {bad} is not in [0, {n})")
    adj = as_csr(g, n)
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    try:
        with torch.no_grad():
            h = model.encode(feats, g)
            device = h.device
            # bytes per scored pair: a few [D] float32 activations, times the pairs a model
            # scores for each one (NCNC's completion pairs) when it says so
            cost = model.pair_cost(adj) if callable(getattr(model, "pair_cost", None)) else 1.0
            per_pair = int(4 * max(int(h.size(1)), 1) * 8 * max(float(cost), 1.0))
            pairs_per_chunk = max(batch_bytes // per_pair, 1)
            cand_chunk = min(n, pairs_per_chunk)
            queries_per_chunk = max(pairs_per_chunk // n, 1)
            best_s = torch.full((q.numel(), k), -float("inf"), device=device)
            best_i = torch.full((q.numel(), k), -1, dtype=torch.long, device=device)
            rowptr, col = adj.rowptr.long(), adj.col.long()
            for lo in range(0, q.numel(), queries_per_chunk):
                qs = q[lo:lo + queries_per_chunk].to(device)
                for c0 in range(0, n, cand_chunk):
                    cand = torch.arange(c0, min(c0 + cand_chunk, n), device=device)
                    src = qs.repeat_interleave(cand.numel())
                    dst = cand.repeat(qs.numel())
                    s = model.score(h, g, torch.stack([src, dst])).view(qs.numel(), cand.numel()).float()
                    if exclude_existing:
                        s[torch.arange(qs.numel(), device=device)[(qs >= c0) & (qs < c0 + cand.numel())],
                          (qs[(qs >= c0) & (qs < c0 + cand.numel())] - c0)] = -float("inf")
                        for r, u in enumerate(qs.tolist()):
                            nb = col[rowptr[u]:rowptr[u + 1]]
                            nb = nb[(nb >= c0) & (nb < c0 + cand.numel())] - c0
                            s[r, nb.to(device)] = -float("inf")
                    allv = torch.cat([best_s[lo:lo + qs.numel()], s], 1)
                    alli = torch.cat([best_i[lo:lo + qs.numel()], cand.unsqueeze(0).expand(qs.numel(), -1)], 1)
                    # best first; among equal scores the lower node id (stable sort on ids, then on scores)
                    order = torch.argsort(torch.where(alli < 0, n, alli), dim=1, stable=True)
                    allv, alli = allv.gather(1, order), alli.gather(1, order)
                    order = torch.argsort(allv, dim=1, descending=True, stable=True)[:, :k]
                    best_s[lo:lo + qs.numel()] = allv.gather(1, order)
                    best_i[lo:lo + qs.numel()] = alli.gather(1, order)
            best_i[torch.isneginf(best_s)] = -1
    finally:
        if hasattr(model, "train"):
            model.train(was_training)
    return best_s, best_i
