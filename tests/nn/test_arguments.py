"""Layer and model arguments: sizes are integers >= 1, dropout in [0, 1), options are
booleans (checked when the module is built); inputs of the wrong shape or dtype fail
with the layer and the expected shape named, not inside a matrix product. NaN
features propagate (documented, as in PyG)."""
import numpy as np
import pytest
import torch

from graphlearn.nn import GCN
from graphlearn.nn.conv import GCNConv
from graphlearn.nn.conv.gcn_conv import gcn_norm

EI = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 0, 2], [1, 0, 2, 1, 3, 2, 4, 3, 5, 4, 2, 0]])


def test_layer_sizes_and_options():
    for v, exc in ((0, ValueError), (-1, ValueError), (3.0, TypeError), (True, TypeError), ("4", TypeError)):
        with pytest.raises(exc, match="GCNConv: in_channels must be an integer"):
            GCNConv(v, 2)
        with pytest.raises(exc, match="GCN: hidden_channels must be an integer"):
            GCN(4, v, 2)
    with pytest.raises(ValueError, match=r"GCNConv: out_channels must be an integer in \[1, 9223372036854775807\]"):
        GCNConv(4, 2**63)
    for v, exc in ((0, ValueError), (2.0, TypeError)):
        with pytest.raises(exc, match="GCN: num_layers must be an integer"):
            GCN(4, 8, 2, num_layers=v)
    for v, exc in ((1.0, ValueError), (float("nan"), ValueError), (-0.1, ValueError), ("x", TypeError),
                   (True, TypeError)):
        with pytest.raises(exc, match="GCN: dropout must be a"):
            GCN(4, 8, 2, dropout=v)
    for kw in ({"cached": "yes"}, {"bias": 1}, {"improved": None}):
        with pytest.raises(TypeError, match="must be True or False"):
            GCNConv(4, 2, **kw)
    with pytest.raises(ValueError, match="gcn_norm: fill_value must be a finite number"):
        gcn_norm(EI, fill_value=float("nan"))
    with pytest.raises(TypeError, match="gcn_norm: fill_value must be a number"):
        gcn_norm(EI, fill_value="x")
    torch.manual_seed(0)
    a = GCN(np.int64(4), torch.tensor(8), 2, num_layers=np.int32(2), dropout=np.float64(0.0))
    torch.manual_seed(0)
    b = GCN(4, 8, 2, dropout=0.0)
    x = torch.randn(6, 4)
    assert torch.equal(a(x, EI), b(x, EI)) and repr(a) == repr(b)


def test_huge_layer_is_a_memory_error(monkeypatch):
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", str(2**32))
    with pytest.raises(MemoryError, match=r"GCNConv\(4, 1099511627776\): the \[1099511627776, 4\] weight needs about"):
        GCNConv(4, 2**40)


def test_wrong_inputs():
    conv, model = GCNConv(4, 2), GCN(4, 8, 2)
    cases = [
        (ValueError, r"GCNConv: x must have shape \[N, 4\] \(in_channels=4\), got \[6, 5\]", lambda: conv(torch.randn(6, 5), EI)),
        (ValueError, r"GCNConv: x must have shape \[N, 4\]", lambda: conv(torch.randn(6), EI)),
        (TypeError, "GCNConv: x must be floating point", lambda: conv(torch.ones(6, 4, dtype=torch.long), EI)),
        (TypeError, r"GCNConv: x must be a \[N, 4\] tensor", lambda: conv([[0.0] * 4] * 6, EI)),
        (TypeError, "GCNConv: x is torch.float64 but the parameters are torch.float32",
         lambda: conv(torch.randn(6, 4, dtype=torch.float64), EI)),
        (ValueError, r"GCNConv: edge_weight must have shape \[12\]", lambda: conv(torch.randn(6, 4), EI, torch.ones(3))),
        (ValueError, r"GCNConv: edge_weight\[0\] = nan is not finite",
         lambda: conv(torch.randn(6, 4), EI, torch.full((12,), float("nan")))),
        (TypeError, "GCNConv: edge_weight must be a floating-point",
         lambda: conv(torch.randn(6, 4), EI, torch.ones(12, dtype=torch.long))),
        (ValueError, r"GCN: x must have shape \[N, 4\] \(in_channels=4\), got \[6, 1, 4\]",
         lambda: model(torch.randn(6, 1, 4), EI)),
        (ValueError, r"GCN: x must have shape \[N, 4\]", lambda: model(torch.randn(6, 5), EI)),
    ]
    for exc, message, call in cases:
        with pytest.raises(exc, match=message):
            call()


def test_nan_features_propagate():
    x = torch.randn(6, 4)
    x[0] = float("nan")
    out = GCNConv(4, 2)(x, EI)
    assert bool(out[[0, 1, 2]].isnan().all()) and bool(torch.isfinite(out[[4, 5]]).all())
