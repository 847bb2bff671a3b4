"""Issue 11 on the Planetoid loader and the restricted unpickler: allow-listed pickles
are checked structurally (class 1), node ids are never truncated (class 3).

Tiny Planetoid folders are written here (scipy/numpy pickles, as the original files);
the byte-damage cases use a copy of the Cora files bundled with graphlearn. Cases that
segfaulted or could allocate huge arrays before the checks run in a fresh interpreter."""
import collections
import os
import pickle
import shutil
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from graphlearn.datasets import load_planetoid
from graphlearn.datasets._paths import BUNDLED
from graphlearn.datasets._safe_pickle import compressed_matrix, safe_load
from tests.datasets.isolated import call_isolated
from tests.datasets.test_loaders import write_planetoid


def tiny(tmp_path, name="pubmed", **kw):
    kw.setdefault("gaps", (3, 7, 8) if name == "citeseer" else ())
    folder = tmp_path / name
    write_planetoid(str(folder), name, **kw)
    return folder


def read(folder, name, part):
    with open(folder / f"ind.{name}.{part}", "rb") as f:
        return pickle.load(f, encoding="latin1")  # written by this test: trusted


def write(folder, name, part, obj):
    with open(folder / f"ind.{name}.{part}", "wb") as f:
        pickle.dump(obj, f, protocol=2)


def tampered(m, **arrays):
    """A copy of scipy matrix `m` with its arrays/shape replaced (scipy never re-checks them)."""
    m = m.copy()
    for k, v in arrays.items():
        if k == "shape":
            m._shape = v
        else:
            setattr(m, k, v)
    return m


def at(arr, i, value, dtype=None):
    out = np.array(arr, dtype=dtype or arr.dtype)
    out[i] = value
    return out


def cora_copy(tmp_path):
    folder = tmp_path / "cora"
    shutil.copytree(os.path.join(BUNDLED, "cora"), folder)
    os.chmod(folder, 0o755)
    for f in folder.iterdir():
        os.chmod(f, 0o644)
    return folder


# ----------------------------------------------------------------------------- class 1: sparse structure

CSR_DAMAGE = {  # name -> (arrays to replace given the matrix, expected message part)
    "index_huge": (lambda m: dict(indices=at(m.indices, 3, 10**9)), "indices[3] = 1000000000 is out of range [0, 6)"),
    "index_past_end": (lambda m: dict(indices=at(m.indices, 3, m.shape[1])), "indices[3] = 6 is out of range [0, 6)"),
    "index_negative": (lambda m: dict(indices=at(m.indices, 3, -1)), "indices[3] = -1 is out of range"),
    "index_float": (lambda m: dict(indices=m.indices.astype(np.float64)), "indices has dtype float64"),
    "indptr_decreasing": (lambda m: dict(indptr=at(m.indptr, 3, m.indptr[5] + 1)), "indptr decreases"),
    "indptr_past_nnz": (lambda m: dict(indptr=at(m.indptr, -1, m.nnz + 50)), "expected 0 to"),
    "indptr_start": (lambda m: dict(indptr=at(m.indptr, 0, 2)), "indptr runs from 2"),
    "indptr_short": (lambda m: dict(indptr=m.indptr[:-3]), "indptr has"),
    "indptr_2d": (lambda m: dict(indptr=m.indptr.reshape(1, -1)), "indptr must be 1-D"),
    "data_short": (lambda m: dict(data=m.data[:-1]), "values for"),
    "data_nan": (lambda m: dict(data=at(m.data, 2, np.nan)), "data[2] = nan is not a finite number"),
    "data_inf": (lambda m: dict(data=at(m.data, 2, -np.inf)), "data[2] = -inf is not a finite number"),
    "data_object": (lambda m: dict(data=m.data.astype(object)), "dtype object"),
    "data_strings": (lambda m: dict(data=m.data.astype(str)), "expected bool or integer"),
    "data_complex": (lambda m: dict(data=m.data.astype(np.complex64)), "dtype complex64"),
    "shape_negative": (lambda m: dict(shape=(m.shape[0], -4)), "bad matrix shape"),
    "shape_float": (lambda m: dict(shape=(float(m.shape[0]), 6.0)), "bad matrix shape"),
    "shape_rows": (lambda m: dict(shape=(m.shape[0] + 10**6, m.shape[1])), "indptr has"),
    "shape_3d": (lambda m: dict(shape=(m.shape[0], 6, 1)), "matrix shape must be 2 integers"),
}


