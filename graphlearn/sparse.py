"""The graph contract: the CSR adjacency type and the one conversion into it.

Every public function of graphlearn that takes a graph (the ops, the ``nn`` layers,
``FastRP``, ``linkpred``) turns it into a :class:`CSR` with :func:`as_csr`, so the
same graph gives the same result in whichever form it arrives. The rules (also in
``docs/conventions.md``):

* **Rows aggregate.** Row ``i`` of a CSR lists the nodes that node ``i`` receives
  from: ``ops.spmm(adj, x)[i] = sum_j adj[i, j] * x[j]``. This is PyG's
  ``source_to_target`` message passing: for an edge ``s -> t`` the entry sits in row
  ``t``, column ``s``.
* **Edges are (source, target).** A ``[2, E]`` ``edge_index`` holds sources in row 0
  and targets in row 1 (PyG's layout). A scipy or torch sparse matrix ``A`` is read as
  an adjacency matrix, ``A[s, t]`` = weight of the edge ``s -> t`` (the layout of
  ``networkx.to_scipy_sparse_array`` and PyG's ``to_scipy_sparse_matrix``), so its CSR
  is ``A`` transposed. A PyG ``Data`` contributes its ``edge_index``, ``num_nodes``
  and a 1-D ``edge_weight``.
* **flow.** ``flow="source_to_target"`` (default) is the rule above;
  ``"target_to_source"`` reverses every edge (rows are the sources, so ``spmm`` sums
  over out-neighbours), as PyG's ``flow`` argument does.
* **A CSR is already in the contract** and passes through :func:`as_csr` unchanged
  (``flow`` does not apply to it).
* **Undirected graphs** store both directions of every edge (as PyG does); such a
  CSR is symmetric. ``as_csr(..., symmetrize=True)`` adds the missing reverse edges.
* **Heterogeneous graphs** (PyG ``HeteroData``) are one CSR per relation, keyed by
  PyG's edge types: :func:`hetero_csr` makes ``(src, rel, dst)`` a ``[N_dst, N_src]``
  CSR whose row ``t`` lists the ``src`` nodes that ``dst`` node ``t`` aggregates.
* **Node pairs** (queries, labels, negatives) are ``[2, P]`` tensors, as PyG's
  ``edge_label_index``, parsed by :func:`as_pairs` everywhere.

``CSR.from_edge_index`` / ``CSR.from_coo`` / ``CSR.from_scipy`` are lower-level
*matrix* constructors: they store the coordinates they are given (row ``edge_index[0]``),
which for a directed graph is the transpose of the contract. Use :func:`as_csr` for graphs.
"""
from __future__ import annotations

import warnings
from typing import Any, Optional, Tuple

import numpy as np
import torch
from torch import Tensor

from graphlearn._validate import integer
from graphlearn.ops import csr as _csr
from graphlearn.ops.reference import csr_row

_REDUCES = ("sum", "mean", "max", "min", "first")


def index_dtype_for(num_nodes: int, num_entries: int) -> torch.dtype:
    """The narrowest index dtype a CSR with ``num_nodes`` rows/columns and up to
    ``num_entries`` stored entries (before any dedupe) can use: int32 while every row
    pointer and id stays below 2**31, else int64."""
    return torch.int32 if max(num_nodes, num_entries + num_nodes) < 2**31 else torch.int64


_UNSIGNED = tuple(getattr(torch, n) for n in ("uint16", "uint32", "uint64") if hasattr(torch, n))


