"""Streaming edge-list reader: text (TSV/CSV/whitespace, plain, gzip, zstd or bz2),
Parquet and NumPy ``.npy``.

Text files are parsed by pyarrow's multithreaded CSV reader in blocks of
``block_size`` bytes (``pyarrow.csv.open_csv``); every block is converted to integer
arrays and appended to growable numpy buffers, so memory stays bounded apart from the
output arrays (and, for string ids, the id strings). Comment lines, blank lines, a UTF-8
byte-order mark, a header line and runs of whitespace are handled by a thin filter
between the decompressor and the parser that works on whole chunks of bytes
(``bytes.find``/``bytes.replace``, no Python loop per line); files without such lines
pass through untouched.

Node ids
--------
* **Integer ids** (``numeric_ids=True``, or ``None`` when the first lines hold only
  integers): a row is indexed by the id itself when the ids are dense, that is when
  ``max_id < 2 * (number of distinct ids) + 1024``; ids in ``[0, max_id]`` that appear in
  no edge are then isolated rows (``EdgeList.present`` marks the rows that occur, and
  :meth:`EdgeList.compact` drops the others). Otherwise the ids are compacted to the
  rows ``0..n-1`` in increasing id order. Negative ids are an error (read them as
  strings with ``numeric_ids=False``).
* **String ids** (``numeric_ids=False``, or ``None`` when an id in the first lines is not
  an integer, or when a later one is not: the file is then read again as strings):
  surrounding whitespace is stripped and the distinct ids are mapped to ``0..n-1`` in
  sorted order (by Unicode code point), so the row order does not depend on the order of
  the lines.

``EdgeList.keys`` gives every row a stable int64 key for :class:`graphlearn.embed.FastRP`'s
``node_keys``: the id itself for integer ids; for string ids, the integer value when the
string is a canonical non-negative decimal integer (``"0"``, ``"17"``; not ``"017"``)
below 2**63, so the same file read with ``numeric_ids=True`` or ``False`` gets the same
keys, and otherwise the first 8 bytes of ``blake2b(utf8(id), digest_size=8)`` read as a
little-endian int64 (the same on every run, machine and file order).

Duplicate edges and self-loops: :meth:`EdgeList.to_csr` keeps self-loops as edges;
an unweighted graph is a set of edges (repeated lines, and in the undirected case
``u v`` next to ``v u``, give one edge); a weighted graph sums the weights of repeated
lines (undirected: of the pair ``{u, v}`` in either direction), in an order that does
not depend on the order of the lines, so shuffling a file gives bit-identical results.

Header line
-----------
With ``header=None`` the first line that is not blank or a comment is a header when

1. ``columns`` names columns (not by number): the line holds one of those names;
2. otherwise, never when its two id fields are numbers; when they are not, it is a
   header if ``numeric_ids=True``, or if the id fields of the lines after it (those of
   the first 200 data lines) are numbers, or (``weighted``) if its weight field is not
   a number, or if its two id fields are both column names -- ``src``, ``source``,
   ``from``, ``dst``, ``dest``, ``destination``, ``target``, ``to``, ``node``,
   ``vertex``, ``u``, ``v``, ``head`` or ``tail``, in any case, optionally followed by
   ``id``/``node``/``nodeid`` and a digit (``FromNodeId``, ``node_1``, ``src_id``) --
   neither of which occurs as a node id on any other line (with string ids a header
   cannot be told from data otherwise; a graph whose first edge joins two such names
   that have no other edge needs ``header=False``).

Otherwise it is data. ``header=True`` / ``False`` decide it without looking.

Input
-----
``path`` may be ``"-"`` (standard input) or any file that cannot seek: a FIFO,
``/dev/stdin`` fed by a pipe, a process substitution ``<(zcat edges.gz)``. Such input
is read once, into a temporary file (in ``$TMPDIR``, removed when reading ends; on
Linux it has no name at all), and parsed from there; compressed input is recognised
by its magic bytes as usual.

Errors
------
Every error is one ``ValueError`` line: the file (``<stdin>`` for ``"-"``), the 1-based
line (every physical line counts, comments, blanks and the header included; ``row N``
for Parquet and NumPy files), what is wrong and the line's content (cut after 200
characters, shown with ``repr``; a line that is not valid UTF-8 is shown as bytes).
A file without edges (empty, only comments or blank lines, only a header) is an error
too: ``<path>: no edges (empty input: ...)``.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import math
import os
import re
import shutil
import stat
import sys
import tempfile
import warnings
from typing import Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from graphlearn import _io
from graphlearn._arrow import arrow_to_numpy
from graphlearn._validate import integer

DEFAULT_BLOCK_SIZE = 16 << 20
_CHUNK = 2 << 20  # decompressed bytes the filter handles at a time
_SAMPLE_LINES = 200
_SAMPLE_BYTES = 8 << 20  # the sample stops after this many bytes too (at two lines or more)
_MAX_BLOCK = 1 << 30  # largest parse block: a line (an id) may be up to this long
_NPY_MAGIC = b"\x93NUMPY"
_HEADER_NAME = re.compile(r"(?i)^(src|source|from|dst|dest|destination|target|to|node|vertex|u|v|head|tail)"
                          r"[ _-]?(id|node|node[ _-]?id)?[ _-]?[0-9]?$")
_DEFAULT_COMMENTS = ("#", "%")
_BOM = b"\xef\xbb\xbf"
_INT_RE = re.compile(r"^\s*-?[0-9]+\s*$")
_DIGITS = re.compile(r"^[0-9]+$")
_CANONICAL_INT = r"^(0|[1-9][0-9]{0,18})$"
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"\x28\xb5\x2f\xfd", "zstd"), (b"BZh", "bz2"))
_EXT_COMPRESSION = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bz2"}
_SEP_NAMES = {"tab": "\t", "\\t": "\t", "\t": "\t", "comma": ",", ",": ",", "semicolon": ";", ";": ";",
              "pipe": "|", "|": "|", " ": None, "space": None, "whitespace": None, "\\s+": None, "ws": None}

PathLike = Union[str, "os.PathLike[str]"]
ColumnSpec = Union[None, str, Sequence[Union[int, str]]]


@dataclasses.dataclass
class EdgeList:
    """An edge list read from a file, with rows ``0..num_nodes-1``.

    Attributes:
        src, dst: ``[E]`` int64 numpy arrays, the row of each edge's endpoints (one entry
            per data line / row of the file, in file order).
        weight: ``[E]`` float32 numpy array of edge weights, or None (unweighted).
        num_nodes: number of rows ``n``.
        ids: ``[n]`` original id of every row: int64 for integer ids, an object array of
            ``str`` for string ids.
        keys: ``[n]`` int64 stable key of every row (see the module docstring), meant for
            ``FastRP.fit(..., node_keys=keys)``.
        present: ``[n]`` bool, whether the row occurs in some edge, or None when all do
            (only dense integer ids can leave rows out).
        directed: the ``directed`` flag given to :func:`read_edge_list` (the default of
            :meth:`to_csr`).
        path: the file that was read (``"<stdin>"`` for ``"-"``); format: ``"text"``,
            ``"parquet"`` or ``"npy"``; compression: ``"gzip"``, ``"zstd"``, ``"bz2"`` or None.
        id_type: ``"int"`` or ``"str"``; indexing: ``"dense"`` (row = id),
            ``"compact"`` (sorted distinct integer ids) or ``"sorted"`` (sorted strings).
        num_lines: lines of the text file (every line, comments and blanks included), or
            rows of a Parquet/NumPy file.
        num_skipped: text lines that were not edges (comments, blank lines, the header).
        header: the column names of the header line, or None.
        sep: the field separator used (``None`` for runs of whitespace).
    """

    src: np.ndarray
    dst: np.ndarray
    weight: Optional[np.ndarray]
    num_nodes: int
    ids: np.ndarray
    keys: np.ndarray
    present: Optional[np.ndarray] = None
    directed: bool = False
    path: str = ""
    format: str = "text"
    compression: Optional[str] = None
    id_type: str = "int"
    indexing: str = "dense"
    num_lines: int = 0
    num_skipped: int = 0
    header: Optional[List[str]] = None
    sep: Optional[str] = None

    @property
    def num_edges(self) -> int:
        """Number of edges read (lines/rows; duplicates and self-loops included)."""
        return int(self.src.shape[0])

    def edge_index(self):
        """``[2, E]`` int64 torch tensor ``(src, dst)`` (shares memory with the arrays)."""
        import torch

        return torch.stack([torch.from_numpy(self.src), torch.from_numpy(self.dst)])

    def to_csr(self, directed: Optional[bool] = None):
        """The graph's :class:`graphlearn.sparse.CSR` by the graph contract (row ``t``
        lists the sources of the edges into ``t``, as ``as_csr`` of the ``[2, E]``
        edge_index ``[src, dst]`` would), built by the compiled core.

        Args:
            directed: keep edge directions (rows = ``dst``, columns = ``src``); False
                symmetrizes (every edge in both directions). None (default) uses the
                reader's flag.

        Returns:
            ``[n, n]`` CSR with int32 indices (int64 when the edges, counted twice, reach
            2**31). Unweighted: one entry per distinct (row, col) pair, no values.
            Weighted: float32 values; repeated edges are summed (undirected: the weights
            of ``u v`` and ``v u`` lines are added and stored in both directions).
            Self-loops are kept (one entry each).
        """
        import torch

        from graphlearn.sparse import CSR, WeightOverflowError, index_dtype_for

        directed = self.directed if directed is None else _flag(directed, "directed")
        src, dst = torch.from_numpy(self.src), torch.from_numpy(self.dst)
        n = self.num_nodes
        # int32 indices whenever they can address the graph (every edge stored twice at most):
        # half the memory of the build's temporaries and of the CSR, same results
        index = index_dtype_for(n, 2 * src.numel())
        if self.weight is None:
            if directed:
                return CSR.from_coo(dst, src, n, dedupe=True, index_dtype=index)
            return CSR.from_coo(src, dst, n, dedupe=True, symmetrize=True, index_dtype=index)
        w = torch.from_numpy(self.weight)
        try:
            if directed:
                return CSR.from_coo(dst, src, n, w, dedupe=True, reduce="sum", index_dtype=index)
            # sum the weights of each unordered pair, then mirror (max keeps loops at their sum)
            lo, hi = torch.minimum(src, dst), torch.maximum(src, dst)
            pairs = CSR.from_coo(lo, hi, n, w, dedupe=True, reduce="sum", index_dtype=index)
        except WeightOverflowError as exc:
            a, b = ((exc.col, exc.row) if directed else (exc.row, exc.col))
            a, b = (repr(x) if isinstance(x, str) else str(int(x)) for x in (self.ids[a], self.ids[b]))
            raise ValueError(f"{self.path or 'edge list'}: the weights of the {exc.count} lines of the edge {a} "
                             f"{'->' if directed else '--'} {b} add up beyond the float32 range that weights are "
                             "stored in") from None
        return CSR.from_coo(pairs.row, pairs.col, n, pairs.value, symmetrize=True, reduce="max", index_dtype=index)

    def compact(self) -> "EdgeList":
        """The same graph without the rows that occur in no edge (self when there are none);
        ``ids``/``keys`` follow their rows."""
        if self.present is None or bool(self.present.all()):
            return dataclasses.replace(self, present=None)
        rank = np.cumsum(self.present, dtype=np.int64) - 1
        keep = np.flatnonzero(self.present)
        return dataclasses.replace(self, src=rank[self.src], dst=rank[self.dst], num_nodes=int(keep.size),
                                   ids=self.ids[keep], keys=self.keys[keep], present=None, indexing="compact")

    def __repr__(self) -> str:
        return (f"EdgeList({os.path.basename(self.path) or '?'}: {self.num_nodes} nodes, {self.num_edges} edges, "
                f"{self.id_type} ids ({self.indexing}), {'weighted' if self.weight is not None else 'unweighted'}, "
                f"{'directed' if self.directed else 'undirected'})")


# ---------------------------------------------------------------------------- errors

def _err(path: str, where: str, what: str, content: Optional[str] = None) -> ValueError:
    """``<path>, <where>: <what>: <content>`` as one line; the content is cut after 200
    characters and shown with repr (as bytes when the line is not valid UTF-8)."""
    msg = f"{path}{', ' + where if where else ''}: {what}"
    if content is not None:
        msg += f": {_show(content)}"
    return ValueError(msg)


def _show(text: str, limit: int = 200) -> str:
    """repr of (the start of) a decoded line; bytes repr when it holds undecodable bytes
    (the surrogates of ``errors="surrogateescape"``)."""
    text = text.rstrip("\r\n")
    cut = len(text) > limit
    text = text[:limit]
    shown = repr(text.encode("utf-8", "surrogateescape")) if _has_bad_bytes(text) else repr(text)
    return shown + ("..." if cut else "")


def _has_bad_bytes(text: str) -> bool:
    """Whether a line decoded with surrogateescape held bytes that are not UTF-8."""
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


# --------------------------------------------------------------------------- input

class _Spool(str):
    """The name of an input that cannot seek (``"<stdin>"``, a FIFO's path) with the
    temporary file holding its bytes (``real``); :meth:`close` removes it. A ``str``, so
    every message names the input the user gave."""

    real: str
    _fd: Optional[int]
    _name: Optional[str]

    def close(self) -> None:
        fd, self._fd = getattr(self, "_fd", None), None
        if fd is not None:
            os.close(fd)
        name, self._name = getattr(self, "_name", None), None
        if name is not None:
            try:
                os.unlink(name)
            except OSError:
                pass


def _real(path: str) -> str:
    """The file to open for ``path`` (the temporary copy of a spooled input)."""
    return getattr(path, "real", path)


def _seekable(path: str) -> bool:
    """Whether ``path`` is a file that can be read more than once (not a FIFO, a pipe
    behind /dev/stdin or /dev/fd/N, a socket or a character device)."""
    st = os.stat(path)
    return not (stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode) or stat.S_ISSOCK(st.st_mode))


def _spool(name: str, source) -> _Spool:
    """Copies the binary stream ``source`` to a temporary file, once, and returns the
    ``_Spool`` naming it. On Linux the file is unlinked at once and reopened through
    ``/proc/self/fd``, so nothing is left behind whatever happens to the process."""
    fd, tmp = tempfile.mkstemp(prefix="graphlearn-input-", suffix=".tmp")
    out = _Spool(name)
    out._fd, out._name, out.real = fd, tmp, tmp
    try:
        proc = f"/proc/self/fd/{fd}"
        if os.path.exists(proc):
            os.unlink(tmp)
            out._name, out.real = None, proc
        with os.fdopen(os.dup(fd), "wb") as f:
            shutil.copyfileobj(source, f, 1 << 20)
    except OSError as exc:
        out.close()
        raise OSError(f"{name}: could not copy the input to a temporary file in {tempfile.gettempdir()} "
                      f"({exc.strerror or exc}); set TMPDIR to a folder with room for it") from None
    except BaseException:
        out.close()
        raise
    return out


def _open_input(path: PathLike) -> str:
    """The name to read ``path`` by: the path itself for a regular file, a ``_Spool``
    (close it when done) for ``"-"`` (standard input) and inputs that cannot seek."""
    if isinstance(path, (bytes, bytearray)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name (str or os.PathLike) or '-' for standard input, got "
                        f"{type(path).__name__}")
    path = os.fspath(path)
    if path == "-":
        stdin = sys.stdin
        if stdin is None:
            raise ValueError("-: standard input is closed")
        if stdin.isatty():
            raise ValueError("-: reads the edge list from standard input, but it is a terminal; pipe the edges in "
                             "(zcat edges.gz | graphlearn embed - ...) or give a file name")
        return _spool("<stdin>", getattr(stdin, "buffer", stdin))
    if not os.path.exists(path):
        raise FileNotFoundError(f"edge list not found: {path}")
    if os.path.isdir(path):
        raise ValueError(f"{path}: is a directory, expected an edge list file")
    if _seekable(path):
        return path
    with open(path, "rb") as f:
        return _spool(path, f)


def _close_input(path: str) -> None:
    if isinstance(path, _Spool):
        path.close()


# ------------------------------------------------------------------ growable buffers

class _Buffer:
    """Append-only numpy array that grows by 1.5x (amortised O(1) per element)."""

    def __init__(self, dtype, capacity: int):
        self.a = np.empty(max(int(capacity), 1024), dtype=dtype)
        self.n = 0

    def extend(self, x: np.ndarray) -> None:
        m = x.shape[0]
        if self.n + m > self.a.shape[0]:
            new = np.empty(max(self.n + m, int(self.a.shape[0] * 1.5)), dtype=self.a.dtype)
            new[:self.n] = self.a[:self.n]
            self.a = new
        self.a[self.n:self.n + m] = x
        self.n += m

    def finish(self) -> np.ndarray:
        a, self.a = self.a, np.empty(0, dtype=self.a.dtype)
        a.resize(self.n, refcheck=False)  # shrinks in place; nobody else holds the buffer
        return a


# -------------------------------------------------------------------------- entry

def read_edge_list(path: PathLike, *, sep: Optional[str] = None, columns: ColumnSpec = None,
                   header: Optional[bool] = None, comment: Union[None, str, Sequence[str]] = None,
                   weighted: bool = False, numeric_ids: Optional[bool] = None, directed: bool = False,
                   block_size: int = DEFAULT_BLOCK_SIZE, format: Optional[str] = None,
                   progress: bool = False) -> EdgeList:
    """Reads an edge list file into an :class:`EdgeList` (streamed, bounded memory).

    Args:
        path: a text edge list (``.txt``/``.tsv``/``.csv``/..., optionally gzip, zstd or
            bz2 compressed: detected from the magic bytes, whatever the extension), a
            Parquet file (``.parquet``/``.pq``) or a NumPy ``.npy`` array ``[E, 2]`` or
            ``[E, 3]`` (third column: weight, read as weighted unless ``columns=[0, 1]``;
            a wider array needs ``columns``), memory-mapped and converted in slices.
            ``"-"`` reads standard input; FIFOs and pipes work too (module docstring).
        sep: text field separator: ``"\\t"``/``"tab"``, ``","``, ``";"``, ``"|"``, or
            ``" "``/``"whitespace"`` for runs of spaces and tabs. None: detected from the
            first lines (tab, comma, semicolon, pipe if every line has it, else whitespace).
        columns: which columns hold ``src, dst[, weight]``: indices or header names (a
            sequence or a comma-separated string such as ``"0,1"`` or ``"from,to,w"``).
            Three columns imply ``weighted=True``. Default: the first two (three when
            weighted).
        header: text files: whether the first non-comment line holds column names
            (True / False), or None: detected by the rule of the module docstring
            ("Header line").
        comment: prefix(es) of comment lines (at the start of the line). None: ``#`` and
            ``%``; ``""`` or ``()``: no comments.
        weighted: read a weight column (finite numbers within the float32 range; stored
            as float32).
        numeric_ids: True: ids must be integers (else an error naming the line); False:
            ids are strings; None: decided from the data (see the module docstring).
        directed: recorded for :meth:`EdgeList.to_csr` (the reader itself keeps every line).
        block_size: bytes per parsed block (text; grown as needed for longer lines) or
            rows per batch (Parquet, NumPy).
        format: ``"text"``, ``"parquet"`` or ``"npy"``; None: from the first bytes (and
            the extension).
        progress: show a tqdm bar (bytes read).

    Returns:
        An :class:`EdgeList`.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        TypeError: an argument of the wrong type (``header=1.0``, ``block_size=4096.5``).
        ValueError: malformed input, in one line naming the file, the line (or row) and
            its content: a line with the wrong number of fields, a missing column, an id
            that is not an integer (``numeric_ids=True``) or beyond int64, a negative
            integer id, an empty id, an id that is not valid UTF-8, a weight that is not
            a finite float32 number, a file without edges, a NumPy array of the wrong
            shape or dtype, a file whose content is not its extension's format, a
            truncated or corrupt compressed stream.
    """
    cols, weighted, block_size = _check_args(columns, header, numeric_ids, block_size, weighted, format)
    directed = _flag(directed, "directed")
    comments = _parse_comments(comment)
    src = _open_input(path)
    try:
        fmt = format or _detect_format(src)
        if fmt == "parquet":
            out = _read_parquet(src, cols, weighted, numeric_ids, block_size, progress)
        elif fmt == "npy":
            out = _read_npy(src, cols, weighted, numeric_ids, block_size, progress)
        else:
            out = _read_text(src, sep, cols, header, comments, weighted, numeric_ids, block_size, progress)
    finally:
        _close_input(src)
    out.directed = directed
    out.path = str(src)
    return out


def _flag(value, name: str, none: bool = False) -> Optional[bool]:
    """A bool argument (None too when ``none``); anything else is a TypeError, so that
    ``weighted="no"`` or ``header=1.0`` are not read as True."""
    if value is None and none:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be True or False{' (or None: detect)' if none else ''}, got {value!r}")


def _check_args(columns, header, numeric_ids, block_size, weighted, format):
    """The checks every reader makes before opening the input: (columns, weighted, block_size)."""
    _flag(numeric_ids, "numeric_ids", none=True)
    _flag(header, "header", none=True)
    weighted = _flag(weighted, "weighted")
    block_size = integer(block_size, "block_size", min=1024, max=_MAX_BLOCK)
    if format is not None and format not in ("text", "parquet", "npy"):
        raise ValueError(f"format must be 'text', 'parquet' or 'npy' (or None: detect), got {format!r}")
    cols = _parse_columns(columns)
    if cols is not None:
        if len(cols) not in (2, 3):
            raise ValueError(f"columns must name 2 (src, dst) or 3 (src, dst, weight) columns, got {list(cols)}")
        weighted = weighted or len(cols) == 3
        if weighted and len(cols) == 2:
            raise ValueError(f"weighted=True needs a third (weight) column in columns, got {list(cols)}")
    return cols, weighted, block_size


# ------------------------------------------------------------------- streaming

_INT_ONLY = ("EdgeStream (the per-rank reader of the distributed path, graphlearn embed under torchrun) reads "
             "integer node ids only; embed string ids in one process (graphlearn embed without torchrun) or "
             "relabel the nodes with integers")


class EdgeStream:
    """The edges of an edge-list file in blocks of integer ids, parsed by the parser of
    :func:`read_edge_list`: the same formats (text, Parquet, ``.npy``), options,
    detection of the separator, header and comments, rules and error messages (with
    the same 1-based line or row numbers). For readers that must not hold the whole
    graph, such as the per-rank reader of distributed FastRP: a rank iterates over the
    file and keeps the edges of its own rows (:meth:`blocks` with ``id_range``).

    The format is detected once, in the constructor, from the file alone (the same
    leading lines :func:`read_edge_list` looks at), so every process that opens the
    same file decides the same way without talking to the others. Every iteration is
    one pass over the file; what a first pass learns (runs of blanks that need
    normalising) is kept for the next one.

    Node ids are the file's own integer ids (not rows; ``read_edge_list`` maps them to
    rows afterwards). A file whose ids are strings raises ValueError naming its first
    such line and this limitation (``numeric_ids=False`` is refused at once).

    ``path`` may be ``"-"`` or a FIFO / pipe, as for :func:`read_edge_list`: it is then
    copied once, in the constructor, to a temporary file that every pass reads and
    :meth:`close` (or the end of a ``with`` block, or garbage collection) removes.

    Args:
        path, sep, columns, header, comment, weighted, numeric_ids, block_size, format:
            as for :func:`read_edge_list`.

    Attributes (after a complete pass): num_lines, num_edges (edge lines/rows),
    num_skipped (text lines that were not edges), header, sep; from the start:
    path (``"<stdin>"`` for ``"-"``), format, compression, weighted.
    """

    def __init__(self, path: PathLike, *, sep: Optional[str] = None, columns: ColumnSpec = None,
                 header: Optional[bool] = None, comment: Union[None, str, Sequence[str]] = None,
                 weighted: bool = False, numeric_ids: Optional[bool] = None, block_size: int = DEFAULT_BLOCK_SIZE,
                 format: Optional[str] = None):
        cols, weighted, block_size = _check_args(columns, header, numeric_ids, block_size, weighted, format)
        comments = _parse_comments(comment)
        if numeric_ids is False:
            raise ValueError(f"{os.fspath(path) if isinstance(path, (str, os.PathLike)) else path!r}: "
                             f"numeric_ids=False: {_INT_ONLY}")
        self._source = None
        src = _open_input(path)
        self._source = src  # a spooled copy lives as long as the stream (close())
        try:
            self._plan(src, sep, cols, header, comments, weighted, numeric_ids, block_size, format)
        except BaseException:
            self.close()
            raise

    def _plan(self, path: str, sep, cols, header, comments, weighted: bool, numeric_ids, block_size: int,
              format: Optional[str]) -> None:
        fmt = format or _detect_format(path)
        self.path, self.format, self.compression, self.block_size = path, fmt, None, block_size
        self.numeric_ids = numeric_ids
        self.num_lines = self.num_edges = self.num_skipped = 0
        self.header: Optional[List[str]] = None
        self.sep: Optional[str] = None
        if fmt == "parquet":
            self._pf, self._sel, numeric = _parquet_plan(path, cols, weighted, numeric_ids)
            if not numeric:
                raise _err(path, "", f"the id columns {self._sel[:2]} hold strings: {_INT_ONLY}")
            self.weighted = weighted
            self.header = list(self._pf.schema_arrow.names)
        elif fmt == "npy":
            self._arr, self._idx = _npy_plan(path, cols, weighted, numeric_ids)
            self.weighted = len(self._idx) == 3
        else:
            self.compression = _detect_compression(path)
            layout = _sniff(path, self.compression, sep, cols, header, comments, weighted, numeric_ids)
            if not layout.numeric:  # auto mode saw a string id in the first lines
                raise _first_non_integer(path, layout, self.compression)
            self._layout = layout
            self.weighted = layout.weight is not None
            self.header, self.sep = layout.header, layout.delimiter

    def close(self) -> None:
        """Removes the temporary copy of an input that cannot seek (``"-"``, a FIFO);
        nothing to do for a regular file. The stream cannot be iterated afterwards."""
        src, self._source = getattr(self, "_source", None), None
        if src is not None:
            self._arr = None  # a memory map of the copy
            self._pf = None
            _close_input(src)

    def __enter__(self) -> "EdgeStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __iter__(self) -> Iterator[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]]:
        return self.blocks()

    def blocks(self, id_range: Optional[Tuple[int, Optional[int]]] = None, endpoint: str = "any",
               progress: bool = False, desc: Optional[str] = None
               ) -> Iterator[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]]:
        """One pass over the file: ``(src, dst, weight)`` per parsed block, in file order.

        Args:
            id_range: ``(lo, hi)``: only the edges with an endpoint id in ``[lo, hi)``
                (``hi`` None: no upper bound); None: every edge.
            endpoint: which endpoint must lie in ``id_range``: ``"src"``, ``"dst"`` or
                ``"any"`` (either).
            progress: a tqdm bar (bytes for text, rows otherwise); desc: its label
                (default ``"parse <file name>"``).

        Yields:
            ``[k]`` int64 source ids, ``[k]`` int64 target ids (>= 0) and ``[k]`` float32
            weights (finite) or None.

        Raises:
            ValueError: as :func:`read_edge_list` (same message, same line), or, for
                string ids, naming the first line with a non-integer id.
        """
        if endpoint not in ("src", "dst", "any"):
            raise ValueError(f"EdgeStream.blocks: endpoint must be 'src', 'dst' or 'any', got {endpoint!r}")
        if id_range is not None:
            if not isinstance(id_range, (tuple, list)) or len(id_range) != 2:
                raise TypeError(f"EdgeStream.blocks: id_range must be a pair (lo, hi), got {id_range!r}")
            lo = integer(id_range[0], "EdgeStream.blocks: id_range[0]")
            hi = None if id_range[1] is None else integer(id_range[1], "EdgeStream.blocks: id_range[1]")
        if self._source is None:
            raise ValueError(f"{self.path}: the EdgeStream is closed")
        name = desc or f"parse {os.path.basename(self.path)}"
        if self.format == "parquet":
            bar = _io.progress(self._pf.metadata.num_rows, name, "rows", enabled=progress)
            source = _parquet_blocks(self.path, self._pf, self._sel, self.weighted, True, self.block_size, bar)
        elif self.format == "npy":
            bar = _io.progress(self._arr.shape[0], name, "rows", enabled=progress)
            # slices of about block_size bytes (read_edge_list takes at least 1M rows at a time)
            source = _npy_blocks(self.path, self._arr, self._idx, max(self.block_size // 16, 1024), bar)
        else:
            bar = _io.progress(os.path.getsize(_real(self.path)), name, "B", enabled=progress)
            source = self._text_pass(bar)
        rows = 0
        try:
            for s, d, w in source:
                rows += s.shape[0]
                if id_range is not None:
                    keep = None
                    for ids in ((s,) if endpoint == "src" else (d,) if endpoint == "dst" else (s, d)):
                        inside = ids >= lo if hi is None else (ids >= lo) & (ids < hi)
                        keep = inside if keep is None else keep | inside
                    if not keep.all():
                        s, d = s[keep], d[keep]
                        w = w[keep] if w is not None else None
                    if not s.shape[0]:
                        continue
                yield s, d, (w.astype(np.float32, copy=False) if w is not None else None)
        finally:
            bar.close()
        self.num_edges = rows
        if self.format != "text":
            self.num_lines, self.num_skipped = rows, 0

    def _text_pass(self, bar) -> Iterator[Tuple]:
        """_text_blocks with the retries of read_edge_list: a parse that must start again
        normalised goes on after the rows already handed out (they are the same rows)."""
        done = 0
        while True:
            stats = _PassStats()
            rows = 0
            try:
                for s, d, w in _text_blocks(self.path, self.compression, self._layout, self.numeric_ids,
                                            self.block_size, bar, stats):
                    m = s.shape[0]
                    if rows + m > done:
                        k = max(done - rows, 0)
                        yield (s[k:], d[k:], w[k:] if w is not None else None) if k else (s, d, w)
                        done = rows + m
                    rows += m
            except _RetryAsStrings:
                raise _first_non_integer(self.path, self._layout, self.compression, rows) from None
            except _RetryNormalized:
                self._layout = _normalized(self._layout)
                bar.reset()
                continue
            except _RetryLargerBlocks:
                self.block_size = _larger_blocks(self.path, self.block_size)
                bar.reset()
                continue
            self.num_lines, self.num_skipped = stats.lines, stats.lines - stats.rows
            return


def _data_lines(path: str, layout: _Layout, compression: Optional[str], start_row: int = 0,
                skip_candidate: bool = False):
    """``(where, line, fields)`` of every data line from data row ``start_row`` (0-based;
    blank, comment and header lines skipped; a candidate header is a data row unless
    ``skip_candidate``), read again line by line for the slow error paths; ``where`` is
    ``"line N"``, 1-based, counting every line of the file."""
    row = -1
    header_pending = layout.has_header or (skip_candidate and layout.has_header is None)
    for lineno, line in _iter_lines(path, compression):
        if not line.strip(" \t\r") or _is_comment(line, layout.comments, layout.collapse):
            continue
        if header_pending:
            header_pending = False
            continue
        row += 1
        if row < start_row:
            continue
        if layout.delimiter is None:
            fields = line.split() if layout.collapse else line.split(" ")
        else:
            fields = _split(line, layout.delimiter)
        yield f"line {lineno}", line, fields


def _line_of_row(path: str, layout: _Layout, compression: Optional[str], row: int) -> str:
    """``"line N"`` of data row ``row`` (0-based), or ``"line N"`` of the last line when
    the file has fewer rows."""
    for where, _, _ in _data_lines(path, layout, compression, row):
        return where
    return "at the end"


_F32_MAX = float(np.finfo(np.float32).max)


def _as_float32(w: np.ndarray) -> np.ndarray:
    """float32 weights (non-finite where a value is beyond the float32 range), quietly."""
    with np.errstate(over="ignore", invalid="ignore"):
        return w.astype(np.float32, copy=False)


def _weight_error(path: str, where: str, line: str, fields: List[str], layout: _Layout) -> Optional[ValueError]:
    """The error for a line whose weight field is not a finite float32 number, else None."""
    if layout.weight is None:
        return None
    f = fields[layout.weight].strip()
    try:
        if "_" in f:  # Python's float() takes 1_000; the parser does not
            raise ValueError(f)
        w = float(f)
    except ValueError:
        return _err(path, where, f"weight {_show(f, 60)} (field {layout.weight}) is not a number", line)
    if not np.isfinite(_as_float32(np.array([w]))[0]):
        return _err(path, where, f"weight {_show(f, 60)} (field {layout.weight}) {_weight_problem(w)}", line)
    return None


def _weight_problem(w) -> str:
    """What is wrong with a weight that is not finite in float32 (None: missing)."""
    if w is None:
        return "is missing (null)"
    if not math.isfinite(w):
        return "is not finite"
    return f"is beyond the float32 range that weights are stored in (|w| <= {_F32_MAX:.4g})"


def _id_error(path: str, where: str, line: str, fields: List[str], layout: _Layout, numeric: bool,
              hint: str, check_negative: bool = True) -> Optional[Tuple[str, ValueError]]:
    """``(kind, error)`` for the first bad id field of a line, else None: ``"empty"``,
    ``"utf8"`` (string ids that are not UTF-8), and with ``numeric`` ``"not_int"`` or
    ``"negative"`` (``hint`` ends those messages)."""
    for name, i in (("source", layout.src), ("target", layout.dst)):
        f = fields[i].strip()
        if not f:
            return "empty", _err(path, where, f"empty {name} id (field {i})", line)
        if numeric:
            if not _INT_RE.match(f):
                return "not_int", _err(path, where, f"{name} id {_show(f, 60)} (field {i}) is not an integer{hint}",
                                       line)
            if len(f.strip().lstrip("-").lstrip("0")) > 19 or not -2**63 <= int(f) < 2**63:
                shown = f[:60] + ("..." if len(f) > 60 else "")
                return "not_int", _err(path, where, f"{name} id {shown} (field {i}) does not fit in int64{hint}", line)
            if check_negative and int(f) < 0:
                return "negative", _err(path, where, f"negative {name} id {f} (field {i}); ids must be >= 0 (or read "
                                        "them as strings with numeric_ids=False / --no-numeric-ids)", line)
        elif _has_bad_bytes(f):
            return "utf8", _err(path, where, f"{name} id (field {i}) is not valid UTF-8 text", line)
    return None


def _first_non_integer(path: str, layout: _Layout, compression: Optional[str], start_row: int = 0) -> ValueError:
    """The error EdgeStream raises for a text file with string ids (``read_edge_list``
    would read them as strings), scanning from data row ``start_row``: the error of
    ``read_edge_list`` when a line before the first non-integer id is bad for it as
    well (wrong field count, empty id, bad weight: the checks of :func:`_locate`), else
    the first non-integer id and the limitation."""
    found = False
    for where, line, fields in _data_lines(path, layout, compression, start_row, skip_candidate=True):
        found = True
        if len(fields) != layout.ncols:
            return _err(path, where, f"malformed line: expected {layout.ncols} fields, found {len(fields)}", line)
        bad = _id_error(path, where, line, fields, layout, True, f"; {_INT_ONLY}", check_negative=False)
        if bad is not None:
            return bad[1]
        bad_weight = _weight_error(path, where, line, fields, layout)
        if bad_weight is not None:
            return bad_weight
    if not found and start_row == 0:
        return _err(path, "", "no edges (empty input: only a header line)")
    return _err(path, "", f"string node ids; {_INT_ONLY}")


def _parse_columns(columns: ColumnSpec) -> Optional[List[Union[int, str]]]:
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",")]
    out: List[Union[int, str]] = []
    for c in columns:
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, np.integer, str)):
            raise TypeError(f"columns: expected column indices or names, got {c!r}")
        if isinstance(c, str) and c == "":
            raise ValueError(f"columns: empty column name in {columns!r}")
        if isinstance(c, (int, np.integer)) and c < 0:
            raise ValueError(f"columns: column indices must be >= 0, got {c}")
        out.append(int(c) if isinstance(c, (int, np.integer)) else c)
    if len(set(out)) != len(out):
        raise ValueError(f"columns: the same column is named twice: {out}")
    return out


def _parse_comments(comment) -> Tuple[str, ...]:
    if comment is None:
        return _DEFAULT_COMMENTS
    if comment is False or comment == "":
        return ()
    if isinstance(comment, str):
        return (comment,)
    out = tuple(comment)
    if not all(isinstance(c, str) and c for c in out):
        raise TypeError(f"comment must be a non-empty string or a sequence of them, got {comment!r}")
    return out


def _detect_format(path: str) -> str:
    """``"parquet"``, ``"npy"`` or ``"text"`` from the first bytes; a ``.parquet``/``.pq``
    or ``.npy`` name whose content is something else is an error saying so."""
    with open(_real(path), "rb") as f:
        head = f.read(8)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(_NPY_MAGIC):
        return "npy"
    low = path.lower()
    if low.endswith((".parquet", ".pq")):
        _not_binary(path, head, "Parquet", "PAR1")
    if low.endswith(".npy"):
        _not_binary(path, head, "NumPy .npy", "\\x93NUMPY")
    return "text"


def _not_binary(path: str, head: bytes, kind: str, magic: str) -> None:
    """Raises the error for a file named as ``kind`` that does not start with ``magic``."""
    if not head:
        raise _err(path, "", "no edges (empty input: the file is empty)")
    what = next((name for m, name in _MAGIC if head.startswith(m)), None)
    if head.startswith(b"PK"):
        what = "a zip archive (a .npz file?)"
    elif what:
        what = f"{what} compressed data"
    else:
        what = f"something else, starting with {head!r}" + ("; a text edge list? pass format='text'" if all(
            32 <= c < 127 or c in b"\t\r\n" for c in head) else "")
    raise _err(path, "", f"not a {kind} file: it does not start with {magic} but is {what}")


def _detect_compression(path: str) -> Optional[str]:
    """Compression from the magic bytes; the extension only when the file is too short to tell."""
    with open(_real(path), "rb") as f:
        head = f.read(4)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    ext = os.path.splitext(path)[1].lower()
    if ext in _EXT_COMPRESSION and len(head) < 4 and head:
        raise _err(path, "", f"too short to be a {_EXT_COMPRESSION[ext]} file")
    return None


def _open_stream(path: str, compression: Optional[str]):
    """(decompressed pyarrow input stream, raw file) for `path`."""
    import pyarrow as pa

    raw = pa.OSFile(_real(path), "r")
    if compression is None:
        return raw, raw
    if not pa.Codec.is_available(compression):
        raw.close()
        raise _err(path, "", f"{compression} compressed, but this pyarrow build has no {compression} codec")
    return pa.CompressedInputStream(raw, compression), raw


# ------------------------------------------------------------------------- text

@dataclasses.dataclass
class _Layout:
    """How a text file is laid out (found by _sniff)."""
    delimiter: Optional[str]      # None: runs of whitespace
    collapse: bool                # whitespace mode: normalise runs of blanks before parsing
    blank_ws: bool                # empty the lines that hold only blanks (set after a parse error)
    comments: Tuple[str, ...]
    has_header: Optional[bool]    # None: a candidate header, decided after the parse (_detect_header)
    header: Optional[List[str]]   # the first line's fields when it is (or may be) a header
    ncols: int
    src: int
    dst: int
    weight: Optional[int]
    numeric: bool                 # parse ids as int64
    bytes_per_line: float


def _iter_lines(path: str, compression: Optional[str]) -> Iterator[Tuple[int, str]]:
    """(1-based line number, decoded line without its end) for every line of the file;
    bytes that are not UTF-8 are kept as surrogates (``errors="surrogateescape"``), so
    :func:`_has_bad_bytes` finds them and messages show them."""
    stream, raw = _open_stream(path, compression)
    try:
        carry = b""
        lineno = 0
        first = True
        while True:
            try:
                chunk = stream.read(1 << 16)
            except OSError as exc:
                kind = f"{compression} stream" if compression else "file"
                raise _err(path, f"after line {lineno}" if lineno else "",
                           f"truncated or corrupt {kind} ({exc})") from None
            if first and chunk:
                first = False
                if chunk.startswith(_BOM):
                    chunk = chunk[3:]
            if not chunk:
                if carry:
                    lineno += 1
                    yield lineno, carry.decode("utf-8", "surrogateescape").rstrip("\r")
                return
            parts = (carry + chunk).split(b"\n")
            carry = parts.pop()
            for p in parts:
                lineno += 1
                yield lineno, p.decode("utf-8", "surrogateescape").rstrip("\r")
    finally:
        stream.close()
        if raw is not stream:
            raw.close()


def _split(line: str, delimiter: Optional[str]) -> List[str]:
    """The fields of a line as pyarrow's CSV parser splits it (``delimiter`` None: runs
    of whitespace): a field that starts with ``"`` is quoted (``""`` inside it is one
    ``"``; text after the closing quote is appended; an unclosed quote runs to the end of
    the line). No limit on the length of a field."""
    if delimiter is None:
        return line.split()
    if '"' not in line:
        return line.split(delimiter)
    fields: List[str] = []
    i, n = 0, len(line)
    while True:
        parts = []
        if line.startswith('"', i):
            j = i + 1
            while True:
                k = line.find('"', j)
                if k < 0:  # unclosed: the rest of the line
                    parts.append(line[j:])
                    i = n
                    break
                parts.append(line[j:k])
                if line.startswith('"', k + 1):
                    parts.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
        k = line.find(delimiter, i)
        parts.append(line[i:] if k < 0 else line[i:k])
        fields.append("".join(parts))
        if k < 0:
            return fields
        i = k + 1


def _is_comment(line: str, comments: Tuple[str, ...], collapse: bool) -> bool:
    text = line.lstrip(" \t") if collapse else line
    return any(text.startswith(c) for c in comments)


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def _resolve_column(path: str, c: Union[int, str], header: Optional[List[str]], ncols: int, where: str,
                    first: str, header_where: str) -> int:
    if isinstance(c, str):
        if header is not None and c in header:
            return header.index(c)
        if _DIGITS.match(c):
            c = int(c)
        elif header is None:
            raise _err(path, where, f"missing column: column {c!r} given by name, but the file has no header "
                       "line (pass header=True / --header, or use column numbers)", first)
        else:
            raise _err(path, header_where, f"missing column: {c!r} is not in the header {header}")
    if c >= ncols:
        raise _err(path, where, f"missing column: column {c} requested (0-based) but the line has only "
                   f"{ncols} field(s)", first)
    return c


def _sniff(path: str, compression: Optional[str], sep: Optional[str], cols, header: Optional[bool],
           comments: Tuple[str, ...], weighted: bool, numeric_ids: Optional[bool]) -> _Layout:
    """The layout of a text file from its first data lines (up to ``_SAMPLE_LINES``)."""
    if sep is not None and not isinstance(sep, str):
        raise TypeError(f"sep must be a string, got {sep!r}")
    data: List[Tuple[int, str]] = []
    nbytes = 0
    lines_seen = 0
    complete = True  # whether the sample holds every data line of the file
    for lineno, line in _iter_lines(path, compression):
        lines_seen = lineno
        if lineno == 1 and line.startswith(("\udc93NUMPY", "PAR1")):
            kind = "Parquet" if line.startswith("PAR1") else "NumPy .npy"
            raise _err(path, "", f"a {compression} compressed {kind} file: decompress it first (only text edge "
                       "lists are read compressed)" if compression else f"a {kind} file, read as text (format='text')")
        if not line.strip(" \t\r") or _is_comment(line, comments, True):
            continue
        data.append((lineno, line))
        nbytes += len(line) + 1
        if len(data) >= _SAMPLE_LINES or (nbytes >= _SAMPLE_BYTES and len(data) >= 2):
            complete = False
            break
    if not data:
        raise _err(path, "", f"no edges (empty input: {_no_edges_reason(path, lines_seen)})")
    lines = [ln for _, ln in data]
    # separator
    if sep is None:
        delimiter: Optional[str] = None
        for cand in ("\t", ",", ";", "|"):
            if all(cand in ln for ln in lines):
                delimiter = cand
                break
        if delimiter == "\t" and any("\t\t" in ln or ln.startswith("\t") for ln in lines):
            delimiter = None  # runs of tabs: columns aligned with blanks
    else:
        if sep in _SEP_NAMES:
            delimiter = _SEP_NAMES[sep]
        elif len(sep) == 1 and sep not in "\r\n\"":
            delimiter = sep
        else:
            raise ValueError(f"sep must be one character, 'tab', 'comma', 'space' or 'whitespace', got {sep!r}")
        if delimiter is not None and delimiter.isspace() and delimiter != "\t":
            delimiter = None
    if delimiter is None:
        # a plain single-space file goes straight to the parser; anything else is normalised
        collapse = any("\t" in ln or "  " in ln or ln != ln.strip(" \r") for ln in lines)
    else:
        collapse = False
    if collapse:
        lines = [ln.strip(" \t\r") for ln in lines]
    split = [_split(ln, delimiter) for ln in lines]
    first_no, first = data[0]
    has_header = header if header is not None else _detect_header(split, cols, weighted, numeric_ids)
    if has_header is None and complete and len(split) == 1:
        has_header = True  # a candidate header and nothing else: the names occur on no other line
    header_names: Optional[List[str]] = None
    if has_header is not False:
        header_names = [h.strip() for h in split[0]]
    if has_header:
        split, data = split[1:], data[1:]
        if not split:
            raise _err(path, "", f"no edges (empty input: only a header line, line {first_no}: {_show(first)})")
    ncols = len(split[0])
    where, line0 = f"line {data[0][0]}", data[0][1]
    if has_header and len(header_names) != ncols:
        raise _err(path, f"line {data[0][0]}", f"the header (line {first_no}) has {len(header_names)} fields but "
                   f"this line has {ncols}", line0)
    want = cols if cols is not None else ([0, 1, 2] if weighted else [0, 1])
    if weighted and cols is None and ncols < 3:
        raise _err(path, where, f"missing column: weighted=True needs a third (weight) column, but the line has "
                   f"{ncols} field(s)", line0)
    idx = [_resolve_column(path, c, header_names if has_header else None, ncols, where, line0, f"line {first_no}")
           for c in want]
    if len(set(idx)) != len(idx):
        raise ValueError(f"{path}: columns {want} name the same column twice (header {header_names})")
    if numeric_ids is None:
        numeric = all(all(_INT_RE.match(f[i]) for i in idx[:2]) for f in split if len(f) == ncols)
    else:
        numeric = bool(numeric_ids)
    return _Layout(delimiter=delimiter, collapse=collapse, blank_ws=False, comments=comments, has_header=has_header,
                   header=header_names, ncols=ncols, src=idx[0], dst=idx[1], weight=idx[2] if weighted else None,
                   numeric=numeric, bytes_per_line=max(nbytes / len(lines), 2.0))


def _detect_header(split: List[List[str]], cols, weighted: bool, numeric_ids: Optional[bool]) -> Optional[bool]:
    """The header rule of the module docstring for the sampled lines (fields): True, False,
    or None when it depends on the whole file (string ids under two column names: a
    header iff those names occur as ids on no other line, decided after the parse)."""
    first = split[0]
    names = [c for c in (cols or []) if isinstance(c, str) and not _DIGITS.match(c)]
    if names:  # columns given by name: a header iff the first line has those names
        return any(c in [h.strip() for h in first] for c in names)
    want = [int(c) for c in (cols or ([0, 1, 2] if weighted else [0, 1]))]
    idx = want[:2]

    def numeric(fields: List[str]) -> bool:
        return all(i < len(fields) and _is_number(fields[i]) for i in idx)

    if numeric(first):
        return False
    if numeric_ids or (len(split) > 1 and all(numeric(f) for f in split[1:])):
        return True
    if weighted and len(want) == 3 and want[2] < len(first) and not _is_number(first[want[2]]):
        return True
    if all(i < len(first) and _HEADER_NAME.match(first[i].strip()) for i in idx):
        return None
    return False


def _no_edges_reason(path: str, lines: int) -> str:
    """Why a text file that holds no data line has no edges."""
    if lines == 0:
        return "the input is empty" if isinstance(path, _Spool) else "the file is empty"
    return f"{lines} line{'s' if lines > 1 else ''}, only comments and blank lines"


def _drop_prefixed_lines(data: bytes, prefix: bytes) -> bytes:
    """`data` (whole lines) without the lines that start with `prefix` (one find per such line)."""
    segs = []
    keep = pos = 0
    n = len(data)
    while pos < n:
        if data.startswith(prefix, pos):
            end = data.find(b"\n", pos)
            end = n if end < 0 else end + 1
            segs.append(data[keep:pos])
            keep = pos = end
            continue
        i = data.find(b"\n" + prefix, pos)
        if i < 0:
            break
        pos = i + 1
    if keep == 0:
        return data
    segs.append(data[keep:])
    return b"".join(segs)


_BLANKISH = re.compile(rb"(?m)^[ \t]+(\r?)$")


class _FilteredText(io.RawIOBase):
    """Decompressed text with comment lines, a BOM and the header removed (and, when
    asked, whitespace-only lines emptied and runs of blanks turned into one space), as
    a binary stream for pyarrow's CSV reader.

    Works on chunks of whole lines; a chunk without any comment character is passed
    through untouched, others are rewritten with whole-buffer ``bytes`` operations.
    """

    def __init__(self, path: str, compression: Optional[str], layout: _Layout):
        super().__init__()
        self._stream, self._raw = _open_stream(path, compression)
        self._comments = tuple(c.encode("utf-8") for c in layout.comments)
        self._marks = tuple(sorted({c[:1] for c in self._comments}))
        self._collapse = layout.collapse
        self._blank_ws = layout.blank_ws
        self._header_pending = layout.has_header
        self._out = b""
        self._pos = 0
        self._carry = b""      # the start of the next line (held back until its end is read)
        self._eof = False
        self._first = True
        self.lines = 0
        self.error: Optional[BaseException] = None

    def readable(self) -> bool:
        return True

    @property
    def raw_position(self) -> int:
        try:
            return self._raw.tell()
        except Exception:
            return 0

    def read(self, n: int = -1) -> bytes:
        try:
            while self._pos >= len(self._out):
                if self._eof:
                    return b""
                self._out, self._pos = self._next(), 0
        except BaseException as exc:
            self.error = exc
            raise
        if n is None or n < 0 or (self._pos == 0 and n >= len(self._out)):
            out, self._out, self._pos = self._out[self._pos:] if self._pos else self._out, b"", 0
            return out
        end = self._pos + n
        nl = self._out.rfind(b"\n", self._pos, end)
        if nl >= 0:  # hand out whole lines only (see _next)
            end = nl + 1
        out = self._out[self._pos:end]
        self._pos = end
        return out

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def _next(self) -> bytes:
        # Every buffer handed to pyarrow ends at a line end: pyarrow's chunker can lose
        # the rest of the file when a block holds only the "\n" of a "\r\n" split
        # across blocks (seen with pyarrow 26), and lines never straddle blocks this way.
        data = self._stream.read(_CHUNK)
        if not data:
            self._eof = True
            data, self._carry = self._carry, b""
            if not data:
                return b""
            if not data.endswith(b"\n"):
                data += b"\n"
        else:
            cut = data.rfind(b"\n")
            if cut < 0:
                self._carry += data
                return b""
            if self._carry:
                data, self._carry = self._carry + data[:cut + 1], data[cut + 1:]
            else:
                data, self._carry = data[:cut + 1], data[cut + 1:]
        self.lines += data.count(b"\n")
        if self._first or self._collapse or self._blank_ws or self._header_pending \
                or any(m in data for m in self._marks):
            return self._rewrite(data)
        return data

    def _rewrite(self, data: bytes) -> bytes:
        """Rewrites whole lines (`data` starts at a line start and ends with a line end)."""
        if self._first and data:
            self._first = False
            if data.startswith(_BOM):
                data = data[3:]
        if self._collapse:
            data = data.replace(b"\t", b" ")
            while b"  " in data:
                data = data.replace(b"  ", b" ")
            data = data.replace(b"\r\n", b"\n").replace(b" \n", b"\n").replace(b"\n ", b"\n")
            if data.startswith(b" "):
                data = data[1:]
        elif self._blank_ws:
            data = _BLANKISH.sub(rb"\1", data)  # whitespace-only lines -> empty (skipped by the parser)
        for c in self._comments:
            if data.startswith(c) or b"\n" + c in data:
                data = _drop_prefixed_lines(data, c)
        if self._header_pending:
            rest = data.lstrip(b"\r\n")
            if rest:
                end = rest.find(b"\n")
                data = rest[end + 1:]
                self._header_pending = False
            else:
                data = b""
        return data

    def close(self) -> None:
        try:
            self._stream.close()
            if self._raw is not self._stream:
                self._raw.close()
        finally:
            super().close()


class _RetryAsStrings(Exception):
    """Auto mode met an id that is not an integer: read every id as a string. ``error``
    is the message naming that line (what an integer-only reader reports)."""

    def __init__(self, error: Optional[ValueError] = None):
        super().__init__(str(error) if error is not None else "")
        self.error = error


class _RetryNormalized(Exception):
    """Lines the filter passed through unchanged broke the parser (runs of blanks,
    whitespace-only lines): parse again with those normalised."""


def _locate(path: str, layout: _Layout, compression: Optional[str], start_row: int,
            check_ids: bool, check_weight: bool, check_fields: bool = True) -> Optional[Tuple[str, ValueError]]:
    """Finds the first bad data line at or after data row `start_row` (0-based, in the
    order the parser saw the rows) by reading the file again line by line.

    Returns ``(kind, error)`` with kind ``"fields"``, ``"empty"``, ``"utf8"``,
    ``"not_int"``, ``"negative"`` or ``"weight"``, or None when every line is fine by
    these rules."""
    hint = " (numeric ids: pass numeric_ids=False / --no-numeric-ids to read ids as strings)"
    for where, line, fields in _data_lines(path, layout, compression, start_row):
        if check_fields and len(fields) != layout.ncols:
            return "fields", _err(path, where, f"malformed line: expected {layout.ncols} fields, "
                                  f"found {len(fields)}", line)
        if len(fields) != layout.ncols:
            continue
        bad = _id_error(path, where, line, fields, layout, check_ids and layout.numeric, hint)
        if bad is not None and (check_ids or bad[0] == "empty"):
            return bad
        bad_weight = _weight_error(path, where, line, fields, layout) if check_weight else None
        if bad_weight is not None:
            return "weight", bad_weight
    return None


class _RetryLargerBlocks(Exception):
    """A line is longer than the parser's block: parse again with larger blocks."""