@pytest.mark.parametrize("damage", sorted(CSR_DAMAGE))
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_class1_pickled_sparse_matrix_is_checked_before_use(damage, fmt):
    rng = np.random.default_rng(0)
    good = sp.csr_matrix((rng.random((30, 6)) < 0.4).astype(np.float32))
    if fmt == "csc":
        good = good.tocsc()
    make, expect = CSR_DAMAGE[damage]
    arrays = make(good)
    if fmt == "csc":  # the indices count rows, indptr runs over the columns
        expect = expect.replace("[0, 6)", "[0, 30)").replace("= 6 ", "= 30 ")
        if damage == "index_past_end":
            arrays = dict(indices=at(good.indices, 3, good.shape[0]))
        if damage == "shape_rows":
            arrays = dict(shape=(30, 6 + 10**6))
    bad = tampered(good, **arrays)
    with pytest.raises(ValueError) as err:
        safe_load(pickle.dumps(bad, protocol=2), "ind.toy.allx")
    msg = str(err.value)
    assert msg.startswith("ind.toy.allx: ") and expect in msg, msg
    same = safe_load(pickle.dumps(good, protocol=2), "ind.toy.allx")  # the intact matrix loads unchanged
    assert same.format == fmt and (same != good).nnz == 0 and same.shape == good.shape


def test_class1_compressed_matrix_accepts_valid_edge_cases():
    empty = compressed_matrix("csr", np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(4, np.int64),
                              (3, 0), "f")
    assert empty.shape == (3, 0) and empty.nnz == 0
    m = compressed_matrix("csr", np.array([1, 2], np.uint8), np.array([1, 1], np.uint16), np.array([0, 2], np.int8),
                          (1, 2), "f")  # duplicates allowed (summed), small index dtypes widened
    assert m.toarray().tolist() == [[0, 3]]
    big_endian = np.array([0, 1], dtype=">i4")
    m = compressed_matrix("csr", np.array([1.0], ">f8"), big_endian[1:], big_endian, (1, 2), "f")
    assert m.toarray().tolist() == [[0.0, 1.0]]
    with pytest.raises(ValueError, match="unsupported sparse format 'bsr'"):
        compressed_matrix("bsr", np.zeros(0), np.zeros(0, int), np.zeros(2, int), (1, 1), "f")


def test_class1_segfaulting_indices_fail_cleanly_in_load_planetoid(tmp_path):
    """Before the checks: 10**9 segfaulted in toarray; one past the end wrote out of bounds."""
    folders = []
    for part, value in [("allx", 10**9), ("allx", "end"), ("x", 10**9), ("tx", "end")]:
        folder = tiny(tmp_path / f"{part}_{value}")
        m = read(folder, "pubmed", part)
        write(folder, "pubmed", part, tampered(m, indices=at(m.indices, 3, m.shape[1] if value == "end" else value)))
        folders.append((str(folder), part))
    results = call_isolated("[attempt(lambda d=d: D.load_planetoid('pubmed', d, use_cache=False)) "
                            "for d, _ in args]", *folders)
    for (folder, part), res in zip(folders, results):
        assert res["error"] == "ValueError", res
        assert f"ind.pubmed.{part}: csr matrix of shape" in res["message"], res
        assert "is out of range [0, 6)" in res["message"], res


def _region(blob: bytes, arr: np.ndarray) -> int:
    start = blob.find(arr.tobytes())
    assert start > 0
    return start


def test_class1_byte_damaged_cora_allx_is_refused(tmp_path):
    """Damage the index arrays of the real ind.cora.allx: the top byte of one int32 index
    (several seeds and positions) or of one indptr entry; each must raise a ValueError
    naming the file (before the checks, such damage segfaulted or corrupted memory)."""
    path = os.path.join(BUNDLED, "cora", "ind.cora.allx")
    blob = open(path, "rb").read()
    with warnings.catch_warnings():  # old pickles name scipy.sparse.csr
        warnings.simplefilter("ignore", DeprecationWarning)
        m = pickle.loads(blob, encoding="latin1")  # the bundled file: trusted
    regions = {"indices": (_region(blob, m.indices), m.indices), "indptr": (_region(blob, m.indptr), m.indptr)}
    cases = []
    for seed in range(8):
        rng = np.random.default_rng(seed)
        which = "indptr" if seed % 4 == 3 else "indices"
        start, arr = regions[which]
        k = int(rng.integers(1, len(arr) - 1))
        damaged = bytearray(blob)
        size = arr.dtype.itemsize
        assert arr.dtype.byteorder in "=<|"
        damaged[start + size * k + size - 1] ^= int(rng.integers(1, 256))  # little-endian: the high byte
        folder = cora_copy(tmp_path / f"seed{seed}")
        (folder / "ind.cora.allx").write_bytes(bytes(damaged))
        cases.append(str(folder))
    results = call_isolated("[attempt(lambda d=d: D.load_planetoid('cora', d, use_cache=False)) for d in args]",
                            *cases)
    for folder, res in zip(cases, results):
        assert res["error"] == "ValueError", (folder, res)
        assert os.path.join(folder, "ind.cora.allx") in res["message"], res