def _as_index_tensor(t, name: str) -> Tensor:
    """An integer tensor of node ids (numpy arrays are wrapped); float ids, whole or not,
    are refused (never truncated), and unsigned ids beyond int64 too."""
    if isinstance(t, np.ndarray):
        if t.dtype == np.uint64 and t.size and int(t.max()) >= 2**63:
            k = int(np.flatnonzero(t.reshape(-1) >= np.uint64(2**63))[0])
            raise ValueError(f"{name}: node id {int(t.reshape(-1)[k])} (flat position {k}) does not fit in int64")
        if t.dtype.kind == "u" and t.dtype.itemsize >= 2:
            t = t.astype(np.int64)
        elif t.dtype == object:
            raise TypeError(f"{name} must hold integer node ids, got a numpy object array")
        t = torch.from_numpy(t)
    if not isinstance(t, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or numpy array, got {type(t).__name__}")
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer node ids, got {t.dtype}")
    if t.dtype in _UNSIGNED:  # barely supported by torch: go through numpy
        return _as_index_tensor(t.cpu().numpy(), name).to(t.device)
    return t


def _check_value(value, nnz: int, name: str = "value") -> Optional[Tensor]:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.dtype.is_floating_point:
        raise TypeError(f"{name} must be floating point (edge weights), got {value.dtype}; "
                        f"convert with .float()")
    if value.dim() not in (1, 2) or value.size(0) != nnz:
        raise ValueError(f"{name} must have shape [{nnz}] or [{nnz}, H] (one weight per entry, "
                         f"optionally per head), got {list(value.shape)}")
    # one cheap pass: a NaN or inf anywhere makes the sum non-finite (the exact,
    # slower check runs only then, so a sum that merely overflows is not an error)
    if value.numel() and not bool(torch.isfinite(value.sum())) and not bool(torch.isfinite(value).all()):
        bad = int((~torch.isfinite(value)).nonzero()[0, 0])
        raise ValueError(f"{name}[{bad}] = {value[bad].tolist()} is not finite (NaN or inf edge weight)")
    return value


class CSR:
    r"""A sparse ``[num_rows, num_cols]`` matrix in compressed sparse row form.

    Row i's entries are ``col[rowptr[i]:rowptr[i+1]]`` with weights
    ``value[rowptr[i]:rowptr[i+1]]`` (``value`` is None for an unweighted graph,
    ``[nnz]`` for one weight per entry or ``[nnz, H]`` for one per head).

    Orientation: :meth:`from_edge_index` makes ``edge_index[0]`` the rows, so
    :func:`graphlearn.ops.spmm` sums over each node's *out*-neighbours. For PyG's
    message passing (messages flow source -> target and aggregate at the target)
    use :meth:`from_data` or ``CSR.from_edge_index(edge_index).t()``; for
    undirected graphs both coincide.

    The transpose's structure is computed once and cached (backward passes use it).

    Args:
        rowptr: ``[num_rows + 1]`` int32/int64, starting at 0, non-decreasing.
        col: ``[nnz]`` column ids, same dtype as ``rowptr``.
        value: optional float weights, ``[nnz]`` or ``[nnz, H]``.
        num_cols: number of columns (default: ``num_rows``, a square adjacency).
        validate: check the structure (O(nnz)); pass False only for trusted input.
        sorted: whether columns are known to be sorted within rows (None: find out
            when needed); ignored when ``validate`` checks it anyway.
    """

    def __init__(self, rowptr: Tensor, col: Tensor, value: Optional[Tensor] = None,
                 num_cols: Optional[int] = None, *, validate: bool = True, sorted: Optional[bool] = None):
        rowptr = _as_index_tensor(rowptr, "rowptr")
        col = _as_index_tensor(col, "col")
        if rowptr.dim() != 1 or col.dim() != 1:
            raise ValueError(f"rowptr and col must be 1-D, got shapes {list(rowptr.shape)} and {list(col.shape)}")
        if rowptr.dtype != col.dtype or rowptr.dtype not in (torch.int32, torch.int64):
            rowptr, col = rowptr.long(), col.long()  # never narrow: ids could be truncated
        if rowptr.device != col.device:
            raise ValueError(f"rowptr ({rowptr.device}) and col ({col.device}) must be on the same device")
        if rowptr.numel() < 2:
            raise ValueError("empty graph: a CSR needs at least one row (rowptr of length num_rows + 1 >= 2), "
                             f"got rowptr of length {rowptr.numel()}")
        self.rowptr = rowptr.contiguous()
        self.col = col.contiguous()
        self.num_rows = rowptr.numel() - 1
        self.num_cols = self.num_rows if num_cols is None else integer(num_cols, "num_cols")
        if self.num_cols < 1:
            raise ValueError(f"empty graph: num_cols must be >= 1, got {self.num_cols}")
        self.value = _check_value(value, self.col.numel()) if validate else value
        if self.value is not None:
            self.value = self.value.contiguous()
            if self.value.device != rowptr.device:
                raise ValueError(f"value ({self.value.device}) must be on the adjacency's device ({rowptr.device})")
        self._sorted = sorted
        if validate:
            self._sorted = _csr.csr_validate(self.rowptr, self.col, self.num_cols)
        self._t_parts: Optional[Tuple[Tensor, Tensor, Tensor]] = None
        self._row: Optional[Tensor] = None
        self._symmetric = False  # known equal to its transpose (structure and values)

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_edge_index(cls, edge_index, num_nodes: Optional[int] = None, value: Optional[Tensor] = None, *,
                        num_cols: Optional[int] = None, dedupe: bool = False, reduce: str = "sum",
                        symmetrize: bool = False, self_loops: Optional[str] = None, fill_value: float = 1.0,
                        index_dtype: Optional[torch.dtype] = None) -> "CSR":
        """Builds a CSR from a ``[2, E]`` edge list (row ``edge_index[0]``, column ``edge_index[1]``).

        Args:
            edge_index: ``[2, E]`` integer tensor or numpy array.
            num_nodes: number of rows (default: largest id + 1).
            value: optional ``[E]`` or ``[E, H]`` float edge weights.
            num_cols: number of columns (default: ``num_nodes``).
            dedupe: merge repeated (row, col) entries, combining weights with ``reduce``
                (``"sum"``, ``"mean"``, ``"max"``, ``"min"``, ``"first"``). Every reduction
                but ``"first"`` depends only on the values merged, not on their order
                (sums are taken in a canonical order), so permuting the input gives
                bit-identical values; a sum beyond the dtype's range is a
                :class:`WeightOverflowError` (a ValueError) naming the entry.
            symmetrize: add the reverse of every edge, then merge duplicates (so an
                already symmetric input is unchanged in structure). With weights, the two
                directions of a pair are combined with ``reduce``: an already symmetric
                weighted input keeps its weights under ``"max"``/``"mean"`` but gets them
                doubled under ``"sum"``.
            self_loops: None (keep as given), ``"remove"``, or ``"add"``: exactly one
                loop per node, weighted by the sum of the node's existing loop weights, or
                ``fill_value`` where it had none (PyG's ``add_remaining_self_loops``, except
                that repeated loops on one node are summed, like other repeated edges,
                where PyG keeps one of them).
            index_dtype: torch.int64 (default) or torch.int32 (half the memory).

        Columns come out sorted within each row; the result is deterministic.
        """
        num_nodes = _as_count(num_nodes, "num_nodes")
        edge_index = _as_index_tensor(edge_index, "edge_index")
        if edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"edge_index must have shape [2, E], got {list(edge_index.shape)}"
                             + ("; pass edge_index.t()" if edge_index.dim() == 2 and edge_index.size(1) == 2 else ""))
        return cls.from_coo(edge_index[0], edge_index[1], num_nodes, value, num_cols=num_cols, dedupe=dedupe,
                            reduce=reduce, symmetrize=symmetrize, self_loops=self_loops, fill_value=fill_value,
                            index_dtype=index_dtype, _name="edge_index")

    @classmethod
    def from_coo(cls, row, col, num_rows: Optional[int] = None, value: Optional[Tensor] = None, *,
                 num_cols: Optional[int] = None, dedupe: bool = False, reduce: str = "sum",
                 symmetrize: bool = False, self_loops: Optional[str] = None, fill_value: float = 1.0,
                 index_dtype: Optional[torch.dtype] = None, _name: str = "row/col") -> "CSR":
        """Like :meth:`from_edge_index` with the two coordinate vectors given separately."""
        row = _as_index_tensor(row, f"{_name} rows")
        col = _as_index_tensor(col, f"{_name} columns")
        if row.dim() != 1 or row.shape != col.shape:
            raise ValueError(f"{_name}: row and col must be 1-D of equal length, got {list(row.shape)} and {list(col.shape)}")
        if reduce not in _REDUCES:
            raise ValueError(f"reduce must be one of {_REDUCES}, got {reduce!r}")
        if self_loops not in (None, "add", "remove"):
            raise ValueError(f"self_loops must be None, 'add' or 'remove', got {self_loops!r}")
        if index_dtype not in (None, torch.int32, torch.int64):
            raise ValueError(f"index_dtype must be torch.int32 or torch.int64, got {index_dtype}")
        num_rows = _as_count(num_rows, "num_nodes" if _name == "edge_index" else "num_rows")
        num_cols = _as_count(num_cols, "num_cols")
        E = row.numel()
        value = _check_value(value, E)
        lo = min(int(row.min()), int(col.min())) if E else 0
        if lo < 0:
            which, t = ("rows", row) if int(row.min()) < 0 else ("columns", col)
            k = int((t < 0).nonzero()[0])
            raise ValueError(f"{_name}: negative node id {int(t[k])} at position {k} (in the {which})")
        if num_rows is None:
            if E == 0:
                raise ValueError(f"empty graph: {_name} has no edges, so the number of nodes cannot be "
                                 "inferred; pass num_nodes")
            num_rows = int(row.max()) + 1
            if num_cols is None:
                num_rows = max(num_rows, int(col.max()) + 1)
        num_cols = num_rows if num_cols is None else num_cols
        if num_rows < 1 or num_cols < 1:
            raise ValueError(f"empty graph: num_nodes must be >= 1, got {num_rows} x {num_cols}")
        for which, t, bound in (("rows", row, num_rows), ("columns", col, num_cols)):
            if E and int(t.max()) >= bound:
                k = int((t >= bound).nonzero()[0])
                raise ValueError(f"{_name}: node id {int(t[k])} at position {k} (in the {which}) is out of "
                                 f"range for {bound} nodes; pass a larger num_nodes or fix the ids")
        dtype = index_dtype or torch.int64
        if dtype == torch.int32 and index_dtype_for(max(num_rows, num_cols), 2 * E) != torch.int32:
            raise ValueError("index_dtype=torch.int32 cannot address this graph; use torch.int64")
        row, col = row.to(dtype), col.to(dtype)
        if symmetrize:
            if num_rows != num_cols:
                raise ValueError(f"symmetrize needs a square adjacency, got {num_rows} x {num_cols}")
            row, col = torch.cat([row, col]), torch.cat([col, row])
            value = torch.cat([value, value]) if value is not None else None
            dedupe = True
        if self_loops == "add":
            if num_rows != num_cols:
                raise ValueError(f"self_loops='add' needs a square adjacency, got {num_rows} x {num_cols}")
            is_loop = row == col
            nodes = torch.arange(num_rows, dtype=dtype, device=row.device)
            if value is not None:
                # one loop per node: the summed weight of its existing loops, else fill_value
                loop_rows = row[is_loop].long()
                has_loop = torch.zeros(num_rows, dtype=torch.bool, device=row.device)
                has_loop[loop_rows] = True
                loop_value = torch.full((num_rows,) + tuple(value.shape[1:]), fill_value, dtype=value.dtype,
                                        device=value.device)
                loop_value[has_loop] = 0
                loop_value = loop_value.index_add(0, loop_rows, value[is_loop])
                value = torch.cat([value[~is_loop], loop_value])
            row, col = torch.cat([row[~is_loop], nodes]), torch.cat([col[~is_loop], nodes])
        rowptr, col_out, perm, slot = _csr.coo_to_csr(row, col, num_rows, num_cols, dedupe,
                                                      self_loops == "remove")
        if value is not None:
            value = value.index_select(0, perm)
            if dedupe:
                try:
                    value = _merge_values(value, slot, col_out.numel(), reduce)
                except _MergeOverflow as exc:
                    r = int(torch.searchsorted(rowptr, torch.tensor(exc.entry, dtype=rowptr.dtype), right=True)) - 1
                    raise WeightOverflowError(r, int(col_out[exc.entry]), exc.count, value.dtype, reduce,
                                              _name) from None
        out = cls(rowptr, col_out, value, num_cols=num_cols, validate=False, sorted=True)
        # (i, j) and (j, i) merge the same multiset of values, and every reduction but
        # "first" depends on the multiset alone (_merge_values): the result is symmetric
        out._symmetric = symmetrize and (value is None or reduce != "first")
        return out

    @classmethod
    def from_scipy(cls, m, *, with_value: bool = True, dtype: Optional[torch.dtype] = None,
                   index_dtype: Optional[torch.dtype] = None) -> "CSR":
        """From any scipy.sparse matrix or array (converted to CSR; duplicates summed).

        Weights become ``value`` (as ``dtype``, default torch's default dtype) unless
        ``with_value=False``.
        """
        import scipy.sparse as sp

        if not sp.issparse(m):
            raise TypeError(f"from_scipy expects a scipy.sparse matrix, got {type(m).__name__}")
        m = sp.csr_matrix(m, copy=True)  # the caller's matrix is left untouched
        m.sum_duplicates()  # also sorts the indices
        index_dtype = index_dtype or torch.int64
        rowptr = torch.from_numpy(m.indptr.astype(np.int64)).to(index_dtype)
        col = torch.from_numpy(m.indices.astype(np.int64)).to(index_dtype)
        value = None
        if with_value:
            value = torch.from_numpy(np.asarray(m.data)).to(dtype or torch.get_default_dtype())
        return cls(rowptr, col, value, num_cols=m.shape[1], sorted=True)

    @classmethod
    def from_torch(cls, t: Tensor) -> "CSR":
        """From a ``torch.sparse_csr_tensor`` or a sparse COO tensor (values kept)."""
        if t.layout == torch.sparse_coo:
            t = t.coalesce()
            idx = t.indices()
            return cls.from_coo(idx[0], idx[1], t.size(0), t.values(), num_cols=t.size(1))
        if t.layout != torch.sparse_csr:
            raise TypeError(f"from_torch expects a sparse CSR or COO tensor, got layout {t.layout}")
        return cls(t.crow_indices(), t.col_indices(), t.values(), num_cols=t.size(1))

    @classmethod
    def from_data(cls, data, flow: str = "source_to_target", **kwargs) -> "CSR":
        """From a PyG ``Data`` (``edge_index``, ``num_nodes``, 1-D ``edge_weight`` if present).

        With ``flow="source_to_target"`` (PyG's default) row i lists the sources of
        i's incoming edges, so ``spmm(adj, x)`` aggregates messages at their targets
        exactly like PyG's ``MessagePassing``; ``"target_to_source"`` keeps
        ``edge_index[0]`` as rows. Extra keyword arguments go to :meth:`from_edge_index`.
        """
        if flow not in ("source_to_target", "target_to_source"):
            raise ValueError(f"flow must be 'source_to_target' or 'target_to_source', got {flow!r}")
        edge_index = getattr(data, "edge_index", None)
        if edge_index is None:
            raise ValueError("from_data: data has no edge_index")
        weight = getattr(data, "edge_weight", None)
        if flow == "source_to_target":
            edge_index = edge_index.flip(0)
        return cls.from_edge_index(edge_index, data.num_nodes, weight, **kwargs)

    # ---------------------------------------------------------------- converters

    def to_scipy(self):
        """A ``scipy.sparse.csr_matrix`` (weights, or ones without values; first head only for [nnz, H])."""
        import scipy.sparse as sp

        if self.value is None:
            data = np.ones(self.nnz, dtype=np.float32)
        else:
            v = self.value if self.value.dim() == 1 else self.value[:, 0]
            data = v.detach().cpu().numpy()
        return sp.csr_matrix((data, self.col.cpu().numpy(), self.rowptr.cpu().numpy()), shape=self.shape)

    def to_torch(self) -> Tensor:
        """A ``torch.sparse_csr_tensor`` (ones where there are no values)."""
        value = self.value if self.value is not None else torch.ones(self.nnz, device=self.device)
        with warnings.catch_warnings():  # "sparse CSR support is in beta"
            warnings.simplefilter("ignore", UserWarning)
            return torch.sparse_csr_tensor(self.rowptr, self.col, value, size=self.shape + tuple(value.shape[1:]),
                                           check_invariants=False)  # validated on construction

    def to_edge_index(self) -> Tuple[Tensor, Optional[Tensor]]:
        """``([2, nnz] edge_index, value)`` in CSR order (rows = ``edge_index[0]``)."""
        return torch.stack([self.row.to(self.col.dtype), self.col]), self.value

    def to_data(self, flow: str = "source_to_target"):
        """A PyG ``Data(edge_index, edge_weight, num_nodes)``, the inverse of :meth:`from_data`
        (with ``"source_to_target"``, row i's entries become edges ``col -> i``)."""
        from torch_geometric.data import Data

        if self.num_rows != self.num_cols:
            raise ValueError(f"to_data needs a square adjacency, got {self.num_rows} x {self.num_cols}")
        if flow not in ("source_to_target", "target_to_source"):
            raise ValueError(f"flow must be 'source_to_target' or 'target_to_source', got {flow!r}")
        edge_index, value = self.to_edge_index()
        if flow == "source_to_target":
            edge_index = edge_index.flip(0)
        data = Data(edge_index=edge_index.long(), num_nodes=self.num_rows)
        if value is not None:
            data.edge_weight = value
        return data

    # ---------------------------------------------------------------- properties

    @property
    def nnz(self) -> int:
        return self.col.numel()

    @property
    def shape(self) -> Tuple[int, int]:
        return (self.num_rows, self.num_cols)

    @property
    def device(self) -> torch.device:
        return self.rowptr.device

    @property
    def row(self) -> Tensor:
        """Row id of every entry (int64 ``[nnz]``), computed once."""
        if self._row is None:
            self._row = csr_row(self.rowptr)
        return self._row

    @property
    def is_sorted(self) -> bool:
        """Whether columns are non-decreasing within every row."""
        if self._sorted is None:
            self._sorted = _csr.csr_validate(self.rowptr, self.col, self.num_cols)
        return self._sorted

    def degree(self, dim: int = 0) -> Tensor:
        """Number of stored entries per row (``dim=0``) or per column (``dim=1``), int64."""
        dim = integer(dim, "dim")
        if dim == 0:
            return (self.rowptr[1:] - self.rowptr[:-1]).long()
        if dim == 1:
            return torch.bincount(self.col.long(), minlength=self.num_cols)
        raise ValueError(f"dim must be 0 (rows) or 1 (columns), got {dim}")

    # ------------------------------------------------------------------- methods

    def _transpose_parts(self) -> Tuple[Tensor, Tensor, Tensor]:
        """(rowptr_t, col_t, perm) of the transpose, computed once."""
        if self._t_parts is None:
            self._t_parts = _csr.csr_transpose(self.rowptr, self.col, self.num_cols)
        return self._t_parts

    def t(self) -> "CSR":
        """The transpose ``[num_cols, num_rows]`` (values follow their entries; differentiable).

        A CSR known to be symmetric (built with ``symmetrize=True``) is its own transpose."""
        if self._symmetric:
            return self
        rowptr_t, col_t, perm = self._transpose_parts()
        value = self.value.index_select(0, perm) if self.value is not None else None
        out = CSR(rowptr_t, col_t, value, num_cols=self.num_rows, validate=False, sorted=True)
        inverse = torch.empty_like(perm)
        inverse[perm] = torch.arange(perm.numel(), device=perm.device)
        out._t_parts = (self.rowptr, self.col, inverse)
        return out

    def with_value(self, value: Optional[Tensor]) -> "CSR":
        """Same structure (and cached transpose) with other weights (or None)."""
        out = CSR(self.rowptr, self.col, value, num_cols=self.num_cols, validate=False, sorted=self._sorted)
        out.value = _check_value(value, self.nnz)
        if out.value is not None:
            if out.value.device != self.device:
                raise ValueError(f"value ({out.value.device}) must be on the adjacency's device ({self.device})")
            out.value = out.value.contiguous()
        out._t_parts, out._row = self._t_parts, self._row
        out._symmetric = self._symmetric and value is None  # the structure is; new values may not be
        return out

    def sort(self) -> "CSR":
        """A copy with columns sorted within each row (self when already sorted)."""
        if self.is_sorted:
            return self
        return CSR.from_coo(self.row, self.col, self.num_rows, self.value, num_cols=self.num_cols,
                            index_dtype=self.rowptr.dtype)

    def to(self, *args, **kwargs) -> "CSR":
        """Moves to a device and/or casts the values to a float dtype (indices keep their dtype)."""
        device, dtype = None, None
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, torch.dtype):
                dtype = a
            elif isinstance(a, (str, torch.device)):
                device = torch.device(a)
            else:
                raise TypeError(f"CSR.to() takes a device and/or a float dtype, got {a!r}")
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"CSR.to(dtype) casts the edge values and needs a float dtype, got {dtype}")
        if (device is None or device == self.device) and (dtype is None or self.value is None
                                                          or dtype == self.value.dtype):
            return self
        dev = device or self.device
        value = self.value.to(dev, dtype or self.value.dtype) if self.value is not None else None
        out = CSR(self.rowptr.to(dev), self.col.to(dev), value, num_cols=self.num_cols, validate=False,
                  sorted=self._sorted)
        if self._t_parts is not None:
            out._t_parts = tuple(p.to(dev) for p in self._t_parts)
        out._symmetric = self._symmetric
        return out

    def cpu(self) -> "CSR":
        return self.to("cpu")

    def __repr__(self) -> str:
        v = "None" if self.value is None else f"{self.value.dtype}{list(self.value.shape[1:]) or ''}"
        return (f"CSR(shape=({self.num_rows}, {self.num_cols}), nnz={self.nnz}, index={self.rowptr.dtype}, "
                f"value={v}, device={self.device})")