def _read_text(path: str, sep, cols, header, comments, weighted: bool, numeric_ids: Optional[bool],
               block_size: int, progress: bool) -> EdgeList:
    compression = _detect_compression(path)
    layout = _sniff(path, compression, sep, cols, header, comments, weighted, numeric_ids)
    while True:
        try:
            return _parse_text(path, compression, layout, numeric_ids, block_size, progress)
        except _RetryAsStrings:
            layout = dataclasses.replace(layout, numeric=False)
        except _RetryNormalized:
            layout = _normalized(layout)
        except _RetryLargerBlocks:
            block_size = _larger_blocks(path, block_size)


def _larger_blocks(path: str, block_size: int) -> int:
    """The block size for the parse after a _RetryLargerBlocks."""
    if block_size >= _MAX_BLOCK:
        raise _err(path, "", f"a line is longer than {_MAX_BLOCK >> 20} MiB, the longest line this reader "
                   "parses") from None
    return min(block_size * 8, _MAX_BLOCK)


def _normalized(layout: _Layout) -> _Layout:
    """The layout for the next parse after a _RetryNormalized."""
    if layout.delimiter is None:
        return dataclasses.replace(layout, collapse=True)
    return dataclasses.replace(layout, blank_ws=True)


class _PassStats:
    """What one pass over a text file saw (filled in by _text_blocks)."""
    lines: int = 0
    rows: int = 0


