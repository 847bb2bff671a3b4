"""Writing and reading node embeddings: NumPy ``.npy``, Parquet, word2vec text.

Formats (chosen from the extension unless ``format`` is given):

* ``"npy"`` (``.npy``): the ``[n, dim]`` float32 matrix, plus ``<path>.ids`` (for
  example ``emb.npy.ids``): the original id of every row, one per line, UTF-8, in row
  order (integer and string ids alike).
* ``"parquet"`` (``.parquet``, ``.pq``): an ``id`` column (int64 or string) and either
  one ``embedding`` column of ``fixed_size_list<float32>[dim]`` (``layout="list"``, the
  default) or one float32 column per dimension, ``f0 .. f{dim-1}``
  (``layout="columns"``). Written in row groups.
* ``"word2vec"`` (``.txt``, ``.w2v``, ``.vec``, ``.emb``): the text format of word2vec
  and gensim's ``KeyedVectors.load_word2vec_format``: a header line ``"n dim"``, then
  one line per node, ``"id v1 v2 ... vdim"``, separated by single spaces. Values are
  the shortest decimal that reads back as the same float32 (or rounded to
  ``precision`` decimals). Ids must be non-empty and contain no whitespace.

Text output is formatted by pyarrow's CSV writer in blocks of rows (no Python loop per
value). Every file is written to a temporary file in the target directory and renamed
into place (``os.replace``) when complete (:func:`graphlearn._io.atomic_paths`); on any
error the temporary files are removed and the target paths keep what they held. A
write error names the output ("no space left on device while writing emb.npy"). An
``.npy`` and its ``.ids`` are published together under a folder lock, and
:func:`read_embeddings` opens the two under the same lock, so it never pairs the matrix
of one run with the ids of another (between graphlearn processes on one machine).

Reading back (:func:`read_embeddings`): ids from text files (word2vec, ``.ids``) come
back as int64 when every id is a decimal integer, else as an object array of ``str``.
"""
from __future__ import annotations

import os
import re
from typing import List, Optional, Tuple, Union

import numpy as np

from graphlearn._arrow import numpy_to_arrow
from graphlearn import _io, _validate
from graphlearn._io import atomic_paths, check_writable, named_write_errors

FORMATS = ("npy", "parquet", "word2vec")
_EXTENSIONS = {".npy": "npy", ".parquet": "parquet", ".pq": "parquet", ".txt": "word2vec", ".w2v": "word2vec",
               ".vec": "word2vec", ".emb": "word2vec"}
_ALIASES = {"npy": "npy", "numpy": "npy", "parquet": "parquet", "pq": "parquet", "word2vec": "word2vec",
            "w2v": "word2vec", "txt": "word2vec", "text": "word2vec", "vec": "word2vec"}
_INT_ID = re.compile(r"^-?[0-9]{1,19}$")
_ROWS_PER_BLOCK = 1 << 15

PathLike = Union[str, "os.PathLike[str]"]


def embedding_format(path: PathLike, format: Optional[str] = None) -> str:
    """The output format for ``path``: ``format`` (``"npy"``, ``"parquet"``,
    ``"word2vec"`` or an alias: ``w2v``, ``txt``, ``vec``, ``pq``) or, when None, the
    file extension. Raises ValueError for anything else."""
    if format is not None:
        key = str(format).lower()
        if key not in _ALIASES:
            raise ValueError(f"unknown embedding format {format!r}; expected one of {', '.join(FORMATS)} "
                             "(or w2v, txt, vec, pq)")
        return _ALIASES[key]
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in _EXTENSIONS:
        raise ValueError(f"cannot tell the embedding format of {os.fspath(path)!r} from its extension {ext!r}; "
                         f"use one of {', '.join(sorted(_EXTENSIONS))} or pass format= "
                         f"({', '.join(FORMATS)})")
    return _EXTENSIONS[ext]