def _merge_values(value: Tensor, slot: Tensor, n: int, reduce: str) -> Tensor:
    """Combines the values of merged entries (slot[k] = merged entry of sorted entry k,
    non-decreasing; ``n`` merged entries).

    The result depends only on the multiset of values merged into each entry, never on
    the order of the input lines: ``"sum"`` and ``"mean"`` add each group's values in a
    canonical order (sorted by value, per head), pairwise, in float64 for narrower
    floats; ``"max"`` / ``"min"`` are exact anyway. Only groups of two or more entries
    are touched (a graph without repeated entries pays one comparison). ``"first"``
    keeps the first value in input order, by definition order-dependent."""
    if value.size(0) == n:  # nothing merged: slot is the identity
        return value
    if reduce == "first":
        first = torch.ones_like(slot, dtype=torch.bool)
        first[1:] = slot[1:] != slot[:-1]
        return value.index_select(0, _flatnonzero(first))
    shape = (n,) + tuple(value.shape[1:])
    slot = slot.long()
    if reduce in ("max", "min"):
        index = slot.view(-1, *([1] * (value.dim() - 1))).expand_as(value)
        name = {"max": "amax", "min": "amin"}[reduce]
        return value.new_zeros(shape).scatter_reduce(0, index, value, name, include_self=False)
    cont = _flatnonzero(slot[1:] == slot[:-1]) + 1  # sorted entries that continue a group
    # every merged entry gets one of its values (exact where nothing merges); the groups
    # of two or more entries are overwritten below
    index = slot.view(-1, *([1] * (value.dim() - 1))).expand_as(value)
    out = value.new_empty(shape).scatter(0, index, value)
    # the groups of two or more entries: heads (first sorted entry) and lengths
    run = torch.ones(cont.numel(), dtype=torch.bool, device=value.device)
    run[1:] = cont[1:] != cont[:-1] + 1
    run_at = _flatnonzero(run)
    heads = cont.index_select(0, run_at) - 1
    lengths = torch.diff(run_at, append=run_at.new_tensor([cont.numel()])) + 1
    acc = torch.float64 if value.dtype in (torch.float16, torch.bfloat16, torch.float32) else value.dtype
    sums = torch.empty((heads.numel(),) + tuple(value.shape[1:]), dtype=acc, device=value.device)
    pair = lengths == 2  # a + b == b + a: pairs need no canonical order
    at = _flatnonzero(pair)
    h = heads.index_select(0, at)
    sums[at] = value.index_select(0, h).to(acc) + value.index_select(0, h + 1).to(acc)
    if at.numel() < heads.numel():
        at = _flatnonzero(~pair)
        h, m = heads.index_select(0, at), lengths.index_select(0, at)
        owner = torch.repeat_interleave(torch.arange(at.numel(), device=value.device), m)
        members = h.index_select(0, owner) + torch.arange(owner.numel(), device=value.device) \
            - (torch.cumsum(m, 0) - m).index_select(0, owner)
        v = value.index_select(0, members).to(acc)
        # canonical order within each group: by value (per head), then by group (stable)
        by_value = torch.sort(v, dim=0, stable=True).indices
        g = owner.index_select(0, by_value.reshape(-1)).view(by_value.shape)
        v = v.gather(0, by_value.gather(0, torch.sort(g, dim=0, stable=True).indices))
        sums[at] = _pairwise_group_sums(v, m)
    if reduce == "mean":
        sums = sums / lengths.to(acc).view(-1, *([1] * (value.dim() - 1)))
    merged = slot.index_select(0, heads)
    sums = sums.to(value.dtype)
    finite = torch.isfinite(sums).reshape(heads.numel(), -1).all(1)
    if not bool(finite.all()):  # finite inputs whose sum overflows the dtype
        k = int(_flatnonzero(~finite)[0])
        raise _MergeOverflow(int(merged[k]), int(lengths[k]))
    return out.index_copy(0, merged, sums)


