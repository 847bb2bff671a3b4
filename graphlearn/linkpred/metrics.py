"""Ranking metrics for link prediction, identical to OGB's ``Evaluator`` on the same scores.

Two layouts of negative scores are accepted everywhere:

* **shared** negatives, ``neg`` of shape ``[M]``: every positive is ranked against the
  same set (ogbl-ddi, ogbl-collab, ogbl-ppa and the random protocol);
* **per-positive** negatives, ``neg`` of shape ``[P, M]``: row ``p`` holds the
  negatives of positive ``p`` (ogbl-citation2 and HeaRT).

Ties follow OGB exactly:

* :func:`hits_at_k` with shared negatives is OGB's Hits@K: a positive counts when its
  score is *strictly greater* than the K-th largest negative score (a tie with the K-th
  negative is a miss), and 1.0 when there are fewer than K negatives;
* with per-positive negatives the rank is OGB's citation2 rank
  ``1 + #(neg > pos) + 0.5 * #(neg == pos)`` (the mean of the optimistic and the
  pessimistic rank) and Hits@K is ``rank <= K``; :func:`mrr` is the mean of
  ``1 / rank`` with the same rank (OGB's ``mrr_list``). For shared negatives the same
  rank is computed against the shared set (HeaRT's convention).

Every function raises ``ValueError`` for NaN or infinite scores, empty inputs or
mismatched shapes, naming the argument and the first bad entry (OGB's ``Evaluator``
does not check: a NaN score silently counts as a miss or a hit there), and
``TypeError`` for scores that are not real numbers. ``k`` is an integer >= 1 (NumPy
integers and 0-d tensors too; ``3.0`` and ``True`` are refused).
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from graphlearn import _validate

ArrayLike = Union[Tensor, np.ndarray, Sequence[float]]
RANK_METHODS = ("average", "optimistic", "pessimistic")


def _as_scores(x: ArrayLike, name: str, dims=(1,)) -> Tensor:
    """Float64 tensor of finite scores (ValueError names `name` and the first bad entry)."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    elif not isinstance(x, Tensor):
        try:
            x = torch.as_tensor(x)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise TypeError(f"{name} must be a tensor or array of scores, got {type(x).__name__}") from exc
    if x.dtype == torch.bool or x.is_complex():
        raise TypeError(f"{name} must hold real scores, got {x.dtype}")
    if x.dim() not in dims:
        want = " or ".join({1: "[P]", 2: "[P, M]"}.get(d, f"{d}-D") for d in dims)
        raise ValueError(f"{name} must have shape {want}, got {list(x.shape)}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty: metrics need at least one score")
    x = x.detach().to("cpu", torch.float64)
    finite = torch.isfinite(x)
    if not bool(finite.all()):
        bad = (~finite).nonzero()[0].tolist()
        where = "[" + ", ".join(str(i) for i in bad) + "]"
        raise ValueError(f"{name}{where} = {x[tuple(bad)].item()} is not finite: scores must not be NaN or "
                         f"infinite (check the model's output, e.g. log(0) or a division by zero)")
    return x


def _pair(pos: ArrayLike, neg: ArrayLike):
    pos = _as_scores(pos, "pos", (1,))
    neg = _as_scores(neg, "neg", (1, 2))
    if neg.dim() == 2 and neg.size(0) != pos.numel():
        raise ValueError(f"per-positive negatives must have one row per positive: neg has shape "
                         f"{list(neg.shape)} but there are {pos.numel()} positives (expected "
                         f"[{pos.numel()}, M]; pass a 1-D neg for one shared negative set)")
    return pos, neg


def _greater_equal_counts(pos: Tensor, neg: Tensor):
    """(#neg > pos, #neg >= pos) per positive, as int64 [P]."""
    if neg.dim() == 1:
        srt = torch.sort(neg).values
        m = srt.numel()
        greater = m - torch.searchsorted(srt, pos, right=True)
        geq = m - torch.searchsorted(srt, pos, right=False)
        return greater, geq
    p = pos.view(-1, 1)
    return (neg > p).sum(1), (neg >= p).sum(1)


