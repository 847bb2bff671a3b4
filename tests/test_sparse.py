import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphlearn import CSR, ops
from graphlearn.datasets import random_graph


def dense(adj):
    return torch.from_numpy(adj.to_scipy().toarray())


def test_from_edge_index_matches_scipy_with_duplicates():
    ei = random_graph(30, 200, seed=1)
    w = torch.rand(ei.size(1), dtype=torch.float64)
    adj = CSR.from_edge_index(ei, 30, w)
    assert adj.nnz == ei.size(1) and adj.is_sorted
    m = sp.coo_matrix((w.numpy(), (ei[0].numpy(), ei[1].numpy())), shape=(30, 30)).tocsr()
    np.testing.assert_allclose(adj.to_scipy().toarray(), m.toarray())
    merged = CSR.from_edge_index(ei, 30, w, dedupe=True)
    m.sum_duplicates()
    assert merged.nnz == m.nnz
    np.testing.assert_array_equal(merged.col.numpy(), m.indices)
    np.testing.assert_allclose(merged.value.numpy(), m.data)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "first"])
def test_dedupe_reductions(reduce):
    ei = torch.tensor([[0, 0, 0, 1], [1, 1, 1, 0]])
    w = torch.tensor([1.0, 5.0, 3.0, 2.0])
    adj = CSR.from_edge_index(ei, 2, w, dedupe=True, reduce=reduce)
    expected = {"sum": 9.0, "mean": 3.0, "max": 5.0, "min": 1.0, "first": 1.0}[reduce]
    assert adj.value.tolist() == [expected, 2.0]


def test_symmetrize_and_self_loops():
    ei = torch.tensor([[0, 1, 1, 2], [1, 2, 1, 0]])
    sym = CSR.from_edge_index(ei, 3, symmetrize=True)
    d = dense(sym)
    assert torch.equal(d, d.t()) and d.max() == 1
    assert dense(CSR.from_edge_index(ei, 3, self_loops="remove")).diagonal().tolist() == [0, 0, 0]
    w = torch.tensor([1.0, 2.0, 7.0, 3.0])
    added = CSR.from_edge_index(ei, 3, w, self_loops="add", fill_value=0.5)
    assert dense(added).diagonal().tolist() == [0.5, 7.0, 0.5]
    assert added.nnz == 6


def test_num_nodes_inference_and_isolated_nodes():
    adj = CSR.from_edge_index(torch.tensor([[0, 1], [3, 0]]))
    assert adj.shape == (4, 4)
    adj = CSR.from_edge_index(torch.tensor([[0, 1], [3, 0]]), num_nodes=10)
    assert adj.shape == (10, 10) and adj.degree().tolist()[4:] == [0] * 6


def test_int32_and_numpy_input():
    ei = np.array([[0, 1, 2], [1, 2, 0]])
    adj = CSR.from_edge_index(ei, index_dtype=torch.int32)
    assert adj.rowptr.dtype == adj.col.dtype == torch.int32
    x = torch.randn(3, 2)
    torch.testing.assert_close(ops.spmm(adj, x), ops.spmm(CSR.from_edge_index(ei), x))


def test_transpose_is_cached_and_involutive():
    ei = random_graph(25, 100, seed=2)
    adj = CSR.from_edge_index(torch.stack([ei[0], ei[1] % 20]), 25, torch.rand(ei.size(1)), num_cols=20)
    t = adj.t()
    assert t.shape == (20, 25)
    torch.testing.assert_close(dense(t), dense(adj).t())
    assert adj._transpose_parts() is adj._transpose_parts()
    tt = t.t()
    assert torch.equal(tt.rowptr, adj.rowptr) and torch.equal(tt.col, adj.col)
    torch.testing.assert_close(tt.value, adj.value)


def test_transpose_values_are_differentiable():
    adj = CSR.from_edge_index(random_graph(10, 30, seed=4), 10)
    v = torch.rand(adj.nnz, dtype=torch.float64, requires_grad=True)
    x = torch.randn(10, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda v: ops.spmm(adj.with_value(v).t(), x), (v,))


