"""NCN / NCNC (graphlearn.nn.models.ncn): against dense brute force, sampling, training."""
import pytest
import torch

from graphlearn.nn import NCN, NCNC, NCNCPredictor, NCNEncoder, NCNPredictor, resolver
from graphlearn.nn.models.ncn import drop_entries, sample_rows
from graphlearn.ops import common_neighbor_sets
from graphlearn.sparse import CSR


def _graph(n=40, m=160, seed=0):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, m), generator=g)
    adj = CSR.from_edge_index(ei, n, dedupe=True, symmetrize=True, self_loops="remove").with_value(None)
    dense = torch.zeros(n, n)
    dense[adj.row.long(), adj.col.long()] = 1
    return adj, dense


def _pairs(n, p=25, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, n, (2, p), generator=g)


def test_ncn_predictor_matches_dense_common_neighbour_sums():
    adj, A = _graph()
    torch.manual_seed(0)
    pred = NCNPredictor(8, feature_mlp=True, layer_norm=True).eval()
    h = torch.randn(40, 8)
    pairs = _pairs(40)
    got = pred(h, adj, pairs)
    hf = h + pred.xlin(h)
    xcn = (A[pairs[0]] * A[pairs[1]]) @ hf  # dense N(i) ∩ N(j) sums
    want = pred._logits(xcn, h[pairs[0]] * h[pairs[1]])
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    # the paper's concatenation
    cat = NCNPredictor(8, combine="cat").eval()
    want = cat.head(torch.cat([cat.cn_branch((A[pairs[0]] * A[pairs[1]]) @ h),
                               cat.pair_branch(h[pairs[0]] * h[pairs[1]])], 1)).view(-1)
    torch.testing.assert_close(cat(h, adj, pairs), want, rtol=1e-5, atol=1e-5)


def test_gae_ignores_the_graph_structure():
    adj, _ = _graph()
    other, _ = _graph(seed=5)
    torch.manual_seed(0)
    gae = NCNPredictor(8, use_cn=False).eval()
    h, pairs = torch.randn(40, 8), _pairs(40)
    torch.testing.assert_close(gae(h, adj, pairs), gae(h, other, pairs))
    assert gae.cn_branch is None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_ncnc_matches_dense_completion(dtype):
    adj, A = _graph()
    A = A.to(dtype)
    torch.manual_seed(0)
    pred = NCNCPredictor(8, feature_mlp=True, prob_scale=4.3, prob_offset=2.8, pt=0.75, alpha=0.9).to(dtype).eval()
    h = torch.randn(40, 8, dtype=dtype)
    pairs = _pairs(40)
    got = pred(h, adj, pairs)
    hf = h + pred.xlin(h)
    n = 40

    def ncn_logits(src, dst):  # depth 0 on the transformed representations (the authors' recursion)
        hff = hf + pred.xlin(hf)
        return pred._logits((A[src] * A[dst]) @ hff, hf[src] * hf[dst])

    want_xcn = []
    for i, j in pairs.t().tolist():
        s = (A[i] * A[j]) @ hf
        for u in range(n):
            if A[i, u] and not A[j, u]:  # u in N(i) \ N(j): weight p(j, u)
                s = s + pred.calibrate(ncn_logits(torch.tensor([j]), torch.tensor([u])))[0] * hf[u]
            if A[j, u] and not A[i, u]:  # u in N(j) \ N(i): weight p(i, u)
                s = s + pred.calibrate(ncn_logits(torch.tensor([i]), torch.tensor([u])))[0] * hf[u]
        want_xcn.append(s)
    want = pred._logits(torch.stack(want_xcn), h[pairs[0]] * h[pairs[1]])
    tol = 1e-4 if dtype == torch.float32 else 1e-10
    torch.testing.assert_close(got, want, rtol=tol, atol=tol)
    # depth 0 is NCN; chunked completion is the same
    ncn = NCNPredictor(8, feature_mlp=True).to(dtype).eval()
    ncn.load_state_dict({k: v for k, v in pred.state_dict().items() if not k.startswith("pt_mlp")})
    torch.testing.assert_close(pred(h, adj, pairs, depth=0), ncn(h, adj, pairs))
    pred.completion_batch = 7
    torch.testing.assert_close(pred(h, adj, pairs), got)


