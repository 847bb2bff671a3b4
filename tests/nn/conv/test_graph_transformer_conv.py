"""GraphTransformerLayer against a dense brute-force implementation (both variants,
forward and gradients), against PyG's TransformerConv on the attention, the edge order
of the edge stream, empty rows, norms, dropout, gradcheck and the argument checks."""
import math

import pytest
import torch
import torch.nn.functional as F

from graphlearn import CSR
from graphlearn.nn import GraphTransformerLayer, resolver

N = 12


def _graph(seed=0, num_edges=40, duplicates=False):
    """A random directed graph on N nodes without repeated edges (unless ``duplicates``):
    self-loops on nodes 1 and 2, node 0 with outgoing edges only (no incoming edge),
    nodes N-2 and N-1 isolated."""
    g = torch.Generator().manual_seed(seed)
    m = N - 2
    keys = torch.randperm(m * m, generator=g)[:num_edges]
    src, dst = keys // m, keys % m
    keep = (dst != 0) & (src != dst)
    src, dst = src[keep], dst[keep]
    src = torch.cat([src, torch.tensor([1, 2, 0, 0])])
    dst = torch.cat([dst, torch.tensor([1, 2, 3, 4])])
    ei = torch.unique(torch.stack([src, dst]), dim=1)  # drop repeats
    ei = ei[:, torch.randperm(ei.size(1), generator=g)]  # not in CSR order
    if duplicates:
        ei = torch.cat([ei, ei[:, :3]], 1)
    return ei


def _layer(in_channels=6, out_channels=8, heads=2, dtype=torch.float64, seed=0, **kwargs):
    torch.manual_seed(seed)
    layer = GraphTransformerLayer(in_channels, out_channels, heads, **kwargs).to(dtype)
    with torch.no_grad():  # non-trivial affine norm parameters
        for m in layer.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.LayerNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return layer


# ----------------------------------------------------------- dense reference


def _lin(m, x):
    return F.linear(x, m.weight, m.bias)


def _norm(m, h, training):
    if isinstance(m, torch.nn.BatchNorm1d):
        rm = None if training else m.running_mean.clone()
        rv = None if training else m.running_var.clone()
        return F.batch_norm(h, rm, rv, m.weight, m.bias, training=training, eps=m.eps)
    if isinstance(m, torch.nn.LayerNorm):
        return F.layer_norm(h, m.normalized_shape, m.weight, m.bias, m.eps)
    return h


def _block(layer, inp, attn, lin_out, res_proj, norm1, ffn, norm2, training):
    h = _lin(lin_out, attn)
    if layer.residual:
        h = h + (inp @ res_proj.weight.t() if res_proj is not None else inp)
    h = _norm(norm1, h, training)
    out = _lin(ffn.lin2, torch.relu(_lin(ffn.lin1, h)))
    if layer.residual:
        out = out + h
    return _norm(norm2, out, training)


def dense_reference(layer, x, ei, e=None, training=True):
    """The layer with dense [N, N] masked attention (edges s -> t at [t, s]; no repeats)."""
    n, H, D = x.size(0), layer.heads, layer.head_channels
    src, dst = ei
    mask = torch.zeros(n, n, dtype=torch.bool)
    mask[dst, src] = True
    assert int(mask.sum()) == ei.size(1), "the dense reference needs a graph without repeated edges"
    q = _lin(layer.lin_query, x).view(n, H, D)
    k = _lin(layer.lin_key, x).view(n, H, D)
    v = _lin(layer.lin_value, x).view(n, H, D)
    prod = q[:, None] * k[None, :] / math.sqrt(D)  # [i, j, H, D]
    if e is not None:
        dense_e = x.new_zeros(n, n, H * D)
        dense_e = dense_e.index_put((dst, src), _lin(layer.lin_edge, e))
        prod = prod * dense_e.view(n, n, H, D)
    score = prod.sum(-1).masked_fill(~mask[..., None], torch.finfo(x.dtype).min)
    alpha = torch.softmax(score, dim=1) * mask[..., None]  # rows without entries: 0
    attn = torch.einsum("ijh,jhd->ihd", alpha, v).reshape(n, H * D)
    x_out = _block(layer, x, attn, layer.lin_out, layer.res_proj, layer.norm1, layer.ffn, layer.norm2, training)
    if e is None:
        return x_out, attn, alpha[dst, src]
    w = prod.reshape(n, n, H * D)[dst, src]
    e_out = _block(layer, e, w, layer.lin_edge_out, layer.edge_res_proj, layer.edge_norm1, layer.edge_ffn,
                   layer.edge_norm2, training)
    return (x_out, e_out), attn, alpha[dst, src]


