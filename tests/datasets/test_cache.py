"""The processed-dataset cache: hits, content-hash invalidation, corrupt files,
read-only dataset folders, atomic writes. Caches are written under tmp_path only."""
import gzip
import os
import stat

import pytest
import torch

from graphlearn import _io

from graphlearn.datasets import _cache, load_ogb
from graphlearn.datasets import ogb as ogb_mod
from tests.datasets.ogb_folders import write_ddi_like, write_mol_like


@pytest.fixture
def no_home_cache(tmp_path, monkeypatch):
    """Route the fallback cache into tmp_path, whatever the test does."""
    monkeypatch.setenv("GRAPHLEARN_CACHE", str(tmp_path / "env_cache"))
    return tmp_path / "env_cache"


def forbid_raw_parsing(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("raw files were parsed although the cache is valid")

    monkeypatch.setattr(ogb_mod, "_build_payload", boom)


def test_second_load_hits_cache_next_to_raw(tmp_path, monkeypatch, no_home_cache):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    a = load_ogb("ogbl-ddi", str(folder))
    assert a.cache_path == str(folder / "processed" / "graphlearn_ogbl_ddi.pt")
    assert os.path.isfile(a.cache_path) and not no_home_cache.exists()
    forbid_raw_parsing(monkeypatch)
    b = load_ogb("ogbl-ddi", str(folder))
    assert torch.equal(a[0].edge_index, b[0].edge_index) and a[0].num_nodes == b[0].num_nodes
    assert not _io.leftover_temporaries(folder / "processed")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(a.cache_path).st_mode) == 0o666 & ~umask


def test_multi_graph_cache_round_trip(tmp_path, monkeypatch):
    folder = tmp_path / "ogbg_molhiv"
    write_mol_like(str(folder))
    a = load_ogb("ogbg-molhiv", str(folder))
    forbid_raw_parsing(monkeypatch)
    b = load_ogb("ogbg-molhiv", str(folder))
    assert len(a) == len(b) == 6
    for i in range(len(a)):
        for k in ("x", "edge_index", "edge_attr", "y"):
            assert torch.equal(a[i][k], b[i][k])
        assert a[i].num_nodes == b[i].num_nodes


def _write_stored_gz(path, edges):
    """gzip without compression and a fixed header time: same-length content
    gives a file of the same size."""
    text = "".join(f"{u},{v}\n" for u, v in edges).encode()
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=0, mtime=0) as f:
            f.write(text)


