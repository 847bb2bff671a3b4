"""Scalar arguments of the op wrappers: one rule for integers, reals, seeds, flags and names.

Integers are Python ints, NumPy integer scalars or 0-d integer tensors; floats (3.0
included) and bools are refused with a TypeError naming the argument, values outside
what the compiled int64 parameters take with a ValueError that states the range
(never pybind's "Unable to cast" / "Expected a value of type 'int'").
"""
import numpy as np
import pytest
import torch

from graphlearn import ops
from graphlearn.ops import _ext
from tests.conftest import messy_csr, require_compiled

INT64_MAX = 2**63 - 1


@pytest.fixture(params=["compiled", "reference"])
def path(request, monkeypatch):
    """Each check holds on the compiled core and on the pure-PyTorch fallback."""
    if request.param == "compiled":
        require_compiled()
    else:
        monkeypatch.setattr(_ext, "compiled", lambda: False)
        monkeypatch.setattr(_ext, "_warned", True)  # no fallback warning
    return request.param


def _cases(call, name, low, high):
    """(ok values), (TypeError values), (ValueError values) of one integer argument."""
    for v in (np.int64(2), np.int32(2), torch.tensor(2), np.array(2)):
        call(v)
    for v in (3.7, 3.0, True, np.float64(2.0), torch.tensor(2.0), "2", None):
        with pytest.raises(TypeError, match=f"{name} must be an integer"):
            call(v)
    for v in (2**63, 2**64, -1) if low == 0 else (2**63, 2**64, 0, -1):
        with pytest.raises(ValueError, match=rf"{name} must be an integer in \[{low}, {high}\], got {v}"):
            call(v)


def test_khop_distances_k_scalar_arguments(path):
    adj = messy_csr(20, 60)
    roots = torch.tensor([0, 3])
    _cases(lambda k: ops.khop_distances(adj, roots, k), "khop_distances: k", 0, INT64_MAX - 1)
    with pytest.raises(TypeError, match="khop_distances: sparse must be True or False, got 'yes'"):
        ops.khop_distances(adj, roots, 1, sparse="yes")
    assert torch.equal(ops.khop_distances(adj, roots, np.int64(2)), ops.khop_distances(adj, roots, 2))


def test_khop_distances_k_beyond_the_kernel_cap_is_exact(path):
    """Distances never exceed N - 1: a huge k gives the same hops, with k + 1 for the
    unreachable nodes (the kernels themselves stop at 2**40)."""
    adj = messy_csr(30, 40)  # sparse: several components and isolated nodes
    roots = torch.arange(30)
    small = ops.khop_distances(adj, roots, 40)  # k >= N, below the kernel cap: the old path
    for k in (2**40, INT64_MAX - 1):
        big = ops.khop_distances(adj, roots, k)
        unreachable = small == 41
        assert unreachable.any() and torch.equal(big[~unreachable], small[~unreachable])
        assert bool((big[unreachable] == k + 1).all())
        for a, b in zip(ops.khop_distances(adj, roots, k, sparse=True), ops.khop_distances(adj, roots, 40, sparse=True)):
            assert torch.equal(a, b)
    if path == "compiled":  # bit-identical to the kernel called with the same k
        raw = torch.ops.graphlearn.khop_distances(adj.rowptr, adj.col, roots, 1000)
        assert torch.equal(ops.khop_distances(adj, roots, 1000), raw)


def test_fastrp_random_scalar_arguments(path):
    keys = torch.arange(5)
    _cases(lambda d: ops.fastrp_random(keys, d, 3.0), "fastrp_random: dim", 1, INT64_MAX)
    _cases(lambda s: ops.fastrp_random(keys, 4, 3.0, s), "fastrp_random: seed", 0, INT64_MAX)
    for s in (True, "3", None):
        with pytest.raises(TypeError, match=r"fastrp_random: s \(1 / density\) must be a number"):
            ops.fastrp_random(keys, 4, s)
    for s in (float("nan"), float("inf"), 0.5, -3):
        with pytest.raises(ValueError, match=r"fastrp_random: s \(1 / density\) must be a"):
            ops.fastrp_random(keys, 4, s)
    same = ops.fastrp_random(keys, 4, 3.0, 7)
    for dim, s, seed in ((np.int64(4), np.float64(3.0), np.int64(7)), (torch.tensor(4), torch.tensor(3.0), torch.tensor(7)),
                         (4, 3, 7)):
        assert torch.equal(ops.fastrp_random(keys, dim, s, seed), same)
    assert torch.equal(ops.fastrp_random(keys, 4, 3.0, INT64_MAX), ops.fastrp_random(keys, 4, 3.0, INT64_MAX))


def test_fastrp_random_huge_dim_is_a_memory_error(monkeypatch):
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", str(2**32))
    with pytest.raises(MemoryError, match=r"fastrp_random: the \[3, 1099511627776\] float32 result needs about"):
        ops.fastrp_random(torch.arange(3), 2**40, 3.0)


