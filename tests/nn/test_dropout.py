"""graphlearn.nn.Dropout / dropout: torch's semantics with the compiled mask (or uniform
draws where there is no kernel), reproducible under torch.manual_seed."""
import pytest
import torch

from graphlearn.nn import Dropout
from graphlearn.nn.dropout import dropout
from graphlearn.ops import _ext


@pytest.fixture(params=["compiled", "fallback"])
def path(request, monkeypatch):
    if request.param == "compiled" and not _ext.compiled():
        pytest.skip("needs the compiled extension")
    if request.param == "fallback":
        monkeypatch.setattr(_ext, "compiled", lambda: False)
    return request.param


def test_semantics(path):
    x = torch.ones(100_000, dtype=torch.float64)
    out = dropout(x, 0.4)
    kept = out != 0
    assert abs(kept.double().mean().item() - 0.6) < 0.01
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / 0.6))
    assert dropout(x, 0.4, training=False) is x
    assert dropout(x, 0.0) is x
    assert torch.equal(dropout(x, 1.0), torch.zeros_like(x))


def test_reproducible_under_manual_seed_and_fresh_per_call(path):
    x = torch.randn(300, 40)
    torch.manual_seed(5)
    a, b = dropout(x, 0.5), dropout(x, 0.5)
    torch.manual_seed(5)
    assert torch.equal(dropout(x, 0.5), a) and torch.equal(dropout(x, 0.5), b)
    assert not torch.equal(a, b)


def test_gradient_is_the_mask(path):
    x = torch.randn(64, 32, requires_grad=True)
    out = dropout(x, 0.3)
    out.sum().backward()
    assert torch.allclose(x.grad, (out != 0).float() / 0.7)


def test_module(path):
    m = Dropout(0.25)
    assert "p=0.25" in repr(m)
    x = torch.ones(10_000)
    assert abs((m(x) != 0).float().mean().item() - 0.75) < 0.03
    m.eval()
    assert m(x) is x


def test_bad_input():
    for p in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="Dropout: p"):
            Dropout(p)
        with pytest.raises(ValueError, match="dropout: p"):
            dropout(torch.ones(2), p)
    with pytest.raises(TypeError, match="dropout: x must be a floating-point tensor, got torch.int64"):
        dropout(torch.arange(4), 0.5)
