"""GINConv and GINEConv against PyG's GINConv / GINEConv with the same weights (forward
and gradients), on graphs with isolated nodes, repeated edges and self-loops; the edge
order of the edge features, the MLP options, eps, and the argument checks."""
import copy

import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.nn import GINConv as PygGINConv
from torch_geometric.nn import GINEConv as PygGINEConv

from graphlearn import CSR
from graphlearn.datasets import random_graph
from graphlearn.nn import GINConv, GINEConv, resolver

N = 14


def _graph(seed=0):
    """Random directed edges (not in CSR order) with a hub, repeated edges, self-loops
    and the last 2 nodes isolated."""
    ei = random_graph(N, 40, seed=seed)
    g = torch.Generator().manual_seed(seed + 7)
    return ei[:, torch.randperm(ei.size(1), generator=g)]


def _pyg_twin(conv):
    """PyG's layer with ``conv``'s weights (PyG resets its nn on construction: copy after)."""
    if isinstance(conv, GINEConv):
        twin = PygGINEConv(copy.deepcopy(conv.mlp), eps=conv.initial_eps, train_eps=conv.train_eps,
                           edge_dim=conv.edge_dim)
    else:
        twin = PygGINConv(copy.deepcopy(conv.mlp), eps=conv.initial_eps, train_eps=conv.train_eps)
    twin = twin.to(conv.eps.dtype)
    twin.nn.load_state_dict(conv.mlp.state_dict())
    with torch.no_grad():
        twin.eps.copy_(conv.eps)
    if isinstance(conv, GINEConv):
        with torch.no_grad():  # PyG's lin always has a bias: zero where ours has none
            twin.lin.weight.copy_(conv.lin_edge.weight)
            twin.lin.bias.copy_(conv.lin_edge.bias if conv.lin_edge.bias is not None else 0.0)
    return twin


def _pairs(conv, twin):
    """(name, our parameter, PyG's parameter) for every parameter."""
    names = {"mlp.": "nn.", "lin_edge.": "lin.", "eps": "eps"}
    theirs = dict(twin.named_parameters())
    out = []
    for name, p in conv.named_parameters():
        key = next(k for k in names if name.startswith(k))
        out.append((name, p, theirs[names[key] + name[len(key):]]))
    return out


CONFIGS = [
    dict(),
    dict(eps=0.5, train_eps=True),
    dict(eps=-0.25, mlp=(6, 5)),
    dict(mlp=(), train_eps=True),
    dict(mlp=(9,), norm="batch"),
    dict(mlp=(7,), norm="layer", bias=False),
]


def _ids(c):
    return "-".join(f"{k}={v}" for k, v in c.items()) or "default"


@pytest.mark.parametrize("config", CONFIGS, ids=_ids)
@pytest.mark.parametrize("edge_dim", [None, 3])
def test_matches_pyg_forward_and_gradients(config, edge_dim):
    torch.manual_seed(0)
    conv = (GINEConv(5, 8, edge_dim, **config) if edge_dim else GINConv(5, 8, **config)).double().train()
    with torch.no_grad():  # non-trivial affine norms
        for m in conv.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.LayerNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    twin = _pyg_twin(conv).train()
    ei = _graph(seed=1)
    x = torch.randn(N, 5, dtype=torch.float64, requires_grad=True)
    args = (x, ei)
    if edge_dim:
        e = torch.randn(ei.size(1), edge_dim, dtype=torch.float64, requires_grad=True)
        args += (e,)
    out, ref = conv(*args), twin(*args)
    assert out.shape == (N, 8)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(3), dtype=out.dtype)
    pairs = _pairs(conv, twin)
    inputs = list(args[::2]) if edge_dim else [x]
    ours = torch.autograd.grad((out * w).sum(), inputs + [p for _, p, _ in pairs])
    theirs = torch.autograd.grad((ref * w).sum(), inputs + [q for _, _, q in pairs])
    names = ["x"] + (["edge_attr"] if edge_dim else []) + [n for n, _, _ in pairs]
    for name, a, b in zip(names, ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10, msg=name)


def test_isolated_nodes_get_the_mlp_of_their_own_features():
    torch.manual_seed(0)
    ei = _graph()
    x = torch.randn(N, 5, dtype=torch.float64)
    e = torch.randn(ei.size(1), 3, dtype=torch.float64)
    receives = torch.zeros(N, dtype=torch.bool)
    receives[ei[1]] = True
    lonely = (~receives).nonzero().view(-1)
    assert lonely.numel() >= 2
    for conv, args in ((GINConv(5, 4, eps=0.3).double(), (x, ei)), (GINEConv(5, 4, 3, eps=0.3).double(), (x, ei, e))):
        out = conv(*args)
        torch.testing.assert_close(out[lonely], conv.mlp((1 + conv.eps) * x[lonely]), rtol=1e-14, atol=1e-14)


