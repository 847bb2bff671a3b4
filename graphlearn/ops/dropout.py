"""Dropout from graphlearn's counter-based generator."""
from __future__ import annotations

import torch
from torch import Tensor

from graphlearn import _validate
from graphlearn.ops import _ext, reference


def dropout(x: Tensor, p: float, seed: int) -> Tensor:
    r"""``x`` with each entry zeroed with probability ``p`` and the others scaled by
    ``1 / (1 - p)``, the mask a function of ``seed`` and the entry's row-major position
    only (a counter-based hash: the same for any thread count, and recomputed rather
    than stored for the backward pass, which is the same call on the gradient).

    Args:
        x: floating-point tensor of any shape.
        p: drop probability in [0, 1).
        seed: integer in ``[0, 2**63 - 1]``; the same seed and shape give the same mask.

    Returns:
        A contiguous tensor of ``x``'s shape and dtype; differentiable in ``x``.

    :class:`graphlearn.nn.Dropout` draws the seed from torch's generator per call.
    """
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise TypeError(f"dropout: x must be a floating-point tensor, got "
                        f"{x.dtype if isinstance(x, Tensor) else type(x).__name__}")
    p = _validate.real(p, "dropout: p", min=0, max=1, max_open=True)
    seed = _validate.seed(seed, "dropout: seed")
    if not _ext.compiled() or x.device.type != "cpu":  # no compiled kernel for this device
        if not _ext.compiled():
            _ext.warn_fallback("dropout")
        return _Reference.apply(x, p, seed)
    return torch.ops.graphlearn.dropout(x, p, seed)


class _Reference(torch.autograd.Function):
    """The reference with the same backward rule as the op (the same mask on the gradient)."""

    @staticmethod
    def forward(ctx, x, p, seed):
        ctx.p, ctx.seed = p, seed
        return reference.dropout(x, p, seed)

    @staticmethod
    def backward(ctx, grad):
        return _Reference.apply(grad, ctx.p, ctx.seed), None, None


def _setup(ctx, inputs, output):
    ctx.p, ctx.seed = inputs[1], inputs[2]


def _backward(ctx, grad):
    return torch.ops.graphlearn.dropout(grad.contiguous(), ctx.p, ctx.seed), None, None


if _ext.compiled():
    torch.library.register_autograd("graphlearn::dropout", _backward, setup_context=_setup)

    @torch.library.register_fake("graphlearn::dropout")
    def _(x, p, seed):
        return torch.empty_like(x, memory_format=torch.contiguous_format)
