"""graphlearn.distributed.writers on 3 gloo processes (one of them without rows):
one file from every rank's rows, byte for byte what numpy.save / the single-process
writers produce; files published together or not at all (a failing rank, a missing
folder, rows that do not tile); per-rank parts; rows gathered on one rank."""
from __future__ import annotations

import os

import numpy as np
import pytest

from graphlearn import _io
from tests.distributed.launch import launch

BOUNDS = [0, 7, 7, 19]  # rank 1 holds no rows
N = BOUNDS[-1]


def full_rows(dtype=np.float32, tail=(4,)):
    a = np.arange(N * int(np.prod(tail)), dtype=np.float64).reshape((N,) + tail)
    return (np.sin(a) * 100).astype(dtype)


def ids_of():
    return np.arange(N, dtype=np.int64) * 37 + 2**40


def worker(out):
    import torch.distributed as dist

    from graphlearn.distributed import (Segment, gather_rows, lines_segment, npy_segment, write_npy_parts,
                                        write_npy_rows, write_sharded)
    from graphlearn.embed.distributed import write_embeddings

    rank = dist.get_rank()
    r0, r1 = BOUNDS[rank], BOUNDS[rank + 1]
    rows, ids = full_rows()[r0:r1], ids_of()[r0:r1]
    res = {}
    emb = os.path.join(out, "emb.npy")
    res["sharded"] = write_sharded([emb, emb + ".ids"], [npy_segment(rows, r0, N), lines_segment(ids)])
    res["rows3d"] = write_npy_rows(os.path.join(out, "f64.npy"), full_rows(np.float64, (2, 3))[r0:r1], r0, N)
    parts = write_npy_parts(os.path.join(out, "parts"), rows, r0, N)
    res["parts"] = parts

    def failing(f):
        if rank == 2:
            raise OSError("disk on fire")
        f.write(b"x")

    def full(f):
        if rank == 2:
            import errno

            raise OSError(errno.ENOSPC, "No space left on device")
        f.write(b"x")

    errors = {}
    attempts = {
        "failing_rank": lambda: write_sharded([os.path.join(out, "a.bin"), os.path.join(out, "b.bin")],
                                              [Segment(1, failing), Segment(0, lambda f: None)]),
        "full_disk": lambda: write_sharded([os.path.join(out, "c.bin")], [Segment(1, full)]),
        "missing_folder": lambda: write_npy_rows(os.path.join(out, "no_such_dir", "x.npy"), rows, r0, N),
        "not_tiling": lambda: write_npy_rows(os.path.join(out, "t.npy"), rows, r0 + (rank == 2), N),
        "short_segment": lambda: write_sharded([os.path.join(out, "s.bin")], [Segment(4, lambda f: f.write(b"ab"))]),
    }
    for name, attempt in attempts.items():
        try:
            attempt()
            errors[name] = None
        except (OSError, ValueError) as e:
            errors[name] = f"{type(e).__name__}: {e}"
    res["errors"] = errors
    g = gather_rows(rows)
    gi = gather_rows(ids, dst=2)
    res["gather"] = None if g is None else g.tolist()
    res["gather_ids"] = None if gi is None else gi.tolist()
    for name in ("w.vec", "w.parquet", "w.npy"):
        res[name] = write_embeddings(os.path.join(out, name), rows, ids, r0, N)
    return res


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("writers"))
    return out, launch(3, "tests.distributed.test_writers:worker", out)


def test_one_npy_and_ids_as_numpy_save_writes_them(run, tmp_path):
    from graphlearn.embed.io import write_embeddings

    out, results = run
    assert all(r["sharded"] == [os.path.join(out, "emb.npy"), os.path.join(out, "emb.npy.ids")] for r in results)
    np.save(tmp_path / "ref.npy", full_rows())
    assert open(os.path.join(out, "emb.npy"), "rb").read() == (tmp_path / "ref.npy").read_bytes()
    write_embeddings(str(tmp_path / "one.npy"), full_rows(), ids_of())
    assert open(os.path.join(out, "emb.npy.ids"), "rb").read() == (tmp_path / "one.npy.ids").read_bytes()
    np.save(tmp_path / "ref3.npy", full_rows(np.float64, (2, 3)))
    assert open(os.path.join(out, "f64.npy"), "rb").read() == (tmp_path / "ref3.npy").read_bytes()
    assert oct(os.stat(os.path.join(out, "emb.npy")).st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


def test_parts_round_trip(run):
    from graphlearn.distributed import read_npy_parts

    out, results = run
    assert results[0]["parts"] == [f"parts.part{r:05d}.npy" for r in range(3)]
    np.testing.assert_array_equal(read_npy_parts(os.path.join(out, "parts")), full_rows())


def test_nothing_published_on_failure(run):
    out, results = run
    for r in range(3):
        e = results[r]["errors"]
        # the error names the output being written, not its temporary (issue 11)
        assert e["failing_rank"] == f"OSError: rank 2: disk on fire while writing {os.path.join(out, 'a.bin')}"
        assert e["full_disk"] == f"OSError: rank 2: no space left on device while writing {os.path.join(out, 'c.bin')}"
        assert e["missing_folder"].startswith("FileNotFoundError") or "does not exist" in e["missing_folder"], e
        assert "do not tile" in e["not_tiling"] and e["not_tiling"].startswith("ValueError")
        assert "wrote 2 bytes, not the 4 announced" in e["short_segment"]
    for name in ("a.bin", "b.bin", "c.bin", "t.npy", "s.bin"):
        assert not os.path.exists(os.path.join(out, name)), name
    assert _io.leftover_temporaries(out) == []


def test_gather_rows(run):
    _, results = run
    assert np.array_equal(np.asarray(results[0]["gather"], dtype=np.float32), full_rows())
    assert results[1]["gather"] is None and results[2]["gather"] is None
    assert results[2]["gather_ids"] == ids_of().tolist() and results[0]["gather_ids"] is None


def test_distributed_write_embeddings_equals_the_single_process_files(run, tmp_path):
    from graphlearn.embed.io import read_embeddings, write_embeddings

    out, results = run
    for name in ("w.vec", "w.parquet", "w.npy"):
        assert all(r[name] == results[0][name] for r in results)
        write_embeddings(str(tmp_path / name), full_rows(), ids_of())
        got, want = read_embeddings(os.path.join(out, name)), read_embeddings(str(tmp_path / name))
        np.testing.assert_array_equal(got[0], want[0])
        assert got[1].tolist() == want[1].tolist()
    assert open(os.path.join(out, "w.vec"), "rb").read() == (tmp_path / "w.vec").read_bytes()
    assert open(os.path.join(out, "w.npy"), "rb").read() == (tmp_path / "w.npy").read_bytes()