def test_repeated_edges_count_once_per_copy_with_their_own_features():
    torch.manual_seed(0)
    ei = torch.tensor([[0, 0, 2, 1], [1, 1, 1, 2]])  # 0 -> 1 twice
    x = torch.randn(3, 4, dtype=torch.float64)
    e = torch.randn(4, 2, dtype=torch.float64)
    gin = GINConv(4, 4, mlp=()).double()
    torch.nn.init.eye_(gin.mlp[0].weight)
    torch.nn.init.zeros_(gin.mlp[0].bias)
    torch.testing.assert_close(gin(x, ei)[1], x[1] + 2 * x[0] + x[2])
    gine = GINEConv(4, 4, 2, mlp=()).double()
    gine.mlp.load_state_dict(gin.mlp.state_dict())
    lin = gine.lin_edge
    msg = [torch.relu(x[s] + lin(e[k])) for k, s in enumerate([0, 0, 2])]
    torch.testing.assert_close(gine(x, ei, e)[1], x[1] + msg[0] + msg[1] + msg[2])
    # swapping the features of the two copies changes nothing; changing one copy does
    swapped = e[[1, 0, 2, 3]]
    torch.testing.assert_close(gine(x, ei, swapped), gine(x, ei, e), rtol=1e-14, atol=1e-14)
    changed = e.clone()
    changed[1] += 1.0
    assert not torch.allclose(gine(x, ei, changed)[1], gine(x, ei, e)[1])


