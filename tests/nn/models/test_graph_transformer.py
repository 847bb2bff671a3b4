"""The GraphTransformer model: output shapes for every task and layer, the pooling against
a dense per-graph reference, the Laplacian PE's sign flip (training only, seeded),
reproducible training, LapPE separating two graphs 1-WL cannot, invariance to the edge
order, the training loop's forward hook, and the argument checks."""
import sys

import pytest
import torch
from torch_geometric.data import Batch, Data

from graphlearn.nn import GraphTransformer, graph_pool, resolver
from graphlearn.transforms import AddLaplacianPE, AddRandomWalkPE

ATOM_DIMS = (119, 5, 12, 12, 10, 6, 6, 2, 2)  # OGB's categorical atom / bond features
BOND_DIMS = (5, 6, 2)


def _have(module):
    try:
        __import__(f"graphlearn.nn.conv.{module}")
        return True
    except ImportError:
        return False


LAYERS = ["gt", pytest.param("gps", marks=pytest.mark.skipif(not _have("gps"), reason="no graphlearn.nn.conv.gps")),
          pytest.param("gin", marks=pytest.mark.skipif(not _have("gin_conv"), reason="no graphlearn.nn.conv.gin_conv"))]


def _molecule(n, seed, pe=True):
    """A random connected molecule-like graph: a path plus a few chords, both directions
    of every bond stored (OGB's layout), OGB categorical atom and bond features."""
    g = torch.Generator().manual_seed(seed)
    src = list(range(n - 1))
    dst = list(range(1, n))
    for _ in range(n // 3):
        a, b = (int(v) for v in torch.randint(0, n, (2,), generator=g))
        if a != b and abs(a - b) > 1:
            src.append(a)
            dst.append(b)
    und = torch.tensor([src, dst], dtype=torch.long).reshape(2, -1)
    ei = torch.stack([torch.stack([und[0], und[1]], 1).reshape(-1), torch.stack([und[1], und[0]], 1).reshape(-1)])
    x = torch.stack([torch.randint(0, d, (n,), generator=g) for d in ATOM_DIMS], 1)
    bond = torch.stack([torch.randint(0, d, (und.size(1),), generator=g) for d in BOND_DIMS], 1)
    data = Data(x=x, edge_index=ei, edge_attr=bond.repeat_interleave(2, 0), y=torch.randn(1, 1, generator=g),
                num_nodes=n)
    if pe:
        data = AddRandomWalkPE(6)(AddLaplacianPE(4)(data))
    return data


def _batch(sizes=(5, 1, 7, 4), seed=0):
    return Batch.from_data_list([_molecule(n, seed + i) for i, n in enumerate(sizes)])


def _mol_model(layer="gt", task="graph", seed=0, **kwargs):
    torch.manual_seed(seed)
    opts = dict(heads=2, task=task, input="ogb_mol", edge_dim="ogb_mol", layer=layer)
    opts.update(kwargs)
    return GraphTransformer(None, 16, 3, 2, **opts)


# ----------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("pe", ["lap", "rw", None])
def test_shapes_for_each_task(layer, pe):
    b = _batch()
    pe_opts = {} if pe is None else {"pe": pe, "pe_dim": 4 if pe == "lap" else 6}
    n, e = b.num_nodes, b.edge_index.size(1)
    for task, rows in (("graph", b.num_graphs), ("node", n), ("edge", e)):
        model = _mol_model(layer, task, **pe_opts)
        out = model.forward_batch(b)
        assert out.shape == (rows, 3), (task, out.shape)
        out.sum().backward()  # differentiable end to end
        model.eval()
        assert model(b).shape == (rows, 3)  # a Batch as the only argument
    pairs = torch.tensor([[0, 3, 8], [2, 9, 15]])
    model = _mol_model(layer, "edge", edge_readout="cat", **pe_opts)
    pe_t = None if pe is None else b[model.pe_attr]
    assert model(b.x, b.edge_index, b.batch, b.edge_attr, pe_t, pairs=pairs).shape == (3, 3)


def test_dense_features_without_edges_and_batch():
    torch.manual_seed(0)
    x = torch.randn(9, 5)
    ei = torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 0, 4, 5, 3]])
    model = GraphTransformer(5, 8, 2, 2, heads=2)
    assert model(x, ei).shape == (1, 2)  # batch None: one graph
    node = GraphTransformer(5, 8, 2, 1, heads=2, task="node")
    assert node(x, ei).shape == (9, 2)
    edge = GraphTransformer(5, 8, 2, 1, heads=2, task="edge")
    assert edge.edge_readout == "hadamard" and edge(x, ei).shape == (6, 2)
    assert model(x.long(), ei).shape == (1, 2)  # integer features are cast
    model.eval()
    weighted = Data(x=x, edge_index=ei, edge_weight=torch.rand(6), num_nodes=9)
    torch.testing.assert_close(model(weighted), model(x, ei))  # edge weights are not used


