"""graphlearn: graph learning on a compiled sparse core."""
import importlib

from graphlearn._version import __version__
from graphlearn import ops, sparse
from graphlearn.sparse import CSR

__all__ = ["__version__", "ops", "sparse", "CSR", "datasets", "nn", "embed", "linkpred"]
_LAZY = ("datasets", "nn", "embed", "linkpred")


def __getattr__(name):  # submodules that pull in more are imported on first use
    if name in _LAZY:
        return importlib.import_module(f"graphlearn.{name}")
    raise AttributeError(f"module 'graphlearn' has no attribute {name!r}")