def ranks(pos: ArrayLike, neg: ArrayLike, method: str = "average") -> Tensor:
    """1-based rank of each positive among its negatives.

    Args:
        pos: ``[P]`` positive scores.
        neg: ``[M]`` shared or ``[P, M]`` per-positive negative scores.
        method: ``"optimistic"`` (``1 + #(neg > pos)``, the positive first among equal
            scores), ``"pessimistic"`` (``1 + #(neg >= pos)``) or ``"average"`` (their
            mean, OGB's citation2 rank).

    Returns:
        ``[P]`` float64 ranks (half-integers possible with ``"average"``).
    """
    method = _validate.choice(method, "method", RANK_METHODS)
    pos, neg = _pair(pos, neg)
    greater, geq = _greater_equal_counts(pos, neg)
    if method == "optimistic":
        return greater.to(torch.float64) + 1
    if method == "pessimistic":
        return geq.to(torch.float64) + 1
    return 0.5 * (greater + geq).to(torch.float64) + 1


def _check_k(k, name: str = "k") -> int:
    return _validate.integer(k, name, min=1)


def check_ks(ks: Any, name: str = "ks") -> tuple:
    """Hits@K cut-offs: a sequence (list, tuple, 1-D array/tensor) of integers >= 1."""
    if isinstance(ks, Tensor):
        if ks.dim() != 1:
            raise ValueError(f"{name} must be a 1-D sequence of integers >= 1, got a tensor of shape {list(ks.shape)}")
        ks = list(ks.unbind(0)) if ks.numel() else []
    elif isinstance(ks, np.ndarray):
        if ks.ndim != 1:
            raise ValueError(f"{name} must be a 1-D sequence of integers >= 1, got an array of shape {list(ks.shape)}")
        ks = list(ks)
    if isinstance(ks, (str, bytes)) or not isinstance(ks, Iterable):
        raise TypeError(f"{name} must be a sequence of integers >= 1 (Hits@K cut-offs), e.g. (20, 50), got "
                        f"{ks!r} ({type(ks).__name__})")
    return tuple(_check_k(k, f"{name}[{i}]") for i, k in enumerate(ks))


def hits_at_k(pos: ArrayLike, neg: ArrayLike, k: int) -> float:
    """Fraction of positives ranked in the top ``k`` against the negatives (OGB's Hits@K).

    Args:
        pos: ``[P]`` positive scores.
        neg: ``[M]`` shared negatives (OGB ddi/collab/ppa rule: ``pos >`` the k-th largest
            negative, ties are misses; 1.0 when ``M < k``) or ``[P, M]`` per-positive
            negatives (OGB citation2 rule: average rank ``<= k``).
        k: cut-off, >= 1.

    Returns:
        Hits@k in [0, 1] as a Python float (same value as OGB's ``Evaluator``).
    """
    k = _check_k(k)
    pos, neg = _pair(pos, neg)
    return float(hits_per_positive(pos, neg, k).sum()) / pos.numel()


def hits_per_positive(pos: ArrayLike, neg: ArrayLike, k: int) -> Tensor:
    """``[P]`` float64 0/1 indicators behind :func:`hits_at_k` (for per-node analysis)."""
    k = _check_k(k)
    pos, neg = _pair(pos, neg)
    if neg.dim() == 1:
        if neg.numel() < k:  # OGB: fewer than k negatives -> every positive is a hit
            return torch.ones_like(pos)
        kth = torch.topk(neg, k).values[-1]
        return (pos > kth).to(torch.float64)
    return (ranks(pos, neg, "average") <= k).to(torch.float64)


def reciprocal_ranks(pos: ArrayLike, neg: ArrayLike) -> Tensor:
    """``[P]`` float64 ``1 / rank`` with OGB's average rank (OGB's ``mrr_list``)."""
    return 1.0 / ranks(pos, neg, "average")