def test_class1_randomly_damaged_cora_never_crashes(tmp_path):
    """Random byte damage anywhere in ind.cora.allx / ind.cora.graph: never a signal death;
    either an error naming the file, or a graph of the right shape (damage that only
    changed feature values or a few ids within range cannot be told from data)."""
    cases = []
    for seed in range(12):
        part = "graph" if seed % 3 == 2 else "allx"
        folder = cora_copy(tmp_path / f"seed{seed}")
        blob = bytearray((folder / f"ind.cora.{part}").read_bytes())
        rng = np.random.default_rng(100 + seed)
        for pos in rng.integers(0, len(blob), 1 + seed % 4):
            blob[pos] ^= int(rng.integers(1, 256))
        (folder / f"ind.cora.{part}").write_bytes(bytes(blob))
        cases.append((str(folder), part))
    results = call_isolated("[attempt(lambda d=d: (lambda g: (tuple(g.x.shape), g.num_nodes))("
                            "D.load_planetoid('cora', d, use_cache=False))) for d, _ in args]", *cases,
                            env={"GRAPHLEARN_MEMORY_LIMIT": str(2 << 30)})
    for (folder, part), res in zip(cases, results):
        if res["error"] is None:
            assert res["message"] == "((2708, 1433), 2708)", res
        else:
            assert res["error"] in ("ValueError", "MemoryError"), res
            assert os.path.join(folder, f"ind.cora.{part}") in res["message"] or "Planetoid cora" in res["message"], res


def test_class1_huge_dense_features_refused_before_allocating(tmp_path, monkeypatch):
    folder = tiny(tmp_path)
    m = read(folder, "pubmed", "allx")
    write(folder, "pubmed", "allx", tampered(m, shape=(m.shape[0], 10**12)))
    for part in ("x", "tx"):  # consistent column counts, so the size itself is the problem
        p = read(folder, "pubmed", part)
        write(folder, "pubmed", part, tampered(p, shape=(p.shape[0], 10**12)))
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", str(1 << 30))
    with pytest.raises(MemoryError, match=r"ind.pubmed.allx: the dense \[560, 1000000000000\] matrix needs about"):
        load_planetoid("pubmed", str(folder), use_cache=False)


def test_class1_feature_column_counts_must_agree(tmp_path):
    folder = tiny(tmp_path)
    m = read(folder, "pubmed", "tx")
    write(folder, "pubmed", "tx", tampered(m, shape=(m.shape[0], 9)))
    with pytest.raises(ValueError, match=r"ind.pubmed.tx: 9 feature columns, but .*ind.pubmed.allx has 6"):
        load_planetoid("pubmed", str(folder), use_cache=False)
    write(folder, "pubmed", "tx", sp.eye(3).tolil())  # a sparse format the unpickler does not allow
    with pytest.raises(ValueError, match="ind.pubmed.tx: refusing to unpickle scipy.sparse"):
        load_planetoid("pubmed", str(folder), use_cache=False)


LABEL_DAMAGE = {
    "nan": (lambda y: at(y, (0, 1), np.nan, np.float64), r"ind.pubmed.ally: label array\[\[0, 1\]\] = nan is not a"),
    "inf": (lambda y: at(y, (4, 0), np.inf, np.float32), r"ind.pubmed.ally: label array\[\[4, 0\]\] = inf"),
    "object": (lambda y: y.astype(object), "ind.pubmed.ally: pickled array has dtype object"),
    "strings": (lambda y: y.astype(str), "ind.pubmed.ally: pickled array has dtype <U"),
    "structured": (lambda y: np.zeros(len(y), dtype=[("a", "i4"), ("b", "f4")]), "ind.pubmed.ally: pickled array"),
    "one_d": (lambda y: y.argmax(1), r"ind.pubmed.ally: expected a 2-D one-hot label array, got ndarray of shape"),
    "rows": (lambda y: y[:-1], "ind.pubmed.ally: 559 label rows, but .*ind.pubmed.allx has 560 feature rows"),
    "cols": (lambda y: y[:, :-1], "ind.pubmed.ally: 3 classes"),
    "list": (lambda y: y.tolist(), "ind.pubmed.ally: expected a 2-D one-hot label array, got list"),
}


