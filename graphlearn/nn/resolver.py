"""Names -> layer and model classes: the vocabulary of ``--model`` flags and search spaces.

    from graphlearn.nn import resolver

    resolver.available("model")                     # ['gcn', ...]
    model = resolver.resolve("model", "gcn", in_channels=1433, hidden_channels=16, out_channels=7)
    conv_cls = resolver.lookup("conv", "GCN")       # GCNConv

Classes register themselves where they are defined::

    @register("conv", "gcn")
    class GCNConv(torch.nn.Module): ...

Names are case-insensitive and ignore ``-`` and ``_`` (``"GCN"``, ``"gcn"`` and
``"g_c_n"`` are one name); each kind (``"conv"``: one layer, ``"model"``: a whole
model) has its own namespace, so the layer and the model can both be ``"gcn"``.
"""
from __future__ import annotations

import difflib
import importlib
from typing import Any, Callable, Dict, List, Optional, Type, TypeVar

__all__ = ["KINDS", "register", "lookup", "resolve", "available"]

KINDS = ("conv", "model")
# the packages whose modules register the built-in classes (imported on first lookup)
_PACKAGES = {"conv": "graphlearn.nn.conv", "model": "graphlearn.nn.models"}
_REGISTRY: Dict[str, Dict[str, type]] = {k: {} for k in KINDS}

T = TypeVar("T", bound=type)


def _key(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"a registered name must be a non-empty string, got {name!r}")
    return name.strip().lower().replace("-", "").replace("_", "")


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; the kinds are {', '.join(KINDS)}")
    return kind


def register(kind: str, name: Optional[str] = None) -> Callable[[T], T]:
    """Class decorator: makes ``cls`` known as ``name`` (default: the class name) under ``kind``.

    Raises:
        ValueError: an unknown kind, or the name already taken by another class.
    """
    _kind(kind)

    def deco(cls: T) -> T:
        key = _key(name or cls.__name__)
        have = _REGISTRY[kind].get(key)
        if have is not None and (have.__module__, have.__qualname__) != (cls.__module__, cls.__qualname__):
            raise ValueError(f"{kind} name {key!r} is already registered for {have.__module__}.{have.__qualname__}; "
                             f"cannot register {cls.__module__}.{cls.__qualname__} under it")
        _REGISTRY[kind][key] = cls
        return cls

    return deco


def _load(kind: str) -> None:
    importlib.import_module(_PACKAGES[kind])


def available(kind: str) -> List[str]:
    """The registered names of ``kind``, sorted."""
    _load(_kind(kind))
    return sorted(_REGISTRY[kind])


def lookup(kind: str, name: str) -> Type[Any]:
    """The class registered as ``name`` under ``kind``.

    Raises:
        ValueError: an unknown kind or name (the message lists the known names).
    """
    _load(_kind(kind))
    key = _key(name)
    try:
        return _REGISTRY[kind][key]
    except KeyError:
        known = sorted(_REGISTRY[kind])
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown {kind} {name!r}{hint}; known {kind} names: {', '.join(known) or 'none'}") from None


def resolve(kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
    """An instance of the class registered as ``name``: ``lookup(kind, name)(*args, **kwargs)``."""
    return lookup(kind, name)(*args, **kwargs)