def test_edge_features_follow_their_edges_in_every_graph_form():
    torch.manual_seed(0)
    conv = GINEConv(5, 6, 3, train_eps=True).double()
    ei = _graph(seed=2)
    x = torch.randn(N, 5, dtype=torch.float64)
    e = torch.randn(ei.size(1), 3, dtype=torch.float64)
    ref = conv(x, ei, e)
    perm = torch.randperm(ei.size(1), generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(conv(x, ei[:, perm], e[perm]), ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(conv(x, Data(edge_index=ei, num_nodes=N), e), ref, rtol=1e-12, atol=1e-12)
    # a CSR's stored entries are the edges: features in its entry order (entry (t, s) = edge s -> t)
    ids = torch.arange(ei.size(1), dtype=torch.float64)
    adj = CSR.from_edge_index(ei.flip(0), N, ids)
    order = adj.value.long()
    torch.testing.assert_close(conv(x, adj.with_value(None), e[order]), ref, rtol=1e-12, atol=1e-12)
    # GIN: every graph form and edge weights (ignored) agree
    gin = GINConv(5, 6).double()
    out = gin(x, ei)
    torch.testing.assert_close(gin(x, adj), out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(gin(x, Data(edge_index=ei, num_nodes=N, edge_weight=torch.rand(ei.size(1)))), out,
                               rtol=1e-12, atol=1e-12)


def test_gradcheck_and_empty_graph_and_float32():
    torch.manual_seed(0)
    conv = GINEConv(3, 2, 2, mlp=(4,), train_eps=True).double()
    ei = torch.tensor([[0, 1, 1, 2, 2], [1, 0, 2, 2, 1]])
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    e = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: conv(a, ei, b), (x, e))
    gin = GINConv(3, 2).double()
    assert torch.autograd.gradcheck(lambda a: gin(a, ei), (x,))
    empty = torch.zeros(2, 0, dtype=torch.long)
    out = conv(x, empty, torch.zeros(0, 2, dtype=torch.float64))
    torch.testing.assert_close(out, conv.mlp((1 + conv.eps) * x))
    c32 = GINEConv(3, 2, 2)
    x32, e32 = torch.randn(4, 3), torch.randn(5, 2)
    twin = _pyg_twin(c32)
    torch.testing.assert_close(c32(x32, ei, e32), twin(x32, ei, e32), rtol=1e-5, atol=1e-6)


def test_mlp_options_eps_and_reset():
    conv = GINConv(4, 6, mlp=(5, 7), norm="batch")
    kinds = [type(m).__name__ for m in conv.mlp]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Linear", "BatchNorm1d", "ReLU", "Linear"]
    assert [m.out_features for m in conv.mlp if isinstance(m, torch.nn.Linear)] == [5, 7, 6]
    assert [type(m).__name__ for m in GINConv(4, 6).mlp] == ["Linear", "ReLU", "Linear"]
    assert len(GINConv(4, 6, mlp=()).mlp) == 1
    custom = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Tanh())
    conv = GINConv(4, 3, mlp=custom)
    assert conv.mlp is custom and conv(torch.randn(5, 4), torch.tensor([[0, 1], [1, 2]])).shape == (5, 3)
    # eps: a parameter only with train_eps; a buffer that follows .to() otherwise
    assert "eps" not in dict(GINConv(4, 4).named_parameters()) and "eps" in dict(GINConv(4, 4).named_buffers())
    conv = GINConv(4, 4, eps=0.2, train_eps=True)
    assert "eps" in dict(conv.named_parameters())
    with torch.no_grad():
        conv.eps.fill_(3.0)
    before = [p.detach().clone() for p in conv.mlp.parameters()]
    conv.reset_parameters()
    assert float(conv.eps) == pytest.approx(0.2)
    assert any(not torch.equal(a, b) for a, b in zip(before, conv.mlp.parameters()))
    assert GINConv(4, 4).double().eps.dtype == torch.float64


def test_resolver_and_repr():
    assert resolver.lookup("conv", "gin") is GINConv and resolver.lookup("conv", "GINE") is GINEConv
    assert isinstance(resolver.resolve("conv", "gine", 4, 4, 2), GINEConv)
    assert repr(GINConv(4, 8)) == "GINConv(4, 8)"
    assert repr(GINConv(4, 8, eps=0.1, train_eps=True)) == "GINConv(4, 8, eps=0.1, train_eps=True)"
    assert repr(GINEConv(4, 8, 3)) == "GINEConv(4, 8, edge_dim=3)"


def test_bad_input_gives_clear_errors():
    ei = torch.tensor([[0, 1, 2], [1, 2, 0]])
    gine, gin = GINEConv(4, 8, 3), GINConv(4, 8)
    x, e = torch.randn(3, 4), torch.randn(3, 3)
    cases = [
        (ValueError, r"GINConv: in_channels must be an integer in \[1, ", lambda: GINConv(0, 4)),
        (TypeError, "GINEConv: edge_dim must be an integer", lambda: GINEConv(4, 4, 2.0)),
        (ValueError, "GINConv: eps must be a finite number", lambda: GINConv(4, 4, eps=float("nan"))),
        (TypeError, "GINConv: train_eps must be True or False", lambda: GINConv(4, 4, train_eps="yes")),
        (ValueError, r"GINConv: mlp\[1\] must be an integer in \[1, ", lambda: GINConv(4, 4, mlp=(3, 0))),
        (TypeError, "GINConv: mlp must be None, a sequence of hidden sizes or a torch.nn.Module",
         lambda: GINConv(4, 4, mlp="relu")),
        (ValueError, "GINConv: norm must be one of 'batch', 'layer', None", lambda: GINConv(4, 4, norm="graph")),
        (ValueError, r"GINConv: x must have shape \[N, 4\] \(in_channels=4\), got \[3, 5\]",
         lambda: gin(torch.randn(3, 5), ei)),
        (TypeError, "GINConv: x is torch.float64 but the parameters are torch.float32", lambda: gin(x.double(), ei)),
        (ValueError, "out of range", lambda: gin(x, torch.tensor([[0, 5], [1, 2]]))),
        (ValueError, r"GINEConv\(edge_dim=3\) needs edge_attr", lambda: gine(x, ei, None)),
        (ValueError, r"GINEConv: edge_attr must have shape \[3, 3\] .*got \[4, 3\]",
         lambda: gine(x, ei, torch.randn(4, 3))),
        (ValueError, r"GINEConv: edge_attr must have shape \[3, 3\] .*got \[3, 2\]",
         lambda: gine(x, ei, torch.randn(3, 2))),
        (TypeError, "GINEConv: edge_attr must be floating point",
         lambda: gine(x, ei, torch.ones(3, 3, dtype=torch.long))),
        (TypeError, "GINEConv: edge_attr is torch.float64 but the parameters are torch.float32",
         lambda: gine(x, ei, e.double())),
        (TypeError, "GINEConv: edge features need a graph whose edges have an order",
         lambda: gine(x, torch.sparse_coo_tensor(ei, torch.ones(3), (3, 3), check_invariants=True), e)),
    ]
    for exc, match, fn in cases:
        with pytest.raises(exc, match=match):
            fn()
