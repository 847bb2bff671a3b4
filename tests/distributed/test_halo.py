"""graphlearn.distributed.halo on 3 gloo processes: every rank receives exactly the
rows of its halo (the distinct remote columns of its rows), for any row width and
dtype, with both transports; the backward exchange sums the halo contributions into
their owners' rows (checked against the dense product of the whole matrix)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from graphlearn.distributed import localize_columns
from tests.distributed.launch import launch

N = 47
BOUNDS = [0, 20, 20, 47]  # rank 1 owns no rows


def global_matrix(seed=0):
    """A random [N, N] 0/1 matrix as (row, col) entries, with an empty row and a hub column."""
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, N, 300), rng.integers(0, N, 300)
    rows = np.concatenate([rows, np.arange(N)])
    cols = np.concatenate([cols, np.full(N, 5)])
    keep = rows != 7
    return rows[keep], cols[keep]


def features(dtype, shape_tail):
    n = N * int(np.prod(shape_tail, dtype=np.int64))
    x = torch.arange(n, dtype=torch.float64).reshape((N,) + tuple(shape_tail)) * 0.5 + 1
    return x.to(dtype)


CASES = [("alltoall", torch.float32, (5,)), ("p2p", torch.float64, (2, 3)), ("alltoall", torch.int64, ()),
         ("p2p", torch.float32, (1,))]


def worker(out):
    import torch.distributed as dist

    from graphlearn.distributed import HaloExchange

    rank = dist.get_rank()
    r0, r1 = BOUNDS[rank], BOUNDS[rank + 1]
    rows, cols = global_matrix()
    mine = (rows >= r0) & (rows < r1)
    local_col, halo = localize_columns(torch.from_numpy(cols[mine]), r0, r1)
    result = {"halo": halo.tolist(), "cases": []}
    for method, dtype, tail in CASES:
        ex = HaloExchange(halo, BOUNDS, method=method)
        x = features(dtype, tail)
        got = ex(x[r0:r1])
        want = torch.cat([x[r0:r1], x[halo]])
        # backward: y_ext holds values for own + halo rows; reduce sums the halo values into their owners
        y_ext = torch.ones((r1 - r0 + ex.halo_rows,) + tuple(tail), dtype=dtype) * (rank + 1)
        reduced = ex.reduce(y_ext)
        out_buf = torch.full_like(got, -1)
        again = ex(x[r0:r1], out=out_buf)
        result["cases"].append({"method": ex.method, "equal": bool(torch.equal(got, want)),
                                "dtype": str(got.dtype), "shape": list(got.shape), "reduced": reduced.tolist(),
                                "reused": bool(again.data_ptr() == out_buf.data_ptr() and torch.equal(again, want)),
                                "recv": ex.recv_counts.tolist(), "send": ex.send_counts.tolist(),
                                "bytes": ex.bytes_per_exchange(8)})
    # bad plans, on every rank (the checks run before any collective)
    for bad in ("own_rows_or_unsorted", "bad_method"):
        try:
            if bad == "own_rows_or_unsorted":
                HaloExchange(torch.tensor([3, 2]) if rank == 1 else torch.arange(r0, r1), BOUNDS)
            else:
                HaloExchange(halo, BOUNDS, method="carrier-pigeon")
            result[bad] = None
        except ValueError as e:
            result[bad] = str(e)
    return result


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return launch(3, "tests.distributed.test_halo:worker", str(tmp_path_factory.mktemp("halo")))


def test_forward_exchange_moves_exactly_the_halo(results):
    rows, cols = global_matrix()
    for rank, res in enumerate(results):
        r0, r1 = BOUNDS[rank], BOUNDS[rank + 1]
        c = np.unique(cols[(rows >= r0) & (rows < r1)])
        assert res["halo"] == c[(c < r0) | (c >= r1)].tolist()
        for case, (method, dtype, tail) in zip(res["cases"], CASES):
            assert case["equal"] and case["reused"], (rank, method, dtype)
            assert case["method"] == method and case["dtype"] == str(dtype)
            assert case["shape"] == [r1 - r0 + len(res["halo"])] + list(tail)
            owner = np.searchsorted(BOUNDS, res["halo"], side="right") - 1
            assert case["recv"] == np.bincount(owner, minlength=3).tolist()
            for k in range(3):  # what k sends to this rank is what this rank receives from k
                assert results[k]["cases"][0]["send"][rank] == case["recv"][k]
            assert case["bytes"] == sum(case["send"]) * 8 * 4


def test_backward_exchange_is_the_transpose(results):
    """reduce(y) on every rank = own y + the y every other rank holds for those rows
    (each rank r holds the value r + 1 for all its rows and halo rows)."""
    for case_no, (method, dtype, tail) in enumerate(CASES):
        for rank, res in enumerate(results):
            r0, r1 = BOUNDS[rank], BOUNDS[rank + 1]
            want = np.full((r1 - r0,) + tuple(tail), rank + 1, dtype=np.float64)
            for k, other in enumerate(results):
                if k == rank:
                    continue
                for g in other["halo"]:
                    if r0 <= g < r1:
                        want[g - r0] += k + 1
            got = np.asarray(res["cases"][case_no]["reduced"], dtype=np.float64).reshape(want.shape)
            np.testing.assert_array_equal(got, want, err_msg=f"{method} {dtype} rank {rank}")


def test_bad_plans_raise(results):
    assert "its own rows" in results[0]["own_rows_or_unsorted"]
    assert "its own rows" in results[2]["own_rows_or_unsorted"]
    assert "sorted distinct" in results[1]["own_rows_or_unsorted"]
    assert all("method" in r["bad_method"] for r in results)


def test_localize_columns():
    col = torch.tensor([3, 9, 4, 0, 9, 5, 12])
    local, halo = localize_columns(col, 3, 6)
    assert halo.tolist() == [0, 9, 12]
    assert local.tolist() == [0, 4, 1, 3, 4, 2, 5]
    local, halo = localize_columns(torch.zeros(0, dtype=torch.long), 0, 4)
    assert local.numel() == 0 and halo.numel() == 0
