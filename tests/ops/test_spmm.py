import pytest
import torch

from graphlearn import CSR, ops
from graphlearn.ops import reference
from tests.conftest import FLOATS, INDEX, big_csr, messy_csr, num_threads, tol

REDUCES = ["sum", "mean", "max", "min"]


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("index_dtype", INDEX)
@pytest.mark.parametrize("weighted", [False, True])
def test_spmm_matches_reference(reduce, dtype, index_dtype, weighted):
    adj = messy_csr(index_dtype=index_dtype, weighted=weighted, dtype=dtype)
    x = torch.randn(adj.num_cols, 13, dtype=dtype)
    out = ops.spmm(adj, x, reduce)
    torch.testing.assert_close(out, reference.spmm(adj, x, reduce), **tol(dtype))
    empty = adj.degree() == 0
    assert empty.any(), "fixture must contain empty rows"
    assert (out[empty] == 0).all()


@pytest.mark.parametrize("reduce", REDUCES)
def test_spmm_backward_matches_reference(reduce):
    adj = messy_csr(weighted=True)
    x = torch.randn(adj.num_cols, 7, dtype=torch.float64, requires_grad=True)
    v = adj.value.clone().requires_grad_()
    a = adj.with_value(v)
    g = torch.randn(adj.num_rows, 7, dtype=torch.float64)
    gx, gv = torch.autograd.grad(ops.spmm(a, x, reduce), (x, v), g)
    rx, rv = torch.autograd.grad(reference.spmm(a, x, reduce), (x, v), g)
    torch.testing.assert_close(gx, rx)
    torch.testing.assert_close(gv, rv)


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("index_dtype", INDEX)
def test_spmm_gradcheck(reduce, index_dtype):
    adj = messy_csr(30, 120, weighted=True, index_dtype=index_dtype)
    x = torch.randn(adj.num_cols, 4, dtype=torch.float64, requires_grad=True)
    v = adj.value.clone().requires_grad_()
    # max/min are piecewise linear: distinct values keep gradcheck away from ties
    assert torch.autograd.gradcheck(lambda x, v: ops.spmm(adj.with_value(v), x, reduce), (x, v))


def test_spmm_gradcheck_without_cached_transpose():
    adj = messy_csr(30, 120)
    x = torch.randn(adj.num_cols, 3, dtype=torch.float64, requires_grad=True)
    f = lambda x: torch.ops.graphlearn.spmm(adj.rowptr, adj.col, None, x, "sum")[0]
    assert torch.autograd.gradcheck(f, (x,))


@pytest.mark.parametrize("reduce", REDUCES)
def test_spmm_heads(reduce):
    adj = messy_csr(weighted=True, heads=3)
    x = torch.randn(adj.num_cols, 3, 5, dtype=torch.float64, requires_grad=True)
    out = ops.spmm(adj, x, reduce)
    assert out.shape == (adj.num_rows, 3, 5)
    torch.testing.assert_close(out, reference.spmm(adj, x, reduce))
    adj_small = messy_csr(20, 60, weighted=True, heads=2)
    x2 = torch.randn(adj_small.num_cols, 2, 3, dtype=torch.float64, requires_grad=True)
    v = adj_small.value.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda x, v: ops.spmm(adj_small.with_value(v), x, reduce), (x2, v))


def test_spmm_scalar_weight_broadcasts_over_heads():
    adj = messy_csr(weighted=True)
    x = torch.randn(adj.num_cols, 2, 4, dtype=torch.float64)
    torch.testing.assert_close(ops.spmm(adj, x), ops.spmm(adj, x.reshape(-1, 8)).reshape(-1, 2, 4))


def test_spmm_rectangular():
    adj = messy_csr(50, 300, num_cols=20, weighted=True)
    assert adj.shape == (50, 20)
    x = torch.randn(20, 6, dtype=torch.float64, requires_grad=True)
    out = ops.spmm(adj, x)
    torch.testing.assert_close(out, reference.spmm(adj, x))
    (gx,) = torch.autograd.grad(out.sum(), x)
    torch.testing.assert_close(gx, torch.autograd.grad(reference.spmm(adj, x).sum(), x)[0])


def test_spmm_duplicate_edges_count_twice():
    adj = CSR.from_edge_index(torch.tensor([[0, 0, 1], [1, 1, 0]]), 2)
    x = torch.tensor([[1.0], [10.0]])
    assert ops.spmm(adj, x).tolist() == [[20.0], [1.0]]
    assert ops.spmm(adj, x, "mean").tolist() == [[10.0], [1.0]]


def test_spmm_max_propagates_nan():
    adj = CSR.from_edge_index(torch.tensor([[0, 0], [0, 1]]), 2)
    x = torch.tensor([[float("nan")], [1.0]])
    assert torch.isnan(ops.spmm(adj, x, "max")[0, 0])
    assert torch.isnan(reference.spmm(adj, x, "max")[0, 0])


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("index_dtype", INDEX)
def test_spmm_same_result_on_1_and_2_threads(reduce, index_dtype):
    adj = big_csr(index_dtype=index_dtype)
    adj = adj.with_value(torch.rand(adj.nnz))
    x = torch.randn(adj.num_cols, 32, requires_grad=True)
    outs = []
    for n in (1, 2):
        with num_threads(n):
            out = ops.spmm(adj, x, reduce)
            (gx,) = torch.autograd.grad(out, x, torch.ones_like(out))
            outs.append((out, gx))
    assert torch.equal(outs[0][0], outs[1][0])
    assert torch.equal(outs[0][1], outs[1][1])