def test_edge_stream_readout_and_edge_order():
    """task='edge' with the GT edge stream returns one row per edge in the caller's
    order: permuting the edges permutes the rows; graph outputs do not change."""
    b = _batch()
    perm = torch.randperm(b.edge_index.size(1), generator=torch.Generator().manual_seed(3))
    model = _mol_model("gt", "edge", pe="lap", pe_dim=4).eval()
    assert model.edge_readout == "stream"
    out = model.forward_batch(b)
    shuffled = model(b.x, b.edge_index[:, perm], b.batch, b.edge_attr[perm], b.lap_pe, num_graphs=b.num_graphs)
    torch.testing.assert_close(shuffled, out[perm])


@pytest.mark.parametrize("layer", LAYERS)
def test_graph_output_does_not_depend_on_edge_order(layer):
    b = _batch()
    perm = torch.randperm(b.edge_index.size(1), generator=torch.Generator().manual_seed(4))
    model = _mol_model(layer, "graph", pe="rw", pe_dim=6).eval()
    out = model.forward_batch(b)
    again = model(b.x, b.edge_index[:, perm], b.batch, b.edge_attr[perm], b.rw_pe, num_graphs=b.num_graphs)
    torch.testing.assert_close(again, out)


# ----------------------------------------------------------------------------- pooling


@pytest.mark.parametrize("reduce", ["mean", "sum", "max"])
def test_pooling_matches_dense_reference(reduce):
    """graph_pool against a loop over the graphs: unsorted graph ids, a graph without
    nodes (zero row), gradients equal too."""
    g = torch.Generator().manual_seed(1)
    h = torch.randn(30, 6, generator=g, dtype=torch.float64, requires_grad=True)
    batch = torch.randint(0, 5, (30,), generator=g)
    batch[batch == 3] = 4  # graph 3 has no nodes
    out = graph_pool(h, batch, num_graphs=6, reduce=reduce)  # graph 5 neither
    rows = []
    for k in range(6):
        part = h[batch == k]
        if part.size(0) == 0:
            rows.append(h.new_zeros(6))
        else:
            rows.append(part.mean(0) if reduce == "mean" else part.sum(0) if reduce == "sum" else part.max(0).values)
    ref = torch.stack(rows)
    torch.testing.assert_close(out, ref)
    w = torch.randn(6, 6, generator=g, dtype=torch.float64)
    (grad,) = torch.autograd.grad((out * w).sum(), h)
    (grad_ref,) = torch.autograd.grad((ref * w).sum(), h)
    torch.testing.assert_close(grad, grad_ref)


def test_model_readout_is_the_pooled_node_states():
    b = _batch()
    for readout in ("mean", "sum", "max"):
        model = _mol_model("gt", "graph", pe="lap", pe_dim=4, readout=readout).eval()
        h, _, batch, num_graphs = model.encode(b.x, b.edge_index, b.batch, b.edge_attr, b.lap_pe,
                                               num_graphs=b.num_graphs)
        got = model.embed(b.x, b.edge_index, b.batch, b.edge_attr, b.lap_pe, num_graphs=b.num_graphs)
        ref = torch.stack([getattr(h[b.batch == k], readout)(0) if readout != "max" else h[b.batch == k].max(0).values
                           for k in range(b.num_graphs)])
        torch.testing.assert_close(got, ref)


# ----------------------------------------------------------------------------- sign flip


def _pe_inputs(model, b, calls):
    """What the PE's linear map received in each of ``calls`` forward passes."""
    seen = []
    hook = model.pe_lin.register_forward_hook(lambda m, inp, out: seen.append(inp[0].detach().clone()))
    try:
        for _ in range(calls):
            model.forward_batch(b)
    finally:
        hook.remove()
    return seen


