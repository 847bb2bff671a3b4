import pytest
import torch

from graphlearn.nn import GCN, GCNConv, resolver


def test_builtin_names():
    assert "gcn" in resolver.available("conv") and "gcn" in resolver.available("model")
    assert resolver.lookup("conv", "gcn") is GCNConv
    assert resolver.lookup("model", "GCN") is GCN  # names ignore case, "-" and "_"
    assert resolver.lookup("model", "g-c_n") is GCN
    conv = resolver.resolve("conv", "gcn", 4, 2)
    assert isinstance(conv, GCNConv) and (conv.in_channels, conv.out_channels) == (4, 2)
    model = resolver.resolve("model", "gcn", in_channels=4, hidden_channels=8, out_channels=3, num_layers=3)
    assert isinstance(model, GCN) and len(model.convs) == 3


def test_unknown_names_list_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown model 'gcm' \(did you mean 'gcn'\?\); known model names: .*gcn"):
        resolver.lookup("model", "gcm")
    with pytest.raises(ValueError, match="unknown kind 'layer'; the kinds are conv, model"):
        resolver.available("layer")
    with pytest.raises(TypeError, match="non-empty string"):
        resolver.lookup("conv", "")


def test_register_a_new_class_and_refuse_a_clash():
    @resolver.register("model", "test-mlp")
    class TestMLP(torch.nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.lin = torch.nn.Linear(channels, channels)

    try:
        assert "testmlp" in resolver.available("model")
        assert isinstance(resolver.resolve("model", "TEST_MLP", 3), TestMLP)
        with pytest.raises(ValueError, match="already registered"):
            resolver.register("model", "gcn")(TestMLP)
    finally:
        resolver._REGISTRY["model"].pop("testmlp", None)