class WeightOverflowError(ValueError):
    """Finite weights of one repeated entry whose merged value (sum or mean) overflows
    their dtype; ``row``, ``col`` and ``count`` (how many values merged) name it."""

    def __init__(self, row: int, col: int, count: int, dtype, reduce: str, name: str):
        super().__init__(f"{name}: the {count} weights of the repeated entry (row {row}, column {col}) add up "
                         f"beyond the range of {dtype} (reduce={reduce!r})")
        self.row, self.col, self.count = row, col, count


class _MergeOverflow(ValueError):
    """The values merged into entry ``entry`` (``count`` of them) add up beyond the
    range of their dtype."""

    def __init__(self, entry: int, count: int):
        super().__init__(f"the {count} values merged into entry {entry} add up beyond the float range")
        self.entry, self.count = entry, count


def _flatnonzero(mask: Tensor) -> Tensor:
    """Positions of the True entries of a 1-D bool tensor (int64); NumPy on the CPU,
    several times faster there than ``Tensor.nonzero``."""
    if mask.device.type == "cpu":
        return torch.from_numpy(np.flatnonzero(mask.numpy()))
    return mask.nonzero().squeeze(1)


def _pairwise_group_sums(v: Tensor, lengths: Tensor) -> Tensor:
    """Sums of consecutive groups of rows of ``v`` (``lengths[g]`` rows each, >= 1) by
    pairwise (tree) summation: each round adds rows 2i and 2i+1 of every group, so the
    result is fixed by the rows' order alone, for any device or thread count.
    ``log2(max length)`` rounds of O(rows) work; differentiable."""
    while v.size(0) > lengths.numel():
        groups = torch.arange(lengths.numel(), device=v.device)
        owner = torch.repeat_interleave(groups, lengths)
        starts = torch.cumsum(lengths, 0) - lengths
        rank = torch.arange(v.size(0), device=v.device) - starts.index_select(0, owner)
        heads = _flatnonzero(rank % 2 == 0)
        paired = (rank.index_select(0, heads) + 1) < lengths.index_select(0, owner.index_select(0, heads))
        a = v.index_select(0, heads)
        b = v.index_select(0, (heads + 1).clamp_max(v.size(0) - 1))
        v = torch.where(paired.view(-1, *([1] * (v.dim() - 1))), a + b, a)
        lengths = (lengths + 1) // 2
    return v


