"""torch.library.opcheck: schemas, fake (meta) kernels, autograd registration and
AOT dispatch of every op, so they work under torch.compile."""
import pytest
import torch

from graphlearn import ops
from tests.conftest import messy_csr

pytestmark = pytest.mark.skipif(not ops.compiled(), reason="needs the compiled extension")


def _cases():
    adj = messy_csr(20, 80, weighted=True)
    rp, col, v = adj.rowptr, adj.col, adj.value
    rpt, colt, perm = adj._transpose_parts()
    x = torch.randn(20, 3, dtype=torch.float64, requires_grad=True)
    xh = torch.randn(20, 2, 3, dtype=torch.float64, requires_grad=True)
    vh = torch.rand(adj.nnz, 2, dtype=torch.float64, requires_grad=True)
    pairs = torch.randint(0, 20, (2, 15))
    src, dst = pairs[0].contiguous(), pairs[1].contiguous()
    spmm = torch.ops.graphlearn.spmm.default
    return [
        (spmm, (rp, col, v.clone().requires_grad_(), x, "sum", rpt, colt, perm)),
        (spmm, (rp, col, None, x, "mean", rpt, colt, perm)),
        (spmm, (rp, col, None, x, "mean")),
        (spmm, (rp, col, v.clone().requires_grad_(), x, "max")),
        (spmm, (rp, col, vh, xh, "min")),
        (spmm, (rp, col, vh, xh, "sum", rpt, colt, perm)),
        (torch.ops.graphlearn.sddmm.default, (rp, col, xh, xh.detach().clone().requires_grad_(), rpt, colt, perm)),
        (torch.ops.graphlearn.sddmm.default, (rp, col, x, x.detach().clone().requires_grad_())),
        (torch.ops.graphlearn.segment_softmax.default, (rp, torch.randn(adj.nnz, 2, dtype=torch.float64, requires_grad=True))),
        (torch.ops.graphlearn.common_neighbors.default, (rp, col, src, dst, 0)),
        (torch.ops.graphlearn.common_neighbors_sum.default, (rp, col, src, dst, x, 1)),
        (torch.ops.graphlearn.common_neighbor_sets.default, (rp, col, src, dst, 2)),
        (torch.ops.graphlearn.khop_distances.default, (rp, col, torch.tensor([0, 3]), 2)),
        (torch.ops.graphlearn.khop_distances_sparse.default, (rp, col, torch.tensor([0, 3]), 2)),
        (torch.ops.graphlearn.coo_to_csr.default, (adj.row, col, 20, 20, False, False)),
        (torch.ops.graphlearn.coo_to_csr.default, (adj.row, col, 20, 20, True, True)),
        (torch.ops.graphlearn.csr_transpose.default, (rp, col, 20)),
    ]


@pytest.mark.parametrize("case", range(len(_cases())))
def test_opcheck(case):
    op, args = _cases()[case]
    torch.library.opcheck(op, args)


def test_spmm_under_torch_compile():
    adj = messy_csr(20, 80)
    x = torch.randn(20, 4)

    def f(rowptr, col, x):
        return torch.ops.graphlearn.spmm(rowptr, col, None, x.relu(), "sum")[0] * 2

    compiled = torch.compile(f, backend="aot_eager", fullgraph=True)
    torch.testing.assert_close(compiled(adj.rowptr, adj.col, x), f(adj.rowptr, adj.col, x))
