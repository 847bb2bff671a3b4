"""Sparse graph operators on graphlearn's compiled core.

Every sparse computation in graphlearn goes through these functions. They run
the C++ kernels registered under ``torch.ops.graphlearn`` when the extension is
built (:func:`compiled`) and the pure-PyTorch references in
:mod:`graphlearn.ops.reference` otherwise.

Graphs: every op's ``adj`` is a :class:`graphlearn.sparse.CSR` by the graph contract
(rows aggregate: ``spmm(adj, x)[i] = sum_j adj[i, j] x[j]``). Any other form that
:func:`graphlearn.sparse.as_csr` accepts (edge_index, scipy/torch sparse, PyG Data) is
converted on every call, so build the CSR once when an op runs repeatedly. Node pairs
are ``[2, P]`` (:func:`graphlearn.sparse.as_pairs`).

One module per op family (``graphlearn/ops/<op>.py``, kernels in
``csrc/ops/<op>.cpp`` and ``csrc/ops/cpu/<op>_kernel.cpp``). Names are imported on
first use (PEP 562): :mod:`graphlearn.sparse` imports :mod:`graphlearn.ops.csr`,
which runs this file, and the op modules import :mod:`graphlearn.sparse`, so this
file imports none of them. The first use of any function here imports every op
module at once: they register the ops' fake kernels and autograd formulas with
torch, and the backward of one op calls others (SpMM's calls SDDMM and back).
"""
import importlib
import sys
import types

# public name -> the module of graphlearn.ops that defines it
_EXPORTS = {
    "compiled": "_ext",
    "load_error": "_ext",
    "coo_to_csr": "csr",
    "csr_transpose": "csr",
    "csr_validate": "csr",
    "spmm": "spmm",
    "sddmm": "sddmm",
    "segment_softmax": "segment_softmax",
    "common_neighbors": "common_neighbors",
    "common_neighbor_sets": "common_neighbors",
    "khop_distances": "khop_distances",
    "fastrp_random": "fastrp",
    "fastrp_step": "fastrp",
    "dropout": "dropout",
}
# the op families, in the order their modules are imported
_OP_MODULES = ("csr", "spmm", "sddmm", "segment_softmax", "common_neighbors", "khop_distances", "fastrp",
               "dropout")
_SUBMODULES = frozenset(_OP_MODULES + ("_args", "_checks", "_ext", "reference"))

__all__ = ["reference"] + sorted(_EXPORTS)


def _import_ops() -> None:
    for name in _OP_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    for name, module in _EXPORTS.items():
        globals()[name] = getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __getattr__(name):
    if name in _EXPORTS:
        _import_ops()
        return globals()[name]
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


class _OpsPackage(types.ModuleType):
    """``graphlearn.ops.spmm`` is the function ``spmm``, also once the submodule of that
    name has been imported (the import system then sets the package attribute to the
    submodule, after running it): the function is stored instead."""

    def __setattr__(self, name, value):
        if (isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name
                and value.__name__ == f"{__name__}.{name}"):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _OpsPackage
