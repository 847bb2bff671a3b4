import pytest
import torch

from graphlearn import CSR, ops
from graphlearn.ops import reference
from tests.conftest import INDEX, big_csr, messy_csr, num_threads

MODES = ["intersection", "src_minus_dst", "dst_minus_src"]


def python_sets(adj, src, dst, mode):
    nbrs = [set(adj.col[adj.rowptr[i]:adj.rowptr[i + 1]].tolist()) for i in range(adj.num_rows)]
    out = []
    for i, j in zip(src.tolist(), dst.tolist()):
        a, b = nbrs[i], nbrs[j]
        out.append(sorted(a & b if mode == "intersection" else a - b if mode == "src_minus_dst" else b - a))
    return out


def pairs_for(adj, n=300, seed=0):
    g = torch.Generator().manual_seed(seed)
    pairs = torch.randint(0, adj.num_rows, (2, n), generator=g)
    pairs[:, :5] = torch.tensor([[0, 0, 1, adj.num_rows - 1, 3], [0, 2, 0, adj.num_rows - 1, 3]])  # hub, isolated, i == j
    return pairs


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("index_dtype", INDEX)
def test_sets_and_counts_match_python_sets(mode, index_dtype):
    adj = messy_csr(index_dtype=index_dtype)
    pairs = pairs_for(adj)
    expected = python_sets(adj, pairs[0], pairs[1], mode)
    sets = ops.common_neighbor_sets(adj, pairs, mode=mode)
    assert sets.shape == (pairs.size(1), adj.num_rows) and sets.col.dtype == index_dtype
    got = [sets.col[sets.rowptr[p]:sets.rowptr[p + 1]].tolist() for p in range(pairs.size(1))]
    assert got == expected
    counts = ops.common_neighbors(adj, pairs, mode=mode)
    assert counts.dtype == torch.int64
    assert counts.tolist() == [len(s) for s in expected]
    assert torch.equal(counts, reference.common_neighbors(adj, pairs[0], pairs[1], mode=mode))
    ptr, nodes = reference.common_neighbor_sets(adj, pairs[0], pairs[1], mode)
    assert torch.equal(ptr.to(sets.rowptr.dtype), sets.rowptr) and torch.equal(nodes, sets.col)


@pytest.mark.parametrize("mode", MODES)
def test_fused_sum_matches_reference_and_gradcheck(mode):
    adj = messy_csr(40, 200)
    pairs = pairs_for(adj, 60)
    x = torch.randn(adj.num_rows, 5, dtype=torch.float64, requires_grad=True)
    out = ops.common_neighbors(adj, pairs, x, mode=mode)  # training path: sets, then SpMM
    expected = reference.common_neighbors(adj, pairs[0], pairs[1], x, mode)
    torch.testing.assert_close(out, expected)
    with torch.no_grad():  # inference path: the fused kernel
        torch.testing.assert_close(ops.common_neighbors(adj, pairs, x, mode=mode), expected)
    assert torch.autograd.gradcheck(lambda x: ops.common_neighbors(adj, pairs, x, mode=mode), (x,))
    raw = lambda x: torch.ops.graphlearn.common_neighbors_sum(adj.rowptr, adj.col, pairs[0], pairs[1], x,
                                                              reference.MODES[mode])
    assert torch.autograd.gradcheck(raw, (x,))


def test_galloping_path_with_very_unequal_degrees():
    n = 6000
    hub = torch.stack([torch.zeros(n - 1, dtype=torch.long), torch.arange(1, n)])
    small = torch.tensor([[1, 1, 1, 2, 2], [5, 77, 5999, 3, 4000]])
    ei = torch.cat([hub, hub.flip(0), small], 1)
    adj = CSR.from_edge_index(ei, n)
    pairs = torch.tensor([[0, 1, 0, 2], [1, 0, 2, 0]])
    for mode in MODES:
        assert ops.common_neighbors(adj, pairs, mode=mode).tolist() == [
            len(s) for s in python_sets(adj, pairs[0], pairs[1], mode)]


def test_same_result_on_1_and_2_threads():
    adj = big_csr()
    pairs = pairs_for(adj, 20000)
    x = torch.randn(adj.num_rows, 16, requires_grad=True)
    res = []
    for n in (1, 2):
        with num_threads(n):
            out = ops.common_neighbors(adj, pairs, x)
            with torch.no_grad():
                fused = ops.common_neighbors(adj, pairs, x)
            res.append((ops.common_neighbors(adj, pairs), ops.common_neighbor_sets(adj, pairs).col, out, fused,
                        torch.autograd.grad(out.sum(), x)[0]))
    for a, b in zip(*res):
        assert torch.equal(a, b)


def test_bad_input():
    adj = messy_csr()
    # one pair parser (graphlearn.sparse.as_pairs), one message: position as [row, column] of the [2, P] pairs
    with pytest.raises(ValueError, match=r"common_neighbors: pairs\[1, 1\] = 60 is not a node id"):
        ops.common_neighbors(adj, torch.tensor([[0, 1], [2, 60]]))
    with pytest.raises(ValueError, match=r"pairs\[0, 0\] = -1"):
        ops.common_neighbors(adj, torch.tensor([[-1], [2]]))
    with pytest.raises(ValueError, match=r"got \[5, 2\]; for \[P, 2\] pairs pass pairs.t\(\)"):
        ops.common_neighbors(adj, torch.zeros(5, 2, dtype=torch.long))
    with pytest.raises(TypeError, match="integer node ids"):
        ops.common_neighbors(adj, torch.zeros(2, 3))
    with pytest.raises(ValueError, match="mode must be one of"):
        ops.common_neighbors(adj, torch.zeros(2, 3, dtype=torch.long), mode="union")
    with pytest.raises(ValueError, match="rows but the adjacency has"):
        ops.common_neighbors(adj, torch.zeros(2, 3, dtype=torch.long), torch.randn(5, 2))
    unsorted = CSR(torch.tensor([0, 2, 2]), torch.tensor([1, 0]))
    assert not unsorted.is_sorted
    with pytest.raises(ValueError, match="sorted within each row"):
        ops.common_neighbors(unsorted, torch.tensor([[0], [1]]))
    assert ops.common_neighbors(unsorted.sort(), torch.tensor([[0], [0]])).tolist() == [2]
    with pytest.raises(ValueError, match="square"):
        ops.common_neighbors(messy_csr(num_cols=10), torch.tensor([[0], [1]]))
    with pytest.raises(RuntimeError, match="is not a node id"):
        torch.ops.graphlearn.common_neighbors(adj.rowptr, adj.col, torch.tensor([0]), torch.tensor([99]), 0)


def test_tuple_pairs_and_empty_batch():
    adj = messy_csr()
    src, dst = torch.tensor([0, 1]), torch.tensor([2, 3])
    assert torch.equal(ops.common_neighbors(adj, (src, dst)), ops.common_neighbors(adj, torch.stack([src, dst])))
    assert ops.common_neighbors(adj, torch.zeros(2, 0, dtype=torch.long)).shape == (0,)