CONFIGS = [
    dict(norm="batch"),
    dict(norm="layer"),
    dict(norm=None),
    dict(norm="batch", residual=False),
    dict(norm="layer", in_channels=5, out_channels=12, heads=3),  # residual through a projection
    dict(norm="batch", heads=1, bias=False, ffn_ratio=1.5),
]


@pytest.mark.parametrize("edge_dim", [None, 4, 8])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_matches_dense_reference_forward_and_gradients(config, edge_dim):
    config = dict(config)
    in_channels = config.pop("in_channels", 6)
    layer = _layer(in_channels, config.pop("out_channels", 8), config.pop("heads", 2), edge_dim=edge_dim,
                   **config).train()
    ei = _graph(seed=1)
    x = torch.randn(N, in_channels, dtype=torch.float64, requires_grad=True)
    e = torch.randn(ei.size(1), edge_dim, dtype=torch.float64, requires_grad=True) if edge_dim else None
    out = layer(x, ei, e)
    ref, _, _ = dense_reference(layer, x, ei, e)
    outs, refs = (out, ref) if edge_dim else ((out,), (ref,))
    for o, r in zip(outs, refs):
        assert o.shape == r.shape
        torch.testing.assert_close(o, r, rtol=1e-10, atol=1e-10)
    # gradients of a random linear functional, w.r.t. the inputs and every parameter
    g = torch.Generator().manual_seed(2)
    weights = [torch.randn(o.shape, generator=g, dtype=o.dtype) for o in outs]
    wrt = [x] + ([e] if e is not None else []) + [p for p in layer.parameters()]
    grads = torch.autograd.grad(sum((o * w).sum() for o, w in zip(outs, weights)), wrt, allow_unused=True)
    ref_grads = torch.autograd.grad(sum((r * w).sum() for r, w in zip(refs, weights)), wrt, allow_unused=True)
    names = ["x"] + (["edge_attr"] if e is not None else []) + [n for n, _ in layer.named_parameters()]
    for name, a, b in zip(names, grads, ref_grads):
        assert (a is None) == (b is None), name
        if a is not None:
            torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10, msg=name)


@pytest.mark.parametrize("edge_dim", [None, 8])
def test_eval_mode_matches_dense_reference_with_running_statistics(edge_dim):
    layer = _layer(edge_dim=edge_dim, dropout=0.3, attn_dropout=0.3)
    ei = _graph(seed=3)
    x = torch.randn(N, 6, dtype=torch.float64)
    e = torch.randn(ei.size(1), edge_dim, dtype=torch.float64) if edge_dim else None
    layer.train()
    for _ in range(3):  # running statistics away from their initial values
        layer(x, ei, e)
    layer.eval()
    out = layer(x, ei, e)
    ref, _, _ = dense_reference(layer, x, ei, e, training=False)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(layer(x, ei, e), out, rtol=0, atol=0)  # deterministic


def test_node_without_incoming_edges_gets_exactly_zero_message():
    ei = _graph(seed=4)
    assert not bool((ei[1] == 0).any()) and bool((ei[0] == 0).any())  # node 0: outgoing edges only
    assert not bool(((ei == N - 1) | (ei == N - 2)).any())  # isolated nodes
    for edge_dim in (None, 3):
        layer = _layer(edge_dim=edge_dim)
        x = torch.randn(N, 6, dtype=torch.float64)
        e = torch.randn(ei.size(1), 3, dtype=torch.float64) if edge_dim else None
        attn = layer.attention(x, ei, e)
        attn = attn[0] if edge_dim else attn
        for node in (0, N - 2, N - 1):
            assert torch.equal(attn[node], torch.zeros(8, dtype=torch.float64)), node
        assert bool((attn.abs().sum(1) > 0).sum() == N - 3)
        out = layer(x, ei, e)
        for o in (out if edge_dim else (out,)):
            assert torch.isfinite(o).all()
        x.requires_grad_(True)
        out = layer(x, ei, e)
        (out[0] if edge_dim else out).sum().backward()
        assert torch.isfinite(x.grad).all()