def ids_path(path: PathLike) -> str:
    """Where the ids of an ``.npy`` embedding file go: ``<path>.ids``."""
    return os.fspath(path) + ".ids"


def _as_matrix(emb) -> np.ndarray:
    if hasattr(emb, "detach") and hasattr(emb, "cpu"):  # torch tensor, without importing torch
        emb = emb.detach().cpu().numpy()
    emb = np.asarray(emb)
    if emb.ndim != 2:
        raise ValueError(f"emb must be a 2-D [n, dim] array, got shape {list(emb.shape)}")
    if emb.shape[1] < 1:
        raise ValueError(f"emb must have at least one column, got shape {list(emb.shape)}")
    if not (np.issubdtype(emb.dtype, np.floating) or np.issubdtype(emb.dtype, np.integer)):
        raise TypeError(f"emb must hold numbers, got dtype {emb.dtype}")
    return np.ascontiguousarray(emb, dtype=np.float32)


def _as_ids(ids, n: int) -> np.ndarray:
    if ids is None:
        return np.arange(n, dtype=np.int64)
    if hasattr(ids, "detach") and hasattr(ids, "cpu"):
        ids = ids.detach().cpu().numpy()
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.shape[0] != n:
        raise ValueError(f"ids must be a 1-D array with one id per row ({n}), got shape {list(ids.shape)}")
    if np.issubdtype(ids.dtype, np.integer):
        return ids.astype(np.int64)
    if ids.dtype.kind in "UO":
        out = ids.astype(object)
        if n and not all(isinstance(x, str) for x in out):
            bad = next(x for x in out if not isinstance(x, str))
            raise TypeError(f"ids must be integers or strings, found {type(bad).__name__} {bad!r}")
        return out
    raise TypeError(f"ids must be integers or strings, got dtype {ids.dtype}")


