import torch
import torch_geometric.transforms as T
from torch_geometric.data import Data

from graphlearn.datasets import random_graph
from graphlearn.sparse import CSR, as_csr
from graphlearn.transforms import ToCSR


def _data():
    ei = random_graph(20, 60, seed=1)
    return Data(x=torch.randn(20, 3), edge_index=ei, edge_weight=torch.rand(ei.size(1)), num_nodes=20)


def test_to_csr_attaches_the_contract_csr():
    data = _data()
    out = ToCSR()(data.clone())
    assert isinstance(out.adj, CSR)
    expected = as_csr(data)
    # rows aggregate: edge s -> t with weight w is entry (t, s) = w
    dense = torch.zeros(20, 20)
    dense.index_put_((data.edge_index[1], data.edge_index[0]), data.edge_weight, accumulate=True)
    torch.testing.assert_close(torch.from_numpy(out.adj.to_scipy().toarray()), dense)
    assert torch.equal(out.adj.rowptr, expected.rowptr) and torch.equal(out.adj.col, expected.col)
    assert torch.equal(out.edge_index, data.edge_index) and out.num_nodes == 20


def test_options_and_compose_with_pyg():
    data = _data()
    out = T.Compose([T.NormalizeFeatures(), ToCSR("graph", symmetrize=True, self_loops="add",
                                                  remove_edge_index=True)])(data.clone())
    assert "edge_index" not in out and "edge_weight" not in out and out.num_nodes == 20
    torch.testing.assert_close(out.x.sum(1), torch.ones(20))  # PyG's transform ran too
    adj = out.graph
    dense = torch.from_numpy(adj.to_scipy().toarray())
    torch.testing.assert_close(dense, dense.t())  # symmetrised
    assert bool((dense.diagonal() > 0).all())  # one self-loop per node
    expected = as_csr(data, symmetrize=True, self_loops="add")
    assert torch.equal(adj.col, expected.col) and torch.allclose(adj.value, expected.value)
    assert repr(ToCSR()) == "ToCSR()"
    assert repr(ToCSR("graph", symmetrize=True)) == "ToCSR('graph', symmetrize=True)"


def test_the_attached_csr_feeds_a_model():
    from graphlearn.nn import GCN

    data = ToCSR()(_data())
    model = GCN(3, 4, 2).eval()
    torch.testing.assert_close(model(data.x, data.adj), model(data.x, data.edge_index, data.edge_weight))
