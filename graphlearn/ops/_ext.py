"""Loading of the compiled core (graphlearn/_C.so) into torch.ops.graphlearn."""
from __future__ import annotations

import glob
import os
import warnings
from typing import Optional

import torch

from graphlearn._build_info import source_hash
from graphlearn._version import __version__

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CSRC_DIR = os.path.join(os.path.dirname(_PKG_DIR), "csrc")

_loaded: Optional[bool] = None
_error: Optional[str] = None
_warned = False


def _library_path() -> Optional[str]:
    for pattern in ("_C.so", "_C.*.so", "_C*.pyd", "_C*.dll"):
        hits = sorted(glob.glob(os.path.join(_PKG_DIR, pattern)))
        if hits:
            return hits[0]
    return None


def load() -> bool:
    """Loads the extension once; returns whether it is available."""
    global _loaded, _error
    if _loaded is not None:
        return _loaded
    path = _library_path()
    if path is None:
        _loaded, _error = False, f"no compiled library (_C.so) in {_PKG_DIR}"
    else:
        try:
            torch.ops.load_library(path)
            built = torch.ops.graphlearn.version()
            version, _, built_hash = built.partition("+")
            current = source_hash(_CSRC_DIR)
            if version != __version__:
                raise ImportError(f"{path} was built for graphlearn {version}, this is {__version__}")
            if current is not None and built_hash and built_hash != current:
                raise ImportError(f"{path} was built from older sources in {_CSRC_DIR}")
            _loaded = True
        except Exception as exc:  # a broken or stale build must not break `import graphlearn`
            _loaded, _error = False, f"{type(exc).__name__}: {exc}"
    if not _loaded and os.environ.get("GRAPHLEARN_REQUIRE_COMPILED", "0") == "1":
        raise ImportError(
            f"graphlearn's compiled core could not be loaded ({_error}). "
            "Build it with `pip install --no-build-isolation -e .` (or `make install`).")
    return _loaded


def compiled() -> bool:
    """True when the C++ extension is loaded (ops then run the compiled kernels)."""
    return load()


def load_error() -> Optional[str]:
    """Why the extension is not loaded (None when it is)."""
    load()
    return _error


def warn_fallback(op: str) -> None:
    """Warns once that ops run on the slow pure-PyTorch reference."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(
            f"graphlearn.ops.{op}: the compiled core is not available ({_error}); using the "
            "pure-PyTorch reference, which is much slower. Build the extension with "
            "`pip install --no-build-isolation -e .`.", RuntimeWarning, stacklevel=3)
