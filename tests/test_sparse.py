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
