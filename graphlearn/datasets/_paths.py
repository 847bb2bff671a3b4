"""Where datasets live: an explicit root, $GRAPHLEARN_DATA, or ../shared/datasets."""
from __future__ import annotations

import os
from typing import Iterable, List, Optional

BUNDLED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def default_root() -> str:
    """``$GRAPHLEARN_DATA`` if set, else ``../shared/datasets`` (from the working
    directory, then from the repository), else that relative path unresolved."""
    env = os.environ.get("GRAPHLEARN_DATA")
    if env:
        return env
    for base in (os.getcwd(), _REPO):
        cand = os.path.abspath(os.path.join(base, "..", "shared", "datasets"))
        if os.path.isdir(cand):
            return cand
    return os.path.join("..", "shared", "datasets")


def find_dataset_dir(root: Optional[str], names: Iterable[str], marker: str, what: str,
                     hint: str = "") -> str:
    """Returns the folder holding `marker` (a file name): `root` itself, or
    `root/<name>` for one of `names`. Raises FileNotFoundError listing the places tried."""
    root = default_root() if root is None else os.fspath(root)
    tried: List[str] = []
    for cand in [root] + [os.path.join(root, n) for n in names]:
        tried.append(cand)
        if os.path.isfile(os.path.join(cand, marker)):
            return cand
    raise FileNotFoundError(
        f"{what} not found: looked for {marker} in " + ", ".join(tried)
        + ". Pass root=<folder> (or --root) or set GRAPHLEARN_DATA." + (f" {hint}" if hint else ""))
