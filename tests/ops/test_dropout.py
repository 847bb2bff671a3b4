"""The dropout op (graphlearn.ops.dropout, csrc/ops/dropout.cpp, csrc/ops/cpu/dropout_kernel.cpp):
bit for bit against its reference, the mask's distribution, independence of the thread
count, the backward pass as the same mask, and bad input."""
import pytest
import torch

from graphlearn import ops
from graphlearn.ops import _ext, reference
from tests.conftest import num_threads, require_compiled


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("shape", [(1,), (7,), (1001, 37), (3, 0, 4), (2, 3, 5)])
@pytest.mark.parametrize("p", [0.0, 0.3, 0.9])
def test_matches_reference_bitwise(dtype, shape, p):
    require_compiled()
    x = torch.randn(shape).to(dtype)
    out = ops.dropout(x, p, 12345)
    assert out.dtype == dtype and out.shape == x.shape
    assert torch.equal(out, reference.dropout(x, p, 12345))


def test_mask_distribution_and_scale():
    x = torch.ones(200_000, dtype=torch.float64)
    for p in (0.05, 0.5, 0.7):
        out = ops.dropout(x, p, 3)
        kept = out != 0
        assert abs(kept.double().mean().item() - (1 - p)) < 0.005
        assert torch.all(out[kept] == 1 / (1 - p))
    # neighbouring entries (the two halves of one 64-bit draw) are independent
    kept = (ops.dropout(x, 0.5, 4) != 0).double().view(-1, 2)
    both = (kept[:, 0] * kept[:, 1]).mean().item()
    assert abs(both - 0.25) < 0.005


def test_mask_depends_on_seed_and_position_only():
    x = torch.randn(40_000)
    a = ops.dropout(x, 0.5, 9)
    assert torch.equal(ops.dropout(x, 0.5, 9), a)
    assert not torch.equal(ops.dropout(x, 0.5, 10), a)
    # a non-contiguous view is read in row-major order
    m = torch.randn(300, 200)
    assert torch.equal(ops.dropout(m.t(), 0.4, 1), ops.dropout(m.t().contiguous(), 0.4, 1))
    for n in (1, 2):
        with num_threads(n):
            assert torch.equal(ops.dropout(x, 0.5, 9), a)


def test_zero_probability_is_the_identity_and_values_pass_through():
    x = torch.tensor([1.0, float("nan"), float("inf"), -2.0])
    assert torch.equal(ops.dropout(x, 0.0, 1), x) or torch.allclose(ops.dropout(x, 0.0, 1), x, equal_nan=True)
    out = ops.dropout(torch.full((1000,), float("nan")), 0.5, 2)
    assert bool(out.isnan().any()) and bool((out == 0).any())  # dropped NaN are 0, as torch


def test_backward_is_the_same_mask():
    x = torch.randn(50, 20, dtype=torch.float64, requires_grad=True)
    out = ops.dropout(x, 0.35, 77)
    g = torch.randn_like(out)
    out.backward(g)
    scale = 1 / (1 - 0.35)
    assert torch.equal(x.grad, torch.where(out != 0, g * scale, torch.zeros_like(g)))
    assert torch.autograd.gradcheck(lambda v: ops.dropout(v, 0.3, 5), (x.detach().clone().requires_grad_(),))
    assert torch.autograd.gradgradcheck(lambda v: ops.dropout(v, 0.3, 5), (x.detach().clone().requires_grad_(),))


def test_fallback_path_matches(monkeypatch):
    x = torch.randn(33, 5, dtype=torch.float64, requires_grad=True)
    want = ops.dropout(x, 0.4, 8)
    monkeypatch.setattr(_ext, "compiled", lambda: False)
    monkeypatch.setattr(_ext, "_warned", True)
    got = ops.dropout(x, 0.4, 8)
    assert torch.equal(got, want)
    got.sum().backward()
    assert torch.equal(x.grad, (want != 0).double() / 0.6)


def test_bad_input():
    with pytest.raises(TypeError, match="dropout: x must be a floating-point tensor, got torch.int64"):
        ops.dropout(torch.arange(3), 0.5, 1)
    with pytest.raises(TypeError, match="dropout: x must be a floating-point tensor, got list"):
        ops.dropout([1.0], 0.5, 1)
    for p in (1.0, 1.5, -0.1, float("nan")):
        with pytest.raises(ValueError, match=r"dropout: p"):
            ops.dropout(torch.ones(3), p, 1)
    for seed in (-1, 2**63):
        with pytest.raises(ValueError, match=r"dropout: seed"):
            ops.dropout(torch.ones(3), 0.5, seed)
    with pytest.raises(TypeError, match=r"dropout: seed"):
        ops.dropout(torch.ones(3), 0.5, 1.5)
    require_compiled()
    with pytest.raises(RuntimeError, match=r"dropout: p must be in \[0, 1\)"):
        torch.ops.graphlearn.dropout(torch.ones(3), 1.0, 1)
    with pytest.raises(RuntimeError, match="dropout: seed must be >= 0"):
        torch.ops.graphlearn.dropout(torch.ones(3), 0.5, -3)
