"""Integer and flag arguments of the reader and of the synthetic graphs (issue 11):
3.7 is refused, never truncated to 3; 'no' is not True."""
import numpy as np
import pytest

from graphlearn.datasets import random_graph
from graphlearn.datasets.edgelist import EdgeStream, read_edge_list
from graphlearn.datasets.synthetic import power_law_graph


@pytest.fixture
def edges(tmp_path):
    p = tmp_path / "g.tsv"
    p.write_text("0\t1\n1\t2\n")
    return str(p)


@pytest.mark.parametrize("kwargs,pattern", [
    ({"block_size": 4096.7}, "block_size"),
    ({"block_size": 4096.0}, "block_size"),
    ({"block_size": True}, "block_size"),
    ({"header": 1.0}, "header"),
    ({"header": "yes"}, "header"),
    ({"numeric_ids": 0}, "numeric_ids"),
    ({"weighted": "no"}, "weighted"),
    ({"directed": 1}, "directed"),
    ({"columns": [0, 1.5]}, "columns"),
])
def test_truncation_reader_arguments(edges, kwargs, pattern):
    with pytest.raises(TypeError, match=pattern):
        read_edge_list(edges, **kwargs)


def test_truncation_reader_integer_like_arguments_work(edges):
    el = read_edge_list(edges, block_size=np.int64(4096), header=np.bool_(False), columns=[np.int64(0), 1])
    assert el.num_edges == 2
    with pytest.raises(TypeError, match="directed"):
        el.to_csr(directed="no")


def test_truncation_edge_stream_id_range(edges):
    stream = EdgeStream(edges)
    with pytest.raises(TypeError, match=r"id_range\[1\]"):
        list(stream.blocks(id_range=(0, 1.7)))
    with pytest.raises(TypeError, match="id_range"):
        list(stream.blocks(id_range=5))
    assert [b[0].tolist() for b in stream.blocks(id_range=(np.int64(1), None), endpoint="src")] == [[1]]


@pytest.mark.parametrize("make,pattern", [
    (lambda: random_graph(10.5, 20), "num_nodes"),
    (lambda: random_graph(10, 20.5), "num_edges"),
    (lambda: random_graph(10, 20, seed=1.5), "seed"),
    (lambda: random_graph(10, 20, isolated=2.5), "isolated"),
    (lambda: power_law_graph(10.5, 20), "num_nodes"),
    (lambda: power_law_graph(10, 20.5), "num_edges"),
    (lambda: power_law_graph(10, 20, seed=-1), "seed"),
])
def test_truncation_synthetic_graph_arguments(make, pattern):
    with pytest.raises((TypeError, ValueError), match=pattern):
        make()
    assert random_graph(np.int64(10), 20).shape[0] == 2