@pytest.mark.parametrize("damage", sorted(LABEL_DAMAGE))
def test_class1_label_arrays_are_checked(tmp_path, damage):
    folder = tiny(tmp_path)
    make, expect = LABEL_DAMAGE[damage]
    write(folder, "pubmed", "ally", make(read(folder, "pubmed", "ally")))
    with pytest.raises(ValueError, match=expect):
        load_planetoid("pubmed", str(folder), use_cache=False)


def test_class1_label_rows_must_match_features(tmp_path):
    folder = tiny(tmp_path)
    write(folder, "pubmed", "y", read(folder, "pubmed", "y")[:-2])
    with pytest.raises(ValueError, match="ind.pubmed.y: 18 label rows, but .*ind.pubmed.x has 20 feature rows"):
        load_planetoid("pubmed", str(folder), use_cache=False)
    folder = tiny(tmp_path / "b")
    write(folder, "pubmed", "ty", read(folder, "pubmed", "ty")[:-1])
    with pytest.raises(ValueError, match="ind.pubmed.ty: 19 label rows, but .*ind.pubmed.tx has 20"):
        load_planetoid("pubmed", str(folder), use_cache=False)


def test_class1_safe_load_checks_every_array_and_matrix():
    good = sp.csr_matrix(np.eye(3, dtype=np.float32))
    nested = {"a": [good, (np.arange(3), {"b": good})], "c": collections.OrderedDict(d=np.ones(2))}
    out = safe_load(pickle.dumps(nested, protocol=2), "nested.pkl")
    assert sp.issparse(out["a"][0]) and sp.issparse(out["a"][1][1]["b"])
    assert out["a"][1][0].tolist() == [0, 1, 2] and out["c"]["d"].tolist() == [1.0, 1.0]
    bad = tampered(good, indices=at(good.indices, 1, 7))
    with pytest.raises(ValueError, match=r"deep.pkl: csr matrix of shape \(3, 3\): indices\[1\] = 7"):
        safe_load(pickle.dumps({"x": [[(bad,)]]}, protocol=2), "deep.pkl")
    with pytest.raises(ValueError, match="obj.pkl: pickled array has dtype object"):
        safe_load(pickle.dumps([np.array([{"k": 1}], dtype=object)], protocol=2), "obj.pkl")
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(ValueError, match="nested more than 64 levels"):
        safe_load(pickle.dumps(deep, protocol=2), "deep.pkl")
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="nested more than 64 levels"):
        safe_load(pickle.dumps(loop, protocol=2), "loop.pkl")
    swapped = safe_load(pickle.dumps(np.arange(4, dtype=">i8"), protocol=2), "be.pkl")
    assert swapped.dtype.isnative and torch.from_numpy(swapped).tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="state.pkl: not a readable pickle"):  # a state that is not a dict
        safe_load(_csr_with_state([1, 2]), "state.pkl")


def _csr_with_state(state) -> bytes:
    """A protocol-2 pickle of a csr_matrix whose BUILD state is `state`."""
    body = pickle.dumps(state, protocol=2)[2:-1]  # drop PROTO header and STOP
    return b"\x80\x02cscipy.sparse._csr\ncsr_matrix\n)\x81" + body + b"b."


def test_class1_missing_sparse_state_fields():
    good = sp.csr_matrix(np.eye(2))
    state = dict(good.__reduce_ex__(2)[2])
    del state["indptr"]
    with pytest.raises(ValueError, match="m.pkl: pickled sparse matrix lacks indptr"):
        safe_load(_csr_with_state(state), "m.pkl")
    state = dict(good.__reduce_ex__(2)[2])
    state["_shape"] = (2, 2)
    assert (safe_load(_csr_with_state(state), "m.pkl") != good).nnz == 0


# ----------------------------------------------------------------------------- class 1/3: the graph dict