# ----------------------------------------------------------------- the contract

_FLOWS = ("source_to_target", "target_to_source")


def _is_scipy_sparse(graph: Any) -> bool:
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - scipy is a dependency
        return False
    return sp.issparse(graph)


def _graph_kind(graph: Any, name: str = "graph") -> str:
    if isinstance(graph, CSR):
        return "csr"
    if isinstance(graph, Tensor):
        return "torch_sparse" if graph.layout in (torch.sparse_coo, torch.sparse_csr, torch.sparse_csc) else "edge_index"
    if isinstance(graph, np.ndarray):
        return "edge_index"
    if _is_scipy_sparse(graph):
        return "scipy"
    if hasattr(graph, "edge_index") and hasattr(graph, "num_nodes"):
        return "data"
    raise TypeError(f"{name} must be a graph: a graphlearn CSR, a [2, E] edge_index (tensor or numpy array), a "
                    f"scipy or torch sparse adjacency matrix, or a PyG Data; got {type(graph).__name__}")


def as_csr(graph: Any, num_nodes: Optional[int] = None, *, flow: str = "source_to_target",
           edge_weight: Optional[Tensor] = None, symmetrize: bool = False, dedupe: bool = False,
           reduce: str = "sum", self_loops: Optional[str] = None, index_dtype: Optional[torch.dtype] = None,
           name: str = "graph") -> CSR:
    """The :class:`CSR` of a graph in any accepted form, oriented by the contract
    (module docstring): row ``i`` lists the nodes whose messages ``i`` aggregates.

    Args:
        graph: a :class:`CSR` (returned as it is, unless an option below changes it);
            a ``[2, E]`` integer ``edge_index`` (tensor or numpy; row 0 sources, row 1
            targets); a scipy sparse or torch sparse (COO/CSR/CSC) ``[N, N]`` adjacency
            matrix with ``A[s, t]`` the weight of ``s -> t`` (repeated entries summed);
            or a PyG ``Data`` (``edge_index``, ``num_nodes``, 1-D ``edge_weight``).
        num_nodes: number of nodes; default: a Data's or matrix's own count, else the
            largest id + 1 (pass it when the last nodes may be isolated). For a CSR it
            is checked, not applied.
        flow: ``"source_to_target"`` (default) or ``"target_to_source"`` (every edge
            reversed: rows list out-neighbours). Ignored for a CSR, which already has
            its orientation.
        edge_weight: ``[E]`` (or ``[E, H]``) float weights of an ``edge_index``; for a
            Data it replaces ``data.edge_weight``.
        symmetrize: add the reverse of every edge and merge repeats (undirected view).
        dedupe, reduce, self_loops, index_dtype: as in :meth:`CSR.from_edge_index`.
        name: what to call the argument in error messages.

    Returns:
        a ``[N, N]`` CSR, columns sorted within rows (a CSR input keeps its order).

    Raises:
        TypeError: an unsupported type, float ids, non-float weights.
        ValueError: a wrong shape, out-of-range or negative ids, an empty graph without
            ``num_nodes``, non-finite weights, ``num_nodes`` that disagrees with a CSR.
    """
    if flow not in _FLOWS:
        raise ValueError(f"flow must be one of {_FLOWS}, got {flow!r}")
    kind = _graph_kind(graph, name)
    num_nodes = _as_count(num_nodes, "num_nodes")
    if kind == "edge_index" and (graph.dtype == torch.bool or graph.dtype.is_floating_point
                                 if isinstance(graph, Tensor) else not np.issubdtype(graph.dtype, np.integer)):
        raise TypeError(f"{name}: got a {graph.dtype} array of shape {list(graph.shape)}, but a graph is a CSR, an "
                        "integer [2, E] edge_index, a scipy/torch sparse matrix or a PyG Data (for a dense "
                        "adjacency matrix pass adj.to_sparse())")
    options = dict(dedupe=dedupe, reduce=reduce, symmetrize=symmetrize, self_loops=self_loops,
                   index_dtype=index_dtype)
    if kind == "csr":
        if num_nodes is not None and (graph.num_rows != num_nodes or graph.num_cols != num_nodes):
            raise ValueError(f"{name} is a {graph.num_rows} x {graph.num_cols} CSR, but num_nodes={num_nodes}")
        if edge_weight is not None:
            graph = graph.with_value(edge_weight)
        if not (dedupe or symmetrize or self_loops or index_dtype not in (None, graph.rowptr.dtype)):
            return graph
        return CSR.from_coo(graph.row, graph.col, graph.num_rows, graph.value, num_cols=graph.num_cols,
                            **{**options, "index_dtype": index_dtype or graph.rowptr.dtype}, _name=name)
    if kind == "data":
        ei = graph.edge_index
        if ei is None:
            raise ValueError(f"{name}: the Data has no edge_index")
        if edge_weight is None:
            edge_weight = getattr(graph, "edge_weight", None)
            if edge_weight is not None and edge_weight.dim() != 1:
                raise ValueError(f"{name}.edge_weight must be 1-D [E], got {list(edge_weight.shape)}")
        num_nodes = graph.num_nodes if num_nodes is None else num_nodes
        src, dst, value = None, None, edge_weight
        ei = _as_index_tensor(ei, f"{name}.edge_index")
        if ei.dim() != 2 or ei.size(0) != 2:
            raise ValueError(f"{name}.edge_index must have shape [2, E], got {list(ei.shape)}")
        src, dst = ei[0], ei[1]
    elif kind == "edge_index":
        ei = _as_index_tensor(graph, name)
        if ei.dim() != 2 or ei.size(0) != 2:
            hint = "; pass edge_index.t()" if ei.dim() == 2 and ei.size(1) == 2 else ""
            raise ValueError(f"{name}: an edge_index must have shape [2, E], got {list(ei.shape)}{hint}")
        src, dst, value = ei[0], ei[1], edge_weight
    else:  # an adjacency matrix A[s, t]
        if edge_weight is not None:
            raise ValueError(f"{name}: edge_weight applies to an edge_index or Data, not to a sparse matrix "
                             "(its values are the weights)")
        src, dst, value, shape = _matrix_coo(graph, kind)
        if shape[0] != shape[1]:
            raise ValueError(f"{name}: an adjacency matrix must be square, got {shape[0]} x {shape[1]}")
        if num_nodes is not None and num_nodes != shape[0]:
            raise ValueError(f"{name} is a {shape[0]} x {shape[1]} matrix, but num_nodes={num_nodes}")
        num_nodes = shape[0]
        options["dedupe"] = True  # repeated entries of a sparse matrix add up
    num_nodes = _as_count(num_nodes, "num_nodes")
    if num_nodes is None and src.numel() > 0:
        num_nodes = int(torch.maximum(src.max(), dst.max())) + 1
    rows, cols = (dst, src) if flow == "source_to_target" else (src, dst)
    return CSR.from_coo(rows, cols, num_nodes, value, num_cols=num_nodes, **options, _name=name)