def test_attention_matches_pyg_transformer_conv():
    """The attention part (before O, residual, norm) is PyG's TransformerConv with
    concat=True, beta=False, root_weight=False and the same q/k/v weights, on a graph
    with repeated edges, self-loops, isolated nodes and a node without incoming edges."""
    from torch_geometric.nn import TransformerConv

    torch.manual_seed(5)
    H, D = 4, 3
    ours = GraphTransformerLayer(6, H * D, H)
    theirs = TransformerConv(6, D, heads=H, concat=True, beta=False, root_weight=False)
    with torch.no_grad():
        for name in ("lin_query", "lin_key", "lin_value"):
            getattr(theirs, name).weight.copy_(getattr(ours, name).weight)
            getattr(theirs, name).bias.copy_(getattr(ours, name).bias)
    ei = _graph(seed=6, duplicates=True)
    x = torch.randn(N, 6)
    expected, (pyg_ei, pyg_alpha) = theirs(x, ei, return_attention_weights=True)
    got, alpha = ours.attention(x, ei, return_attention_weights=True)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
    assert torch.equal(pyg_ei, ei)
    torch.testing.assert_close(alpha, pyg_alpha, rtol=1e-5, atol=1e-6)  # in the caller's edge order
    # gradients through the attention agree as well
    x64 = x.double().requires_grad_(True)
    ours.double(), theirs.double()
    g1 = torch.autograd.grad(ours.attention(x64, ei).pow(2).sum(), x64)[0]
    g2 = torch.autograd.grad(theirs(x64, ei).pow(2).sum(), x64)[0]
    torch.testing.assert_close(g1, g2, rtol=1e-10, atol=1e-12)


