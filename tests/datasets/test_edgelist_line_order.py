"""Line order (issue 11): a weighted file with repeated lines gives bit-identical CSR
values and FastRP embeddings however its lines are ordered."""
import numpy as np
import pytest
import torch

from graphlearn.datasets.edgelist import read_edge_list
from graphlearn.embed import FastRP


def _lines(seed: int = 0):
    """Weighted edge lines with many repeats (pairs, runs of up to ~10, both directions),
    weights over six orders of magnitude so that the order of a float sum shows."""
    rng = np.random.default_rng(seed)
    e = rng.integers(0, 150, size=(2500, 2))
    e = np.concatenate([e, e[:1200], e[:600], e[:300, ::-1], np.repeat(e[:20], 8, axis=0)])
    w = rng.random(len(e)) * 10.0 ** rng.uniform(-3, 3, len(e))
    return [f"{a}\t{b}\t{float(x)!r}" for (a, b), x in zip(e, w)]


def _shuffled_files(tmp_path, seeds=(0, 1, 2, 3, 4, 5)):
    lines = _lines()
    for s in seeds:
        order = np.random.default_rng(s).permutation(len(lines)) if s else np.arange(len(lines))
        p = tmp_path / f"shuffled{s}.tsv"
        p.write_text("# repeated weighted edges\n" + "\n".join(lines[i] for i in order) + "\n")
        yield str(p)


def _bits(csr):
    return csr.rowptr.numpy().tobytes(), csr.col.numpy().tobytes(), csr.value.numpy().tobytes()


@pytest.mark.parametrize("directed", [False, True])
def test_line_order_shuffled_weighted_duplicates_give_identical_csr(tmp_path, directed):
    got = [_bits(read_edge_list(p, weighted=True, directed=directed).to_csr()) for p in _shuffled_files(tmp_path)]
    assert all(g == got[0] for g in got[1:]), "shuffling the lines changed the CSR"
    # and the sums are right (float64 reference over the same multiset)
    el = read_edge_list(next(_shuffled_files(tmp_path, (0,))), weighted=True, directed=directed)
    import scipy.sparse as sp

    w = el.weight.astype(np.float64)
    if directed:
        ref = sp.coo_matrix((w, (el.dst, el.src)), shape=(el.num_nodes,) * 2).tocsr()
    else:
        lo, hi = np.minimum(el.src, el.dst), np.maximum(el.src, el.dst)
        c = sp.coo_matrix((w, (lo, hi)), shape=(el.num_nodes,) * 2).tocsr()
        ref = (c + c.T - sp.diags(c.diagonal())).tocsr()
    ref.sum_duplicates()
    ref.sort_indices()
    np.testing.assert_allclose(el.to_csr().to_scipy().data, ref.data, rtol=1e-6)


@pytest.mark.parametrize("direction", ["out", "both"])
def test_line_order_shuffled_weighted_duplicates_give_identical_fastrp(tmp_path, direction):
    embs = []
    for p in _shuffled_files(tmp_path):
        el = read_edge_list(p, weighted=True, directed=direction != "out")
        model = FastRP(dim=32, direction=direction, random_state=3)
        embs.append(np.asarray(model.fit_transform(el.to_csr(), node_keys=torch.from_numpy(el.keys))).tobytes())
    assert all(e == embs[0] for e in embs[1:]), "shuffling the lines changed the embedding"


def test_line_order_string_ids_and_weights(tmp_path):
    """String ids: rows are sorted ids, so the whole EdgeList-to-CSR path is order-free."""
    lines = [line.replace("\t", "\tn", 1) for line in _lines(1)]
    out = []
    for s in range(4):
        order = np.random.default_rng(s).permutation(len(lines))
        p = tmp_path / f"s{s}.tsv"
        p.write_text("\n".join("n" + lines[i] for i in order) + "\n")
        el = read_edge_list(str(p), weighted=True)
        out.append((el.ids.tolist(), _bits(el.to_csr())))
    assert all(o == out[0] for o in out[1:])


def test_line_order_weights_of_repeated_lines_overflowing_float32(tmp_path):
    p = tmp_path / "big.tsv"
    p.write_text("a\tb\t3e38\nb\ta\t3e38\nc\td\t1\n")
    el = read_edge_list(str(p), weighted=True)
    with pytest.raises(ValueError, match=r"big.tsv: the weights of the 2 lines of the edge 'a' -- 'b' add up beyond "
                                         r"the float32 range"):
        el.to_csr()
    assert el.to_csr(directed=True).nnz == 3  # a -> b and b -> a are different edges