def _matrix_coo(m: Any, kind: str):
    """(source, target, value or None, shape) of a scipy or torch sparse matrix."""
    if kind == "scipy":
        coo = m.tocoo()
        src = torch.from_numpy(np.asarray(coo.row, dtype=np.int64))
        dst = torch.from_numpy(np.asarray(coo.col, dtype=np.int64))
        data = np.asarray(coo.data)
        if data.dtype == np.bool_ or np.issubdtype(data.dtype, np.integer):
            data = data.astype(np.float32)
        return src, dst, torch.from_numpy(np.ascontiguousarray(data)), tuple(coo.shape)
    if m.layout != torch.sparse_coo:
        m = m.to_sparse_coo()
    m = m.coalesce()
    idx, value = m.indices(), m.values()
    if not value.dtype.is_floating_point:
        value = value.to(torch.get_default_dtype())
    if m.dim() != 2:
        raise ValueError(f"a sparse adjacency matrix must be 2-D, got shape {list(m.shape)}")
    return idx[0], idx[1], value, tuple(m.shape)


def _as_count(n: Any, name: str) -> Optional[int]:
    """A node count: None, or an integer (``graphlearn._validate.integer``: floats, 3.0
    included, and bools are refused, never truncated; a one-element integer tensor is
    taken as its value)."""
    if n is None:
        return None
    if isinstance(n, Tensor) and n.numel() == 1 and n.dim() > 0:
        n = n.reshape(())
    return integer(n, name)


