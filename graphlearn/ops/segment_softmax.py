"""Softmax over the stored entries of each CSR row (edge softmax)."""
from __future__ import annotations

import torch
from torch import Tensor

from graphlearn.ops import _checks, _ext, reference
from graphlearn.sparse import CSR


def segment_softmax(adj: CSR, scores: Tensor) -> Tensor:
    r"""Normalises scores over each row's entries: :math:`\alpha_e = \exp(s_e) / \sum_{e' \in row} \exp(s_{e'})`.

    Args:
        adj: :class:`graphlearn.sparse.CSR`; only its row structure is used.
        scores: ``[nnz]`` or ``[nnz, H]`` (separately per head), in entry order.

    Returns:
        Same shape as ``scores``. Numerically stable (the row maximum is
        subtracted); a row whose scores are all ``-inf`` gives zeros. Scores must
        be finite or ``-inf`` (a masked entry); they are not scanned: a NaN or
        ``+inf`` score gives NaN at its entry and leaves the rest of its row
        unspecified (the compiled kernel gives 0 there, the reference NaN, as
        torch's softmax). Differentiable in ``scores``.
    """
    adj = _checks.as_adj(adj, "segment_softmax")
    _checks.check_features(scores, "scores", "segment_softmax", dims=(1, 2), shapes="[nnz] or [nnz, H]")
    _checks.check_device(adj, scores, "scores", "segment_softmax")
    if scores.size(0) != adj.col.numel():
        raise ValueError(f"segment_softmax: scores has {scores.size(0)} entries but the adjacency "
                         f"stores {adj.col.numel()}")
    if not _ext.compiled():
        _ext.warn_fallback("segment_softmax")
        return reference.segment_softmax(adj, scores)
    return torch.ops.graphlearn.segment_softmax(adj.rowptr, scores)


def _setup(ctx, inputs, output):
    ctx.save_for_backward(inputs[0], output)


def _backward(ctx, grad):
    rowptr, out = ctx.saved_tensors
    return None, torch.ops.graphlearn.segment_softmax_backward(rowptr, out, grad.contiguous())


if _ext.compiled():
    torch.library.register_autograd("graphlearn::segment_softmax", _backward, setup_context=_setup)

    @torch.library.register_fake("graphlearn::segment_softmax")
    def _(rowptr, src):
        return torch.empty_like(src)

    @torch.library.register_fake("graphlearn::segment_softmax_backward")
    def _(rowptr, out, grad):
        return torch.empty_like(out)