def test_conversions_round_trip():
    ei = random_graph(20, 80, seed=6)
    adj = CSR.from_edge_index(ei, 20, torch.rand(ei.size(1)), dedupe=True)
    back = CSR.from_scipy(adj.to_scipy())
    assert torch.equal(back.rowptr, adj.rowptr) and torch.equal(back.col, adj.col)
    torch.testing.assert_close(back.value, adj.value)
    t = adj.to_torch()
    assert t.layout == torch.sparse_csr
    torch.testing.assert_close(t.to_dense(), dense(adj).float())
    back = CSR.from_torch(t)
    assert torch.equal(back.col, adj.col)
    coo = CSR.from_torch(t.to_sparse_coo())
    assert torch.equal(coo.col, adj.col)
    ei2, v2 = adj.to_edge_index()
    again = CSR.from_edge_index(ei2, 20, v2)
    assert torch.equal(again.rowptr, adj.rowptr)
    with pytest.raises(TypeError):
        CSR.from_scipy(np.zeros((2, 2)))


def test_from_data_orientation_matches_pyg_message_passing():
    from torch_geometric.data import Data
    from torch_geometric.utils import scatter

    ei = torch.tensor([[0, 0, 1, 3], [1, 2, 2, 2]])  # directed: 0->1, 0->2, 1->2, 3->2
    data = Data(edge_index=ei, num_nodes=4, edge_weight=torch.tensor([1.0, 2.0, 3.0, 4.0]))
    adj = CSR.from_data(data)
    x = torch.randn(4, 3)
    pyg = scatter(x[ei[0]] * data.edge_weight[:, None], ei[1], 0, dim_size=4, reduce="sum")
    torch.testing.assert_close(ops.spmm(adj, x), pyg)
    back = adj.to_data()
    assert torch.equal(back.edge_index, torch.tensor([[0, 0, 1, 3], [1, 2, 2, 2]]))
    torch.testing.assert_close(back.edge_weight, data.edge_weight)


def test_to_and_with_value():
    adj = CSR.from_edge_index(random_graph(10, 30), 10)
    w = adj.with_value(torch.rand(adj.nnz))
    assert w.to(torch.float64).value.dtype == torch.float64
    assert w.to("cpu") is w
    with pytest.raises(TypeError, match="float dtype"):
        w.to(torch.int64)
    with pytest.raises(ValueError, match="shape"):
        adj.with_value(torch.rand(adj.nnz + 1))
    assert "CSR(shape=(10, 10)" in repr(w)


