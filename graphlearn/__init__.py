"""graphlearn: graph learning on a compiled sparse core."""
from graphlearn._version import __version__
from graphlearn import ops, sparse
from graphlearn.sparse import CSR

__all__ = ["__version__", "ops", "sparse", "CSR"]