def test_calibration_formula():
    pred = NCNCPredictor(4, prob_scale=2.0, prob_offset=1.0, pt=0.25, alpha=0.5)
    z = torch.tensor([-3.0, 0.0, 1.0, 5.0])
    p0 = torch.sigmoid(2.0 * (z - 1.0))
    torch.testing.assert_close(pred.calibrate(z), 0.5 * 0.25 * p0 / (0.25 * p0 + 1 - p0))


def test_sample_rows_caps_and_is_unbiased():
    adj, A = _graph(n=30, m=400)
    pairs = _pairs(30, 40)
    sets = common_neighbor_sets(adj, pairs)
    count = sets.degree()
    assert int(count.max()) > 3
    members = (A[pairs[0]] * A[pairs[1]]).double()
    g = torch.Generator().manual_seed(0)
    draws, total = 4000, torch.zeros(40, 30, dtype=torch.float64)
    for _ in range(draws):
        s = sample_rows(sets, 3, g)
        assert (s.degree() == torch.clamp(count, max=3)).all() and s.is_sorted
        # every row's weights add up to its set size: the estimate of a sum of ones is exact
        torch.testing.assert_close(torch.zeros(40).index_add_(0, s.row.long(), s.value), count.float())
        total.index_put_((s.row.long(), s.col.long()), s.value.double(), accumulate=True)
    # each member's mean weight is 1 (unbiased); its per-draw variance is about count / cap
    sigma = (count.double().clamp(min=3) / 3 / draws).sqrt().unsqueeze(1)
    assert ((total / draws - members).abs() <= 5 * sigma).all()
    assert (total[members == 0] == 0).all()
    # rows under the cap are kept whole
    whole = sample_rows(sets, int(count.max()), g)
    assert torch.equal(whole.col, sets.col) and torch.equal(whole.rowptr.long(), sets.rowptr.long())


def test_degree_cap_is_deterministic_in_eval_and_random_in_training():
    adj, _ = _graph(n=30, m=400)
    torch.manual_seed(0)
    pred = NCNPredictor(8, cn_max_degree=2)
    h, pairs = torch.randn(30, 8), _pairs(30, 40)
    pred.eval()
    torch.testing.assert_close(pred(h, adj, pairs), pred(h, adj, pairs))
    pred.train()
    pred.dropout = 0.0
    for m in pred.modules():
        if isinstance(m, torch.nn.Dropout):
            m.p = 0.0
    assert not torch.equal(pred(h, adj, pairs), pred(h, adj, pairs))


def test_a_cap_above_every_set_size_changes_nothing():
    adj, _ = _graph()
    torch.manual_seed(0)
    h, pairs = torch.randn(40, 8), _pairs(40)
    for cls, kw in ((NCNPredictor, dict(cn_max_degree=10**6)),
                    (NCNCPredictor, dict(cn_max_degree=10**6, test_max_degree=10**6))):
        torch.manual_seed(0)
        capped = cls(8, **kw).eval()
        torch.manual_seed(0)
        plain = cls(8).eval()
        torch.testing.assert_close(capped(h, adj, pairs), plain(h, adj, pairs))


def test_drop_entries():
    adj, _ = _graph()
    assert drop_entries(adj, 0.0) is adj
    g = torch.Generator().manual_seed(0)
    out = drop_entries(adj, 0.5, g)
    assert 0.3 * adj.nnz < out.nnz < 0.7 * adj.nnz
    assert out.is_sorted and torch.all(out.value == 2.0)
    kept = set(zip(out.row.tolist(), out.col.tolist()))
    assert kept <= set(zip(adj.row.tolist(), adj.col.tolist()))


