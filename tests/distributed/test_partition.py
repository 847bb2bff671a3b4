"""graphlearn.distributed.partition (in one process): row blocks, the distinct ids of
a stream with their counts (dense table and sorted runs agree with numpy), the rows
of ids."""
from __future__ import annotations

import numpy as np
import pytest

from graphlearn.distributed import IdCounter, RowIndex, check_boundaries, owner_of, row_partition


def test_row_partition_by_rows_and_by_work():
    assert row_partition(10, 3).tolist() == [0, 3, 6, 10]
    assert row_partition(2, 3).tolist() == [0, 0, 1, 2]
    deg = np.array([100, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    b = row_partition(10, 2, deg)
    assert b.tolist()[0] == 0 and b[1] <= 1  # the hub alone outweighs half the work
    with pytest.raises(ValueError, match="world_size"):
        row_partition(5, 0)


def test_check_boundaries_and_owner_of():
    b = check_boundaries([0, 2, 2, 5], 5)
    assert b.dtype == np.int64 and owner_of(b, [0, 1, 2, 4]).tolist() == [0, 0, 2, 2]
    for bad in ([1, 5], [0, 3, 2, 5], [0, 4], [[0, 5]], [0.0, 5.0]):
        with pytest.raises(ValueError, match="boundaries"):
            check_boundaries(bad, 5)


def _reference(chunks):
    ids = np.concatenate([c[0] for c in chunks])
    counted = np.concatenate([np.broadcast_to(c[1], c[0].shape) for c in chunks])
    u = np.unique(ids)
    return u, np.array([int(counted[ids == x].sum()) for x in u], dtype=np.int64)


@pytest.mark.parametrize("kind", ["dense", "sparse", "switch", "tiny_blocks"])
def test_id_counter_matches_numpy(kind):
    rng = np.random.default_rng({"dense": 0, "sparse": 1, "switch": 2, "tiny_blocks": 3}[kind])
    chunks = []
    for b in range(6):
        k = 3 if kind == "tiny_blocks" else int(rng.integers(0, 3000))
        hi = 2**62 if kind == "sparse" or (kind == "switch" and b == 3) else 5000
        ids = rng.integers(0, hi, k)
        counted = rng.random(k) < 0.5 if b % 2 else bool(b % 4)
        chunks.append((ids, counted))
    counter = IdCounter()
    for ids, counted in chunks:
        counter.add(ids, counted)
    got_ids, got_counts = counter.finish()
    want_ids, want_counts = _reference(chunks)
    np.testing.assert_array_equal(got_ids, want_ids)
    np.testing.assert_array_equal(got_counts, want_counts)
    assert counter.dense == (kind in ("dense", "tiny_blocks"))
    assert counter.seen == sum(c[0].size for c in chunks)


def test_id_counter_merges_runs(monkeypatch):
    """Sparse ids in many blocks: the sorted runs are merged along the way."""
    counter = IdCounter()
    rng = np.random.default_rng(5)
    chunks = [(rng.integers(2**40, 2**40 + 10**6, 700), True) for _ in range(30)]
    import graphlearn.distributed.partition as P

    merges = []
    real = P.IdCounter._merge
    monkeypatch.setattr(P.IdCounter, "_merge", lambda self: (merges.append(1), real(self))[1])
    monkeypatch.setattr(P.IdCounter, "_MERGE_MIN", 1000)
    for ids, c in chunks:
        counter.add(ids, c)
    ids, counts = counter.finish()
    want_ids, want_counts = _reference(chunks)
    np.testing.assert_array_equal(ids, want_ids)
    np.testing.assert_array_equal(counts, want_counts)
    assert len(merges) > 1


def test_id_counter_bad_input_and_empty():
    counter = IdCounter()
    assert [a.tolist() for a in counter.finish()] == [[], []]
    with pytest.raises(ValueError, match=">= 0"):
        counter.add(np.array([3, -1]))
    with pytest.raises(ValueError, match="integer"):
        counter.add(np.array([0.5]))
    with pytest.raises(ValueError, match="mask"):
        counter.add(np.array([1, 2]), np.array([True]))


def test_row_index():
    idx = RowIndex(np.array([4, 5, 6, 7]))
    assert idx.consecutive and idx.rows([7, 4, 5]).tolist() == [3, 0, 1]
    assert idx.id_range(1, 3) == (5, 7) and idx.id_range(2, 4) == (6, None) and idx.id_range(2, 2) == (0, 0)
    with pytest.raises(ValueError, match="id 8"):
        idx.rows([8])
    idx = RowIndex(np.array([0, 3, 2**62]))
    assert not idx.consecutive and idx.rows([2**62, 0, 3]).tolist() == [2, 0, 1]
    for missing in (1, 2**62 + 1):
        with pytest.raises(ValueError, match=f"id {missing} "):
            idx.rows([0, missing])
    with pytest.raises(ValueError, match="increasing"):
        RowIndex(np.array([3, 3]))