def test_sign_flip_only_in_training_and_reproducible():
    b = _batch()
    model = _mol_model("gt", pe="lap", pe_dim=4, flip_seed=7)
    model.eval()
    for got in _pe_inputs(model, b, 2):
        assert torch.equal(got, b.lap_pe)  # eval: the signs as computed
    model.train()
    flipped = _pe_inputs(model, b, 3)
    for got in flipped:
        ratio = got / torch.where(b.lap_pe == 0, torch.ones_like(got), b.lap_pe)
        assert bool(((ratio.abs() - 1).abs() < 1e-6)[b.lap_pe != 0].all())  # entries are +-pe
        for k in range(b.num_graphs):  # one sign per graph and column
            rows = (b.batch == k) & (b.lap_pe.abs().sum(1) > 0)
            signs = torch.sign(ratio[rows])
            signs[b.lap_pe[rows] == 0] = 0
            for col in range(4):
                s = signs[:, col][signs[:, col] != 0]
                assert s.numel() == 0 or bool((s == s[0]).all())
    assert any(not torch.equal(got, b.lap_pe) for got in flipped)
    assert not all(torch.equal(flipped[0], got) for got in flipped[1:])  # new signs every call
    same = _mol_model("gt", pe="lap", pe_dim=4, flip_seed=7)
    assert all(torch.equal(a, c) for a, c in zip(flipped, _pe_inputs(same, b, 3)))
    other = _mol_model("gt", pe="lap", pe_dim=4, flip_seed=8)
    assert not all(torch.equal(a, c) for a, c in zip(flipped, _pe_inputs(other, b, 3)))
    rw = _mol_model("gt", pe="rw", pe_dim=6)
    assert rw.sign_flip is None  # random-walk encodings have no sign


def test_reset_parameters_restarts_weights_and_flips():
    b = _batch()
    model = _mol_model("gt", pe="lap", pe_dim=4, flip_seed=3)
    first = _pe_inputs(model, b, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.reset_parameters()
    after = model.state_dict()
    assert not torch.equal(before["head.0.weight"], after["head.0.weight"])
    emb = model.node_encoder.encoder.atom_embedding_list[0].weight.detach()
    bound = (6 / sum(emb.shape)) ** 0.5  # OGB's xavier-uniform initialisation, not N(0, 1)
    assert float(emb.abs().max()) <= bound
    assert all(torch.equal(a, c) for a, c in zip(first, _pe_inputs(model, b, 2)))  # the flips start over


def _train(seed, steps=4):
    torch.manual_seed(seed)
    b = _batch()
    model = _mol_model("gt", pe="lap", pe_dim=4, flip_seed=seed, seed=seed, dropout=0.2, attn_dropout=0.1)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model.forward_batch(b)[:, :1] - b.y) ** 2).mean()
        loss.backward()
        opt.step()
    return model.state_dict()


def test_same_seed_same_trained_model():
    a, b, c = _train(0), _train(0), _train(1)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())


# ----------------------------------------------------------------------------- expressiveness


def _two_triangles_and_hexagon():
    tri = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)]
    hexagon = [(i, (i + 1) % 6) for i in range(6)]
    graphs = []
    for edges in (tri, hexagon):
        und = torch.tensor(edges).t()
        ei = torch.cat([und, und.flip(0)], 1)
        graphs.append(AddLaplacianPE(4)(Data(x=torch.ones(6, 1, dtype=torch.float64), edge_index=ei, num_nodes=6)))
    return Batch.from_data_list(graphs)


def test_lap_pe_separates_graphs_that_1wl_cannot():
    """Two disjoint triangles and a 6-cycle: 2-regular, so 1-WL (and edge-restricted
    attention on equal features) cannot tell them apart; their Laplacian spectra differ."""
    b = _two_triangles_and_hexagon()
    for pe in (None, "lap"):
        torch.manual_seed(0)
        model = GraphTransformer(1, 16, 1, 3, heads=2, pe=pe, pe_dim=4 if pe else None).double().eval()
        with torch.no_grad():
            emb = model.embed(b.x, b.edge_index, b.batch, pe=b.lap_pe if pe else None, num_graphs=2)
        gap = float((emb[0] - emb[1]).abs().max())
        if pe is None:
            assert gap < 1e-10, gap
        else:
            assert gap > 1e-3, gap


# ----------------------------------------------------------------------------- training loop


def test_trains_with_train_graph_predictor():
    from graphlearn.train import train_graph_predictor

    graphs = [_molecule(int(n), i) for i, n in enumerate(torch.randint(3, 9, (24,),
                                                                       generator=torch.Generator().manual_seed(0)))]
    split = {"train": graphs[:16], "valid": graphs[16:20], "test": graphs[20:]}
    torch.manual_seed(0)
    model = GraphTransformer(None, 16, 1, 2, heads=2, input="ogb_mol", edge_dim="ogb_mol", pe="lap", pe_dim=4)
    fit = train_graph_predictor(model, split=split, metric="rmse", epochs=2, batch_size=8, seed=0,
                                forward=GraphTransformer.forward_batch, progress=False)
    assert fit.epochs == 2 and fit.best["test_rmse"] > 0
    with pytest.raises(ValueError, match="forward=GraphTransformer.forward_batch"):
        train_graph_predictor(model, split=split, metric="rmse", epochs=1, progress=False)  # default call


def test_registered_in_resolver():
    assert resolver.lookup("model", "graph_transformer") is GraphTransformer
    assert "graphtransformer" in resolver.available("model")


