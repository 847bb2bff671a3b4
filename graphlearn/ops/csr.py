"""CSR construction ops: COO -> CSR, transpose, validation."""
from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor

from graphlearn import _validate
from graphlearn.ops import _args as _checks, _ext, reference


def _index_pair(row: Tensor, col: Tensor, op: str, names=("row", "col")) -> None:
    _checks.index_tensor(row, names[0], op)
    _checks.index_tensor(col, names[1], op)
    if row.dtype != col.dtype:
        raise TypeError(f"{op}: {names[0]} and {names[1]} must have the same dtype, got {row.dtype} and {col.dtype}")


def _count(value, name: str, op: str) -> int:
    """A matrix dimension: an integer in [0, 2**63 - 1] (the kernels' int64)."""
    return _validate.integer(value, f"{op}: {name}", min=0, max=_validate.INT64_MAX)


def _check_rowptr_memory(num_rows: int, dtype: torch.dtype, op: str, name: str, device) -> None:
    itemsize = 4 if dtype == torch.int32 else 8
    _checks.check_memory((num_rows + 1) * itemsize, f"{op}: the row pointer of {num_rows} rows", f"check {name}",
                         device)


def coo_to_csr(row: Tensor, col: Tensor, num_rows: int, num_cols: int, dedupe: bool = False,
               remove_self_loops: bool = False) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Sorts COO entries into CSR order (row, then column, then input position).

    Args:
        row, col: ``[E]`` int32/int64 coordinates (same dtype).
        num_rows, num_cols: matrix shape.
        dedupe: merge entries with the same (row, col).
        remove_self_loops: drop entries with row == col.

    Returns:
        ``(rowptr [num_rows + 1], col [nnz], perm [kept], slot)``: perm[k] is the
        input position of sorted entry k; with dedupe, slot[k] is the merged entry
        it belongs to (so values merge with ``scatter_reduce(slot, value[perm])``);
        without dedupe slot is empty and entry k is output entry k.

    Raises:
        TypeError: non-tensor or non-integer coordinates, a non-integer size, a
            non-boolean flag. ValueError: lengths that differ, a negative size, or an
            entry outside the shape (naming its position). MemoryError: a ``num_rows``
            whose row pointer would not fit in memory.
    """
    op = "coo_to_csr"
    _index_pair(row, col, op)
    if row.numel() != col.numel():
        raise ValueError(f"{op}: row and col must have the same length, got {row.numel()} and {col.numel()}")
    num_rows, num_cols = _count(num_rows, "num_rows", op), _count(num_cols, "num_cols", op)
    dedupe = _checks.flag(dedupe, "dedupe", op)
    remove_self_loops = _checks.flag(remove_self_loops, "remove_self_loops", op)
    _check_rowptr_memory(num_rows, row.dtype, op, "num_rows", row.device)
    if _ext.compiled():
        return _checks.compiled_call(op, torch.ops.graphlearn.coo_to_csr, row, col, num_rows, num_cols, dedupe,
                                     remove_self_loops)
    _ext.warn_fallback("coo_to_csr")
    return reference.coo_to_csr(row, col, num_rows, num_cols, dedupe, remove_self_loops)


def csr_transpose(rowptr: Tensor, col: Tensor, num_cols: int) -> Tuple[Tensor, Tensor, Tensor]:
    """Structure of the transpose: ``(rowptr_t [num_cols + 1], col_t [nnz], perm [nnz])``.

    Entry k of the transpose is entry perm[k] of the input; rows of the transpose
    are sorted by column. Deterministic for any thread count.

    Raises:
        TypeError / ValueError: as :func:`coo_to_csr` (a column outside
        ``[0, num_cols)`` names its position). MemoryError: a ``num_cols`` whose row
        pointer would not fit in memory.
    """
    op = "csr_transpose"
    _index_pair(rowptr, col, op, ("rowptr", "col"))
    num_cols = _count(num_cols, "num_cols", op)
    _check_rowptr_memory(num_cols, rowptr.dtype, op, "num_cols", rowptr.device)
    if _ext.compiled():
        return _checks.compiled_call(op, torch.ops.graphlearn.csr_transpose, rowptr, col, num_cols)
    _ext.warn_fallback("csr_transpose")
    return reference.csr_transpose(rowptr, col, num_cols)


def csr_validate(rowptr: Tensor, col: Tensor, num_cols: int) -> bool:
    """Checks a CSR structure; returns whether columns are sorted within rows.

    Raises ValueError naming the first problem (rowptr not starting at 0,
    decreasing, not ending at nnz; a column outside [0, num_cols)).
    """
    _index_pair(rowptr, col, "csr_validate", ("rowptr", "col"))
    num_cols = _count(num_cols, "num_cols", "csr_validate")
    if rowptr.device.type == "cpu" and _ext.compiled():
        try:
            return bool(torch.ops.graphlearn.csr_validate(rowptr, col, num_cols))
        except RuntimeError as exc:
            raise ValueError(str(exc).split("\n")[0]) from None
    nnz = col.numel()
    if int(rowptr[0]) != 0:
        raise ValueError(f"csr_validate: rowptr[0] must be 0, got {int(rowptr[0])}")
    if int(rowptr[-1]) != nnz:
        raise ValueError(f"csr_validate: rowptr[-1] = {int(rowptr[-1])} must equal the number of "
                         f"stored entries {nnz}")
    diff = rowptr[1:] - rowptr[:-1]
    if bool((diff < 0).any()):
        bad = int((diff < 0).nonzero()[0])
        raise ValueError(f"csr_validate: rowptr is not a valid CSR row pointer at row {bad} "
                         "(it must be non-decreasing)")
    if nnz:
        bad = ((col < 0) | (col >= num_cols)).nonzero()
        if bad.numel():
            k = int(bad[0])
            raise ValueError(f"csr_validate: col[{k}] = {int(col[k])} is out of range for {num_cols} columns")
        row = reference.csr_row(rowptr)
        same_row = row[1:] == row[:-1]
        return not bool(((col[1:] < col[:-1]) & same_row).any())
    return True


if _ext.compiled():

    @torch.library.register_fake("graphlearn::coo_to_csr")
    def _(row, col, num_rows, num_cols, dedupe, remove_self_loops):
        ctx = torch.library.get_ctx()
        nnz = ctx.new_dynamic_size() if (dedupe or remove_self_loops) else row.numel()
        kept = ctx.new_dynamic_size() if remove_self_loops else row.numel()
        return (row.new_empty(num_rows + 1), col.new_empty(nnz), row.new_empty(kept, dtype=torch.long),
                row.new_empty(kept if dedupe else 0, dtype=torch.long))

    @torch.library.register_fake("graphlearn::csr_transpose")
    def _(rowptr, col, num_cols):
        return rowptr.new_empty(num_cols + 1), col.new_empty(col.numel()), col.new_empty(col.numel(), dtype=torch.long)
