"""On-disk cache of processed datasets.

A loader turns raw files into a payload: a dict (possibly nested) of tensors,
ints, floats, strings and lists. The payload is saved with ``torch.save`` and read
back with ``torch.load(weights_only=True)``, so a cache file can never run code.

Each cache file records :data:`FORMAT_VERSION`, the loader's key, a blake2b
digest of the raw files' *contents* (plus the loader's own version string) and a
checksum of its own payload (:func:`payload_checksum`: CRC-32 over every tensor's
bytes, dtype and shape and over the payload's structure). A mismatch on the
version, key or raw digest rebuilds the cache; an unreadable file or a payload
that does not match its checksum (a damaged cache) rebuilds it with a warning,
so flipped bytes never reach the caller. Writes go to a temporary file in the
same folder and are renamed into place.

Where a cache lives (first that applies):

1. ``cache_dir`` passed by the caller;
2. ``<dataset folder>/processed/`` when the dataset folder is writable (its
   permission bits grant write access, so folders marked read-only are left
   alone even when running as root);
3. ``$GRAPHLEARN_CACHE``;
4. ``~/.cache/graphlearn``.

In cases 1, 3 and 4 the file sits in a sub-folder named after the dataset
folder's absolute path, so two copies of one dataset never share a cache.
"""
from __future__ import annotations

import hashlib
import os
import stat
import warnings
import zlib
from typing import Any, Callable, Iterable, Optional, Sequence

import torch

from graphlearn import _io

FORMAT_VERSION = 2  # 2: payload checksum
_CHUNK = 1 << 20