def test_spmm_high_degree_node():
    n = 5000
    ei = torch.stack([torch.zeros(n, dtype=torch.long), torch.arange(n)])
    adj = CSR.from_edge_index(ei, n)
    x = torch.randn(n, 16, dtype=torch.float64)
    torch.testing.assert_close(ops.spmm(adj, x)[0], x.sum(0))
    torch.testing.assert_close(ops.spmm(adj, x, "max")[0], x.max(0).values)


# ----------------------------------------------------------------- bad input


def test_spmm_rejects_bad_input():
    adj = messy_csr(weighted=True, dtype=torch.float32)
    x = torch.randn(adj.num_cols, 4)
    with pytest.raises(ValueError, match="rows but the adjacency has"):
        ops.spmm(adj, torch.randn(adj.num_cols + 1, 4))
    with pytest.raises(TypeError, match="float32 or float64"):
        ops.spmm(adj, x.long())
    with pytest.raises(TypeError, match="edge values are torch.float32 but the features are torch.float64"):
        ops.spmm(adj, x.double())
    with pytest.raises(ValueError, match="reduce must be one of"):
        ops.spmm(adj, x, "prod")
    with pytest.raises(ValueError, match="shape"):
        ops.spmm(adj, torch.randn(adj.num_cols))
    with pytest.raises(TypeError, match="CSR"):
        ops.spmm(torch.zeros(2, 2), x)
    with pytest.raises(ValueError, match="one weight per head"):
        ops.spmm(adj.with_value(torch.rand(adj.nnz, 3)), x)


def test_raw_op_rejects_corrupt_structure():
    """The C++ op validates what it indexes with, even when called directly."""
    rowptr = torch.tensor([0, 2, 3])
    col = torch.tensor([0, 1, 1])
    x = torch.randn(2, 3)
    op = torch.ops.graphlearn.spmm
    with pytest.raises(RuntimeError, match=r"col\[1\] = 7 is out of range"):
        op(rowptr, torch.tensor([0, 7, 1]), None, x, "sum")
    with pytest.raises(RuntimeError, match=r"col\[0\] = -1 is out of range"):
        op(rowptr, torch.tensor([-1, 1, 1]), None, x, "sum")
    with pytest.raises(RuntimeError, match="not a valid CSR row pointer"):
        op(torch.tensor([0, 3, 2, 3]), torch.tensor([0, 1, 1]), None, torch.randn(2, 3), "sum")
    with pytest.raises(RuntimeError, match=r"rowptr\[-1\] = 5 must equal"):
        op(torch.tensor([0, 2, 5]), col, None, x, "sum")
    with pytest.raises(RuntimeError, match=r"rowptr\[0\] must be 0"):
        op(torch.tensor([1, 2, 3]), col, None, x, "sum")
    with pytest.raises(RuntimeError, match="same dtype"):
        op(rowptr.int(), col, None, x, "sum")
    with pytest.raises(RuntimeError, match="value must be"):
        op(rowptr, col, torch.ones(5), x, "sum")
    with pytest.raises(RuntimeError, match="reduce must be one of"):
        op(rowptr, col, None, x, "median")
    arg = torch.full((2, 3), 2, dtype=torch.int32)
    with pytest.raises(RuntimeError, match="does not point at an entry of that row"):
        torch.ops.graphlearn.spmm_arg_backward(rowptr, col, torch.ones(3), x, arg, torch.ones(2, 3), False, True)
    with pytest.raises(RuntimeError, match="does not point at an entry of that row"):
        torch.ops.graphlearn.spmm_arg_backward(rowptr, col, None, x, arg, torch.ones(2, 3), True, False)
    with pytest.raises(RuntimeError, match="arg must be int32"):
        torch.ops.graphlearn.spmm_arg_backward(rowptr, col, None, x, arg.long(), torch.ones(2, 3), True, False)
    with pytest.raises(RuntimeError, match="value_index"):
        op(rowptr, col, torch.ones(2), x, "sum", value_index=torch.tensor([0, 1, 2]))


def test_spmm_value_index_reads_weights_through_an_index():
    adj = messy_csr(30, 120)
    g = torch.Generator().manual_seed(0)
    table = torch.rand(7, dtype=torch.float64, generator=g, requires_grad=True)
    index = torch.randint(0, 7, (adj.nnz,), generator=g)
    x = torch.randn(adj.num_cols, 3, dtype=torch.float64, requires_grad=True)

    def f(table, x):
        return torch.ops.graphlearn.spmm(adj.rowptr, adj.col, table, x, "sum", value_index=index)[0]

    torch.testing.assert_close(f(table, x), reference.spmm(adj.with_value(table[index]), x))
    assert torch.autograd.gradcheck(f, (table, x))