GRAPH_DAMAGE = {  # class 3: non-integers are errors, never truncated
    "key_float": (lambda g: g.__setitem__(1.7, g.pop(1)), r"node id 1.7 \(float\) is not an integer"),
    "key_string": (lambda g: g.__setitem__("9", [1]), r"node id '9' \(str\) is not an integer"),
    "neighbour_float": (lambda g: g[3].append(2.5), r"neighbour 2.5 \(float\) of node 3 is not an integer"),
    "neighbour_integral_float": (lambda g: g[3].append(2.0), r"neighbour 2.0 \(float\) of node 3"),
    "neighbour_numpy_float": (lambda g: g[3].append(np.float32(4.5)), r"neighbour \S*4.5\S* \(float32\)"),
    "neighbour_bool": (lambda g: g[3].append(True), r"neighbour True \(bool\) of node 3"),
    "neighbour_none": (lambda g: g[3].append(None), r"neighbour None \(NoneType\)"),
    # class 1: ranges and structure
    "neighbour_out_of_range": (lambda g: g[3].append(10**6), r"edge \(3, 1000000\) is outside the 580 nodes"),
    "neighbour_beyond_int64": (lambda g: g[3].append(10**30), r"node id 10{30} out of range"),
    "key_negative": (lambda g: g.__setitem__(-3, [1]), "node id -3 out of range"),
    "values_not_list": (lambda g: g.__setitem__(3, {"a": 1}), "neighbours of node 3 must be a list"),
    "values_float_array": (lambda g: g.__setitem__(3, np.array([1.5])), "neighbours of node 3 has dtype float64"),
}


@pytest.mark.parametrize("damage", sorted(GRAPH_DAMAGE))
def test_class3_graph_ids_must_be_integers_in_range(tmp_path, damage):
    folder = tiny(tmp_path)
    g = read(folder, "pubmed", "graph")
    make, expect = GRAPH_DAMAGE[damage]
    make(g)
    write(folder, "pubmed", "graph", g)
    with pytest.raises(ValueError, match="ind.pubmed.graph: " + expect):
        load_planetoid("pubmed", str(folder), use_cache=False)


def test_class3_integer_ids_of_any_integer_type_are_fine(tmp_path):
    folder = tiny(tmp_path)
    ref = load_planetoid("pubmed", str(folder), use_cache=False)
    g = read(folder, "pubmed", "graph")
    g2 = {np.int64(k): (np.array(v, dtype=np.int32) if k % 2 else tuple(np.int16(x) for x in v)) for k, v in g.items()}
    write(folder, "pubmed", "graph", g2)
    again = load_planetoid("pubmed", str(folder), use_cache=False)
    assert torch.equal(ref.edge_index, again.edge_index)


@pytest.mark.parametrize("line,expect", [
    ("12.7", r"line 3: expected an integer node id, got '12.7'"),
    ("581.0", r"line 3: expected an integer node id, got '581.0'"),
    ("1e3", "line 3: expected an integer node id"),
    ("-5", r"test node id -5 outside \[560, 580\)"),
    ("99999999999999999999999999", r"test node id 99999999999999999999999999 outside"),
    ("abc", "line 3: expected an integer node id, got 'abc'"),
])
def test_class3_test_index_lines_are_integers_in_range(tmp_path, line, expect):
    folder = tiny(tmp_path)
    path = folder / "ind.pubmed.test.index"
    ids = path.read_text().split()
    ids[2] = line
    path.write_text("\n".join(ids) + "\n")
    with pytest.raises(ValueError, match="ind.pubmed.test.index: " + expect):
        load_planetoid("pubmed", str(folder), use_cache=False)


def test_class1_citeseer_test_id_far_away_is_refused_not_allocated(tmp_path):
    """CiteSeer pads the test rows up to the largest test id; an id of 10**9 asked for
    22 GiB (np.zeros) before the test ids were bounded by the graph's node count."""
    folder = tiny(tmp_path, "citeseer")
    path = folder / "ind.citeseer.test.index"
    ids = path.read_text().split()
    ids[0] = str(10**9)
    path.write_text("\n".join(ids) + "\n")
    res = call_isolated("D.load_planetoid('citeseer', args[0], use_cache=False)", str(folder))
    assert res["error"] == "ValueError", res
    assert "ind.citeseer.test.index: test node id 1000000000 outside [560, 583)" in res["message"], res
    ok = tiny(tmp_path / "ok", "citeseer")  # the real gaps (ids below the graph's node count) still load
    assert load_planetoid("citeseer", str(ok), use_cache=False).num_nodes == 583