def file_digest(paths: Sequence[str], extra: str = "", base: Optional[str] = None) -> str:
    """blake2b (128-bit, hex) over `extra` and, for each path in order, its name
    (relative to `base` when given), its size and its full contents (streamed)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"graphlearn-cache-v{FORMAT_VERSION}\0{extra}\0".encode())
    for p in paths:
        label = os.path.relpath(p, base) if base else os.path.basename(p)
        h.update(f"{label}\0{os.path.getsize(p)}\0".encode())
        with open(p, "rb") as f:
            while True:
                block = f.read(_CHUNK)
                if not block:
                    break
                h.update(block)
    return h.hexdigest()


def _mode_writable(path: str) -> bool:
    """True when `path` (an existing folder) is writable for this process *and*
    its permission bits grant write to someone (root ignores the bits; we don't)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and bool(st.st_mode & 0o222) and os.access(path, os.W_OK | os.X_OK)


def default_cache_dir() -> str:
    """``$GRAPHLEARN_CACHE`` if set, else ``~/.cache/graphlearn``."""
    env = os.environ.get("GRAPHLEARN_CACHE")
    return env if env else os.path.join(os.path.expanduser("~"), ".cache", "graphlearn")


def cache_file(dataset_dir: str, key: str, cache_dir: Optional[str] = None) -> str:
    """Path of the cache file for `key` (a file-name-safe string) of the dataset
    stored in `dataset_dir`, following the order in the module docstring."""
    dataset_dir = os.path.abspath(dataset_dir)
    fname = f"graphlearn_{key}.pt"
    if cache_dir is None:
        processed = os.path.join(dataset_dir, "processed")
        if (os.path.isdir(processed) and _mode_writable(processed)) or (
                not os.path.exists(processed) and _mode_writable(dataset_dir)):
            return os.path.join(processed, fname)
        cache_dir = default_cache_dir()
    tag = hashlib.blake2b(dataset_dir.encode(), digest_size=8).hexdigest()
    sub = f"{os.path.basename(dataset_dir.rstrip(os.sep)) or 'root'}-{tag}"
    return os.path.join(os.fspath(cache_dir), sub, fname)


class _Unhashable(TypeError):
    pass


def payload_checksum(payload: Any) -> str:
    """CRC-32 (hex, with the format version) of a payload: its structure (container
    types, dict keys, lengths), every tensor's dtype, shape and raw bytes, and every
    scalar's type and value. Detects damaged bytes anywhere in a cache file (the
    files' own zip records carry no check that ``torch.load`` verifies); not meant to
    resist deliberate forgery, which would need write access to the cache anyway.
    About 2 GB/s, so a cache is hashed in a fraction of the time ``torch.load`` takes.

    Raises TypeError on a value a payload may not hold (anything but tensors, dicts
    with str/int keys, lists, tuples, str, int, float, bool and None)."""
    crc = 0

    def add(text: str) -> None:
        nonlocal crc
        crc = zlib.crc32(text.encode("utf-8", "surrogatepass"), crc)

    stack = [payload]
    while stack:
        v = stack.pop()
        if isinstance(v, torch.Tensor):
            t = v.detach().cpu().contiguous().reshape(-1)
            add(f"T{t.dtype}{list(v.shape)}|")
            if t.numel():
                crc = zlib.crc32(t.view(torch.uint8).numpy(), crc)
        elif isinstance(v, dict):
            add(f"D{len(v)}|")
            for k in v:
                if not isinstance(k, (str, int)):
                    raise _Unhashable(f"cache payload: dict key of type {type(k).__name__}")
                add(f"K{type(k).__name__}:{k!r}|")
            stack.extend(reversed(list(v.values())))
        elif isinstance(v, (list, tuple)):
            add(f"{'L' if isinstance(v, list) else 'U'}{len(v)}|")
            stack.extend(reversed(v))
        elif v is None or isinstance(v, (str, int, float, bool)):
            add(f"S{type(v).__name__}:{v!r}|")
        else:
            raise _Unhashable(f"cache payload: value of type {type(v).__name__}")
    return f"crc32-v{FORMAT_VERSION}:{crc:08x}"


def read_cache(path: str, key: str, digest: str) -> Optional[Any]:
    """The payload stored at `path` if it exists, is readable, records this format
    version, `key` and `digest`, and matches its own checksum; else None (a damaged
    file, unreadable or failing its checksum, gives a warning)."""
    if not os.path.isfile(path):
        return None
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # corrupt, truncated or not ours: rebuild
        warnings.warn(f"graphlearn cache {path} is unreadable ({type(exc).__name__}); rebuilding it", stacklevel=3)
        return None
    if (not isinstance(obj, dict) or obj.get("format") != FORMAT_VERSION or obj.get("key") != key
            or "payload" not in obj):
        return None
    if obj.get("digest") != digest:
        return None
    try:
        ok = obj.get("checksum") == payload_checksum(obj["payload"])
    except _Unhashable:
        ok = False
    if not ok:
        warnings.warn(f"graphlearn cache {path} is damaged (checksum mismatch); rebuilding it", stacklevel=3)
        return None
    return obj["payload"]


def write_cache(path: str, key: str, digest: str, payload: Any) -> bool:
    """Atomically writes `payload` (with its :func:`payload_checksum`) to `path`, flushed
    to disk before it is renamed into place. Returns False (with a warning) instead of
    raising when the folder cannot be written."""
    checksum = payload_checksum(payload)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with _io.atomic_open(path, "wb", fsync=True) as f:
            torch.save({"format": FORMAT_VERSION, "key": key, "digest": digest, "checksum": checksum,
                        "payload": payload}, f)
        return True
    except OSError as exc:
        warnings.warn(f"graphlearn: could not write cache {path} ({exc}); continuing without it", stacklevel=3)
        return False


def cached(dataset_dir: str, key: str, inputs: Iterable[str], build: Callable[[], Any],
           cache_dir: Optional[str] = None, version: str = "", use_cache: bool = True) -> Any:
    """Returns ``build()``'s payload, from the cache when it is valid for the
    current contents of the files `inputs` (paths) and `version` (the loader's
    own version string), else by calling `build` and caching the result."""
    if not use_cache:
        return build()
    inputs = sorted(os.path.abspath(p) for p in inputs)
    digest = file_digest(inputs, extra=f"{key}\0{version}", base=os.path.abspath(dataset_dir))
    path = cache_file(dataset_dir, key, cache_dir)
    payload = read_cache(path, key, digest)
    if payload is None:
        payload = build()
        write_cache(path, key, digest, payload)
    return payload

