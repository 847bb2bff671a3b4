"""graphlearn.embed.io: every format round-trips ids and float32 vectors exactly, is
readable by independent parsers (plain Python, pyarrow, gensim when installed), and
leaves nothing behind when writing fails."""
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from graphlearn.embed import io as eio
from graphlearn.embed.io import embedding_format, read_embeddings, write_embeddings


def _emb(n=50, d=7, seed=0):
    rng = np.random.default_rng(seed)
    e = rng.standard_normal((n, d)).astype(np.float32)
    e[0, 0], e[1, 1], e[2, 2] = 1e-30, -3.4e38, 0.0  # extremes of float32
    return e


ID_KINDS = {
    "default": None,
    "int": np.arange(50, dtype=np.int64) * 1000 + 7,
    "str": np.array([f"user:{i}/é" for i in range(50)], dtype=object),
}


@pytest.mark.parametrize("name,fmt", [("e.npy", "npy"), ("e.parquet", "parquet"), ("e.pq", "parquet"),
                                      ("e.txt", "word2vec"), ("e.w2v", "word2vec"), ("e.vec", "word2vec")])
@pytest.mark.parametrize("kind", list(ID_KINDS))
def test_round_trip(tmp_path, name, fmt, kind):
    emb, ids = _emb(), ID_KINDS[kind]
    path = str(tmp_path / name)
    assert embedding_format(path) == fmt
    files = write_embeddings(path, emb, ids)
    assert files[0] == path and all(os.path.isfile(f) for f in files)
    got, got_ids = read_embeddings(path)
    np.testing.assert_array_equal(got, emb)  # exact: shortest round-trip text for float32
    assert got.dtype == np.float32
    expect = np.arange(50) if ids is None else ids
    assert list(got_ids) == list(expect)
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(f) for f in files)  # no temp files left


def test_npy_layout_and_ids_file(tmp_path):
    emb = _emb()
    path = str(tmp_path / "e.npy")
    write_embeddings(path, emb, ID_KINDS["str"])
    np.testing.assert_array_equal(np.load(path), emb)
    with open(path + ".ids", encoding="utf-8") as f:
        assert f.read() == "".join(f"{s}\n" for s in ID_KINDS["str"])


def test_word2vec_text_by_independent_parser(tmp_path):
    emb, ids = _emb(), ID_KINDS["int"]
    path = str(tmp_path / "e.vec")
    write_embeddings(path, emb, ids)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[0] == "50 7" and lines[-1] == ""
    rows = [line.split(" ") for line in lines[1:-1]]
    assert [int(r[0]) for r in rows] == ids.tolist()
    assert all(len(r) == 8 for r in rows)
    np.testing.assert_array_equal(np.array([[np.float32(v) for v in r[1:]] for r in rows]), emb)


def test_word2vec_precision(tmp_path):
    emb = _emb()
    path = str(tmp_path / "e.txt")
    write_embeddings(path, emb, precision=3)
    got, _ = read_embeddings(path)
    np.testing.assert_array_equal(got, np.round(emb.astype(np.float64), 3).astype(np.float32))
    assert np.isfinite(got).all()
    with open(path) as f:
        f.readline()
        values = [v for line in f for v in line.split()[1:]]
    assert all("e" in v or len(v.partition(".")[2]) <= 3 for v in values)


def test_gensim_loads_word2vec(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    emb, ids = _emb(), ID_KINDS["str"]
    path = str(tmp_path / "e.w2v")
    write_embeddings(path, emb, ids)
    kv = gensim_models.KeyedVectors.load_word2vec_format(path, binary=False)
    assert list(kv.index_to_key) == list(ids)
    np.testing.assert_array_equal(kv.vectors, emb)


def test_parquet_layouts(tmp_path):
    emb, ids = _emb(), ID_KINDS["int"]
    p1, p2 = str(tmp_path / "list.parquet"), str(tmp_path / "cols.parquet")
    write_embeddings(p1, emb, ids)
    write_embeddings(p2, emb, ids, layout="columns")
    t1, t2 = pq.read_table(p1), pq.read_table(p2)
    assert t1.column_names == ["id", "embedding"]
    assert t2.column_names == ["id"] + [f"f{j}" for j in range(7)]
    np.testing.assert_array_equal(np.array(t1.column("embedding").to_pylist(), dtype=np.float32), emb)
    np.testing.assert_array_equal(np.stack([t2.column(f"f{j}").to_numpy() for j in range(7)], 1), emb)
    assert t1.column("id").to_pylist() == ids.tolist()
    np.testing.assert_array_equal(read_embeddings(p2)[0], emb)


def test_many_blocks_and_torch_input(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(eio, "_ROWS_PER_BLOCK", 64)
    emb = torch.randn(1000, 3, generator=torch.Generator().manual_seed(0))
    for name in ("a.txt", "a.parquet"):
        path = str(tmp_path / name)
        write_embeddings(path, emb, torch.arange(1000) * 2)
        got, ids = read_embeddings(path)
        np.testing.assert_array_equal(got, emb.numpy())
        assert ids.tolist() == list(range(0, 2000, 2))


def test_bad_inputs(tmp_path):
    emb = _emb()
    with pytest.raises(ValueError, match="unknown embedding format"):
        write_embeddings(str(tmp_path / "e.npy"), emb, format="hdf5")
    with pytest.raises(ValueError, match="extension"):
        write_embeddings(str(tmp_path / "e.xyz"), emb)
    with pytest.raises(ValueError, match=r"one id per row \(50\)"):
        write_embeddings(str(tmp_path / "e.npy"), emb, np.arange(3))
    with pytest.raises(ValueError, match="2-D"):
        write_embeddings(str(tmp_path / "e.npy"), emb[0])
    with pytest.raises(ValueError, match="whitespace"):
        write_embeddings(str(tmp_path / "e.txt"), emb[:2], np.array(["a b", "c"], dtype=object))
    with pytest.raises(ValueError, match="non-empty"):
        write_embeddings(str(tmp_path / "e.txt"), emb[:2], np.array(["", "c"], dtype=object))
    with pytest.raises(ValueError, match="line breaks"):
        write_embeddings(str(tmp_path / "e.npy"), emb[:2], np.array(["a\nb", "c"], dtype=object))
    with pytest.raises(ValueError, match="layout"):
        write_embeddings(str(tmp_path / "e.parquet"), emb, layout="wide")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_embeddings(str(tmp_path / "missing_dir" / "e.npy"), emb)
    with pytest.raises(IsADirectoryError):
        write_embeddings(str(tmp_path), emb, format="npy")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["e.npy", "e.parquet", "e.txt"])
def test_failure_mid_write_leaves_old_file_and_no_temp(tmp_path, monkeypatch, name):
    path = str(tmp_path / name)
    with open(path, "w") as f:
        f.write("previous content")

    def boom(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(eio, "_write_id_lines", boom)
    monkeypatch.setattr(eio, "_write_parquet", boom)
    monkeypatch.setattr(eio, "_write_word2vec", boom)
    with pytest.raises(OSError, match="disk full"):
        write_embeddings(path, _emb())
    assert os.listdir(tmp_path) == [name]
    with open(path) as f:
        assert f.read() == "previous content"


def test_output_permissions_follow_umask(tmp_path):
    path = str(tmp_path / "e.npy")
    old = os.umask(0o022)
    try:
        write_embeddings(path, _emb())
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o644