def _text_blocks(path: str, compression: Optional[str], layout: _Layout, numeric_ids: Optional[bool],
                 block_size: int, bar, stats: _PassStats) -> Iterator[Tuple]:
    """The parser: one pass over a text edge list, block by block.

    Yields ``(src, dst, weight)`` per parsed block of rows, in file order: int64 numpy
    ids when ``layout.numeric`` (else trimmed pyarrow string arrays) and the float32
    numpy weights (None when unweighted). Every yielded id is valid (>= 0, or a
    non-empty string) and every weight finite in float32. Raises ``_RetryAsStrings`` /
    ``_RetryNormalized`` / ``_RetryLargerBlocks`` when the file must be parsed again
    with another layout or block size (the rows already yielded are then the first
    rows of that parse as well), and a
    ValueError naming the file, the 1-based line and its content for bad input.
    ``bar`` (tqdm) advances by the compressed bytes read; ``stats`` receives the
    number of lines and data rows once the pass is complete.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(layout.ncols)]
    id_type = pa.int64() if layout.numeric else pa.string()
    types = {names[layout.src]: id_type, names[layout.dst]: id_type}
    include = [names[layout.src], names[layout.dst]]
    if layout.weight is not None:
        types[names[layout.weight]] = pa.float64()
        include.append(names[layout.weight])
    read_opts = pacsv.ReadOptions(block_size=block_size, column_names=names, use_threads=True)
    parse_opts = pacsv.ParseOptions(delimiter=layout.delimiter or " ", quote_char=False if layout.delimiter is None
                                    else '"', ignore_empty_lines=True, newlines_in_values=False)
    conv_opts = pacsv.ConvertOptions(column_types=types, include_columns=include, null_values=[],
                                     strings_can_be_null=False, quoted_strings_can_be_null=False)
    stream = _FilteredText(path, compression, layout)
    rows = 0
    weighted = layout.weight is not None
    problem: Optional[Tuple[int, str]] = None  # (start row, kind) found in a converted block
    try:
        reader = pacsv.open_csv(stream, read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts)
        for batch in reader:
            m = batch.num_rows
            s, d = batch.column(0), batch.column(1)
            if layout.numeric:
                s, d = arrow_to_numpy(s), arrow_to_numpy(d)
                if m and min(int(s.min()), int(d.min())) < 0:
                    problem = (rows, "ids")
                    break
            else:
                import pyarrow.compute as pc

                s, d = pc.utf8_trim_whitespace(s), pc.utf8_trim_whitespace(d)
                if m and min(pc.min(pc.binary_length(s)).as_py(), pc.min(pc.binary_length(d)).as_py()) == 0:
                    problem = (rows, "ids")
                    break
            w = None
            if weighted:
                w = _as_float32(arrow_to_numpy(batch.column(2)))
                if not np.isfinite(w).all():
                    problem = (rows, "weight")
                    break
            yield s, d, w
            rows += m
            bar.update(stream.raw_position - bar.n)
    except (_RetryAsStrings, _RetryNormalized, _RetryLargerBlocks):
        raise
    except Exception as exc:
        bar.close()
        if isinstance(stream.error, OSError) or (isinstance(exc, OSError) and not isinstance(exc, pa.ArrowException)):
            err = stream.error or exc
            kind = f"{compression} stream" if compression else "file"
            good = 0
            try:
                for good, _ in _iter_lines(path, compression):
                    pass
            except ValueError:
                pass
            raise _err(path, f"after line {good}" if good else "", f"truncated or corrupt {kind} ({err})") from None
        if isinstance(stream.error, ValueError):
            raise stream.error from None
        msg = str(exc).split("\n")[0]
        if isinstance(exc, pa.ArrowInvalid) and "straddl" in msg:  # a line longer than a block
            raise _RetryLargerBlocks() from None
        normalized = layout.collapse or layout.blank_ws
        if isinstance(exc, pa.ArrowInvalid) and "columns" in msg and not normalized:
            raise _RetryNormalized() from None
        found = _locate(path, layout, compression, rows, check_ids=True, check_weight=True)
        if found is None:
            if not normalized:
                raise _RetryNormalized() from None
            raise _err(path, f"{_line_of_row(path, layout, compression, rows)} or after",
                       f"could not parse the edge list ({msg})") from None
        if found[0] == "not_int" and numeric_ids is None:
            raise _RetryAsStrings(found[1]) from None  # auto mode: an id that is not an integer makes all ids strings
        raise found[1] from None
    finally:
        stream.close()
    bar.close()
    if problem is not None:
        found = _locate(path, layout, compression, problem[0], check_ids=problem[1] == "ids",
                        check_weight=problem[1] == "weight", check_fields=False)
        if found is not None:
            raise found[1]
        if not (layout.collapse or layout.blank_ws):
            raise _RetryNormalized()
        raise _err(path, f"{_line_of_row(path, layout, compression, problem[0])} or after", f"invalid {problem[1]}")
    if rows == 0:
        raise _err(path, "", f"no edges (empty input: {stream.lines} lines, only comments, blank lines and a header)")
    stats.lines, stats.rows = stream.lines, rows


def _expected_rows(path: str, compression: Optional[str], layout: _Layout) -> int:
    size = os.path.getsize(_real(path))
    expect = int(size * (4 if compression else 1) / layout.bytes_per_line * 1.05) + 1024
    return min(expect, 1 << 31)


def _parse_text(path: str, compression: Optional[str], layout: _Layout, numeric_ids: Optional[bool],
                block_size: int, progress: bool) -> EdgeList:
    expect = _expected_rows(path, compression, layout)
    bar = _io.progress(os.path.getsize(_real(path)), f"parse {os.path.basename(path)}", "B", enabled=progress)
    stats = _PassStats()
    blocks = _text_blocks(path, compression, layout, numeric_ids, block_size, bar, stats)
    candidate = layout.has_header is None and not layout.numeric
    out, dropped = _collect_blocks(blocks, layout.numeric, layout.weight is not None, expect, bar, candidate)
    if dropped is None:
        raise _err(path, "", f"no edges (empty input: only a header line, {layout.header})")
    rows = stats.rows - bool(dropped)
    out.format, out.compression = "text", compression
    out.num_lines, out.num_skipped = stats.lines, stats.lines - rows
    out.header = layout.header if layout.has_header or dropped else None
    out.sep = layout.delimiter
    return out


def _collect_blocks(blocks, numeric: bool, weighted: bool, expect: int, bar,
                    candidate: bool = False) -> Tuple[EdgeList, Optional[bool]]:
    """``(EdgeList, dropped)`` of ``(src, dst, weight)`` blocks (int64 arrays, or Arrow
    string arrays when not ``numeric``; float32 weights), ``expect`` rows preallocated;
    closes ``bar`` at the end. ``candidate``: the first row is a candidate header (string
    ids), dropped when neither of its ids occurs in another row; ``dropped`` tells, and
    is None when that leaves no edge."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if numeric:
        src_buf, dst_buf = _Buffer(np.int64, expect), _Buffer(np.int64, expect)
    else:
        src_chunks: List = []
        dst_chunks: List = []
    w_buf = _Buffer(np.float32, expect) if weighted else None
    try:
        for s, d, w in blocks:
            if numeric:
                src_buf.extend(s)
                dst_buf.extend(d)
            else:
                src_chunks.append(s)
                dst_chunks.append(d)
            if w_buf is not None:
                w_buf.extend(w)
    finally:
        bar.close()
    weight = w_buf.finish() if w_buf is not None else None
    if numeric:
        return _finish_int(src_buf.finish(), dst_buf.finish(), weight), False
    src, dst = pa.chunked_array(src_chunks, pa.string()), pa.chunked_array(dst_chunks, pa.string())
    dropped = False
    if candidate and len(src):
        names = pa.array([src[0].as_py(), dst[0].as_py()], pa.string())
        rest_s, rest_d = src.slice(1), dst.slice(1)
        if not (pc.any(pc.is_in(rest_s, value_set=names)).as_py() or pc.any(pc.is_in(rest_d, value_set=names)).as_py()):
            if len(src) == 1:
                return None, None
            src, dst, dropped = rest_s, rest_d, True
            weight = weight[1:].copy() if weight is not None else None
    return _finish_str(src, dst, weight), dropped


