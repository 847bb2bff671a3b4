"""Offline dataset loaders (no downloads), edge-list reading and synthetic graph generators.

Names are imported on first use, so that `graphlearn embed` (which needs only the
edge-list reader) never imports torch_geometric or ogb.
"""
import importlib

_EXPORTS = {
    "default_root": "_paths",
    "COUNTING_TASKS": "counting",
    "counting_dataset": "counting",
    "counting_split": "counting",
    "substructure_counts": "counting",
    "load_blogcatalog": "blogcatalog",
    "load_blogcatalog_bundled": "blogcatalog",
    "read_multilabels": "blogcatalog",
    "load_hgb": "hgb",
    "load_hetero": "hetero",
    "load_imdb": "hetero",
    "load_ogb": "ogb",
    "OGBDataset": "ogb",
    "OGBGraphDataset": "ogb",
    "OGBLinkDataset": "ogb",
    "OGBNodeDataset": "ogb",
    "load_ogb_mag": "ogb_hetero",
    "load_planetoid": "planetoid",
    "power_law_graph": "synthetic",
    "random_graph": "synthetic",
    "load_tu": "tu",
    "TUGraphDataset": "tu",
    "read_edge_list": "edgelist",
    "EdgeList": "edgelist",
    "EdgeStream": "edgelist",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"graphlearn.datasets.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphlearn.datasets' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