def test_fastrp_step_scalar_arguments(path):
    adj = messy_csr(20, 60, dtype=torch.float32)
    x = torch.rand(20, 3)
    for w in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="fastrp_step: weight must be a finite number"):
            ops.fastrp_step(adj, x, torch.zeros(20, 3), w)
    for w in ("1", True, None):
        with pytest.raises(TypeError, match="fastrp_step: weight must be a number"):
            ops.fastrp_step(adj, x, torch.zeros(20, 3), w)
    for name, kw in (("mean", {"mean": "no"}), ("normalize", {"normalize": 2}), ("keep_out", {"keep_out": None})):
        with pytest.raises(TypeError, match=f"fastrp_step: {name} must be True or False"):
            ops.fastrp_step(adj, x, torch.zeros(20, 3), 1.0, **kw)
    acc_a, acc_b = torch.zeros(20, 3), torch.zeros(20, 3)
    out_a = ops.fastrp_step(adj, x, acc_a, 0.5, True, True)
    out_b = ops.fastrp_step(adj, x, acc_b, np.float32(0.5), np.bool_(True), torch.tensor(True))
    assert torch.equal(out_a, out_b) and torch.equal(acc_a, acc_b)


def test_csr_builders_scalar_arguments(path):
    row, col = torch.tensor([0, 1]), torch.tensor([1, 0])
    _cases(lambda n: ops.coo_to_csr(row, col, n, 3), "coo_to_csr: num_rows", 0, INT64_MAX)
    with pytest.raises(TypeError, match="coo_to_csr: num_cols must be an integer"):
        ops.coo_to_csr(row, col, 3, 3.0)
    with pytest.raises(TypeError, match="coo_to_csr: dedupe must be True or False"):
        ops.coo_to_csr(row, col, 3, 3, dedupe="yes")
    rowptr, c = torch.tensor([0, 1, 2, 2]), torch.tensor([1, 0])
    for fn, name in ((ops.csr_transpose, "csr_transpose"), (ops.csr_validate, "csr_validate")):
        _cases(lambda n: fn(rowptr, c, n), f"{name}: num_cols", 0, INT64_MAX)


def test_csr_builders_huge_sizes_are_memory_errors(monkeypatch):
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", str(2**32))
    with pytest.raises(MemoryError, match="coo_to_csr: the row pointer of 1099511627776 rows needs about 8.0 TiB"):
        ops.coo_to_csr(torch.tensor([0]), torch.tensor([0]), 2**40, 3)
    with pytest.raises(MemoryError, match="csr_transpose: the row pointer of 1099511627776 rows"):
        ops.csr_transpose(torch.tensor([0, 1]), torch.tensor([0]), 2**40)


def test_csr_builders_bad_tensors(path):
    with pytest.raises(TypeError, match="coo_to_csr: row must be an int32 or int64 tensor, got torch.float32"):
        ops.coo_to_csr(torch.tensor([0.0]), torch.tensor([1.0]), 3, 3)
    with pytest.raises(TypeError, match="coo_to_csr: row and col must have the same dtype"):
        ops.coo_to_csr(torch.tensor([0]), torch.tensor([1], dtype=torch.int32), 3, 3)
    with pytest.raises(ValueError, match="coo_to_csr: row and col must have the same length, got 2 and 1"):
        ops.coo_to_csr(torch.tensor([0, 1]), torch.tensor([1]), 3, 3)
    with pytest.raises(ValueError, match="coo_to_csr: row must be 1-D"):
        ops.coo_to_csr(torch.tensor([[0, 1]]), torch.tensor([[1, 0]]), 3, 3)
    with pytest.raises(ValueError, match="out of range"):
        ops.coo_to_csr(torch.tensor([0, 5]), torch.tensor([1, 0]), 3, 3)
    with pytest.raises(ValueError, match="out of range"):
        ops.csr_transpose(torch.tensor([0, 1, 2]), torch.tensor([1, 4]), 2)
    with pytest.raises(TypeError, match="csr_transpose: rowptr must be a torch.Tensor"):
        ops.csr_transpose([0, 1], torch.tensor([0]), 2)


def test_reduce_and_mode_names(path):
    adj = messy_csr(20, 60)
    x = torch.rand(20, 2, dtype=torch.float64)
    for bad in (5, [], None, "SUM"):
        with pytest.raises(ValueError, match="spmm: reduce must be one of 'sum', 'mean', 'max', 'min', 'add'"):
            ops.spmm(adj, x, bad)
        with pytest.raises(ValueError, match="common_neighbors: mode must be one of 'intersection'"):
            ops.common_neighbors(adj, torch.tensor([[0], [1]]), mode=bad)
    assert torch.equal(ops.spmm(adj, x, "add"), ops.spmm(adj, x, "sum"))
    assert torch.equal(ops.spmm(adj, x, np.str_("max")), ops.spmm(adj, x, "max"))


def test_non_finite_features_propagate_as_in_torch(path):
    """Ops do not scan their inputs (documented): NaN features give NaN outputs, no crash."""
    adj = messy_csr(20, 60)
    x = torch.rand(20, 2, dtype=torch.float64)
    x[adj.col[0]] = float("nan")
    out = ops.spmm(adj, x)
    assert bool(out[0].isnan().all()) and bool(torch.isfinite(out[adj.degree() == 0]).all())
    assert bool(ops.sddmm(adj, x, x)[0].isnan())


def test_dropout_scalar_arguments(path):
    x = torch.ones(3)
    _cases(lambda s: ops.dropout(x, 0.5, s), "dropout: seed", 0, INT64_MAX)
    for p in ("0.5", None, torch.tensor([0.5, 0.5])):
        with pytest.raises(TypeError, match="dropout: p must be a number"):
            ops.dropout(x, p, 1)