# ---------------------------------------------------------------------- id maps

def _finish_int(src: np.ndarray, dst: np.ndarray, weight: Optional[np.ndarray]) -> EdgeList:
    """Rows for integer ids (all >= 0): the id itself when dense, else sorted distinct ids."""
    E = src.shape[0]
    hi = int(max(src.max(), dst.max()))
    present = None
    if hi + 1 <= 4 * E + 1024:  # could be dense: count the distinct ids with a bitmap
        present = np.zeros(hi + 1, dtype=bool)
        present[src] = True
        present[dst] = True
        distinct = int(np.count_nonzero(present))
        if hi < 2 * distinct + 1024:
            ids = np.arange(hi + 1, dtype=np.int64)
            return EdgeList(src, dst, weight, hi + 1, ids, ids.copy(), None if distinct == hi + 1 else present,
                            id_type="int", indexing="dense")
        rank = np.cumsum(present, dtype=np.int64) - 1
        ids = np.flatnonzero(present).astype(np.int64)
        src, dst = rank[src], rank[dst]
        del rank
    else:
        ids = np.unique(np.concatenate([src, dst]))
        src, dst = np.searchsorted(ids, src), np.searchsorted(ids, dst)
    return EdgeList(src, dst, weight, int(ids.size), ids, ids.copy(), None, id_type="int", indexing="compact")