def mrr(pos: ArrayLike, neg: ArrayLike) -> float:
    """Mean reciprocal rank with OGB's citation2 tie handling (average of the optimistic
    and pessimistic rank); ``neg`` is ``[M]`` shared or ``[P, M]`` per-positive."""
    return float(reciprocal_ranks(pos, neg).mean())


def _average_ranks(values: Tensor) -> Tensor:
    """1-based ranks of `values` in ascending order, ties given their average rank."""
    order = torch.argsort(values, stable=True)
    srt = values[order]
    n = srt.numel()
    new_group = torch.ones(n, dtype=torch.bool)
    new_group[1:] = srt[1:] != srt[:-1]
    group = torch.cumsum(new_group.long(), 0) - 1
    starts = torch.nonzero(new_group).flatten()
    ends = torch.cat([starts[1:], torch.tensor([n])])
    avg = (starts + ends + 1).to(torch.float64) / 2  # mean of ranks start+1 .. end
    out = torch.empty(n, dtype=torch.float64)
    out[order] = avg[group]
    return out


def _pooled(pos: ArrayLike, neg: ArrayLike):
    pos, neg = _pair(pos, neg)
    return pos, neg.reshape(-1)


def auc(pos: ArrayLike, neg: ArrayLike) -> float:
    """Area under the ROC curve of positives vs negatives (ties count one half).

    ``neg`` may be ``[M]`` or ``[P, M]`` (pooled). Equal to
    ``sklearn.metrics.roc_auc_score`` on the concatenated scores.
    """
    pos, neg = _pooled(pos, neg)
    r = _average_ranks(torch.cat([pos, neg]))
    p, m = pos.numel(), neg.numel()
    return float((r[:p].sum() - p * (p + 1) / 2) / (p * m))


def average_precision(pos: ArrayLike, neg: ArrayLike) -> float:
    """Average precision (area under the step precision-recall curve) of positives vs
    negatives; ``neg`` may be ``[M]`` or ``[P, M]`` (pooled). Equal to
    ``sklearn.metrics.average_precision_score`` on the concatenated scores: every distinct
    score is one threshold, so tied positives and negatives enter together."""
    pos, neg = _pooled(pos, neg)
    scores = torch.cat([pos, neg])
    labels = torch.cat([torch.ones(pos.numel(), dtype=torch.float64), torch.zeros(neg.numel(), dtype=torch.float64)])
    order = torch.argsort(scores, descending=True, stable=True)
    s, y = scores[order], labels[order]
    last = torch.ones(s.numel(), dtype=torch.bool)  # last entry of every group of equal scores
    last[:-1] = s[:-1] != s[1:]
    tp = torch.cumsum(y, 0)[last]
    seen = torch.nonzero(last).flatten().to(torch.float64) + 1
    precision = tp / seen
    recall = tp / pos.numel()
    prev = torch.cat([torch.zeros(1, dtype=torch.float64), recall[:-1]])
    return float(((recall - prev) * precision).sum())


def compute_metrics(pos: ArrayLike, neg: ArrayLike, ks: Iterable[int] = (1, 3, 10, 20, 50, 100),
                    extra: bool = True) -> Dict[str, float]:
    """All metrics at once: ``hits@k`` for each k, ``mrr``, and (``extra``) ``auc`` and ``ap``.

    Returns:
        ``{"hits@20": ..., "mrr": ..., "auc": ..., "ap": ...}`` (Python floats in [0, 1]).
    """
    ks = check_ks(ks)
    pos, neg = _pair(pos, neg)
    out: Dict[str, float] = {}
    rank_avg: Optional[Tensor] = None
    for k in ks:
        if neg.dim() == 2:
            rank_avg = ranks(pos, neg) if rank_avg is None else rank_avg
            out[f"hits@{k}"] = float((rank_avg <= k).sum()) / pos.numel()
        else:
            out[f"hits@{k}"] = hits_at_k(pos, neg, k)
    rank_avg = ranks(pos, neg) if rank_avg is None else rank_avg
    out["mrr"] = float((1.0 / rank_avg).mean())
    if extra:
        out["auc"] = auc(pos, neg)
        out["ap"] = average_precision(pos, neg)
    return out