def as_pairs(pairs: Any, num_nodes: Optional[int] = None, *, name: str = "pairs") -> Tuple[Tensor, Tensor]:
    """``(src, dst)``: two contiguous int64 ``[P]`` tensors from node pairs given as a
    ``[2, P]`` tensor or array (PyG's ``edge_label_index`` layout), or as a
    ``(src, dst)`` tuple of two ``[P]`` tensors/arrays. The one parser of node pairs.

    Args:
        num_nodes: when given, every id must lie in ``[0, num_nodes)``.
        name: what to call the argument in error messages.

    Raises:
        TypeError: non-integer ids. ValueError: any other shape (``[P, 2]`` included:
        pass ``pairs.t()``), or an id out of range (naming its position).
    """
    if isinstance(pairs, (tuple, list)) and len(pairs) == 2 and all(
            isinstance(p, (Tensor, np.ndarray)) for p in pairs):
        src = _as_index_tensor(pairs[0], f"{name}[0]")
        dst = _as_index_tensor(pairs[1], f"{name}[1]")
        if src.dim() != 1 or src.shape != dst.shape:
            raise ValueError(f"{name}: (src, dst) must be 1-D of equal length, got {list(src.shape)} and "
                             f"{list(dst.shape)}")
    else:
        if not isinstance(pairs, (Tensor, np.ndarray)):
            try:
                pairs = torch.as_tensor(pairs)
            except (TypeError, ValueError, RuntimeError) as exc:
                raise TypeError(f"{name} must be a [2, P] tensor of node ids, got {type(pairs).__name__}") from exc
        t = _as_index_tensor(pairs, name)
        if t.dim() != 2 or t.size(0) != 2:
            hint = "; for [P, 2] pairs pass pairs.t()" if t.dim() == 2 and t.size(1) == 2 else ""
            raise ValueError(f"{name} must have shape [2, P] (the edge_index layout), got {list(t.shape)}{hint}")
        src, dst = t[0], t[1]
    src, dst = src.long().contiguous(), dst.long().contiguous()
    if num_nodes is not None:
        n = integer(num_nodes, "num_nodes", min=0)
        for r, t in enumerate((src, dst)):
            if t.numel():
                bad = ((t < 0) | (t >= n)).nonzero()
                if bad.numel():
                    k = int(bad[0])
                    raise ValueError(f"{name}[{r}, {k}] = {int(t[k])} is not a node id in [0, {n}) "
                                     f"(the graph has {n} nodes)")
    return src, dst


