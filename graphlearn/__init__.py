"""graphlearn: graph learning on a compiled sparse core.

Submodules (and ``CSR``) are imported on first use: ``import graphlearn`` itself
loads no torch, so the command line answers ``--help`` at once; ``graphlearn.ops``
loads the compiled core when it is first touched.
"""
import importlib

from graphlearn._version import __version__

__all__ = ["__version__", "ops", "sparse", "CSR", "datasets", "transforms", "nn", "train", "embed", "linkpred",
           "distributed"]
_LAZY = ("ops", "sparse", "datasets", "transforms", "nn", "train", "embed", "linkpred", "distributed")


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f"graphlearn.{name}")
    if name == "CSR":
        from graphlearn.sparse import CSR

        return CSR
    raise AttributeError(f"module 'graphlearn' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