def test_encoder_propagations_match_dense():
    adj, A = _graph()
    x = torch.randn(40, 6)
    deg = A.sum(1, keepdim=True)
    for conv, formula in [("puregcn", lambda h: (A + torch.eye(40)) @ (h / (1 + deg).sqrt()) / (1 + deg).sqrt()),
                          ("puresum", lambda h: A @ h),
                          ("puremean", lambda h: A @ h / deg.clamp(min=1))]:
        torch.manual_seed(0)
        enc = NCNEncoder(6, 8, conv=conv).eval()
        torch.testing.assert_close(enc(x, adj), formula(enc.input_lin(x)), rtol=1e-5, atol=1e-5)
    enc = NCNEncoder(6, 8, num_layers=2, conv="gcn", layer_norm=True, residual=True, jk=True)
    assert enc(x, adj).shape == (40, 8)


def test_encoder_embeddings_with_and_without_features():
    adj, _ = _graph()
    torch.manual_seed(0)
    enc = NCNEncoder(None, 8, conv="puresum", num_embeddings=40).eval()
    torch.testing.assert_close(enc(None, adj), adj.to_torch().to_dense() @ enc.embedding.weight)
    both = NCNEncoder(6, 8, conv="puresum", num_embeddings=40).eval()
    x = torch.randn(40, 6)
    torch.testing.assert_close(both(x, adj), adj.to_torch().to_dense() @ (both.input_lin(x) + both.embedding.weight),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="needs num_embeddings"):
        NCNEncoder(None, 8)
    with pytest.raises(ValueError, match="41 x 41 CSR, but num_nodes=40"):
        enc(None, CSR.from_edge_index(torch.tensor([[0], [40]]), 41, symmetrize=True))
    with pytest.raises(ValueError, match=r"x must be \[N, 6\]"):
        both(torch.randn(40, 5), adj)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="NCNEncoder: conv must be one of"):
        NCNEncoder(4, 8, conv="gat")
    with pytest.raises(ValueError, match=r"NCNPredictor: dropout must be a number in \[0, 1\)"):
        NCNPredictor(8, dropout=1.0)
    with pytest.raises(TypeError, match="NCNPredictor: layer_norm must be True or False"):
        NCNPredictor(8, layer_norm="yes")
    with pytest.raises(ValueError, match="NCNCPredictor: pt must be a number in"):
        NCNCPredictor(8, pt=1.5)
    with pytest.raises(ValueError, match="NCN: predictor must be one of"):
        NCN(4, 8, predictor="seal")
    pred = NCNPredictor(8)
    adj, _ = _graph()
    with pytest.raises(ValueError, match=r"h must be \[N, 8\]"):
        pred(torch.randn(40, 7), adj, _pairs(40))
    with pytest.raises(ValueError, match=r"pairs\[1, 0\] = 40 is not a node id in \[0, 40\)"):
        pred(torch.randn(40, 8), adj, torch.tensor([[0], [40]]))


def test_models_and_resolver():
    adj, _ = _graph()
    x, pairs = torch.randn(40, 6), _pairs(40)
    for name in ("ncn", "ncnc"):
        model = resolver.resolve("model", name, in_channels=6, hidden_channels=8)
        out = model(x, adj, pairs)
        assert out.shape == (25,)
        out.sum().backward()
        assert model.encoder.input_lin.weight.grad.abs().sum() > 0
    gae = NCN(6, 8, predictor="gae")
    assert gae.kind == "gae" and gae(x, adj, pairs).shape == (25,)
    two_stage = NCN.from_modules(NCN(6, 8).encoder, NCNCPredictor(8))
    assert two_stage.kind == "ncnc" and isinstance(NCNC(6, 8).predictor, NCNCPredictor)
    assert two_stage(x, adj, pairs).shape == (25,)


# ------------------------------------------------------- the same functions with less work