def test_changed_contents_same_size_and_mtime_rebuild(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    ref = write_ddi_like(str(folder))
    edge_file = folder / "raw" / "edge.csv.gz"
    _write_stored_gz(edge_file, ref["edges"])
    first = load_ogb("ogbl-ddi", str(folder))[0].edge_index
    st = os.stat(edge_file)
    _write_stored_gz(edge_file, ref["edges"][:, ::-1])  # every edge reversed: same bytes count
    os.utime(edge_file, ns=(st.st_atime_ns, st.st_mtime_ns))
    st2 = os.stat(edge_file)
    assert (st2.st_size, st2.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    second = load_ogb("ogbl-ddi", str(folder))[0].edge_index
    assert torch.equal(second, first.flip(0)) and not torch.equal(second, first)


def test_format_version_bump_rebuilds(tmp_path, monkeypatch):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    load_ogb("ogbl-ddi", str(folder))
    calls = []
    real = ogb_mod._build_payload
    monkeypatch.setattr(ogb_mod, "_build_payload", lambda *a: calls.append(1) or real(*a))
    load_ogb("ogbl-ddi", str(folder))
    assert calls == []
    monkeypatch.setattr(_cache, "FORMAT_VERSION", _cache.FORMAT_VERSION + 1)
    load_ogb("ogbl-ddi", str(folder))
    assert calls == [1]


@pytest.mark.parametrize("damage", ["garbage", "truncate", "foreign"])
def test_corrupt_cache_is_rebuilt(tmp_path, monkeypatch, damage):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    ds = load_ogb("ogbl-ddi", str(folder))
    path = ds.cache_path
    blob = open(path, "rb").read()
    if damage == "garbage":
        open(path, "wb").write(b"not a cache at all")
    elif damage == "truncate":
        open(path, "wb").write(blob[: len(blob) // 3])
    else:
        torch.save({"something": torch.zeros(3)}, path)
    if damage == "foreign":
        again = load_ogb("ogbl-ddi", str(folder))
    else:
        with pytest.warns(UserWarning, match="unreadable"):
            again = load_ogb("ogbl-ddi", str(folder))
    assert torch.equal(again[0].edge_index, ds[0].edge_index)
    assert torch.load(path, weights_only=True)["format"] == _cache.FORMAT_VERSION  # rewritten whole
    forbid_raw_parsing(monkeypatch)
    load_ogb("ogbl-ddi", str(folder))


def test_read_only_folder_falls_back_to_env_cache(tmp_path, no_home_cache):
    folder = tmp_path / "ro" / "ogbl_ddi"
    write_ddi_like(str(folder))
    for dirpath, dirnames, filenames in os.walk(folder):
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o444)
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        os.chmod(dirpath, 0o555)
    try:
        ds = load_ogb("ogbl-ddi", str(folder))
        assert ds.cache_path.startswith(str(no_home_cache)) and os.path.isfile(ds.cache_path)
        assert sorted(os.listdir(folder)) == ["raw", "split"]  # nothing written into the dataset
        explicit = tmp_path / "explicit"
        ds2 = load_ogb("ogbl-ddi", str(folder), cache_dir=str(explicit))
        assert ds2.cache_path.startswith(str(explicit)) and os.path.isfile(ds2.cache_path)
    finally:
        for dirpath, dirnames, filenames in os.walk(folder):
            os.chmod(dirpath, 0o755)


def test_two_copies_do_not_share_a_cache(tmp_path):
    cache = tmp_path / "cache"
    a_dir, b_dir = tmp_path / "a" / "ogbl_ddi", tmp_path / "b" / "ogbl_ddi"
    write_ddi_like(str(a_dir), seed=1)
    write_ddi_like(str(b_dir), seed=2)
    a = load_ogb("ogbl-ddi", str(a_dir), cache_dir=str(cache))
    b = load_ogb("ogbl-ddi", str(b_dir), cache_dir=str(cache))
    assert a.cache_path != b.cache_path and not torch.equal(a[0].edge_index, b[0].edge_index)


def test_unwritable_cache_warns_and_loads(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.warns(UserWarning, match="could not write cache"):
        ds = load_ogb("ogbl-ddi", str(folder), cache_dir=str(blocker))
    assert ds[0].num_nodes == 40


def test_use_cache_false_writes_nothing(tmp_path):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    load_ogb("ogbl-ddi", str(folder), use_cache=False)
    assert sorted(os.listdir(folder)) == ["raw", "split"]


def test_file_digest_is_content_based(tmp_path):
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()
    a, b = tmp_path / "1" / "edge.csv.gz", tmp_path / "2" / "edge.csv.gz"  # same name, other folder
    a.write_bytes(b"0123456789" * 1000)
    b.write_bytes(b"0123456789" * 1000)
    assert _cache.file_digest([str(a)]) == _cache.file_digest([str(b)])
    st = os.stat(a)
    with open(a, "r+b") as f:
        f.seek(5000)
        f.write(b"X")
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert _cache.file_digest([str(a)]) != _cache.file_digest([str(b)])
    assert _cache.file_digest([str(b)], extra="v2") != _cache.file_digest([str(b)])


def test_mode_bits_respected_even_for_root(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    assert _cache._mode_writable(str(d))
    os.chmod(d, stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        assert not _cache._mode_writable(str(d))
    finally:
        os.chmod(d, 0o755)


# ----------------------------------------------------------------------------- issue 11, class 2: damaged caches

_DAMAGE_CHILD = r"""
import json, os, sys, warnings, zipfile
import numpy as np, torch
sys.path.insert(0, os.environ["REPO"])
from graphlearn.datasets import load_ogb, load_planetoid, load_tu
kind, folder = sys.argv[1], sys.argv[2]
if kind == "ogb":
    load = lambda: load_ogb("ogbl-ddi", folder)
    view = lambda d: [d[0].edge_index]
elif kind == "planetoid":
    load = lambda: load_planetoid("cora", folder)
    view = lambda d: [d.x, d.y, d.edge_index, d.train_mask, d.val_mask, d.test_mask]
else:
    load = lambda: load_tu("TOY", folder)
    view = lambda d: [d._data.x, d._data.edge_index, d._data.edge_attr, d._data.y]
clean = view(load())
(path,) = [os.path.join(r, f) for top in (folder, os.environ["GRAPHLEARN_CACHE"]) for r, _, fs in os.walk(top)
           for f in fs if f.startswith("graphlearn_") and f.endswith(".pt")]
blob = open(path, "rb").read()
positions = [int(p) for p in np.linspace(0, len(blob) - 1, 20)]
with zipfile.ZipFile(path) as zf:  # and inside the bytes of the two largest tensors
    storages = [i for i in zf.infolist() if "/data/" in i.filename]  # tensor bytes, not the pickle
    for info in sorted(storages, key=lambda i: -i.file_size)[:2]:
        h = info.header_offset  # the local header: 30 bytes, then its own name and extra field
        start = h + 30 + int.from_bytes(blob[h + 26:h + 28], "little") + int.from_bytes(blob[h + 28:h + 30], "little")
        positions += [start + k * info.file_size // 5 for k in range(5)]
out = []
for pos in positions:
    damaged = bytearray(blob)
    damaged[pos] ^= 0x5A
    open(path, "wb").write(bytes(damaged))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = view(load())
    same = all(a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b) for a, b in zip(got, clean))
    warned = [str(w.message) for w in caught if "graphlearn cache" in str(w.message)]
    rebuilt = open(path, "rb").read() != bytes(damaged)
    out.append({"pos": pos, "same": same, "warned": warned, "rebuilt": rebuilt})
    open(path, "wb").write(blob)
print(json.dumps(out))
"""


@pytest.mark.parametrize("kind", ["ogb", "planetoid", "tu"])
def test_class2_damaged_cache_rebuilds_or_is_identical(tmp_path, kind):
    """Flip a byte at 30 positions of a cache file (spread over the file and inside the
    largest tensors' bytes): every load is bit-identical to the clean one, and whenever
    the damage hit the payload the cache says so and is rebuilt. Before the payload
    checksum, flips inside tensor data were returned silently (changed endpoints, x = 1.7e38)."""
    import json
    import shutil

    from graphlearn.datasets._paths import BUNDLED
    from tests.conftest import REPO_ROOT, run_isolated
    from tests.datasets.test_tu import write_tu

    folder = tmp_path / "data"
    if kind == "ogb":
        write_ddi_like(str(folder), e=3000)
    elif kind == "planetoid":
        shutil.copytree(os.path.join(BUNDLED, "cora"), folder)
        os.chmod(folder, 0o755)
    else:
        write_tu(str(folder))
    proc = run_isolated(_DAMAGE_CHILD, args=(kind, str(folder)), env={"REPO": REPO_ROOT})
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(results) == 30
    for r in results:
        assert r["same"], r  # never a silently different graph
    damaged = [r for r in results if r["warned"]]
    assert any("is damaged (checksum mismatch); rebuilding it" in w for r in damaged for w in r["warned"])
    assert all(r["rebuilt"] for r in damaged)
    # flips inside tensor bytes (the last 10 positions) are all caught, by the checksum or as unreadable
    assert all(r["warned"] for r in results[20:]), results[20:]


def test_class2_payload_checksum_covers_bytes_dtype_shape_and_structure():
    base = {"a": torch.arange(6), "b": [1, "x", 2.5, None, True], "c": {"d": torch.zeros(2, 3)}}
    ref = _cache.payload_checksum(base)
    assert ref == _cache.payload_checksum({"a": torch.arange(6), "b": [1, "x", 2.5, None, True],
                                           "c": {"d": torch.zeros(2, 3)}})
    variants = [
        {**base, "a": torch.tensor([0, 1, 2, 3, 4, 6])},  # one value
        {**base, "a": torch.arange(6).view(2, 3)},  # shape, same bytes
        {**base, "a": torch.arange(6).to(torch.float64).view(torch.int64)},  # bytes of other numbers
        {**base, "a": torch.arange(6, dtype=torch.int64).view(torch.float64)},  # dtype, same bytes
        {**base, "b": [1, "x", 2.5, None, 1]},  # True vs 1
        {**base, "b": (1, "x", 2.5, None, True)},  # tuple vs list
        {"b": base["b"], "a": base["a"], "c": base["c"]},  # key order
        {**base, "c": {"e": torch.zeros(2, 3)}},  # key name
        {**base, "a": torch.arange(6)[::2]},  # fewer elements
    ]
    sums = {_cache.payload_checksum(v) for v in variants}
    assert ref not in sums and len(sums) == len(variants)
    assert _cache.payload_checksum({"t": torch.arange(10)[::3]}) == _cache.payload_checksum(
        {"t": torch.tensor([0, 3, 6, 9])})  # logical contents, not strides
    with pytest.raises(TypeError, match="value of type object"):
        _cache.payload_checksum({"x": object()})


def test_class2_cache_without_or_with_wrong_checksum_is_rebuilt(tmp_path, monkeypatch):
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    ds = load_ogb("ogbl-ddi", str(folder))
    obj = torch.load(ds.cache_path, weights_only=True)
    assert obj["checksum"].startswith("crc32-v2:") and obj["format"] == 2
    for change in ("drop", "tamper"):
        bad = dict(obj)
        if change == "drop":
            del bad["checksum"]
        else:  # a payload whose tensors were changed after the checksum was taken
            bad["payload"] = dict(obj["payload"], edge_index=obj["payload"]["edge_index"].flip(0))
        torch.save(bad, ds.cache_path)
        with pytest.warns(UserWarning, match="is damaged \\(checksum mismatch\\); rebuilding it"):
            again = load_ogb("ogbl-ddi", str(folder))
        assert torch.equal(again[0].edge_index, ds[0].edge_index)
        assert torch.load(ds.cache_path, weights_only=True)["checksum"] == obj["checksum"]
    forbid_raw_parsing(monkeypatch)
    with warnings_as_errors():
        load_ogb("ogbl-ddi", str(folder))  # the rebuilt cache is valid: no warning, no parsing


def warnings_as_errors():
    import warnings

    ctx = warnings.catch_warnings()
    ctx.__enter__()
    warnings.simplefilter("error", UserWarning)

    class _Exit:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            ctx.__exit__(*exc)
            return False

    return _Exit()


def test_class2_version_1_cache_is_rebuilt(tmp_path, monkeypatch):
    """Caches written before the checksum (format 1) are not trusted: they are rebuilt."""
    folder = tmp_path / "ogbl_ddi"
    write_ddi_like(str(folder))
    ds = load_ogb("ogbl-ddi", str(folder))
    obj = torch.load(ds.cache_path, weights_only=True)
    old = {"format": 1, "key": obj["key"], "digest": obj["digest"],
           "payload": dict(obj["payload"], edge_index=obj["payload"]["edge_index"] + 1)}
    torch.save(old, ds.cache_path)
    calls = []
    real = ogb_mod._build_payload
    monkeypatch.setattr(ogb_mod, "_build_payload", lambda *a: calls.append(1) or real(*a))
    again = load_ogb("ogbl-ddi", str(folder))
    assert calls == [1] and torch.equal(again[0].edge_index, ds[0].edge_index)
