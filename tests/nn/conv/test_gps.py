"""GPSLayer: the full global attention against a dense per-graph brute force (with and
without the edge and shortest-path biases, forward and gradients), the attention's
memory (one entry per same-graph pair, never padded), the linear attention against a
dense brute force of its formula, the whole layer, shapes, determinism and the
argument checks."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from graphlearn import ops
from graphlearn.nn import GPSLayer, resolver
from graphlearn.nn.conv import batch_complete_graph, shortest_path_buckets

SIZES = (5, 1, 7)  # a batch of 3 graphs, one with a single node


def _batch(sizes=SIZES, seed=0, shuffle=False):
    """``(edge_index, batch)``: random directed edges inside each graph (a repeated edge
    and a self-loop in every graph of 2+ nodes), in random order; ``shuffle`` relabels
    the nodes so that the batch vector is not sorted."""
    g = torch.Generator().manual_seed(seed)
    parts, start = [], 0
    for n in sizes:
        if n > 1:
            e = torch.randint(0, n, (2, 2 * n), generator=g)
            e = torch.cat([e, e[:, :1], torch.tensor([[1], [1]])], 1)
            parts.append(e + start)
        start += n
    ei = torch.cat(parts, 1)
    ei = ei[:, torch.randperm(ei.size(1), generator=g)]
    batch = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    if shuffle:
        relabel = torch.randperm(start, generator=g)  # old id -> new id
        ei = relabel[ei]
        new_batch = torch.empty_like(batch)
        new_batch[relabel] = batch
        batch = new_batch
    return ei, batch


def _layer(channels=8, heads=2, seed=0, **kwargs):
    torch.manual_seed(seed)
    layer = GPSLayer(channels, heads, **kwargs).double()
    with torch.no_grad():  # non-trivial affine norms and distance biases
        for m in layer.modules():
            if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.LayerNorm)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
        if layer.spd_bias is not None:
            layer.spd_bias.weight.normal_()
    return layer


# ----------------------------------------------------------- dense references


def _lin(m, x):
    return F.linear(x, m.weight, m.bias)


def _distances(n, src, dst, max_spd):
    """``[n, n]`` int64: ``d[i, j]`` = hops on a shortest path j -> ... -> i (Floyd-Warshall),
    ``max_spd + 1`` beyond ``max_spd`` or unreachable."""
    d = np.full((n, n), np.inf)
    np.fill_diagonal(d, 0)
    for s, t in zip(src.tolist(), dst.tolist()):
        if s != t:
            d[t, s] = 1
    for k in range(n):  # d[i, j] = min(d[i, k] + d[k, j]): j -> k -> i
        d = np.minimum(d, d[:, k:k + 1] + d[k:k + 1, :])
    d[d > max_spd] = max_spd + 1
    return torch.from_numpy(d.astype(np.int64))


def dense_global(layer, x, ei, e, batch):
    """GlobalAttn(X) by a loop over the graphs with dense [n, n] attention."""
    N, H, D = x.size(0), layer.heads, layer.head_channels
    q = _lin(layer.lin_query, x).view(N, H, D)
    k = _lin(layer.lin_key, x).view(N, H, D)
    v = _lin(layer.lin_value, x).view(N, H, D)
    out = x.new_zeros(N, H, D)
    for g in range(int(batch.max()) + 1):
        idx = (batch == g).nonzero().view(-1)
        n = idx.numel()
        if n == 0:
            continue
        local = torch.full((N,), -1, dtype=torch.long)
        local[idx] = torch.arange(n)
        inside = batch[ei[1]] == g
        src, dst = local[ei[0, inside]], local[ei[1, inside]]
        if layer.global_attn == "linear":
            pq, pk = F.elu(q[idx]) + 1, F.elu(k[idx]) + 1
            S = torch.einsum("jhd,jhe->hde", pk, v[idx])
            num = torch.einsum("ihd,hde->ihe", pq, S)
            den = torch.einsum("ihd,hd->ih", pq, pk.sum(0))
            out = out.index_copy(0, idx, num / den[..., None])
            continue
        score = torch.einsum("ihd,jhd->ijh", q[idx], k[idx]) / math.sqrt(D)
        if "edge" in layer.attn_bias:
            bias = x.new_zeros(n, n, H).index_put((dst, src), _lin(layer.edge_bias, e[inside]), accumulate=True)
            score = score + bias
        if "spd" in layer.attn_bias:
            score = score + layer.spd_bias.weight[_distances(n, src, dst, layer.max_spd)]
        alpha = torch.softmax(score, dim=1)
        out = out.index_copy(0, idx, torch.einsum("ijh,jhd->ihd", alpha, v[idx]))
    return _lin(layer.lin_out, out.reshape(N, H * D))


def _norm(m, h, training):
    if isinstance(m, torch.nn.BatchNorm1d):
        rm = None if training else m.running_mean.clone()
        rv = None if training else m.running_var.clone()
        return F.batch_norm(h, rm, rv, m.weight, m.bias, training=training, eps=m.eps)
    if isinstance(m, torch.nn.LayerNorm):
        return F.layer_norm(h, m.normalized_shape, m.weight, m.bias, m.eps)
    return h


def dense_layer(layer, x, ei, e, batch, training=True):
    """The GPS layer with the dense attention (the local layer is GINConv/GINEConv,
    tested against PyG in test_gin_conv.py, called in the caller's edge order)."""
    h = 0
    if layer.local is not None:
        loc = layer.local(x, ei, e) if layer.local_kind == "gine" else layer.local(x, ei)
        h = h + _norm(layer.norm_local, x + loc, training)
    if layer.global_attn is not None:
        h = h + _norm(layer.norm_attn, x + dense_global(layer, x, ei, e, batch), training)
    ffn = _lin(layer.ffn.lin2, torch.relu(_lin(layer.ffn.lin1, h)))
    return _norm(layer.norm_ffn, h + ffn, training)


def _grads_agree(out, ref, wrt, names):
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(5), dtype=out.dtype)
    a = torch.autograd.grad((out * w).sum(), wrt, allow_unused=True)
    b = torch.autograd.grad((ref * w).sum(), wrt, allow_unused=True)
    for name, ga, gb in zip(names, a, b):
        assert (ga is None) == (gb is None), name
        if ga is not None:
            torch.testing.assert_close(ga, gb, rtol=1e-9, atol=1e-10, msg=name)


