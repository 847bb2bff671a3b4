"""Build bookkeeping shared by setup.py and the extension loader (stdlib only:
setup.py loads this file directly, without importing the package)."""
import glob
import hashlib
import os

SOURCE_SUFFIXES = (".cpp", ".h", ".cu", ".cuh")


def source_hash(csrc_dir: str):
    """Hash of the C++/CUDA sources under csrc_dir (None when it does not exist).

    The extension records it at build time, so a library built from older sources
    is detected at import instead of failing later with a confusing schema error.
    """
    if not os.path.isdir(csrc_dir):
        return None
    h = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(csrc_dir, "**", "*"), recursive=True)):
        if os.path.isfile(path) and path.endswith(SOURCE_SUFFIXES):
            h.update(os.path.relpath(path, csrc_dir).replace(os.sep, "/").encode())
            with open(path, "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]