def test_common_neighbour_mlp_shares_the_zero_rows():
    torch.manual_seed(0)
    pred = NCNPredictor(16, dropout=0.3, layer_norm=True).eval()
    xcn = torch.randn(50, 16)
    xcn[torch.rand(50) < 0.7] = 0
    torch.testing.assert_close(pred._cn_branch(xcn), pred.cn_branch(xcn), rtol=1e-6, atol=1e-6)
    # gradients too (eval mode with autograd)
    grads = []
    for fn in (pred._cn_branch, pred.cn_branch):
        pred.zero_grad()
        (fn(xcn) ** 2).sum().backward()
        grads.append([p.grad.clone() for p in pred.cn_branch.parameters()])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    # with dropout in training every row keeps its own draw
    pred.train()
    out = pred._cn_branch(torch.zeros(400, 16))
    assert not torch.allclose(out[0], out[1])


def _sparse_graph(n=400, m=500, seed=3):
    g = torch.Generator().manual_seed(seed)
    adj = CSR.from_edge_index(torch.randint(0, n, (2, m), generator=g), n, dedupe=True, symmetrize=True,
                              self_loops="remove").with_value(None)
    dense = torch.zeros(n, n)
    dense[adj.row.long(), adj.col.long()] = 1
    return adj, dense