def _inputs(layer, ei, n, edge_dim=3, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, layer.channels, generator=g, dtype=torch.float64, requires_grad=True)
    e = None
    if layer.edge_dim is not None:
        e = torch.randn(ei.size(1), layer.edge_dim, generator=g, dtype=torch.float64, requires_grad=True)
    return x, e


# ----------------------------------------------------------- full attention


BIASES = [None, "edge", "spd", ("edge", "spd")]


@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted-batch", "unsorted-batch"])
@pytest.mark.parametrize("attn_bias", BIASES, ids=str)
def test_full_attention_matches_dense_per_graph_brute_force(attn_bias, shuffle):
    layer = _layer(8, 2, local="gine", edge_dim=3, attn_bias=attn_bias, max_spd=2)
    ei, batch = _batch(shuffle=shuffle)
    x, e = _inputs(layer, ei, batch.numel())
    out = layer.global_attention(x, ei, e, batch)
    ref = dense_global(layer, x, ei, e, batch)
    assert out.shape == (batch.numel(), 8)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    params = [(n, p) for n, p in layer.named_parameters() if not n.startswith(("local.", "ffn.", "norm"))]
    _grads_agree(out, ref, [x, e] + [p for _, p in params], ["x", "edge_attr"] + [n for n, _ in params])


def test_single_node_graph_attends_to_itself_only():
    layer = _layer(8, 2, local=None, edge_dim=3, attn_bias=("edge", "spd"))
    ei, batch = _batch()
    x, e = _inputs(layer, ei, batch.numel())
    out = layer.global_attention(x, ei, e, batch)
    i = SIZES[0]  # the 1-node graph: alpha = 1 on itself, whatever its bias
    v = _lin(layer.lin_value, x[i])
    torch.testing.assert_close(out[i], _lin(layer.lin_out, v), rtol=1e-12, atol=1e-12)


