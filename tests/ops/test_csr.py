import pytest
import torch

from graphlearn import ops
from graphlearn.datasets import power_law_graph, random_graph
from graphlearn.ops import reference
from tests.conftest import INDEX, num_threads


@pytest.mark.parametrize("index_dtype", INDEX)
@pytest.mark.parametrize("dedupe", [False, True])
@pytest.mark.parametrize("remove", [False, True])
def test_coo_to_csr_matches_reference(index_dtype, dedupe, remove):
    ei = random_graph(70, 500, seed=3).to(index_dtype)
    got = ops.coo_to_csr(ei[0], ei[1], 70, 70, dedupe, remove)
    exp = reference.coo_to_csr(ei[0], ei[1], 70, 70, dedupe, remove)
    for a, b in zip(got, exp):
        assert torch.equal(a, b)
    rowptr, col, perm, slot = got
    assert rowptr.dtype == col.dtype == index_dtype
    # every output entry comes from an input entry with the same coordinates
    kept_rows = reference.csr_row(rowptr)
    if not dedupe:
        assert torch.equal(ei[0][perm].long(), kept_rows) and torch.equal(ei[1][perm], col)
    if remove:
        assert not bool((kept_rows == col.long()).any())


@pytest.mark.parametrize("dedupe,remove", [(False, False), (True, True), (True, False)])
def test_coo_to_csr_long_rows_match_reference(dedupe, remove):
    """Mean row length above 8 takes the two counting sorts (by column, then row)."""
    g = torch.Generator().manual_seed(4)
    for rows, cols, nnz in ((30, 45, 3000), (1000, 1200, 200_000)):
        r = torch.randint(0, rows, (nnz,), generator=g)
        c = torch.randint(0, cols, (nnz,), generator=g)
        exp = reference.coo_to_csr(r, c, rows, cols, dedupe, remove)
        for threads in (1, 2):
            with num_threads(threads):
                got = ops.coo_to_csr(r, c, rows, cols, dedupe, remove)
            for a, b in zip(got, exp):
                assert torch.equal(a, b)


def test_coo_to_csr_is_stable_and_thread_independent():
    ei = power_law_graph(50_000, 400_000, seed=1)
    res = []
    for n in (1, 2):
        with num_threads(n):
            res.append(ops.coo_to_csr(ei[0], ei[1], 50_000, 50_000, True, True))
            res.append(ops.csr_transpose(res[-1][0], res[-1][1], 50_000))
    for a, b in zip(res[0] + res[1], res[2] + res[3]):
        assert torch.equal(a, b)
    rowptr, col, perm, _ = ops.coo_to_csr(ei[0], ei[1], 50_000, 50_000, False, False)
    row = reference.csr_row(rowptr)
    # within equal (row, col) the input order is kept
    same = (row[1:] == row[:-1]) & (col[1:] == col[:-1])
    assert bool((perm[1:][same] > perm[:-1][same]).all())


@pytest.mark.parametrize("index_dtype", INDEX)
def test_transpose_matches_reference_and_scipy(index_dtype):
    ei = random_graph(40, 300, seed=5)
    rowptr, col, _, _ = ops.coo_to_csr(ei[0].to(index_dtype), ei[1].to(index_dtype), 40, 55, False, False)
    got = ops.csr_transpose(rowptr, col, 55)
    exp = reference.csr_transpose(rowptr, col, 55)
    for a, b in zip(got, exp):
        assert torch.equal(a, b)
    rowptr_t, col_t, perm = got
    assert rowptr_t.numel() == 56 and rowptr_t.dtype == index_dtype
    assert torch.equal(col[perm], reference.csr_row(rowptr_t).to(index_dtype))


def test_validate_reports_problems():
    assert ops.csr_validate(torch.tensor([0, 1, 3]), torch.tensor([1, 0, 1]), 2) is True
    assert ops.csr_validate(torch.tensor([0, 2, 3]), torch.tensor([1, 0, 1]), 2) is False
    with pytest.raises(ValueError, match=r"col\[2\] = 2 is out of range for 2 columns"):
        ops.csr_validate(torch.tensor([0, 1, 3]), torch.tensor([1, 0, 2]), 2)
    with pytest.raises(ValueError, match="not a valid CSR row pointer at row 0"):
        ops.csr_validate(torch.tensor([0, 4, 3]), torch.tensor([1, 0, 1]), 2)
    with pytest.raises(ValueError, match=r"rowptr\[0\] must be 0"):
        ops.csr_validate(torch.tensor([1, 1, 3]), torch.tensor([1, 0, 1]), 2)


def test_raw_builders_reject_bad_input():
    with pytest.raises(RuntimeError, match="row index 5 at position 1 is out of range"):
        torch.ops.graphlearn.coo_to_csr(torch.tensor([0, 5]), torch.tensor([0, 1]), 3, 3, False, False)
    with pytest.raises(RuntimeError, match="column index -2 at position 0"):
        torch.ops.graphlearn.coo_to_csr(torch.tensor([0, 1]), torch.tensor([-2, 1]), 3, 3, False, False)
    with pytest.raises(RuntimeError, match="same length"):
        torch.ops.graphlearn.coo_to_csr(torch.tensor([0, 1]), torch.tensor([1]), 3, 3, False, False)
    with pytest.raises(RuntimeError, match="int32 or int64"):
        torch.ops.graphlearn.coo_to_csr(torch.tensor([0.0]), torch.tensor([1.0]), 3, 3, False, False)
    with pytest.raises(RuntimeError, match="out of range"):
        torch.ops.graphlearn.csr_transpose(torch.tensor([0, 1]), torch.tensor([4]), 3)