# ----------------------------------------------------------------------------- heterogeneous graphs

EdgeType = Tuple[str, str, str]


def hetero_csr(data: Any, *, reverse: bool = False, reverse_prefix: str = "rev_",
               weight: str = "edge_weight") -> "dict":
    """One :class:`CSR` per relation of a PyG ``HeteroData``, keyed by PyG's edge types.

    The heterogeneous form of the contract: for the relation ``(src, rel, dst)`` with
    ``edge_index [2, E]`` (row 0 ids of ``src`` nodes, row 1 ids of ``dst`` nodes, as
    PyG stores them), the CSR is ``[N_dst, N_src]`` and row ``t`` lists the ``src``
    nodes whose messages ``dst`` node ``t`` aggregates, so ``ops.spmm(adj[et],
    x_src)`` is ``[N_dst, F]`` (``reduce="mean"`` for mean aggregation along the
    relation). A 1-D float ``edge_weight`` (or the attribute named by ``weight``)
    becomes the values; repeated edges stay separate entries.

    Args:
        data: a PyG ``HeteroData`` whose node types all know their ``num_nodes``.
        reverse: also add, for every relation whose reverse is not already there, the
            reverse relation ``(dst, reverse_prefix + rel, src)`` (the transposed CSR):
            what the even hops of RpHGNN's propagation and most heterogeneous GNNs walk.
        reverse_prefix: the name prefix of added reverse relations.
        weight: the edge attribute read as weights (missing: unweighted).

    Returns:
        ``{edge_type: CSR}`` in ``data.edge_types`` order (added reverses after them).

    Raises:
        TypeError: not a HeteroData. ValueError: a node type without ``num_nodes``, an
        ``edge_index`` that is not ``[2, E]`` integer ids within its types' counts
        (naming the relation, row and position), or bad weights.
    """
    if not (hasattr(data, "edge_types") and hasattr(data, "node_types")):
        raise TypeError(f"hetero_csr: expects a PyG HeteroData, got {type(data).__name__}")
    counts = {}
    for t in data.node_types:
        n = data[t].num_nodes
        if n is None:
            raise ValueError(f"hetero_csr: node type {t!r} has no num_nodes (and no x to count)")
        counts[t] = int(n)
        if counts[t] == 0:
            raise ValueError(f"hetero_csr: node type {t!r} has no nodes; a CSR needs at least one row and column "
                             "(drop the type, or its relations)")
    out = {}
    for et in data.edge_types:
        src_t, rel, dst_t = et
        store = data[et]
        ei = getattr(store, "edge_index", None)
        where = f"hetero_csr: edge type {et}"
        if ei is None:
            raise ValueError(f"{where} has no edge_index")
        ei = torch.as_tensor(ei)
        if ei.dtype.is_floating_point or ei.dtype == torch.bool or ei.is_complex():
            raise ValueError(f"{where}: edge_index must hold integer ids, got {ei.dtype}")
        if ei.dim() != 2 or ei.size(0) != 2:
            raise ValueError(f"{where}: edge_index must be [2, E], got {list(ei.shape)}")
        for r, (t, n) in enumerate(((src_t, counts[src_t]), (dst_t, counts[dst_t]))):
            if ei.size(1):
                bad = ((ei[r] < 0) | (ei[r] >= n)).nonzero()
                if bad.numel():
                    k = int(bad[0])
                    raise ValueError(f"{where}: edge_index[{r}, {k}] = {int(ei[r, k])} is not a {t!r} node id in "
                                     f"[0, {n})")
        w = getattr(store, weight, None)
        if w is not None:
            w = torch.as_tensor(w)
            if not w.is_floating_point() or w.dim() != 1 or w.numel() != ei.size(1):
                raise ValueError(f"{where}: {weight} must be a 1-D float tensor with one weight per edge "
                                 f"({ei.size(1)}), got {w.dtype} {list(w.shape)}")
        out[et] = _relation_csr(ei[1], ei[0], counts[dst_t], counts[src_t], w)
    if reverse:
        for (src_t, rel, dst_t), adj in list(out.items()):
            rev = (dst_t, reverse_prefix + rel, src_t)
            if rev not in out and not any(k[0] == dst_t and k[2] == src_t and k[1] == rel for k in out):
                out[rev] = adj.t()
    return out


def _relation_csr(row: Tensor, col: Tensor, num_rows: int, num_cols: int, value: Optional[Tensor]) -> CSR:
    """The ``[num_rows, num_cols]`` CSR of the given entries."""
    return CSR.from_coo(row.long(), col.long(), num_rows, value, num_cols=num_cols)
