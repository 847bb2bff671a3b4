"""torch.library.opcheck: schemas (including fastrp_step's in-place write of acc), fake
(meta) kernels, autograd registration and AOT dispatch of every registered op, so they
work under torch.compile. A schema registered without a case here fails
test_every_registered_op_has_a_case."""
import pytest
import torch

from graphlearn import ops
from tests.conftest import graphlearn_schemas, messy_csr, require_compiled

pytestmark = pytest.mark.skipif(not ops.compiled(), reason=f"needs the compiled extension ({ops.load_error()})")

# csr_validate returns a data-dependent Python bool: no fake kernel can produce it, so
# only its schema and autograd registration are checked (under torch.compile it breaks
# the graph). opcheck's AOT test cannot compare the str that version returns.
NO_FAKE = ("test_schema", "test_autograd_registration")
NO_AOT = NO_FAKE + ("test_faketensor",)


def _cases():
    """(schema name, args, test_utils or None for opcheck's default set)."""
    adj = messy_csr(20, 80, weighted=True)
    rp, col, v = adj.rowptr, adj.col, adj.value
    rpt, colt, perm = adj._transpose_parts()
    x = torch.randn(20, 3, dtype=torch.float64, requires_grad=True)
    xh = torch.randn(20, 2, 3, dtype=torch.float64, requires_grad=True)
    vh = torch.rand(adj.nnz, 2, dtype=torch.float64, requires_grad=True)
    pairs = torch.randint(0, 20, (2, 15))
    src, dst = pairs[0].contiguous(), pairs[1].contiguous()
    _, arg = torch.ops.graphlearn.spmm(rp, col, v, x.detach(), "max")
    soft = torch.ops.graphlearn.segment_softmax(rp, torch.randn(adj.nnz, 2, dtype=torch.float64))
    x32 = torch.randn(20, 8)
    return [
        ("version", (), NO_AOT),
        ("cuda_compiled", (), None),
        ("coo_to_csr", (adj.row, col, 20, 20, False, False), None),
        ("coo_to_csr", (adj.row, col, 20, 20, True, True), None),
        ("csr_transpose", (rp, col, 20), None),
        ("csr_validate", (rp, col, 20), NO_FAKE),
        ("spmm", (rp, col, v.clone().requires_grad_(), x, "sum", rpt, colt, perm), None),
        ("spmm", (rp, col, None, x, "mean", rpt, colt, perm), None),
        ("spmm", (rp, col, None, x, "mean"), None),
        ("spmm", (rp, col, v.clone().requires_grad_(), x, "max"), None),
        ("spmm", (rp, col, vh, xh, "min"), None),
        ("spmm", (rp, col, vh, xh, "sum", rpt, colt, perm), None),
        ("spmm_arg_backward", (rp, col, v, x.detach(), arg, torch.randn(20, 3, dtype=torch.float64), True, True),
         None),
        ("sddmm", (rp, col, xh, xh.detach().clone().requires_grad_(), rpt, colt, perm), None),
        ("sddmm", (rp, col, x, x.detach().clone().requires_grad_()), None),
        ("segment_softmax", (rp, torch.randn(adj.nnz, 2, dtype=torch.float64, requires_grad=True)), None),
        ("segment_softmax_backward", (rp, soft, torch.randn(adj.nnz, 2, dtype=torch.float64)), None),
        ("common_neighbors", (rp, col, src, dst, 0), None),
        ("common_neighbors_sum", (rp, col, src, dst, x, 1), None),
        ("common_neighbor_sets", (rp, col, src, dst, 2), None),
        ("khop_distances", (rp, col, torch.tensor([0, 3]), 2), None),
        ("khop_distances_sparse", (rp, col, torch.tensor([0, 3]), 2), None),
        ("fastrp_random", (torch.arange(20), 16, 3.0, 7), None),
        ("fastrp_random", (torch.arange(20) * 3, 5, 1.0, 0, torch.rand(20)), None),
        # fastrp_step writes acc in place (Tensor(a!)? in the schema); opcheck checks that
        # exactly the declared argument is mutated, also under torch.compile's functionalisation
        ("fastrp_step", (rp, col, v.float(), x32, torch.zeros(20, 8), 1.5, True, True), None),
        ("fastrp_step", (rp, col, None, x32, torch.empty(20, 8), 0.5, False, False, torch.rand(20), False), None),
        ("fastrp_step", (rp, col, None, x32, None, 0.0, True, False), None),
        ("dropout", (torch.randn(20, 3, dtype=torch.float64, requires_grad=True), 0.3, 11), None),
        ("dropout", (torch.randn(20, 2, 3).transpose(0, 1), 0.5, 0), None),
    ]


CASES = _cases() if ops.compiled() else []


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_opcheck(case):
    name, args, test_utils = _cases()[case]
    op = getattr(torch.ops.graphlearn, name).default
    if test_utils is None:
        torch.library.opcheck(op, args)
    else:
        torch.library.opcheck(op, args, test_utils=test_utils)


def test_every_registered_op_has_a_case():
    require_compiled()
    missing = sorted(set(graphlearn_schemas()) - {c[0] for c in _cases()})
    assert not missing, f"registered ops without an opcheck case in {__file__}: {missing}"


def test_fastrp_step_writes_only_acc():
    """The schema's alias annotation is what opcheck verified: acc is written, x is not."""
    adj = messy_csr(20, 80)
    x = torch.randn(20, 4)
    acc = torch.zeros(20, 4)
    x0 = x.clone()
    schema = torch.ops.graphlearn.fastrp_step.default._schema
    mutable = [a.name for a in schema.arguments if a.alias_info is not None and a.alias_info.is_write]
    assert mutable == ["acc"]
    torch.ops.graphlearn.fastrp_step(adj.rowptr, adj.col, None, x, acc, 1.0, True, False)
    assert torch.equal(x, x0) and not torch.equal(acc, torch.zeros(20, 4))


def test_spmm_under_torch_compile():
    adj = messy_csr(20, 80)
    x = torch.randn(20, 4)

    def f(rowptr, col, x):
        return torch.ops.graphlearn.spmm(rowptr, col, None, x.relu(), "sum")[0] * 2

    compiled = torch.compile(f, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(adj.rowptr, adj.col, x), f(adj.rowptr, adj.col, x))
