"""Files that belong together (issue 11): an ``.npy`` and its ``.ids`` are published
together or not at all, and read together. Two writer *processes* (the lock must hold
between processes, so threads would not do) write the same output in synchronised
rounds, each writing a matrix and ids that say which writer wrote them; every pair
that is read back, after each round and by a reader running all along, must come from
one writer."""
import multiprocessing as mp
import os

import numpy as np

ROUNDS = 300
ROWS = 64
_ID_BASE = 10**9  # writer w writes ids w * _ID_BASE + row


def _writer(path, wid, rounds, barrier):
    from graphlearn.embed.io import write_embeddings

    ids = np.arange(ROWS, dtype=np.int64) + wid * _ID_BASE
    emb = np.full((ROWS, 3), float(wid), dtype=np.float32)
    for r in range(rounds):
        barrier.wait()
        emb[:, 1] = r
        write_embeddings(path, emb, ids)
        barrier.wait()


def _reader(path, stop, result):
    from graphlearn.embed.io import read_embeddings

    reads = mixed = 0
    while not stop.is_set():
        try:
            emb, ids = read_embeddings(path)
        except FileNotFoundError:
            continue
        reads += 1
        if ids is None or not (np.all(emb[:, 0] == emb[0, 0]) and np.all(ids // _ID_BASE == int(emb[0, 0]))):
            mixed += 1
    result.put((reads, mixed))


def _pair_ok(path) -> bool:
    from graphlearn.embed.io import read_embeddings

    emb, ids = read_embeddings(path)
    return bool(ids is not None and np.all(ids // _ID_BASE == int(emb[0, 0])) and np.all(emb[:, 0] == emb[0, 0]))


def test_two_writer_processes_publish_matching_pairs(tmp_path):
    ctx = mp.get_context("spawn")  # no fork of a process that holds torch's threads
    path = str(tmp_path / "emb.npy")
    barrier = ctx.Barrier(3)
    stop, result = ctx.Event(), ctx.Queue()
    writers = [ctx.Process(target=_writer, args=(path, w, ROUNDS, barrier)) for w in (1, 2)]
    reader = ctx.Process(target=_reader, args=(path, stop, result))
    for p in writers + [reader]:
        p.start()
    bad_rounds = []
    try:
        for r in range(ROUNDS):
            barrier.wait(timeout=120)  # both writers start publishing
            barrier.wait(timeout=120)  # both have published
            if not _pair_ok(path):
                bad_rounds.append(r)
    finally:
        stop.set()
        for p in writers:
            p.join(timeout=120)
        reads, mixed = result.get(timeout=120)
        reader.join(timeout=120)
    assert all(p.exitcode == 0 for p in writers + [reader])
    assert bad_rounds == [], f"{len(bad_rounds)} of {ROUNDS} rounds left an .npy and an .ids of different writers"
    assert reads > 0 and mixed == 0, f"the reader paired foreign files {mixed} times in {reads} reads"
    assert sorted(os.listdir(tmp_path)) == ["emb.npy", "emb.npy.ids"]  # no lock file, no temporaries
