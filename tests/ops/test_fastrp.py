"""The FastRP ops (graphlearn.ops.fastrp, csrc/ops/fastrp.cpp, csrc/ops/cpu/fastrp_kernel.cpp):
the random matrix (bit for bit) and the fused propagation step (float32) against their
references, independence of the thread count, and bad input."""
import math

import pytest
import torch

from graphlearn import ops
from graphlearn.ops import reference
from tests.conftest import big_csr, messy_csr, num_threads


# ----------------------------------------------------------------- fastrp_random

@pytest.mark.parametrize("s", [1.0, 3.0, 17.5, 100.0])
def test_random_matches_reference_bitwise(s):
    keys = torch.cat([torch.arange(50), torch.tensor([-5, 2**62, -(2**63)])])
    scale = torch.rand(keys.numel()) + 0.5
    assert torch.equal(ops.fastrp_random(keys, 33, s, seed=11, row_scale=scale),
                       reference.fastrp_random(keys, 33, s, 11, scale))


def test_random_distribution():
    s, d = 9.0, 64
    r = ops.fastrp_random(torch.arange(20000), d, s, seed=3)
    mag = math.sqrt(s / d)
    vals = torch.unique(r)
    assert set(vals.tolist()) == {-mag, 0.0, mag} or torch.allclose(vals, torch.tensor([-mag, 0.0, mag]))
    pos, neg = (r > 0).float().mean().item(), (r < 0).float().mean().item()
    assert abs(pos - 1 / (2 * s)) < 0.002 and abs(neg - 1 / (2 * s)) < 0.002
    # E[R^T R] / n = I (the projection preserves norms in expectation)
    gram = (r.T @ r) / r.size(0) * d
    assert torch.allclose(torch.diagonal(gram), torch.ones(d), atol=0.1)


def test_random_rows_depend_only_on_seed_and_key():
    keys = torch.randint(0, 10**9, (3000,))
    full = ops.fastrp_random(keys, 16, 3.0, seed=5)
    perm = torch.randperm(keys.numel())
    assert torch.equal(ops.fastrp_random(keys[perm], 16, 3.0, seed=5), full[perm])
    with num_threads(1):
        assert torch.equal(ops.fastrp_random(keys, 16, 3.0, seed=5), full)
    assert not torch.equal(ops.fastrp_random(keys, 16, 3.0, seed=6), full)


def test_random_same_result_on_1_and_2_threads():
    keys = torch.arange(20000) * 7919
    scale = torch.rand(keys.numel())
    res = []
    for n in (1, 2):
        with num_threads(n):
            res.append(ops.fastrp_random(keys, 64, 3.0, seed=9, row_scale=scale))
    assert res[0].dtype == torch.float32 and torch.equal(res[0], res[1])


def test_random_bad_input():
    with pytest.raises(ValueError, match="dim"):
        ops.fastrp_random(torch.arange(3), 0, 3.0)
    with pytest.raises(ValueError, match="s \\(1 / density\\)"):
        ops.fastrp_random(torch.arange(3), 4, 0.5)
    with pytest.raises(TypeError, match="keys"):  # a wrong dtype is a TypeError
        ops.fastrp_random(torch.rand(3), 4, 3.0)
    with pytest.raises(ValueError, match="row_scale"):
        ops.fastrp_random(torch.arange(3), 4, 3.0, row_scale=torch.tensor([1.0, float("nan"), 1.0]))


# ------------------------------------------------------------------- fastrp_step

@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("mean", [False, True])
@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("weight", [0.0, 1.5])
def test_step_matches_reference(weighted, mean, normalize, weight):
    adj = messy_csr(80, 500, seed=2, weighted=weighted, dtype=torch.float32)
    x = torch.randn(80, 24)
    acc0 = torch.randn(80, 24)
    acc, acc_ref = acc0.clone(), acc0.clone()
    out = ops.fastrp_step(adj, x, acc, weight, mean=mean, normalize=normalize)
    out_ref = reference.fastrp_step(adj, x, acc_ref, weight, mean, normalize)
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(acc, acc_ref, rtol=1e-5, atol=1e-5)
    empty = adj.degree(0) == 0
    assert empty.any() and torch.equal(out[empty], torch.zeros_like(out[empty]))
    assert torch.equal(acc[empty], acc0[empty])


def test_step_thread_independent():
    adj = big_csr(seed=4)
    x = torch.randn(adj.num_cols, 32)
    results = []
    for t in (1, 2):
        with num_threads(t):
            acc = torch.zeros(adj.num_rows, 32)
            out = ops.fastrp_step(adj, x, acc, 2.0, mean=True, normalize=True)
            results.append((out, acc))
    assert torch.equal(results[0][0], results[1][0]) and torch.equal(results[0][1], results[1][1])


def test_step_bad_input():
    adj = messy_csr(10, 30, seed=0)
    with pytest.raises(TypeError, match="x must be a 2-D float32"):
        ops.fastrp_step(adj, torch.randn(10, 4, dtype=torch.float64), torch.zeros(10, 4))
    with pytest.raises(ValueError, match="acc must be contiguous"):
        ops.fastrp_step(adj, torch.randn(10, 4), torch.zeros(10, 5))
    with pytest.raises(ValueError, match="rows"):
        ops.fastrp_step(adj, torch.randn(9, 4), torch.zeros(10, 4))


@pytest.mark.parametrize("keep_out", [True, False])
@pytest.mark.parametrize("normalize", [False, True])
def test_step_acc_scale_and_keep_out(keep_out, normalize):
    adj = messy_csr(60, 400, seed=5, weighted=True, dtype=torch.float32)
    x = torch.randn(60, 20)
    scale = torch.randn(60)
    scale[::7] = 0.0
    acc = torch.full((60, 20), float("nan"))  # uninitialised: every row is overwritten
    acc_ref = torch.empty(60, 20)
    out = ops.fastrp_step(adj, x, acc, 1.5, mean=True, normalize=normalize, acc_scale=scale, keep_out=keep_out)
    out_ref = reference.fastrp_step(adj, x, acc_ref, 1.5, True, normalize, acc_scale=scale, keep_out=keep_out)
    assert out.shape == ((60, 20) if keep_out else (0, 20)) and out.shape == out_ref.shape
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(acc, acc_ref, rtol=1e-5, atol=1e-5)
    plain = reference.fastrp_step(adj, x, None, 0.0, True, False)  # A x, row-averaged
    term = torch.nn.functional.normalize(plain, dim=1) if normalize else plain
    torch.testing.assert_close(acc, scale[:, None] * x + 1.5 * term, rtol=1e-5, atol=1e-5)  # NaN rows overwritten


def test_step_without_acc():
    adj = messy_csr(30, 100, seed=1, dtype=torch.float32)
    x = torch.randn(30, 8)
    out = ops.fastrp_step(adj, x, None, 0.0, mean=False, normalize=False)
    torch.testing.assert_close(out, reference.fastrp_step(adj, x, None, 0.0, False, False), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="acc is required"):
        ops.fastrp_step(adj, x, None, 1.0)
    with pytest.raises(ValueError, match="acc is required"):
        ops.fastrp_step(adj, x, None, 0.0, acc_scale=torch.ones(30))
    with pytest.raises(ValueError, match="acc_scale must be a float32 tensor of shape \\[30\\]"):
        ops.fastrp_step(adj, x, torch.zeros(30, 8), 1.0, acc_scale=torch.ones(29))
    with pytest.raises(ValueError, match="acc_scale must be a float32"):
        ops.fastrp_step(adj, x, torch.zeros(30, 8), 1.0, acc_scale=torch.ones(30, dtype=torch.float64))