def _check_text_ids(ids: np.ndarray, what: str, whitespace: bool) -> None:
    """String ids must be non-empty and free of whitespace (word2vec) or line breaks (.ids)."""
    if ids.dtype == object:
        pat = re.compile(r"\s" if whitespace else r"[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
        rule = "whitespace" if whitespace else "line breaks"
        for i, x in enumerate(ids):
            if not x or pat.search(x):
                raise ValueError(f"{what}: id {x!r} (row {i}) cannot be written: ids must be non-empty and "
                                 f"contain no {rule}")


def write_embeddings(path: PathLike, emb, ids=None, format: Optional[str] = None, *, layout: str = "list",
                     precision: Optional[int] = None, progress: bool = False) -> List[str]:
    """Writes node embeddings atomically.

    Args:
        path: output file; its extension picks the format unless ``format`` is given.
        emb: ``[n, dim]`` array (numpy or torch), written as float32.
        ids: ``[n]`` original node id of every row (integers or strings); default
            ``0..n-1``.
        format: ``"npy"``, ``"parquet"`` or ``"word2vec"`` (aliases ``w2v``, ``txt``,
            ``vec``, ``pq``); None: from the extension.
        layout: Parquet only: ``"list"`` (one ``embedding`` fixed-size-list column) or
            ``"columns"`` (``f0 .. f{dim-1}``).
        precision: word2vec only: decimals to round the values to (None: shortest
            exact float32 representation).
        progress: tqdm bar over the rows written.

    Returns:
        The files written (``[path]``, or ``[path, path + ".ids"]`` for npy).

    Raises:
        ValueError: unknown format/layout, wrong shapes, ids that the format cannot hold.
        FileNotFoundError / PermissionError / IsADirectoryError: the target cannot be
            written. OSError: writing failed (a full disk, a quota), naming the output.
            Nothing is left behind on error and an existing output is left as it was.
    """
    fmt = embedding_format(path, format)
    path = check_writable(path)
    emb = _as_matrix(emb)
    ids = _as_ids(ids, emb.shape[0])
    if layout not in ("list", "columns"):
        raise ValueError(f"layout must be 'list' or 'columns', got {layout!r}")
    if precision is not None:
        precision = _validate.integer(precision, "precision", min=0, max=12)
    if fmt == "npy":
        _check_text_ids(ids, path, whitespace=False)
        targets = [path, ids_path(path)]
        with atomic_paths(targets) as (tmp, tmp_ids):
            with named_write_errors(tmp), open(tmp, "wb") as f:
                _io.write_array(f, emb)
            with named_write_errors(tmp_ids):
                _write_id_lines(tmp_ids, ids)
        return targets
    if fmt == "parquet":
        with atomic_paths([path]) as (tmp,), named_write_errors(tmp):
            _write_parquet(tmp, emb, ids, layout, progress)
        return [path]
    _check_text_ids(ids, path, whitespace=True)
    with atomic_paths([path]) as (tmp,), named_write_errors(tmp):
        _write_word2vec(tmp, emb, ids, precision, progress)
    return [path]


def _write_id_lines(path: str, ids: np.ndarray) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        step = 1 << 20
        for lo in range(0, ids.shape[0], step):
            f.write("\n".join(map(str, ids[lo:lo + step].tolist())))
            f.write("\n")


def _id_array(ids: np.ndarray):
    import pyarrow as pa

    if ids.dtype != object:
        return numpy_to_arrow(ids.astype(np.int64, copy=False))
    return pa.array(ids, type=pa.string())


def _write_parquet(path: str, emb: np.ndarray, ids: np.ndarray, layout: str, progress: bool) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n, dim = emb.shape
    id_type = pa.int64() if ids.dtype != object else pa.string()
    if layout == "list":
        fields = [pa.field("id", id_type, nullable=False),
                  pa.field("embedding", pa.list_(pa.float32(), dim), nullable=False)]
    else:
        fields = [pa.field("id", id_type, nullable=False)] + [pa.field(f"f{j}", pa.float32(), nullable=False)
                                                              for j in range(dim)]
    schema = pa.schema(fields, metadata={b"graphlearn.embedding_dim": str(dim).encode()})
    rows = max(1024, min(1 << 20, (64 << 20) // (4 * dim)))  # ~64 MB row groups
    bar = _io.progress(n, f"write {os.path.basename(path)}", "rows", enabled=progress)
    with pq.ParquetWriter(path, schema, compression="zstd" if pa.Codec.is_available("zstd") else "snappy") as w:
        for lo in range(0, max(n, 1), rows):
            block = emb[lo:lo + rows]
            cols = [_id_array(ids[lo:lo + rows])]
            if layout == "list":
                cols.append(pa.FixedSizeListArray.from_arrays(numpy_to_arrow(block.reshape(-1)), dim))
            else:
                cols.extend(numpy_to_arrow(block[:, j]) for j in range(dim))
            w.write_table(pa.Table.from_arrays(cols, schema=schema))
            bar.update(block.shape[0])
    bar.close()


def _write_word2vec(path: str, emb: np.ndarray, ids: np.ndarray, precision: Optional[int], progress: bool) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    n, dim = emb.shape
    names = ["id"] + [f"f{j}" for j in range(dim)]
    opts = pacsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none")
    bar = _io.progress(n, f"write {os.path.basename(path)}", "rows", enabled=progress)
    with open(path, "wb") as f:
        f.write(f"{n} {dim}\n".encode())
        sink = pa.PythonFile(f, mode="w")
        for lo in range(0, n, _ROWS_PER_BLOCK):
            block = emb[lo:lo + _ROWS_PER_BLOCK]
            if precision is not None:  # in float64: x * 10**precision must not overflow float32
                block = np.round(block.astype(np.float64), precision).astype(np.float32)
            cols = [_id_array(ids[lo:lo + _ROWS_PER_BLOCK])] + [numpy_to_arrow(block[:, j]) for j in range(dim)]
            pacsv.write_csv(pa.Table.from_arrays(cols, names=names), sink, write_options=opts)
            bar.update(block.shape[0])
        sink.flush()
    bar.close()


# ------------------------------------------------------------------------ reading

def _parse_ids(values: List[str]) -> np.ndarray:
    if values and all(_INT_ID.match(v) for v in values):
        try:
            return np.array([int(v) for v in values], dtype=np.int64)
        except OverflowError:
            pass
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def read_embeddings(path: PathLike, format: Optional[str] = None) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Reads a file written by :func:`write_embeddings`.

    Returns:
        ``(emb, ids)``: ``[n, dim]`` float32 and the ``[n]`` ids (int64 when they are all
        decimal integers, else an object array of str; None for an ``.npy`` without its
        ``.ids`` file).
    """
    path = os.fspath(path)
    fmt = embedding_format(path, format)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"embedding file not found: {path}")
    if fmt == "npy":
        # both files opened under the shared lock of their folder: a writer publishing a
        # new pair meanwhile waits, so the two belong to the same run
        with _io.group_lock([path], shared=True):
            f = open(path, "rb")
            try:
                g = open(ids_path(path), encoding="utf-8") if os.path.isfile(ids_path(path)) else None
            except BaseException:
                f.close()
                raise
        with f:
            emb = np.load(f, allow_pickle=False)
        ids = None
        if g is not None:
            with g:
                ids = _parse_ids(g.read().split("\n")[:-1])
            if ids.shape[0] != emb.shape[0]:
                raise ValueError(f"{ids_path(path)}: {ids.shape[0]} ids for {emb.shape[0]} rows")
        return emb, ids
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        if "id" not in table.column_names:
            raise ValueError(f"{path}: no 'id' column (columns: {table.column_names})")
        import pyarrow as pa

        ids_col = table.column("id")
        if pa.types.is_integer(ids_col.type):
            ids = ids_col.to_numpy().astype(np.int64)
        else:
            ids = np.empty(len(ids_col), dtype=object)
            ids[:] = ids_col.to_pylist()
        if "embedding" in table.column_names:
            col = table.column("embedding").combine_chunks()
            dim = col.type.list_size
            emb = col.flatten().to_numpy().reshape(-1, dim).astype(np.float32)
        else:
            dims = [c for c in table.column_names if re.fullmatch(r"f[0-9]+", c)]
            dims.sort(key=lambda c: int(c[1:]))
            emb = np.stack([table.column(c).to_numpy() for c in dims], axis=1).astype(np.float32)
        return emb, ids
    return _read_word2vec(path)


def _read_word2vec(path: str) -> Tuple[np.ndarray, np.ndarray]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    with open(path, "rb") as f:
        head = f.readline().decode("utf-8").split()
    if len(head) != 2 or not all(h.isdigit() for h in head):
        raise ValueError(f"{path}, line 1: expected the word2vec header 'n dim', got {' '.join(head)!r}")
    n, dim = int(head[0]), int(head[1])
    names = ["id"] + [f"f{j}" for j in range(dim)]
    types = {"id": pa.string()} | {f"f{j}": pa.float32() for j in range(dim)}
    try:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(skip_rows=1, column_names=names),
                               parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False),
                               convert_options=pacsv.ConvertOptions(column_types=types, null_values=[],
                                                                    strings_can_be_null=False))
    except pa.ArrowInvalid as exc:
        raise ValueError(f"{path}: not a word2vec text file with {dim} values per line ({exc})") from None
    if table.num_rows != n:
        raise ValueError(f"{path}: the header says {n} rows, found {table.num_rows}")
    emb = np.stack([table.column(f"f{j}").to_numpy() for j in range(dim)], axis=1) if n else \
        np.zeros((0, dim), np.float32)
    return np.ascontiguousarray(emb, dtype=np.float32), _parse_ids(table.column("id").to_pylist())


__all__ = ["write_embeddings", "read_embeddings", "embedding_format", "check_writable", "ids_path", "FORMATS"]