def test_attention_weights_and_edge_vectors_match_dense_reference():
    layer = _layer(edge_dim=5)
    ei = _graph(seed=7)
    x = torch.randn(N, 6, dtype=torch.float64)
    e = torch.randn(ei.size(1), 5, dtype=torch.float64)
    attn, w, alpha = layer.attention(x, ei, e, return_attention_weights=True)
    _, ref_attn, ref_alpha = dense_reference(layer, x, ei, e)
    torch.testing.assert_close(attn, ref_attn, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(alpha, ref_alpha, rtol=1e-10, atol=1e-12)
    # each target's incoming weights sum to 1 per head
    sums = torch.zeros(N, 2, dtype=torch.float64).index_add_(0, ei[1], alpha)
    has_in = torch.zeros(N, dtype=torch.bool)
    has_in[ei[1]] = True
    torch.testing.assert_close(sums[has_in], torch.ones_like(sums[has_in]))
    assert w.shape == (ei.size(1), 8)


@pytest.mark.parametrize("norm", ["batch", "layer", None])
def test_edge_features_follow_their_edges(norm):
    """Permuting the edge list permutes e_out the same way and leaves x_out unchanged; a
    CSR with the features in its entry order and a Data give the same outputs."""
    from torch_geometric.data import Data

    layer = _layer(edge_dim=4, norm=norm).train()
    ei = _graph(seed=8)
    E = ei.size(1)
    x = torch.randn(N, 6, dtype=torch.float64)
    e = torch.randn(E, 4, dtype=torch.float64)
    x_out, e_out = layer(x, ei, e)
    ref_x, ref_e = dense_reference(layer, x, ei, e)[0]
    torch.testing.assert_close(e_out, ref_e, rtol=1e-10, atol=1e-10)
    for seed in range(3):
        perm = torch.randperm(E, generator=torch.Generator().manual_seed(seed))
        x2, e2 = layer(x, ei[:, perm], e[perm])
        torch.testing.assert_close(x2, x_out, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(e2, e_out[perm], rtol=1e-12, atol=1e-12)
    # the contract's CSR: entry (t, s) for s -> t, sorted by target then source
    order = torch.argsort(ei[1] * N + ei[0])
    csr = CSR.from_edge_index(ei.flip(0), N)
    assert torch.equal(csr.col.long(), ei[0, order]) and torch.equal(csr.row, ei[1, order])
    x3, e3 = layer(x, csr, e[order])
    torch.testing.assert_close(x3, x_out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(e3, e_out[order], rtol=1e-12, atol=1e-12)
    x4, e4 = layer(x, Data(edge_index=ei, num_nodes=N, edge_weight=torch.rand(E)), e)
    torch.testing.assert_close(x4, x_out, rtol=0, atol=0)
    torch.testing.assert_close(e4, e_out, rtol=0, atol=0)
    x5, e5 = layer(x, ei.numpy(), e)
    torch.testing.assert_close(x5, x_out, rtol=0, atol=0)
    torch.testing.assert_close(e5, e_out, rtol=0, atol=0)


def test_graph_forms_agree_without_edge_features():
    from torch_geometric.data import Data

    layer = _layer().eval()
    ei = _graph(seed=9)
    x = torch.randn(N, 6, dtype=torch.float64)
    out = layer(x, ei)
    torch.testing.assert_close(layer(x, CSR.from_edge_index(ei.flip(0), N)), out, rtol=0, atol=0)
    torch.testing.assert_close(layer(x, Data(edge_index=ei, num_nodes=N)), out, rtol=0, atol=0)
    # edge weights are not used (the attention weights replace them)
    w = torch.rand(ei.size(1), dtype=torch.float64)
    torch.testing.assert_close(layer(x, Data(edge_index=ei, num_nodes=N, edge_weight=w)), out, rtol=0, atol=0)
    torch.testing.assert_close(layer(x, CSR.from_edge_index(ei.flip(0), N, w)), out, rtol=0, atol=0)
    torch.testing.assert_close(layer(x, ei[:, torch.randperm(ei.size(1))]), out, rtol=1e-12, atol=1e-12)


def test_dropout_active_in_training_off_in_eval():
    layer = _layer(edge_dim=4, dropout=0.5, attn_dropout=0.5)
    ei = _graph(seed=10)
    x = torch.randn(N, 6, dtype=torch.float64)
    e = torch.randn(ei.size(1), 4, dtype=torch.float64)
    layer.eval()
    a, b = layer(x, ei, e), layer(x, ei, e)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    layer.train()
    torch.manual_seed(11)
    c = layer(x, ei, e)
    torch.manual_seed(11)
    d = layer(x, ei, e)
    assert torch.equal(c[0], d[0]) and torch.equal(c[1], d[1])  # seeded: reproducible
    torch.manual_seed(12)
    f = layer(x, ei, e)
    assert not torch.allclose(c[0], f[0])
    # attention dropout alone changes the attention output in training, not in eval
    only_attn = _layer(attn_dropout=0.5)
    torch.manual_seed(13)
    t1 = only_attn.attention(x, ei)
    t2 = only_attn.attention(x, ei)
    assert not torch.allclose(t1, t2)
    only_attn.eval()
    assert torch.equal(only_attn.attention(x, ei), only_attn.attention(x, ei))


def test_dropout_placement():
    """dropout=1 zeroes the attention output (before O) and the FFN hidden layer in both
    streams: what is left is Norm2(Norm1(inp + b_O) + b_FFN2)."""
    layer = _layer(8, 8, 2, edge_dim=8, dropout=1.0, norm="layer").train()
    ei = _graph(seed=16)
    x = torch.randn(N, 8, dtype=torch.float64)
    e = torch.randn(ei.size(1), 8, dtype=torch.float64)
    x_out, e_out = layer(x, ei, e)
    for out, inp, lin_out, norm1, ffn, norm2 in (
            (x_out, x, layer.lin_out, layer.norm1, layer.ffn, layer.norm2),
            (e_out, e, layer.lin_edge_out, layer.edge_norm1, layer.edge_ffn, layer.edge_norm2)):
        h = _norm(norm1, inp + lin_out.bias, True)
        torch.testing.assert_close(out, _norm(norm2, h + ffn.lin2.bias, True), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm", ["batch", "layer", None])
def test_gradcheck(norm):
    torch.manual_seed(14)
    layer = GraphTransformerLayer(3, 4, 2, edge_dim=2, norm=norm).double()
    ei = torch.tensor([[0, 1, 2, 2, 3, 1], [1, 2, 0, 1, 3, 1]])  # self-loops on 1 and 3; node 4 isolated
    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    e = torch.randn(6, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, e: layer(x, ei, e), (x, e))
    plain = GraphTransformerLayer(3, 4, 2, norm=norm).double()
    assert torch.autograd.gradcheck(lambda x: plain(x, ei), (x,))


def test_float32_and_empty_graph():
    layer = GraphTransformerLayer(6, 8, 2, edge_dim=4, norm="layer")
    ei = _graph(seed=15)
    x = torch.randn(N, 6)
    out, e_out = layer(x, ei, torch.randn(ei.size(1), 4))
    assert out.dtype == e_out.dtype == torch.float32 and torch.isfinite(out).all()
    empty = torch.zeros(2, 0, dtype=torch.long)
    attn, w = layer.attention(x, empty, torch.randn(0, 4))
    assert torch.equal(attn, torch.zeros(N, 8)) and w.shape == (0, 8)
    out, e_out = layer(x, empty, torch.randn(0, 4))
    assert out.shape == (N, 8) and e_out.shape == (0, 8) and torch.isfinite(out).all()


def test_resolver_repr_and_reset():
    assert resolver.lookup("conv", "graph_transformer") is GraphTransformerLayer
    layer = resolver.resolve("conv", "GraphTransformer", 8, 8, heads=2, edge_dim=3, norm="layer")
    assert isinstance(layer, GraphTransformerLayer)
    assert repr(layer) == "GraphTransformerLayer(8, 8, heads=2, edge_dim=3, norm='layer')"
    assert repr(GraphTransformerLayer(4, 8)) == "GraphTransformerLayer(4, 8, heads=8, norm='batch')"
    assert layer.ffn.lin1.out_features == 16 and layer.edge_ffn.lin1.out_features == 16
    before = [p.detach().clone() for p in layer.parameters()]
    layer.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, layer.parameters()))
    bn = GraphTransformerLayer(4, 4, 2)
    bn(torch.randn(5, 4), torch.tensor([[0, 1], [1, 2]]))
    assert bn.norm1.num_batches_tracked == 1
    bn.reset_parameters()
    assert bn.norm1.num_batches_tracked == 0 and torch.equal(bn.norm1.running_mean, torch.zeros(4))


def test_bad_input_gives_clear_errors():
    ei = torch.tensor([[0, 1, 2], [1, 2, 0]])
    layer = GraphTransformerLayer(4, 8, 2, edge_dim=3)
    plain = GraphTransformerLayer(4, 8, 2)
    x, e = torch.randn(3, 4), torch.randn(3, 3)
    cases = [
        (ValueError, r"out_channels \(8\) must be divisible by heads \(3\)", lambda: GraphTransformerLayer(4, 8, 3)),
        (ValueError, "norm must be one of 'batch', 'layer', None", lambda: GraphTransformerLayer(4, 8, norm="graph")),
        (ValueError, r"dropout must be a number in \[0, 1\]", lambda: GraphTransformerLayer(4, 8, dropout=1.5)),
        (ValueError, "attn_dropout", lambda: GraphTransformerLayer(4, 8, attn_dropout=-0.1)),
        (ValueError, r"heads must be an integer in \[1, ", lambda: GraphTransformerLayer(4, 8, 0)),
        (TypeError, "edge_dim must be an integer", lambda: GraphTransformerLayer(4, 8, edge_dim=2.0)),
        (ValueError, "ffn_ratio must be a number > 0", lambda: GraphTransformerLayer(4, 8, ffn_ratio=0)),
        (TypeError, "residual must be True or False", lambda: GraphTransformerLayer(4, 8, residual="yes")),
        (ValueError, r"x must have shape \[N, 4\] \(in_channels=4\), got \[3, 5\]",
         lambda: plain(torch.randn(3, 5), ei)),
        (ValueError, r"x must have shape \[N, 4\]", lambda: plain(torch.randn(3), ei)),
        (TypeError, "x is torch.float64 but the parameters are torch.float32", lambda: plain(x.double(), ei)),
        (ValueError, r"edge_dim=3\) needs edge_attr, a \[E, 3\] tensor", lambda: layer(x, ei)),
        (ValueError, r"edge_attr must have shape \[3, 3\] .*got \[3, 2\]", lambda: layer(x, ei, torch.randn(3, 2))),
        (ValueError, r"edge_attr must have shape \[3, 3\] .*got \[4, 3\]", lambda: layer(x, ei, torch.randn(4, 3))),
        (ValueError, r"edge_attr must have shape \[3, 3\] .*got \[3\]", lambda: layer(x, ei, torch.randn(3))),
        (TypeError, "edge_attr must be floating point", lambda: layer(x, ei, torch.ones(3, 3, dtype=torch.long))),
        (TypeError, "edge_attr is torch.float64 but the parameters are torch.float32",
         lambda: layer(x, ei, e.double())),
        (TypeError, r"edge_attr must be a \[E, 3\] tensor", lambda: layer(x, ei, [[0.0] * 3] * 3)),
        (ValueError, "built without edge_dim and takes no edge_attr", lambda: plain(x, ei, e)),
        (TypeError, "edge features need a graph whose edges have an order",
         lambda: layer(x, torch.sparse_coo_tensor(ei, torch.ones(3), (3, 3), check_invariants=True), e)),
        (ValueError, "out of range", lambda: plain(x, torch.tensor([[0, 5], [1, 2]]))),
    ]
    for exc, match, fn in cases:
        with pytest.raises(exc, match=match):
            fn()