def string_keys(ids) -> np.ndarray:
    """Stable int64 keys of string node ids (``[n]`` strings -> ``[n]`` int64).

    A canonical non-negative decimal integer string (``"0"``, ``"42"``; no sign, no
    leading zeros) below 2**63 keeps its integer value; any other string gets the
    little-endian int64 of ``blake2b(utf8(id), digest_size=8)``. Independent of the
    order, the process and the machine.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(ids, type=pa.string()) if not isinstance(ids, (pa.Array, pa.ChunkedArray)) else ids
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    keys = np.empty(n, dtype=np.int64)
    int_mask = pc.match_substring_regex(arr, _CANONICAL_INT)
    is_int = arrow_to_numpy(int_mask).copy()  # written below
    if is_int.any():
        vals = arrow_to_numpy(pc.cast(arr.filter(int_mask), pa.uint64()))
        small = vals < np.uint64(1 << 63)
        idx = np.flatnonzero(is_int)
        keys[idx[small]] = vals[small].astype(np.int64)
        is_int[idx[~small]] = False
    rest = np.flatnonzero(~is_int)
    if rest.size:
        b2 = hashlib.blake2b
        strs = arr.take(pa.array(rest)).to_pylist()
        digest = b"".join([b2(s.encode("utf-8"), digest_size=8).digest() for s in strs])
        keys[rest] = np.frombuffer(digest, dtype="<i8")
    return keys


def _finish_str(src, dst, weight: Optional[np.ndarray]) -> EdgeList:
    """Rows for string ids: distinct ids in sorted order."""
    import pyarrow as pa
    import pyarrow.compute as pc

    both = pa.chunked_array(src.chunks + dst.chunks, pa.string())
    uniq = pc.unique(both)
    uniq = uniq.take(pc.sort_indices(uniq))
    s = arrow_to_numpy(pc.index_in(src, value_set=uniq)).astype(np.int64)
    d = arrow_to_numpy(pc.index_in(dst, value_set=uniq)).astype(np.int64)
    keys = string_keys(uniq)
    ids = uniq.to_numpy(zero_copy_only=False).astype(object)
    return EdgeList(s, d, weight, len(uniq), ids, keys, None, id_type="str", indexing="sorted")


# ---------------------------------------------------------------------- parquet

def _parquet_plan(path: str, cols, weighted: bool, numeric_ids: Optional[bool]):
    """(ParquetFile, selected column names, numeric ids?) after checking the schema."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    with open(_real(path), "rb") as f:
        head = f.read(8)
    if not head.startswith(b"PAR1"):
        _not_binary(path, head, "Parquet", "PAR1")
    try:
        pf = pq.ParquetFile(_real(path))
    except Exception as exc:
        raise _err(path, "", f"not a readable Parquet file ({str(exc).splitlines()[0] if str(exc) else exc!r})") \
            from None
    schema = pf.schema_arrow
    names = schema.names
    want = cols if cols is not None else ([0, 1, 2] if weighted else [0, 1])
    sel: List[str] = []
    for c in want:
        if isinstance(c, str) and c in names:
            sel.append(c)
        elif isinstance(c, int) or (isinstance(c, str) and _DIGITS.match(c)):
            i = int(c)
            if i >= len(names):
                raise _err(path, "", f"missing column: column {i} requested but the file has {len(names)} "
                           f"columns {names}")
            sel.append(names[i])
        else:
            raise _err(path, "", f"missing column: {c!r} is not one of the columns {names}")
    if len(set(sel)) != len(sel):
        raise _err(path, "", f"columns {want} name the same column twice")
    types = [schema.field(n).type for n in sel]
    for n, t in zip(sel[:2], types[:2]):
        if pa.types.is_dictionary(t):
            t = t.value_type
        if not (pa.types.is_integer(t) or pa.types.is_string(t) or pa.types.is_large_string(t)):
            raise _err(path, "", f"id column {n!r} has type {t}; node ids must be integers or strings")
    if weighted and not (pa.types.is_floating(types[2]) or pa.types.is_integer(types[2])):
        raise _err(path, "", f"weight column {sel[2]!r} has type {types[2]}; expected numbers")
    id_is_int = all(pa.types.is_integer(t) for t in types[:2])
    numeric = id_is_int if numeric_ids is None else bool(numeric_ids)
    return pf, sel, numeric


