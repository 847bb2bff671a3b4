"""FastRP's hyper-parameter checks, without torch (``graphlearn embed`` parses its
options with them before loading anything heavy).

FastRP computes in float32, so a weight (``iteration_weights[i]``, ``self_influence``)
must be a float32 number (``|w| <= 3.4e38``) and a nonzero one a normal float32
(``|w| >= 1.2e-38``; below, it would be flushed to zero or lose its precision). The
random projection's entries are drawn from 53-bit uniforms, so its density ``1/s``
cannot go below ``2**-53``: ``1 <= s <= 2**53``.
"""
from __future__ import annotations

from typing import Any, Union

import numpy as np

from graphlearn import _validate

WEIGHT_MAX = 3.4e38
WEIGHT_TINY = float(np.finfo(np.float32).tiny)
SPARSITY_MAX = float(2**53)

__all__ = ["WEIGHT_MAX", "WEIGHT_TINY", "SPARSITY_MAX", "weight", "sparsity", "flag"]


def weight(value: Any, name: str) -> float:
    """A FastRP weight (``iteration_weights[i]``, ``self_influence``): a finite number
    within float32's range, and a normal float32 unless it is 0."""
    try:
        w = _validate.real(value, name, min=-WEIGHT_MAX, max=WEIGHT_MAX)
    except ValueError as exc:
        raise ValueError(f"{exc} (FastRP computes in float32)") from None
    if w != 0 and abs(w) < WEIGHT_TINY:
        raise ValueError(f"{name} must be 0 or at least {WEIGHT_TINY:.2g} in magnitude (FastRP computes in "
                         f"float32), got {w!r}; scale all the weights up together (the standardised output does "
                         "not depend on their common scale)")
    return w


def sparsity(value: Any, name: str) -> Union[str, float]:
    """``"sqrt"`` or a number in ``[1, 2**53]``."""
    if isinstance(value, str):
        if value == "sqrt":
            return value
        raise ValueError(f"{name} must be 'sqrt' or a number in [1, 2**53], got {value!r}")
    s = _validate.real(value, name, min=1.0)
    if s > SPARSITY_MAX:
        raise ValueError(f"{name} must be 'sqrt' or a number in [1, 2**53], got {s!r}: the projection's density "
                         "1/s would be below the resolution of its random draws, so every entry would be 0")
    return s


def flag(value: Any, name: str) -> bool:
    """A boolean: ``True``/``False`` (Python or NumPy), or the integers 0 and 1."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if type(value).__name__ == "Tensor" and getattr(value, "dtype", None) is not None \
            and str(value.dtype) == "torch.bool" and value.dim() == 0:
        return bool(value)
    try:
        return bool(_validate.integer(value, name, min=0, max=1))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})") from None
