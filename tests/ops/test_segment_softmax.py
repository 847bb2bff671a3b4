"""Segment softmax (graphlearn.ops.segment_softmax, csrc/ops/segment_softmax.cpp,
csrc/ops/cpu/segment_softmax_kernel.cpp) against its reference, alone and inside an
attention layer (SDDMM -> segment softmax -> SpMM)."""
import pytest
import torch

from graphlearn import CSR, ops
from graphlearn.ops import reference
from tests.conftest import FLOATS, big_csr, messy_csr, num_threads, tol


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("heads", [None, 4])
def test_segment_softmax_matches_reference(dtype, heads):
    adj = messy_csr(index_dtype=torch.int32)
    shape = (adj.nnz,) if heads is None else (adj.nnz, heads)
    s = torch.randn(shape, dtype=dtype) * 10
    out = ops.segment_softmax(adj, s)
    torch.testing.assert_close(out, reference.segment_softmax(adj, s), **tol(dtype))
    row_sum = torch.zeros((adj.num_rows,) + shape[1:], dtype=dtype).index_add_(0, adj.row, out)
    nonempty = adj.degree() > 0
    torch.testing.assert_close(row_sum[nonempty], torch.ones_like(row_sum[nonempty]), **tol(dtype))


def test_segment_softmax_is_stable_and_handles_inf():
    adj = CSR.from_edge_index(torch.tensor([[0, 0, 1, 1], [0, 1, 0, 1]]), 2)
    s = torch.tensor([1000.0, 1001.0, float("-inf"), float("-inf")])
    out = ops.segment_softmax(adj, s)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out[:2], torch.softmax(torch.tensor([0.0, 1.0]), 0))
    assert out[2:].tolist() == [0.0, 0.0]
    torch.testing.assert_close(out, reference.segment_softmax(adj, s))


@pytest.mark.parametrize("heads", [None, 2])
def test_segment_softmax_gradcheck(heads):
    adj = messy_csr(20, 80)
    shape = (adj.nnz,) if heads is None else (adj.nnz, heads)
    s = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda s: ops.segment_softmax(adj, s), (s,))


def test_attention_layer_composition_gradcheck():
    """SDDMM -> softmax -> SpMM with per-head weights: one attention layer."""
    adj = messy_csr(20, 80)
    q = torch.randn(adj.num_rows, 2, 3, dtype=torch.float64, requires_grad=True)
    k = torch.randn(adj.num_cols, 2, 3, dtype=torch.float64, requires_grad=True)
    v = torch.randn(adj.num_cols, 2, 3, dtype=torch.float64, requires_grad=True)

    def layer(q, k, v):
        return ops.spmm(adj.with_value(ops.segment_softmax(adj, ops.sddmm(adj, q, k))), v)

    def ref(q, k, v):
        return reference.spmm(adj.with_value(reference.segment_softmax(adj, reference.sddmm(adj, q, k))), v)

    torch.testing.assert_close(layer(q, k, v), ref(q, k, v))
    assert torch.autograd.gradcheck(layer, (q, k, v))


def test_sddmm_softmax_same_result_on_1_and_2_threads():
    adj = big_csr()
    a = torch.randn(adj.num_rows, 4, 8, requires_grad=True)
    b = torch.randn(adj.num_cols, 4, 8, requires_grad=True)
    res = []
    for n in (1, 2):
        with num_threads(n):
            s = ops.segment_softmax(adj, ops.sddmm(adj, a, b))
            res.append((s, *torch.autograd.grad(s, (a, b), torch.ones_like(s) * torch.arange(4.0))))
    for x, y in zip(*res):
        assert torch.equal(x, y)


def test_segment_softmax_rejects_bad_input():
    adj = messy_csr()
    with pytest.raises(ValueError, match="entries but the adjacency stores"):
        ops.segment_softmax(adj, torch.randn(adj.nnz + 1))
    with pytest.raises(TypeError, match="float32 or float64"):
        ops.segment_softmax(adj, torch.ones(adj.nnz, dtype=torch.long))
    with pytest.raises(RuntimeError, match="must equal the number of stored entries"):
        torch.ops.graphlearn.segment_softmax(adj.rowptr, torch.randn(adj.nnz - 1))