def _parquet_blocks(path: str, pf, sel: List[str], weighted: bool, numeric: bool, batch_rows: int,
                    bar) -> Iterator[Tuple]:
    """Yields ``(src, dst, weight)`` per record batch: int64 numpy ids (``numeric``) or
    trimmed pyarrow strings, float64 numpy weights or None; raises ValueError naming
    the 1-based row of a bad value."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = 0
    try:
        for batch in pf.iter_batches(batch_size=max(batch_rows // 16, 65536), columns=sel, use_threads=True):
            m = batch.num_rows
            parts = []
            for j, name in enumerate(sel[:2]):
                a = batch.column(j)
                if pa.types.is_dictionary(a.type):
                    a = a.dictionary_decode()
                if a.null_count:
                    k = int(np.flatnonzero(a.is_null().to_numpy(zero_copy_only=False))[0])
                    raise _err(path, f"row {rows + k + 1}", f"missing (null) id in column {name!r}")
                if numeric:
                    if not pa.types.is_integer(a.type):
                        a = pc.utf8_trim_whitespace(a)
                        ok = pc.match_substring_regex(a, r"^-?[0-9]{1,19}$").to_numpy(zero_copy_only=False)
                        if not ok.all():
                            k = int(np.flatnonzero(~ok)[0])
                            raise _err(path, f"row {rows + k + 1}", f"id {a[k].as_py()!r} in column {name!r} is "
                                       "not an integer (numeric ids)")
                    try:
                        v = arrow_to_numpy(pc.cast(a, pa.int64()))
                    except pa.ArrowInvalid:
                        raise _parquet_int64_error(path, a, rows, name) from None
                    if m and v.min() < 0:
                        k = int(np.flatnonzero(v < 0)[0])
                        raise _err(path, f"row {rows + k + 1}", f"negative id {int(v[k])} in column {name!r}; "
                                   "ids must be >= 0 (or read them as strings with numeric_ids=False)")
                else:
                    a = pc.utf8_trim_whitespace(pc.cast(a, pa.string()))
                    if m and pc.min(pc.binary_length(a)).as_py() == 0:
                        k = int(np.flatnonzero(pc.equal(pc.binary_length(a), 0).to_numpy(zero_copy_only=False))[0])
                        raise _err(path, f"row {rows + k + 1}", f"empty id in column {name!r}")
                    v = a
                parts.append(v)
            w = None
            if weighted:
                a = batch.column(2)
                w = _as_float32(pc.cast(a, pa.float64()).to_numpy(zero_copy_only=False)) if a.null_count == 0 else None
                if w is None or not np.isfinite(w).all():
                    bad = a.is_null().to_numpy(zero_copy_only=False) if w is None else ~np.isfinite(w)
                    k = int(np.flatnonzero(bad)[0])
                    raise _err(path, f"row {rows + k + 1}", f"weight {a[k].as_py()!r} in column {sel[2]!r} "
                               f"{_weight_problem(a[k].as_py())}")
            yield parts[0], parts[1], w
            rows += m
            bar.update(m)
    except OSError as exc:
        raise _err(path, f"after row {rows}", f"corrupt or truncated Parquet file ({str(exc).splitlines()[0]})") \
            from None
    if rows == 0:
        raise _err(path, "", "no edges (empty input: 0 rows)")


def _parquet_int64_error(path: str, a, rows: int, name: str) -> ValueError:
    """The error for an integer id column with a value beyond int64 (naming its row)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        big = pc.greater(pc.cast(a, pa.uint64()), pa.scalar(2**63 - 1, pa.uint64()))
        k = int(np.flatnonzero(big.to_numpy(zero_copy_only=False))[0])
        return _err(path, f"row {rows + k + 1}", f"id {a[k].as_py()} in column {name!r} does not fit in int64")
    except (pa.ArrowException, IndexError):  # strings beyond int64
        vals = a.to_pylist()
        k = next((i for i, v in enumerate(vals) if not -2**63 <= int(v) < 2**63), 0)
        return _err(path, f"row {rows + k + 1}", f"id {str(vals[k])[:60]} in column {name!r} does not fit in int64")