# ----------------------------------------------------------------------------- errors


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(in_channels=None), ValueError, "input='linear' needs in_channels"),
    (dict(in_channels=4, input="ogb_mol"), ValueError, "in_channels must be None or 9"),
    (dict(task="link"), ValueError, "task must be one of"),
    (dict(layer="gat"), ValueError, "layer must be one of"),
    (dict(readout="median"), ValueError, "readout must be one of"),
    (dict(pe="spd"), ValueError, "pe must be one of"),
    (dict(hidden_channels=10, heads=4), ValueError, "divisible by heads"),
    (dict(pe_dim=8), ValueError, "pe_dim=8 given but pe=None"),
    (dict(pe="lap", pe_mode="cat", pe_channels=16), ValueError, "pe_channels must be smaller"),
    (dict(pe="lap", pe_channels=4), ValueError, "applies to pe_mode='cat'"),
    (dict(task="edge", edge_readout="stream"), ValueError, "only layer='gt' with edge features"),
    (dict(edge_readout="cat"), ValueError, "applies to task='edge'"),
    (dict(edge_dim="bond"), ValueError, "edge_dim must be None, an integer >= 1 or 'ogb_mol'"),
    (dict(num_layers=0), ValueError, "num_layers"),
    (dict(dropout=1.0), ValueError, "dropout"),
    (dict(layer_options=[1]), TypeError, "layer_options"),
])
def test_bad_arguments(kwargs, error, message):
    args = dict(in_channels=4, hidden_channels=16, out_channels=1, num_layers=2, heads=2)
    args.update(kwargs)
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        GraphTransformer(**args)


def test_bad_inputs():
    b = _batch()
    model = _mol_model("gt", pe="lap", pe_dim=4)
    with pytest.raises(ValueError, match="needs edge_attr.*forward_batch"):
        model(b.x, b.edge_index, b.batch, pe=b.lap_pe)
    with pytest.raises(ValueError, match=r"needs pe, the \[N, 4\] positional encoding"):
        model(b.x, b.edge_index, b.batch, b.edge_attr)
    with pytest.raises(ValueError, match=r"pe must have shape \[17, 4\]"):
        model(b.x, b.edge_index, b.batch, b.edge_attr, b.lap_pe[:, :3])
    bad = b.x.clone()
    bad[2, 1] = 5
    with pytest.raises(ValueError, match=r"x\[2, 1\] = 5 is not a category of OGB's feature 1"):
        model(bad, b.edge_index, b.batch, b.edge_attr, b.lap_pe)
    with pytest.raises(TypeError, match="integer category ids"):
        model(b.x.float(), b.edge_index, b.batch, b.edge_attr, b.lap_pe)
    with pytest.raises(ValueError, match=r"edge_attr has 20 rows but the graph has \d+ edges"):
        model(b.x, b.edge_index, b.batch, b.edge_attr[:20], b.lap_pe)
    with pytest.raises(ValueError, match=r"batch must have shape \[17\]"):
        model(b.x, b.edge_index, b.batch[:-1], b.edge_attr, b.lap_pe)
    with pytest.raises(ValueError, match="outside"):
        model(b.x, b.edge_index, b.batch, b.edge_attr, b.lap_pe, num_graphs=2)
    no_pe = b.clone()
    del no_pe.lap_pe
    with pytest.raises(ValueError, match="no 'lap_pe' attribute.*precompute"):
        model.forward_batch(no_pe)
    with pytest.raises(ValueError, match="pairs apply to task='edge'"):
        model(b.x, b.edge_index, b.batch, b.edge_attr, b.lap_pe, pairs=torch.tensor([[0], [1]]))
    plain = GraphTransformer(9, 16, 1, 1, heads=2)
    with pytest.raises(ValueError, match="built without edge_dim"):
        plain(b.x, b.edge_index, b.batch, b.edge_attr)
    with pytest.raises(ValueError, match="built with pe=None"):
        plain(b.x, b.edge_index, b.batch, pe=b.lap_pe)
    with pytest.raises(ValueError, match=r"x must have shape \[N, 9\]"):
        plain(b.x[:, :4].float(), b.edge_index, b.batch)
    with pytest.raises(TypeError, match="graph_pool: h must be"):
        graph_pool(torch.ones(3, dtype=torch.long))


@pytest.mark.parametrize("layer,module", [("gps", "gps"), ("gin", "gin_conv")])
def test_missing_layer_module_is_a_clear_error(monkeypatch, layer, module):
    """Where the GPS / GIN layer modules are absent, building such a model says so."""
    monkeypatch.setitem(sys.modules, f"graphlearn.nn.conv.{module}", None)  # makes the import fail
    with pytest.raises(NotImplementedError, match=f"needs graphlearn.nn.conv.{module}"):
        GraphTransformer(4, 16, 1, 2, heads=2, layer=layer)
