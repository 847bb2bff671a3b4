"""Wrong shapes and dtypes given to the ops: a TypeError (type, dtype) or ValueError
(shape, size, range) that names the op and the argument, never a kernel's RuntimeError
or a crash."""
import pytest
import torch

from graphlearn import ops
from tests.conftest import messy_csr


@pytest.fixture
def adj():
    return messy_csr(20, 60)


def test_wrong_shaped_features(adj):
    x = torch.rand(20, 2, dtype=torch.float64)
    cases = [
        (TypeError, "spmm: x must be float32 or float64, got torch.float16", lambda: ops.spmm(adj, x.half())),
        (TypeError, "spmm: x must be float32 or float64, got torch.complex128", lambda: ops.spmm(adj, x.to(torch.complex128))),
        (TypeError, "spmm: x must be a torch.Tensor, got list", lambda: ops.spmm(adj, x.tolist())),
        (ValueError, r"spmm: x must have shape \[N, F\] or \[N, H, D\], got \[20\]", lambda: ops.spmm(adj, x[:, 0])),
        (ValueError, "spmm: x has 19 rows but the adjacency has 20 columns", lambda: ops.spmm(adj, x[:19])),
        (ValueError, "sddmm: a and b must agree", lambda: ops.sddmm(adj, x, torch.rand(20, 3, dtype=torch.float64))),
        (ValueError, "sddmm: a and b must agree", lambda: ops.sddmm(adj, x, x.float())),
        (ValueError, r"sddmm: a must have shape", lambda: ops.sddmm(adj, torch.tensor(1.0), x)),
        (ValueError, "segment_softmax: scores has 5 entries", lambda: ops.segment_softmax(adj, torch.rand(5))),
        (TypeError, "segment_softmax: scores must be float32 or float64",
         lambda: ops.segment_softmax(adj, torch.ones(adj.nnz, dtype=torch.long))),
        (ValueError, r"common_neighbors: x must have shape \[N, F\]",
         lambda: ops.common_neighbors(adj.sort(), torch.tensor([[0], [1]]), x=x.view(20, 1, 2))),
        (TypeError, "fastrp_step: x must be a 2-D float32 tensor", lambda: ops.fastrp_step(adj, x, torch.zeros(20, 2), 1.0)),
        (TypeError, "fastrp_random: keys must be a 1-D integer tensor, got torch.float32",
         lambda: ops.fastrp_random(torch.ones(3), 4, 3.0)),
        (ValueError, r"fastrp_random: keys must be a 1-D integer tensor, got shape \[3, 1\]",
         lambda: ops.fastrp_random(torch.zeros(3, 1, dtype=torch.long), 4, 3.0)),
        (TypeError, "khop_distances: roots must be a 1-D integer tensor of node ids, got torch.float32",
         lambda: ops.khop_distances(adj, torch.tensor([0.0]), 1)),
        (ValueError, r"khop_distances: roots must be a 1-D integer tensor, got shape \[1, 1\]",
         lambda: ops.khop_distances(adj, torch.tensor([[0]]), 1)),
    ]
    for exc, msg, call in cases:
        with pytest.raises(exc, match=msg):
            call()


def test_wrong_pair_tensors(adj):
    adj = adj.sort()
    with pytest.raises(ValueError, match=r"common_neighbors: pairs must have shape \[2, P\].*got \[2, 2, 1\]"):
        ops.common_neighbors(adj, torch.zeros(2, 2, 1, dtype=torch.long))
    with pytest.raises(TypeError, match="integer node ids"):
        ops.common_neighbors(adj, torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"pairs\[1, 0\] = 20 is not a node id in \[0, 20\)"):
        ops.common_neighbors(adj, torch.tensor([[0], [20]]))