def test_spd_buckets_match_floyd_warshall_and_precomputed_spd_is_used():
    ei, batch = _batch(sizes=(6, 1, 8), seed=3, shuffle=True)
    full = batch_complete_graph(batch, batch.numel())
    for max_spd in (0, 1, 3, 20):
        spd = shortest_path_buckets(ei, batch, max_spd)
        assert spd.shape == (full.nnz,) and spd.dtype == torch.int64
        for g in range(3):
            idx = (batch == g).nonzero().view(-1)
            local = torch.full((batch.numel(),), -1, dtype=torch.long)
            local[idx] = torch.arange(idx.numel())
            inside = batch[ei[1]] == g
            ref = _distances(idx.numel(), local[ei[0, inside]], local[ei[1, inside]], max_spd)
            rows = full.row
            mine = (batch[rows] == g).nonzero().view(-1)
            got = torch.zeros_like(ref)
            got[local[rows[mine]], local[full.col.long()[mine]]] = spd[mine]
            assert torch.equal(got, ref), (max_spd, g)
    layer = _layer(8, 2, local="gin", attn_bias="spd", max_spd=3)
    x, _ = _inputs(layer, ei, batch.numel())
    spd = shortest_path_buckets(ei, batch, 3)
    assert torch.equal(layer(x, ei, batch=batch, spd=spd), layer(x, ei, batch=batch))
    other = torch.zeros_like(spd)  # a given spd is the one used
    assert not torch.allclose(layer(x, ei, batch=batch, spd=other), layer(x, ei, batch=batch))


def test_attention_entries_are_the_sum_of_squared_graph_sizes(monkeypatch):
    """100 graphs of 4 nodes and one of 300: 100 * 16 + 90000 attention entries, far
    below 101 * 300**2 for a padded dense batch."""
    sizes = [4] * 50 + [300] + [4] * 50
    ei, batch = _batch(sizes, seed=2)
    n = batch.numel()
    full = batch_complete_graph(batch, n)
    expected = sum(s * s for s in sizes)
    assert full.nnz == expected == 91600 and full.nnz * 99 < len(sizes) * 300 ** 2
    assert full.rowptr.dtype == torch.int32 and full.is_sorted
    seen = []
    sddmm = ops.sddmm

    def spy(adj, a, b):
        out = sddmm(adj, a, b)
        seen.append(out.shape)
        return out

    monkeypatch.setattr(ops, "sddmm", spy)
    layer = _layer(8, 2, local="gin", attn_bias="spd", norm="layer").eval()
    x = torch.randn(n, 8, dtype=torch.float64)
    out = layer(x, ei, batch=batch)
    assert seen == [torch.Size([expected, 2])]
    # the graphs do not see each other: each graph alone gives its rows of the batch
    for g in (0, 50, 100):
        idx = (batch == g).nonzero().view(-1)
        inside = batch[ei[1]] == g
        alone = layer(x[idx], ei[:, inside] - int(idx[0]))
        torch.testing.assert_close(out[idx], alone, rtol=1e-10, atol=1e-10)