def test_bad_input_messages():
    with pytest.raises(ValueError, match=r"shape \[2, E\]"):
        CSR.from_edge_index(torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="pass edge_index.t()"):
        CSR.from_edge_index(torch.zeros(5, 2, dtype=torch.long))
    with pytest.raises(TypeError, match="integer node ids"):
        CSR.from_edge_index(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="negative node id -3 at position 1"):
        CSR.from_edge_index(torch.tensor([[0, -3], [1, 1]]))
    with pytest.raises(ValueError, match="node id 7 at position 0 .* out of range for 5 nodes"):
        CSR.from_edge_index(torch.tensor([[1, 2], [7, 1]]), 5)
    with pytest.raises(ValueError, match="empty graph"):
        CSR.from_edge_index(torch.zeros(2, 0, dtype=torch.long))
    with pytest.raises(ValueError, match="empty graph"):
        CSR.from_edge_index(torch.zeros(2, 0, dtype=torch.long), num_nodes=0)
    with pytest.raises(ValueError, match="empty graph"):
        CSR(torch.tensor([0]), torch.tensor([], dtype=torch.long))
    with pytest.raises(ValueError, match="not finite"):
        CSR.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2, torch.tensor([1.0, float("nan")]))
    with pytest.raises(ValueError, match="not finite"):
        CSR.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2, torch.tensor([float("inf"), 1.0]))
    with pytest.raises(TypeError, match="floating point"):
        CSR.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2, torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"shape \[2\]"):
        CSR.from_edge_index(torch.tensor([[0, 1], [1, 0]]), 2, torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="not a valid CSR row pointer"):
        CSR(torch.tensor([0, 2, 1, 3]), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="out of range"):
        CSR(torch.tensor([0, 1, 2]), torch.tensor([0, 5]))
    with pytest.raises(ValueError, match="must equal the number of stored entries"):
        CSR(torch.tensor([0, 1, 4]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="int32"):
        CSR.from_edge_index(torch.tensor([[0], [1]]), index_dtype=torch.int16)
    with pytest.raises(ValueError, match="self_loops"):
        CSR.from_edge_index(torch.tensor([[0], [1]]), self_loops="keep")


def test_from_scipy_leaves_input_untouched_and_mixed_dtypes_widen():
    m = sp.csr_matrix((np.ones(3), np.array([2, 0, 0]), np.array([0, 2, 3])), shape=(2, 3))
    before = m.indices.copy()
    adj = CSR.from_scipy(m)
    assert np.array_equal(m.indices, before)  # not sorted in place
    assert adj.col.tolist() == [0, 2, 0] and adj.is_sorted
    mixed = CSR(torch.tensor([0, 1], dtype=torch.int32), torch.tensor([2**33]), num_cols=2**34)
    assert mixed.col.dtype == torch.int64 and int(mixed.col[0]) == 2**33


# --------------------------------------------------- issue 11: order of duplicates, truncation

def _shuffled_coo(E=4000, n=25, heads=None, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    row, col = torch.randint(0, n, (E,), generator=g), torch.randint(0, n, (E,), generator=g)
    shape = (E,) if heads is None else (E, heads)
    scale = 10.0 ** (torch.rand(shape, generator=g, dtype=torch.float64) * 6 - 3)
    value = (torch.rand(shape, generator=g, dtype=torch.float64) * scale).to(dtype)
    return row, col, value


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min"])
@pytest.mark.parametrize("heads,dtype", [(None, torch.float32), (None, torch.float64), (3, torch.float32)])
def test_line_order_dedupe_merge_ignores_the_order_of_duplicates(reduce, heads, dtype):
    """Repeated entries merge to bit-identical values whatever their input order (the
    kernel's stable sort keeps input order within a group; the reduction must not care)."""
    row, col, value = _shuffled_coo(heads=heads, dtype=dtype)
    ref = None
    for s in range(6):
        p = torch.randperm(row.numel(), generator=torch.Generator().manual_seed(s)) if s else torch.arange(row.numel())
        adj = CSR.from_coo(row[p], col[p], 25, value[p], dedupe=True, reduce=reduce)
        bits = (adj.rowptr.numpy().tobytes(), adj.col.numpy().tobytes(), adj.value.numpy().tobytes())
        ref = ref or bits
        assert bits == ref, f"permutation {s} changed the merged values"
    # the values are right: compare with a float64 scipy / numpy reference
    r, c, v = row.numpy(), col.numpy(), value.double().numpy().reshape(row.numel(), -1)
    got = adj.value.double().numpy().reshape(adj.nnz, -1)
    for h in range(v.shape[1]):
        m = sp.coo_matrix((v[:, h], (r, c)), shape=(25, 25)).tocsr()
        m.sum_duplicates()
        cnt = sp.coo_matrix((np.ones_like(v[:, h]), (r, c)), shape=(25, 25)).tocsr()
        cnt.sum_duplicates()
        if reduce in ("sum", "mean"):
            expected = m.data if reduce == "sum" else m.data / cnt.data
        else:
            keys = r * 25 + c
            expected = np.array([getattr(v[keys == k, h], reduce)() for k in np.unique(keys)])
        np.testing.assert_allclose(got[:, h], expected, rtol=1e-6 if dtype == torch.float32 else 1e-12)


def test_line_order_long_runs_of_one_entry():
    """1000 copies of one entry in any order: one value, close to the exact sum."""
    import math

    g = torch.Generator().manual_seed(5)
    value = torch.rand(1000, generator=g) * 10.0 ** (torch.rand(1000, generator=g) * 8 - 4)
    zeros = torch.zeros(1000, dtype=torch.long)
    got = {CSR.from_coo(zeros, zeros, 1, value[torch.randperm(1000, generator=g)], dedupe=True).value.item()
           for _ in range(5)}
    assert len(got) == 1
    assert got.pop() == pytest.approx(math.fsum(value.double().tolist()), rel=1e-6)


def test_line_order_symmetrized_sums_are_exactly_symmetric():
    row, col, value = _shuffled_coo()
    adj = CSR.from_coo(row, col, 25, value, symmetrize=True, reduce="sum")
    m = adj.to_scipy()
    assert (m != m.T).nnz == 0
    assert adj.t() is adj  # known symmetric: the transpose is itself


@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_line_order_merged_values_have_gradients(reduce):
    ei = torch.tensor([[0, 0, 0, 1, 1, 2, 0], [1, 1, 1, 0, 2, 2, 1]])
    w = torch.rand(7, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda x: CSR.from_edge_index(ei, 3, x, dedupe=True, reduce=reduce).value, (w,))


def test_line_order_merged_sum_overflow_names_the_entry():
    from graphlearn.sparse import WeightOverflowError

    with pytest.raises(WeightOverflowError, match=r"the 2 weights of the repeated entry \(row 0, column 1\) add up "
                                                  r"beyond the range of torch.float32"):
        CSR.from_coo(torch.tensor([0, 0, 1]), torch.tensor([1, 1, 0]), 2, torch.tensor([3e38, 3e38, 1.0]),
                     dedupe=True)


@pytest.mark.parametrize("build", [
    lambda: CSR(torch.tensor([0, 1, 2]), torch.tensor([0, 1]), num_cols=3.7),
    lambda: CSR.from_coo(torch.tensor([0, 1]), torch.tensor([1, 2]), 3.7),
    lambda: CSR.from_coo(torch.tensor([0, 1]), torch.tensor([1, 2]), torch.tensor(3.7)),
    lambda: CSR.from_coo(torch.tensor([0, 1]), torch.tensor([1, 2]), 3, num_cols=3.5),
    lambda: CSR.from_coo(torch.tensor([0, 1]), torch.tensor([1, 2]), 3.0),
    lambda: CSR.from_edge_index(torch.tensor([[0, 1], [1, 2]]), 3.7),
    lambda: CSR.from_edge_index(torch.tensor([[0, 1], [1, 2]]), True),
    lambda: CSR.from_edge_index(torch.tensor([[0, 1], [1, 2]]), 3).degree(0.0),
])
def test_truncation_counts_are_integers_not_truncated(build):
    with pytest.raises(TypeError, match=r"num_rows|num_cols|num_nodes|dim"):
        build()


def test_truncation_integer_like_counts_still_work():
    adj = CSR.from_coo(torch.tensor([0, 1]), torch.tensor([1, 2]), np.int64(3), num_cols=torch.tensor(4))
    assert adj.shape == (3, 4)
    assert CSR.from_edge_index(torch.tensor([[0, 1], [1, 2]]), torch.tensor([3])).num_rows == 3


def test_truncation_unsigned_ids_beyond_int64_are_refused():
    ei = np.array([[0, 2**63 + 5], [1, 0]], dtype=np.uint64)
    with pytest.raises(ValueError, match=r"node id 9223372036854775813 .* does not fit in int64"):
        CSR.from_edge_index(ei)
    adj = CSR.from_edge_index(np.array([[0, 1], [1, 2]], dtype=np.uint32), 3)
    assert adj.col.tolist() == [1, 2]
