"""FastRP on torch.distributed: several gloo processes on loopback against the
single-process FastRP on the whole graph (built independently with scipy), the halo
plan against the distinct remote columns of every block, the streaming block builder
and edge-file reader against in-memory constructions, and the sharded writers.
(The generic pieces have their own tests in tests/distributed/; the command
`torchrun ... -m graphlearn embed` is tested in tests/cli/test_embed_distributed.py,
and examples/fastrp_distributed.py, now a wrapper of it, in tests/test_examples.py.)

:func:`worker` is what every process of a launch runs (tests/distributed/launch.py)."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from graphlearn import CSR
from graphlearn.embed import FastRP
from graphlearn.embed import distributed as D
from graphlearn.sparse import as_csr
from tests.distributed.launch import launch as launch_ranks

try:  # a hung collective fails the test (launch() has its own limit as well)
    import pytest_timeout  # noqa: F401

    TIMEOUT = pytest.mark.timeout(240)
except ImportError:
    def TIMEOUT(f):
        return f

# ------------------------------------------------------------------------ cases
# graph: n nodes, e random edge lines plus a hub, repeated lines, self-loops and 3
# isolated nodes, ids shuffled so the hub and the isolated nodes land anywhere (the
# worker imports only torch and graphlearn.embed: every process starts in seconds).

CASES = {
    2: {
        "undirected": dict(graph=dict(n=240, e=900, seed=1), directed=False, weighted=False, dedupe=True,
                           model=dict(dim=48, iteration_weights=(0.0, 1.0, 1.0), self_influence=0.5),
                           balance=True, chunks=5, writer="rows"),
        "undirected_weighted": dict(graph=dict(n=200, e=700, seed=2), directed=False, weighted=True, dedupe=True,
                                    model=dict(dim=40, iteration_weights=(0.5, 1.0, 0.0), self_influence=1.0,
                                               normalization_strength=-0.5, output="l2", isolated="random",
                                               sparsity=3.0),
                                    balance=True, chunks=3, writer="parts"),
        "directed_multigraph_p2p": dict(graph=dict(n=180, e=600, seed=3), directed=True, weighted=False,
                                        dedupe=False,
                                        model=dict(dim=32, iteration_weights=(1.0, 0.5), propagation="adjacency",
                                                   normalize_iterations=False, output="none"),
                                        balance=False, chunks=4, writer="rows", method="p2p"),
        "directed_in_weighted": dict(graph=dict(n=220, e=800, seed=4), directed=True, weighted=True, dedupe=True,
                                     model=dict(dim=32, iteration_weights=(0.0, 1.0, 1.0, 2.0), direction="in"),
                                     balance=True, chunks=2, writer="rows"),
        "directed_both_features": dict(graph=dict(n=200, e=700, seed=5), directed=True, weighted=False,
                                       dedupe=True, features=True, keys=True,
                                       model=dict(dim=40, iteration_weights=(0.0, 1.0, 1.0), direction="both",
                                                  feature_ratio=0.25, self_influence=0.25),
                                       balance=False, chunks=3, writer="rows"),
    },
    3: {
        "three_ranks": dict(graph=dict(n=150, e=500, seed=6), directed=False, weighted=True, dedupe=True,
                            model=dict(dim=24, iteration_weights=(0.0, 1.0, 1.0)), balance=True, chunks=2,
                            writer="rows"),
        # rank 2 owns nodes 4..6, which have no edges at all
        "rank_without_edges": dict(edges=([0, 1, 2, 3, 0], [1, 2, 3, 0, 2]), n=7, bounds=[0, 2, 4, 7],
                                   directed=False, weighted=False, dedupe=True,
                                   model=dict(dim=16, iteration_weights=(0.0, 1.0, 1.0), isolated="random"),
                                   writer="parts"),
        # 2 nodes on 3 ranks: rank 0 owns no rows
        "rank_without_rows": dict(edges=([0], [1]), n=2, bounds=None, directed=False, weighted=False, dedupe=True,
                                  features=True, keys=True,
                                  model=dict(dim=8, iteration_weights=(1.0, 1.0), sparsity=1.0, feature_ratio=0.5),
                                  writer="rows"),
    },
}
BAD_CASES = {"mismatched_params", "not_contiguous", "negative_weight"}


def edges_of(case):
    """(src, dst, weight-or-None, n): the case's edge lines (the same on every rank)."""
    if "edges" in case:
        s, d = (np.asarray(a, dtype=np.int64) for a in case["edges"])
        return s, d, (np.ones(s.size, np.float32) if case["weighted"] else None), case["n"]
    g = case["graph"]
    n, e = g["n"], g["e"]
    rng = np.random.default_rng(g["seed"])
    active = n - 3
    s, d = rng.integers(0, active, e), rng.integers(0, active, e)
    fans = rng.permutation(active)[: active // 2]
    loops = rng.integers(0, active, e // 20)
    s = np.concatenate([s, np.zeros_like(fans), fans, s[: e // 10], loops])
    d = np.concatenate([d, fans, np.zeros_like(fans), d[: e // 10], loops])
    perm = rng.permutation(n)
    s, d = perm[s], perm[d]
    w = (rng.random(s.size) + 0.1).astype(np.float32) if case["weighted"] else None
    return s, d, w, n


def node_keys(n):
    return np.arange(n, dtype=np.int64) * 7919 + 13


def node_features(n):
    ids = np.arange(n, dtype=np.float64)
    return np.stack([np.sin(ids), np.cos(0.3 * ids), (ids % 5) - 2.0], 1).astype(np.float32)


def chunked(s, d, w, k):
    cuts = np.linspace(0, s.size, k + 1).astype(int)
    return [(s[a:b], d[a:b], w[a:b] if w is not None else None) for a, b in zip(cuts[:-1], cuts[1:])]


# ----------------------------------------------------------------------- worker

def worker(out: str, world_size: int) -> dict:
    """One rank's run of every case (the gloo group is started by tests.distributed.launch);
    returns its exchange stats."""
    import torch.distributed as dist

    rank, world = dist.get_rank(), world_size
    assert dist.get_world_size() == world
    stats = {}
    for name, case in CASES[world].items():
        s, d, w, n = edges_of(case)
        chunks = chunked(s, d, w, case.get("chunks", 1))
        model = FastRP(random_state=7, **case["model"])
        if case.get("bounds") is not None:
            bounds = np.asarray(case["bounds"])
        else:
            n_seen, degree, lines = D.scan_edges(iter(chunks), directed=case["directed"], direction=model.direction,
                                                 num_nodes=n)
            assert n_seen == n and lines == s.size
            bounds = D.row_partition(n, world, degree if case.get("balance") else None)
        r0, r1 = int(bounds[rank]), int(bounds[rank + 1])
        builder = D.BlockBuilder(n, r0, r1, directed=case["directed"], direction=model.direction,
                                 weighted=case["weighted"], dedupe=case["dedupe"])
        for c in chunks:
            builder.add(*c)
        block = builder.finish(keys=node_keys(n)[r0:r1] if case.get("keys") else None,
                               features=node_features(n)[r0:r1] if case.get("features") else None)
        job = D.DistributedFastRP(model, method=case.get("method", "auto"))
        rows = job.fit_transform(block)
        assert rows.shape == (r1 - r0, model.dim) and rows.dtype == np.float32
        path = os.path.join(out, name + ".npy")
        if case["writer"] == "rows":
            assert D.write_npy_rows(path, rows, r0, n) == path
            assert os.path.isfile(path)  # in place on every rank when the call returns
        else:
            D.write_npy_parts(os.path.join(out, name), rows, r0, n)
        ex = job.exchange_
        stats[name] = dict(row_start=r0, row_end=r1, halo_rows=ex.halo_rows, sent_rows=ex.sent_rows,
                           recv_counts=ex.recv_counts.tolist(), send_counts=ex.send_counts.tolist(),
                           n_exchanges=job.n_exchanges_, bytes_sent=job.bytes_sent_, method=ex.method,
                           boundaries=job.boundaries_.tolist())
    if world == 3:  # errors must reach every rank instead of hanging the others
        s, d, w, n = edges_of(CASES[3]["three_ranks"])
        bounds = D.row_partition(n, world)
        r0, r1 = int(bounds[rank]), int(bounds[rank + 1])

        def block_for(weights=None, lo=r0, hi=r1):
            b = D.BlockBuilder(n, lo, hi, directed=False, weighted=weights is not None)
            b.add(s, d, weights)
            return b.finish()

        for bad in sorted(BAD_CASES):
            try:
                if bad == "mismatched_params":
                    D.DistributedFastRP(FastRP(dim=16 + (rank == 1))).fit(block_for())
                elif bad == "not_contiguous":
                    lo, hi = (r0, r1) if rank != 1 else (r0 + 1, r1)
                    D.DistributedFastRP(FastRP(dim=16)).fit(block_for(lo=lo, hi=hi))
                else:
                    wb = np.ones(s.size, np.float32)
                    if rank == 2:
                        wb[np.flatnonzero((s >= r0) & (s < r1))[0]] = -100.0
                    D.DistributedFastRP(FastRP(dim=16)).fit(block_for(wb))
                stats[bad] = None
            except ValueError as e:
                stats[bad] = str(e)
    return stats


# ----------------------------------------------------------------- launching

def launch(world: int, out: str, timeout: float = 100.0):
    """Runs :func:`worker` on ``world`` gloo processes (tests/distributed/launch.py) and
    returns every rank's stats."""
    return launch_ranks(world, "tests.embed.test_distributed:worker", out, timeout=timeout, world_size=world)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = {}
    for world in (2, 3):
        folder = str(tmp_path_factory.mktemp(f"world{world}"))
        out[world] = (folder, launch(world, folder))
    return out


# ------------------------------------------------------------------ reference

def reference_adjacency(case) -> CSR:
    """The whole graph's adjacency built with scipy (no graphlearn code on the way but
    the graph contract's one conversion, as_csr: a scipy matrix is A[source, target])."""
    import scipy.sparse as sp

    s, d, w, n = edges_of(case)
    data = w.astype(np.float32) if w is not None else np.ones(s.size, dtype=np.float32)
    if not case["dedupe"]:
        assert case["directed"]
        return as_csr(np.stack([s, d]), n, edge_weight=torch.from_numpy(w) if w is not None else None)
    a = sp.coo_matrix((data, (s, d)), shape=(n, n)).tocsr()  # sums repeated lines
    if not case["directed"]:  # both directions, a self-loop once
        a = (a + a.T - sp.diags(a.diagonal())).tocsr()
    a.eliminate_zeros()
    adj = as_csr(a)
    return adj if w is not None else adj.with_value(None)


def reference_embedding(case) -> np.ndarray:
    _, _, _, n = edges_of(case)
    model = FastRP(random_state=7, **case["model"])
    keys = node_keys(n) if case.get("keys") else None
    feats = node_features(n) if case.get("features") else None
    if not case["dedupe"] and not case["weighted"]:  # FastRP's own edge_index path (parallel edges kept)
        s, d, _, _ = edges_of(case)
        return model.fit_transform(torch.from_numpy(np.stack([s, d])), features=feats, node_keys=keys, num_nodes=n)
    return model.fit_transform(reference_adjacency(case), features=feats, node_keys=keys)


def result_of(folder, name, case) -> np.ndarray:
    if case["writer"] == "rows":
        return np.load(os.path.join(folder, name + ".npy"))
    return D.read_npy_parts(os.path.join(folder, name))


ALL = [(w, name) for w in CASES for name in CASES[w]]


@TIMEOUT
@pytest.mark.parametrize("world,name", ALL)
def test_matches_single_process(runs, world, name):
    folder, _ = runs[world]
    case = CASES[world][name]
    got, want = result_of(folder, name, case), reference_embedding(case)
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.isfinite(got).all()
    scale = max(1.0, float(np.abs(want).max()))
    assert np.abs(got - want).max() < 1e-4 * scale, (name, float(np.abs(got - want).max()))
    if case["model"].get("output", "standardize") == "standardize":
        assert np.abs(got - want).max() < 1e-4


@TIMEOUT
@pytest.mark.parametrize("world,name", ALL)
def test_halo_is_minimal(runs, world, name):
    """Every rank receives exactly the distinct remote columns of its rows of M, each
    sent once by its owner, in every propagation step."""
    _, stats = runs[world]
    case = CASES[world][name]
    import scipy.sparse as sp

    model = FastRP(**case["model"])
    m = D.LocalBlock.from_csr(reference_adjacency(case), 0, edges_of(case)[3], model.direction)
    a = sp.csr_matrix((np.ones(m.nnz), m.col.numpy(), m.rowptr.numpy()), shape=(m.num_nodes, m.num_nodes))
    bounds = stats[0][name]["boundaries"]
    weights = list(case["model"]["iteration_weights"])
    while weights and weights[-1] == 0:
        weights.pop()
    for r, st in enumerate(s[name] for s in stats):
        r0, r1 = bounds[r], bounds[r + 1]
        assert (st["row_start"], st["row_end"]) == (r0, r1)
        cols = np.unique(a[r0:r1].indices)
        remote = cols[(cols < r0) | (cols >= r1)]
        owner = np.searchsorted(bounds, remote, side="right") - 1
        assert st["halo_rows"] == remote.size
        assert st["recv_counts"] == np.bincount(owner, minlength=world).tolist()
        for k in range(world):  # what k sends r is what r receives from k
            assert stats[k][name]["send_counts"][r] == st["recv_counts"][k]
        assert st["sent_rows"] == sum(stats[k][name]["recv_counts"][r] for k in range(world))
        assert st["n_exchanges"] == len(weights)
        assert st["bytes_sent"] == len(weights) * st["sent_rows"] * case["model"]["dim"] * 4
    assert stats[0][name]["method"] == case.get("method", "alltoall")


@TIMEOUT
def test_errors_reach_every_rank(runs):
    _, stats = runs[3]
    for bad, match in (("mismatched_params", "different FastRP parameters"), ("not_contiguous", "contiguous"),
                       ("negative_weight", "rank 2: .*negative edge weights")):
        for r in range(3):
            assert stats[r][bad] is not None and __import__("re").search(match, stats[r][bad]), (bad, r, stats[r][bad])


def test_balanced_partition_spreads_the_hub(runs):
    """The degree-balanced partition of the 2-rank undirected case is far from the
    node-count split when the hub sits in one half."""
    _, stats = runs[2]
    case = CASES[2]["undirected"]
    a = reference_adjacency(case)
    deg = a.degree(0).numpy()
    b = stats[0]["undirected"]["boundaries"]
    work = [deg[b[k]:b[k + 1]].sum() + (b[k + 1] - b[k]) for k in range(2)]
    assert max(work) <= (deg.sum() + deg.size) / 2 + deg.max() + 1


# ------------------------------------------------------------ in-process parts

def test_row_partition():
    assert D.row_partition(10, 3).tolist() == [0, 3, 6, 10]
    assert D.row_partition(2, 3).tolist() == [0, 0, 1, 2]
    assert D.row_partition(5, 1).tolist() == [0, 5]
    rng = np.random.default_rng(0)
    for _ in range(20):
        n, w = int(rng.integers(1, 200)), int(rng.integers(1, 9))
        deg = rng.integers(0, 50, n) * (rng.random(n) < 0.7)
        b = D.row_partition(n, w, deg)
        assert b[0] == 0 and b[-1] == n and np.all(np.diff(b) >= 0) and b.size == w + 1
        cost = deg + 1.0
        work = [cost[b[k]:b[k + 1]].sum() for k in range(w)]
        # every block ends within half a row of its target (the nearer prefix), so no
        # block exceeds its fair share by more than one row's cost
        assert max(work) <= cost.sum() / w + cost.max() + 1e-9
    with pytest.raises(ValueError, match="world_size"):
        D.row_partition(5, 0)
    with pytest.raises(ValueError, match="degree"):
        D.row_partition(5, 2, [1, 2])
    with pytest.raises(ValueError, match="degree"):
        D.row_partition(3, 2, [1, -1, 0])


@pytest.mark.parametrize("directed", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("direction", ["out", "in", "both"])
def test_builder_matches_rows_of_the_whole_graph(directed, weighted, direction):
    """Streaming the edge lines through per-rank builders gives, for every row range,
    the rows of FastRP's propagation matrix of the scipy-built graph."""
    case = dict(graph=dict(n=90, e=300, seed=11), directed=directed, weighted=weighted, dedupe=True)
    s, d, w, n = edges_of(case)
    whole = D.LocalBlock.from_csr(reference_adjacency(case), 0, n, direction)
    for r0, r1 in ((0, 30), (30, 31), (31, 90), (40, 40)):
        b = D.BlockBuilder(n, r0, r1, directed=directed, direction=direction, weighted=weighted)
        for c in chunked(s, d, w, 4):
            b.add(*c)
        blk = b.finish()
        a, z = int(whole.rowptr[r0]), int(whole.rowptr[r1])
        assert torch.equal(blk.rowptr, whole.rowptr[r0:r1 + 1] - a)
        assert torch.equal(blk.col, whole.col[a:z])
        if weighted:
            assert torch.allclose(blk.value, whole.value[a:z], rtol=1e-6)
        else:
            assert blk.value is None


def test_builder_multigraph_keeps_parallel_edges():
    s, d = np.array([0, 0, 1, 2, 2]), np.array([1, 1, 2, 2, 2])
    b = D.BlockBuilder(3, 0, 3, directed=True, dedupe=False)
    b.add(s, d)
    blk = b.finish()
    ref = CSR.from_edge_index(np.stack([s, d]), 3)
    assert torch.equal(blk.rowptr, ref.rowptr) and torch.equal(blk.col, ref.col)


def test_builder_bad_input():
    b = D.BlockBuilder(5, 0, 3, directed=True, weighted=True)
    with pytest.raises(ValueError, match="dst id 7 on edge line 1"):
        b.add([0, 1], [2, 7], [1.0, 1.0])
    with pytest.raises(ValueError, match="not finite"):
        b.add([0, 1], [2, 3], [1.0, float("nan")])
    with pytest.raises(ValueError, match="no weights"):
        b.add([0], [1])
    with pytest.raises(ValueError, match="integer"):
        b.add(np.array([0.5]), np.array([1.0]), [1.0])
    with pytest.raises(ValueError, match="row_start"):
        D.BlockBuilder(5, 3, 2, directed=True)
    with pytest.raises(ValueError, match="direction"):
        D.BlockBuilder(5, 0, 2, directed=True, direction="up")
    with pytest.raises(ValueError, match="col\\[0\\] = 9"):
        D.LocalBlock(torch.tensor([0, 1]), torch.tensor([9]), None, 5, 0, 1)


def test_scan_edges():
    s, d, _, _ = edges_of(dict(graph=dict(n=50, e=200, seed=3), weighted=False))
    got_n, deg, lines = D.scan_edges(chunked(s, d, None, 3), directed=True, direction="out")
    assert got_n == max(s.max(), d.max()) + 1 and lines == s.size
    assert np.array_equal(deg, np.bincount(s, minlength=got_n))
    _, deg, _ = D.scan_edges(chunked(s, d, None, 3), directed=False, num_nodes=60)
    assert deg.size == 60 and np.array_equal(deg, np.bincount(s, minlength=60) + np.bincount(d[s != d], minlength=60))
    with pytest.raises(ValueError, match="not below num_nodes"):
        D.scan_edges([(s, d, None)], directed=True, num_nodes=10)


def test_iter_edge_file_text_and_npy(tmp_path):
    import gzip

    rng = np.random.default_rng(0)
    s, d = rng.integers(0, 1000, 3000), rng.integers(0, 1000, 3000)
    w = rng.random(3000).astype(np.float32)
    body = "".join(f"{a}\t{b}\t{c!r}\r\n" for a, b, c in zip(s, d, w.tolist()))
    text = "# a comment\r\n% another\r\n\r\nsrc\tdst\tweight\r\n" + body
    (tmp_path / "e.tsv").write_text(text)
    with gzip.open(tmp_path / "e.txt", "wt") as f:  # compressed, without the extension saying so
        f.write(body.replace("\t", ","))
    np.save(tmp_path / "e.npy", np.stack([s, d, w], 1))
    for name in ("e.tsv", "e.txt", "e.npy"):
        chunks = list(D.iter_edge_file(tmp_path / name, weighted=True, block_size=4096))
        assert len(chunks) > 1, name
        cs, cd, cw = (np.concatenate(x) for x in zip(*chunks))
        assert np.array_equal(cs, s) and np.array_equal(cd, d) and np.allclose(cw, w), name
        unweighted = list(D.iter_edge_file(tmp_path / name))
        assert unweighted[0][2] is None and np.array_equal(np.concatenate([c[0] for c in unweighted]), s)
    # CRLF line ends split across parse blocks at every offset
    (tmp_path / "crlf.tsv").write_bytes(b"".join(b"%d\t%d\r\n" % (a, b) for a, b in zip(s, d)))
    for block in range(1024, 1034):
        got = np.concatenate([c[0] for c in D.iter_edge_file(tmp_path / "crlf.tsv", block_size=block)])
        assert np.array_equal(got, s), block
    (tmp_path / "bad.tsv").write_text("1\t2\n3\tx\n")
    with pytest.raises(ValueError, match="bad.tsv"):
        list(D.iter_edge_file(tmp_path / "bad.tsv"))
    (tmp_path / "neg.tsv").write_text("1\t2\n-3\t4\n")
    # iter_edge_file is now a layer over the one edge-file reader, so its messages are
    # read_edge_list's (1-based line, the field named); it said "negative node id in edge 1"
    with pytest.raises(ValueError, match="neg.tsv, line 2: negative source id -3"):
        list(D.iter_edge_file(tmp_path / "neg.tsv"))
    (tmp_path / "aligned.txt").write_text("# aligned columns, as graphlearn embed reads them\n 1  2\n10  3\n")
    chunks = list(D.iter_edge_file(tmp_path / "aligned.txt"))
    assert [c.tolist() for c in chunks[0][:2]] == [[1, 10], [2, 3]]
    with pytest.raises(FileNotFoundError):
        list(D.iter_edge_file(tmp_path / "missing.tsv"))


@TIMEOUT
def test_single_process_group(tmp_path):
    """World size 1 (in this process): the distributed path is the plain FastRP."""
    import datetime

    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1,
                            timeout=datetime.timedelta(seconds=30))
    try:
        case = dict(graph=dict(n=120, e=400, seed=9), directed=False, weighted=True, dedupe=True)
        adj = reference_adjacency(case)
        model = FastRP(dim=32, self_influence=0.5, random_state=3)
        rows = D.DistributedFastRP(model).fit_transform(D.LocalBlock.from_csr(adj, 0, adj.num_rows))
        assert np.abs(rows - model.fit_transform(adj)).max() < 1e-5
        path = str(tmp_path / "one.npy")
        D.write_npy_rows(path, rows, 0, adj.num_rows)
        assert np.array_equal(np.load(path), rows)
        assert [p for p in os.listdir(tmp_path) if p.endswith(".partial")] == []
        with pytest.raises(ValueError, match="direction"):
            D.DistributedFastRP(FastRP(direction="in")).fit(D.LocalBlock.from_csr(adj, 0, adj.num_rows))
        with pytest.raises(ValueError, match="tile"):
            D.write_npy_rows(path, rows[:5], 0, adj.num_rows)
    finally:
        dist.destroy_process_group()


@TIMEOUT
def test_embed_edge_list_in_one_process_group(tmp_path):
    """The docs' Python recipe (embed_edge_list + write_embeddings) on a group of one
    process gives the files of `graphlearn embed`."""
    import datetime

    import torch.distributed as dist

    from graphlearn.cli import main
    from graphlearn.embed.distributed import embed_edge_list, write_embeddings
    from graphlearn.embed.io import read_embeddings

    s, d, w, _ = edges_of(dict(graph=dict(n=150, e=500, seed=8), weighted=True))
    path = tmp_path / "edges.tsv"
    path.write_text("".join(f"{a * 3}\t{b * 3}\t{x!r}\n" for a, b, x in zip(s, d, w.tolist())))  # gaps in the ids
    assert main(["embed", str(path), "-o", str(tmp_path / "one.npy"), "--weighted", "--directed", "--dim", "24",
                 "--quiet"]) == 0
    dist.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1,
                            timeout=datetime.timedelta(seconds=30))
    try:
        model = FastRP(dim=24, iteration_weights=(0.0, 0.0, 1.0, 6.67), normalization_strength=-0.64)
        res = embed_edge_list(path, model, directed=True, weighted=True)
        assert (res.row_start, res.row_end, res.num_nodes) == (0, res.num_nodes, len(set(s) | set(d)))
        write_embeddings(tmp_path / "dist.npy", res.rows, res.ids, res.row_start, res.num_nodes)
    finally:
        dist.destroy_process_group()
    got, want = read_embeddings(str(tmp_path / "dist.npy")), read_embeddings(str(tmp_path / "one.npy"))
    assert got[1].tolist() == want[1].tolist() == sorted(set((s * 3).tolist()) | set((d * 3).tolist()))
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