def test_batch_none_is_one_graph_and_node_order_is_irrelevant():
    layer = _layer(8, 2, local="gine", edge_dim=3, attn_bias=("edge", "spd"), norm="layer")
    ei, _ = _batch(sizes=(9,), seed=4)
    x, e = _inputs(layer, ei, 9)
    out = layer(x, ei, e)
    torch.testing.assert_close(out, layer(x, ei, e, torch.zeros(9, dtype=torch.long)), rtol=0, atol=0)
    perm = torch.randperm(9, generator=torch.Generator().manual_seed(0))  # new id of node i: perm[i]
    inv = torch.argsort(perm)
    out_p = layer(x[inv], perm[ei], e)
    torch.testing.assert_close(out_p[perm], out, rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------- linear attention


@pytest.mark.parametrize("heads", [1, 2, 4])
def test_linear_attention_matches_dense_brute_force_of_its_formula(heads):
    layer = _layer(8, heads, local="gin", global_attn="linear")
    ei, batch = _batch(shuffle=True)
    x, _ = _inputs(layer, ei, batch.numel())
    out = layer.global_attention(x, ei, batch=batch)
    ref = dense_global(layer, x, ei, None, batch)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    params = [(n, p) for n, p in layer.named_parameters() if n.startswith("lin_")]
    _grads_agree(out, ref, [x] + [p for _, p in params], ["x"] + [n for n, _ in params])


def test_linear_attention_builds_no_pair_structure(monkeypatch):
    calls = []
    monkeypatch.setattr(ops, "sddmm", lambda *a: calls.append(a))
    layer = _layer(8, 2, local="gin", global_attn="linear")
    ei, batch = _batch([300, 200], seed=5)
    out = layer(torch.randn(500, 8, dtype=torch.float64), ei, batch=batch)
    assert out.shape == (500, 8) and not calls


# ----------------------------------------------------------- the whole layer


LAYERS = [
    dict(local="gine", edge_dim=3, global_attn="full", norm="batch"),
    dict(local="gine", edge_dim=3, global_attn="full", norm="layer", attn_bias=("edge", "spd"), max_spd=2),
    dict(local="gin", global_attn="linear", norm="batch"),
    dict(local="gin", edge_dim=3, global_attn="full", attn_bias="edge", norm=None, ffn_ratio=1.5),
    dict(local=None, global_attn="full", attn_bias="spd", norm="batch"),
    dict(local="gine", edge_dim=3, global_attn=None, norm="layer", bias=False),
]


@pytest.mark.parametrize("config", LAYERS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_layer_matches_dense_reference_forward_and_gradients(config):
    layer = _layer(8, 2, **config).train()
    ei, batch = _batch(shuffle=True, seed=6)
    x, e = _inputs(layer, ei, batch.numel())
    out = layer(x, ei, e, batch)
    ref = dense_layer(layer, x, ei, e, batch)
    assert out.shape == x.shape
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    params = list(layer.named_parameters())
    wrt = [x] + ([e] if e is not None else []) + [p for _, p in params]
    names = ["x"] + (["edge_attr"] if e is not None else []) + [n for n, _ in params]
    _grads_agree(out, ref, wrt, names)
    layer.eval()  # running statistics
    torch.testing.assert_close(layer(x, ei, e, batch), dense_layer(layer, x, ei, e, batch, training=False),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("local", ["gine", "gin", None])
@pytest.mark.parametrize("global_attn", ["full", "linear", None])
def test_output_shapes_with_and_without_edge_features(local, global_attn):
    if local is None and global_attn is None:
        return
    ei, batch = _batch()
    n = batch.numel()
    for edge_dim in ([4] if local == "gine" else [None, 4]):
        layer = GPSLayer(12, 3, local=local, edge_dim=edge_dim, global_attn=global_attn)
        e = torch.randn(ei.size(1), 4) if edge_dim else None
        out = layer(torch.randn(n, 12), ei, e, batch)
        assert out.shape == (n, 12) and out.dtype == torch.float32 and bool(torch.isfinite(out).all())


def test_eval_is_deterministic_and_dropout_acts_in_training():
    layer = GPSLayer(8, 2, local="gine", edge_dim=3, dropout=0.3, attn_dropout=0.3, attn_bias=("edge", "spd"))
    ei, batch = _batch()
    x, e = torch.randn(batch.numel(), 8), torch.randn(ei.size(1), 3)
    layer(x, ei, e, batch)  # running statistics move once
    layer.eval()
    a, b = layer(x, ei, e, batch), layer(x, ei, e, batch)
    assert torch.equal(a, b)
    layer.train()
    torch.manual_seed(0)
    c = layer(x, ei, e, batch)
    torch.manual_seed(1)
    assert not torch.allclose(c, layer(x, ei, e, batch))


def test_resolver_repr_and_reset():
    assert resolver.lookup("conv", "gps") is GPSLayer
    layer = resolver.resolve("conv", "GPS", 16, 4, edge_dim=3, attn_bias=["spd", "edge"], max_spd=4)
    assert isinstance(layer, GPSLayer) and layer.attn_bias == ("edge", "spd")
    assert repr(layer) == ("GPSLayer(16, heads=4, local='gine', edge_dim=3, global_attn='full', "
                           "attn_bias=('edge', 'spd'), max_spd=4, norm='batch')")
    assert repr(GPSLayer(8, local="gin")) == "GPSLayer(8, heads=4, local='gin', global_attn='full', norm='batch')"
    assert layer.ffn.lin1.out_features == 32 and layer.spd_bias.weight.shape == (6, 4)
    assert torch.equal(layer.spd_bias.weight, torch.zeros(6, 4))
    before = [p.detach().clone() for p in layer.parameters()]
    with torch.no_grad():
        layer.spd_bias.weight.fill_(1.0)
    layer.reset_parameters()
    assert torch.equal(layer.spd_bias.weight, torch.zeros(6, 4))
    assert any(not torch.equal(a, b) for a, b in zip(before, layer.parameters()))


def test_bad_input_gives_clear_errors():
    ei, batch = _batch()
    n = batch.numel()
    layer = GPSLayer(8, 2, local="gine", edge_dim=3, attn_bias="spd", max_spd=2)
    plain = GPSLayer(8, 2, local="gin")
    x, e = torch.randn(n, 8), torch.randn(ei.size(1), 3)
    across = torch.cat([ei, torch.tensor([[0], [n - 1]])], 1)
    cases = [
        (ValueError, r"GPSLayer: channels \(8\) must be divisible by heads \(3\)", lambda: GPSLayer(8, 3, local="gin")),
        (ValueError, r"GPSLayer: heads must be an integer in \[1, ", lambda: GPSLayer(8, 0)),
        (ValueError, "local='gine' needs edge features", lambda: GPSLayer(8, 2)),
        (ValueError, "local must be one of 'gine', 'gin', None", lambda: GPSLayer(8, 2, local="gcn")),
        (ValueError, "global_attn must be one of 'full', 'linear', None",
         lambda: GPSLayer(8, 2, local="gin", global_attn="dense")),
        (ValueError, "local and global_attn are both None", lambda: GPSLayer(8, 2, local=None, global_attn=None)),
        (ValueError, "applies to global_attn='full' only",
         lambda: GPSLayer(8, 2, local="gin", global_attn="linear", attn_bias="spd")),
        (ValueError, "attn_bias 'edge' needs edge features", lambda: GPSLayer(8, 2, local="gin", attn_bias="edge")),
        (ValueError, "attn_bias must be one of 'edge', 'spd'", lambda: GPSLayer(8, 2, local="gin", attn_bias="rel")),
        (ValueError, r"max_spd must be an integer in \[0, ",
         lambda: GPSLayer(8, local="gin", attn_bias="spd", max_spd=-1)),
        (ValueError, "norm must be one of 'batch', 'layer', None", lambda: GPSLayer(8, local="gin", norm="graph")),
        (ValueError, r"dropout must be a number in \[0, 1\]", lambda: GPSLayer(8, local="gin", dropout=2.0)),
        (ValueError, r"GPSLayer: batch must have shape \[13\] \(one graph id per node of x\), got \[12\]",
         lambda: plain(x, ei, batch=batch[:-1])),
        (TypeError, "GPSLayer: batch must hold integer graph ids", lambda: plain(x, ei, batch=batch.float())),
        (TypeError, r"GPSLayer: batch must be a \[N\] integer tensor", lambda: plain(x, ei, batch=batch.tolist())),
        (ValueError, r"GPSLayer: batch\[0\] = -1 is not a graph id",
         lambda: plain(x, ei, batch=torch.cat([batch[:1] - 1, batch[1:]]))),
        (ValueError, r"GPSLayer: edge \d+ \(0 -> 12\) joins graph 0 to graph 2", lambda: plain(x, across, batch=batch)),
        (ValueError, r"GPSLayer\(edge_dim=3\) needs edge_attr, a \[E, 3\] tensor", lambda: layer(x, ei, None, batch)),
        (ValueError, r"GPSLayer: edge_attr must have shape \[\d+, 3\]", lambda: layer(x, ei, e[:-1], batch)),
        (ValueError, "GPSLayer was built without edge_dim and takes no edge_attr", lambda: plain(x, ei, e, batch)),
        (ValueError, r"GPSLayer: x must have shape \[N, 8\]", lambda: plain(torch.randn(n, 6), ei)),
        (TypeError, "GPSLayer: x is torch.float64 but the parameters are torch.float32",
         lambda: plain(x.double(), ei)),
        (ValueError, r"GPSLayer: spd must have shape \[\d+\]",
         lambda: layer(x, ei, e, batch, spd=torch.zeros(3, dtype=torch.long))),
        (ValueError, r"GPSLayer: spd values must lie in \[0, 3\]",
         lambda: layer(x, ei, e, batch, spd=torch.full((batch_complete_graph(batch, n).nnz,), 4))),
        (TypeError, "GPSLayer: spd must be an integer tensor", lambda: layer(x, ei, e, batch, spd=torch.zeros(3))),
        (ValueError, "spd applies to attn_bias='spd' only", lambda: plain(x, ei, batch=batch, spd=torch.zeros(3))),
        (TypeError, "edge features need a graph whose edges have an order",
         lambda: layer(x, torch.sparse_coo_tensor(ei, torch.ones(ei.size(1)), (n, n), check_invariants=True), e)),
        (ValueError, "batch_complete_graph: num_nodes must be an integer >= 1, got 0",
         lambda: batch_complete_graph(None, 0)),
    ]
    for exc, match, fn in cases:
        with pytest.raises(exc, match=match):
            fn()