def _read_parquet(path: str, cols, weighted: bool, numeric_ids: Optional[bool], batch_rows: int,
                  progress: bool) -> EdgeList:
    pf, sel, numeric = _parquet_plan(path, cols, weighted, numeric_ids)
    total = pf.metadata.num_rows
    bar = _io.progress(total, f"parse {os.path.basename(path)}", "rows", enabled=progress)
    blocks = _parquet_blocks(path, pf, sel, weighted, numeric, batch_rows, bar)
    out, _ = _collect_blocks(blocks, numeric, weighted, total + 1, bar)
    out.format, out.num_lines, out.header = "parquet", total, list(pf.schema_arrow.names)
    return out


# -------------------------------------------------------------------------- npy

def _npy_plan(path: str, cols, weighted: bool, numeric_ids: Optional[bool]):
    """(memory-mapped array, column indices) after checking shape, dtype and columns."""
    with open(_real(path), "rb") as f:
        head = f.read(8)
    if not head.startswith(_NPY_MAGIC):
        _not_binary(path, head, "NumPy .npy", "\\x93NUMPY")
    try:
        arr = np.load(_real(path), mmap_mode="r", allow_pickle=False)
    except ValueError as exc:
        if any(t in str(exc) for t in ("allow_pickle", "Object arrays", "Python objects")):
            raise _err(path, "", "holds a NumPy object array (dtype object: pickled Python objects); expected an "
                       "integer [E, 2] or [E, 3] array") from None
        raise _err(path, "", f"not a readable .npy file ({str(exc).splitlines()[0]})") from None
    except Exception as exc:
        raise _err(path, "", f"not a readable .npy file ({str(exc).splitlines()[0] if str(exc) else exc!r})") \
            from None
    if numeric_ids is False:
        raise _err(path, "", "numeric_ids=False: a .npy edge list holds integer ids only")
    if arr.ndim != 2 or arr.shape[1] < 2 or (cols is None and arr.shape[1] > 3):
        raise _err(path, "", f"expected an [E, 2] or [E, 3] array (src, dst[, weight]), got shape {list(arr.shape)}"
                   + ("; pass columns (--columns) to pick the columns of a wider array" if arr.ndim == 2
                      and arr.shape[1] > 3 else ""))
    if arr.dtype.names is not None or arr.dtype == np.bool_ or not (
            np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise _err(path, "", f"expected an array of integer ids (or of floats holding integers), got dtype "
                   f"{arr.dtype}")
    want = cols if cols is not None else ([0, 1, 2] if weighted or arr.shape[1] == 3 else [0, 1])
    idx = []
    for c in want:
        if isinstance(c, str) and not _DIGITS.match(c):
            raise _err(path, "", f"a .npy array has no column names; use column numbers, got {c!r}")
        if int(c) >= arr.shape[1]:
            raise _err(path, "", f"missing column: column {int(c)} requested, the array has {arr.shape[1]}")
        idx.append(int(c))
    if arr.shape[0] == 0:
        raise _err(path, "", f"no edges (empty input: 0 rows, shape {list(arr.shape)})")
    return arr, idx


def _npy_blocks(path: str, arr: np.ndarray, idx: List[int], step: int, bar) -> Iterator[Tuple]:
    """Yields ``(src, dst, weight)`` per slice of ``step`` rows: int64 ids, float32
    weights (a third column in ``idx``) or None; raises ValueError naming the 1-based row."""
    E = arr.shape[0]
    weighted = len(idx) == 3
    for lo in range(0, E, step):
        block = np.asarray(arr[lo:lo + step])
        ids = []
        for j in idx[:2]:
            v = block[:, j]
            if np.issubdtype(v.dtype, np.floating):
                bad = ~np.isfinite(v) | (v != np.round(v))
                if bad.any():
                    k = int(np.flatnonzero(bad)[0])
                    raise _err(path, f"row {lo + k + 1}", f"id {float(v[k])!r} in column {j} is not an integer")
                big = np.abs(v) >= 2.0**63
                if big.any():
                    k = int(np.flatnonzero(big)[0])
                    raise _err(path, f"row {lo + k + 1}", f"id {float(v[k])!r} in column {j} does not fit in int64")
            if np.issubdtype(v.dtype, np.unsignedinteger) and v.size and v.max() >= np.uint64(1 << 63):
                k = int(np.flatnonzero(v >= np.uint64(1 << 63))[0])
                raise _err(path, f"row {lo + k + 1}", f"id {int(v[k])} in column {j} does not fit in int64")
            v = v.astype(np.int64)
            if v.size and v.min() < 0:
                k = int(np.flatnonzero(v < 0)[0])
                raise _err(path, f"row {lo + k + 1}", f"negative id {int(v[k])} in column {j}; ids must be >= 0")
            ids.append(v)
        w = None
        if weighted:
            w64 = block[:, idx[2]].astype(np.float64)
            w = _as_float32(w64)
            if not np.isfinite(w).all():
                k = int(np.flatnonzero(~np.isfinite(w))[0])
                raise _err(path, f"row {lo + k + 1}", f"weight {float(w64[k])!r} in column {idx[2]} "
                           f"{_weight_problem(float(w64[k]))}")
        yield ids[0], ids[1], w
        bar.update(block.shape[0])


def _read_npy(path: str, cols, weighted: bool, numeric_ids: Optional[bool], batch_rows: int,
              progress: bool) -> EdgeList:
    arr, idx = _npy_plan(path, cols, weighted, numeric_ids)
    E = arr.shape[0]
    src, dst = np.empty(E, np.int64), np.empty(E, np.int64)
    weight = np.empty(E, np.float32) if len(idx) == 3 else None
    bar = _io.progress(E, f"parse {os.path.basename(path)}", "rows", enabled=progress)
    lo = 0
    try:
        for s, d, w in _npy_blocks(path, arr, idx, max(batch_rows // 16, 1 << 20), bar):
            src[lo:lo + s.size] = s
            dst[lo:lo + s.size] = d
            if weight is not None:
                weight[lo:lo + s.size] = w
            lo += s.size
    finally:
        bar.close()
    out = _finish_int(src, dst, weight)
    out.format, out.num_lines = "npy", E
    return out


__all__ = ["EdgeList", "EdgeStream", "read_edge_list", "string_keys", "DEFAULT_BLOCK_SIZE"]
