"""SDDMM (graphlearn.ops.sddmm, csrc/ops/sddmm.cpp, csrc/ops/cpu/sddmm_kernel.cpp) against its reference."""
import pytest
import torch

from graphlearn import ops
from graphlearn.ops import reference
from tests.conftest import FLOATS, INDEX, big_csr, messy_csr, num_threads, tol


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("index_dtype", INDEX)
@pytest.mark.parametrize("heads", [None, 1, 4])
def test_sddmm_matches_reference(dtype, index_dtype, heads):
    adj = messy_csr(50, 300, num_cols=40, index_dtype=index_dtype)
    shape = (9,) if heads is None else (heads, 9)
    a = torch.randn(adj.num_rows, *shape, dtype=dtype)
    b = torch.randn(adj.num_cols, *shape, dtype=dtype)
    out = ops.sddmm(adj, a, b)
    assert out.shape == ((adj.nnz,) if heads is None else (adj.nnz, heads))
    torch.testing.assert_close(out, reference.sddmm(adj, a, b), **tol(dtype))


@pytest.mark.parametrize("heads", [None, 3])
@pytest.mark.parametrize("index_dtype", INDEX)
def test_sddmm_gradcheck(heads, index_dtype):
    adj = messy_csr(25, 100, num_cols=20, index_dtype=index_dtype)
    shape = (5,) if heads is None else (heads, 5)
    a = torch.randn(adj.num_rows, *shape, dtype=torch.float64, requires_grad=True)
    b = torch.randn(adj.num_cols, *shape, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: ops.sddmm(adj, a, b), (a, b))


def test_sddmm_rejects_bad_input():
    adj = messy_csr()
    a = torch.randn(adj.num_rows, 4)
    with pytest.raises(ValueError, match="agree in dtype"):
        ops.sddmm(adj, a, torch.randn(adj.num_cols, 5))
    with pytest.raises(ValueError, match="rows but the adjacency has"):
        ops.sddmm(adj, torch.randn(3, 4), a)
    with pytest.raises(RuntimeError, match="one row per CSR row"):
        torch.ops.graphlearn.sddmm(adj.rowptr, adj.col, torch.randn(3, 4), a)
    with pytest.raises(RuntimeError, match="out of range"):
        torch.ops.graphlearn.sddmm(adj.rowptr, adj.col, a, torch.randn(2, 4))


def test_sddmm_same_result_on_1_and_2_threads():
    adj = big_csr()
    a = torch.randn(adj.num_rows, 4, 8, requires_grad=True)
    b = torch.randn(adj.num_cols, 4, 8, requires_grad=True)
    grad = torch.randn(adj.nnz, 4, generator=torch.Generator().manual_seed(0))
    res = []
    for n in (1, 2):
        with num_threads(n):
            s = ops.sddmm(adj, a, b)
            res.append((s, *torch.autograd.grad(s, (a, b), grad)))
    for x, y in zip(*res):
        assert torch.equal(x, y)