@pytest.mark.parametrize("training", [False, True])
def test_feature_mlp_only_on_common_neighbours_is_the_same_function(training):
    adj, A = _sparse_graph()
    pairs = torch.stack([adj.row[:30].long(), adj.col[:30].long()])  # linked pairs: some common neighbours
    torch.manual_seed(0)
    pred = NCNPredictor(8, feature_mlp=True, layer_norm=True).train(training)  # dropout 0: deterministic
    h = torch.randn(400, 8, requires_grad=True)
    sets = common_neighbor_sets(adj, pairs)
    assert 0 < sets.col.unique().numel() <= 200  # the restricted path is taken
    got = pred(h, adj, pairs)
    xcn = (A[pairs[0]] * A[pairs[1]]) @ (h + pred.xlin(h))
    want = pred._logits(xcn, h[pairs[0]] * h[pairs[1]])
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    g1 = torch.autograd.grad(got.sum(), [h] + list(pred.parameters()), allow_unused=True)
    g2 = torch.autograd.grad(want.sum(), [h] + list(pred.parameters()), allow_unused=True)
    for a, b in zip(g1, g2):
        if a is None or b is None:
            assert a is None and b is None or float((a if a is not None else b).abs().max()) == 0
        else:
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_pairs_without_common_neighbours_score_like_brute_force():
    adj, A = _sparse_graph()
    torch.manual_seed(0)
    pred = NCNCPredictor(8, feature_mlp=True, layer_norm=True).eval()
    h = torch.randn(400, 8)
    pairs = _pairs(400, 60)  # random pairs: mostly no common neighbour
    assert int((A[pairs[0]] * A[pairs[1]]).sum(1).eq(0).sum()) > 30
    ncn = NCNPredictor(8, feature_mlp=True, layer_norm=True).eval()
    ncn.load_state_dict({k: v for k, v in pred.state_dict().items() if not k.startswith("pt_mlp")})
    hf = h + ncn.xlin(h)
    want = ncn.head(ncn.cn_branch((A[pairs[0]] * A[pairs[1]]) @ hf) * ncn.beta
                    + ncn.pair_branch(h[pairs[0]] * h[pairs[1]])).view(-1)
    torch.testing.assert_close(ncn(h, adj, pairs), want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(pred(h, adj, pairs, depth=0), want, rtol=1e-5, atol=1e-5)


def test_sparse_input_is_the_dense_function():
    torch.manual_seed(0)
    adj, _ = _graph()
    x = (torch.rand(40, 30) < 0.05).float() * torch.rand(40, 30)
    enc = NCNEncoder(30, 8, input_dropout=0.5, dropout=0.0).eval()
    dense = NCNEncoder(30, 8, input_dropout=0.5, dropout=0.0, sparse_input=False).eval()
    dense.load_state_dict(enc.state_dict())
    got, want = enc(x, adj), dense(x, adj)
    assert enc._x_cache[2] is not None and dense._x_cache is None
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
    g1 = torch.autograd.grad(got.pow(2).sum(), list(enc.parameters()))
    g2 = torch.autograd.grad(want.pow(2).sum(), list(dense.parameters()))
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    # training: input dropout draws only for the non-zeros, zeros stay zero
    enc.train()
    torch.manual_seed(1)
    outs = torch.stack([enc(x, adj) for _ in range(300)]).mean(0)
    torch.testing.assert_close(outs, want, rtol=0.1, atol=0.1)


def test_sparse_input_cache_follows_the_tensor():
    torch.manual_seed(0)
    adj, _ = _graph()
    x = (torch.rand(40, 30) < 0.05).float()
    enc = NCNEncoder(30, 8).eval()
    dense = NCNEncoder(30, 8, sparse_input=False).eval()
    dense.load_state_dict(enc.state_dict())
    enc(x, adj)
    first = enc._x_cache[2]
    enc(x, adj)
    assert enc._x_cache[2] is first  # reused
    x[0, :] = 1.0  # in place: rebuilt
    torch.testing.assert_close(enc(x, adj), dense(x, adj), rtol=1e-6, atol=1e-6)
    assert enc._x_cache[2] is not first
    y = x.clone()
    torch.testing.assert_close(enc(y, adj), dense(y, adj), rtol=1e-6, atol=1e-6)
    # dense features stay dense under the automatic choice; features that need grad too
    full = torch.rand(40, 30)
    enc(full, adj)
    assert enc._x_cache[2] is None
    xg = x.clone().requires_grad_()
    enc(xg, adj).sum().backward()
    assert xg.grad is not None and xg.grad.abs().sum() > 0
    # forced sparse on dense features is still the same function
    forced = NCNEncoder(30, 8, sparse_input=True).eval()
    forced.load_state_dict(enc.state_dict())
    torch.testing.assert_close(forced(full, adj), dense(full, adj), rtol=1e-5, atol=1e-5)
    # all-zero features: the bias only
    torch.testing.assert_close(enc(torch.zeros(40, 30), adj), dense(torch.zeros(40, 30), adj))


def test_encoder_with_a_cache_pickles_and_copies(tmp_path):
    import copy
    import pickle

    adj, _ = _graph()
    x = (torch.rand(40, 30) < 0.05).float()
    model = NCN(30, 8)
    model.eval()
    model.encode(x, adj)
    assert model.encoder._x_cache is not None
    clone = pickle.loads(pickle.dumps(model))
    assert clone.encoder._x_cache is None
    torch.testing.assert_close(clone.encode(x, adj), model.encode(x, adj))
    torch.save(model, tmp_path / "m.pt")
    torch.testing.assert_close(copy.deepcopy(model).encode(x, adj), model.encode(x, adj))
    with pytest.raises(TypeError, match="NCNEncoder: sparse_input must be True or False"):
        NCNEncoder(30, 8, sparse_input="yes")


def test_ncnc_lower_level_drops_edges_again_in_training(monkeypatch):
    import graphlearn.nn.models.ncn as ncn_module

    adj, _ = _graph()
    calls = []
    real = ncn_module.drop_entries

    def counting(a, p, generator=None):
        calls.append(a.nnz)
        return real(a, p, generator)

    monkeypatch.setattr(ncn_module, "drop_entries", counting)
    torch.manual_seed(0)
    pred = NCNCPredictor(8, feature_mlp=True, edge_dropout=0.5, completion_batch=10)
    h, pairs = torch.randn(40, 8), _pairs(40)
    pred.train()
    pred(h, adj, pairs)
    # the top-level drop, then one per completion chunk of each difference side, each on
    # the graph already dropped once (fewer entries than the input)
    assert len(calls) >= 3 and calls[0] == adj.nnz and all(c < adj.nnz for c in calls[1:])
    calls.clear()
    pred.eval()
    pred(h, adj, pairs)
    assert calls == []
