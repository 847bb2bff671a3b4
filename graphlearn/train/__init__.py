"""Small shared training loops and the example scripts' helpers.

* :func:`train_node_classifier`: full-batch node classification (masks, accuracy);
* :func:`train_graph_predictor`: mini-batch graph-level tasks (PyG ``DataLoader``,
  OGB's metrics);
* :func:`train_link_predictor`: edge mini-batch link prediction, evaluated by the
  :mod:`graphlearn.linkpred` harness;
* :func:`seed_everything`, :class:`EarlyStopping`, :class:`TrainResult` (best epoch,
  history) and :func:`run_epochs` (the epoch driver: train, validate, keep the best,
  stop early), shared by the three and by any model that brings its own loop;
* :mod:`graphlearn.train.script`: the scripts' ``--root/--runs/--epochs/--seed/--quiet``
  flags and final JSON line.

Every loop calls ``model(x, graph)`` (graph-level: ``model(x, edge_index, batch)``) or a
given ``forward``, is seeded, stops early on the validation metric (``patience``),
returns the history, and shows a progress bar that ``progress=False`` silences. A model
with an unusual training procedure brings its own loop.

Names are imported on first use (``graphlearn.train.script`` needs no torch).
"""
import importlib

_EXPORTS = {
    "train_node_classifier": "node",
    "train_graph_predictor": "graph",
    "graph_metric": "graph",
    "GRAPH_METRICS": "graph",
    "train_link_predictor": "link",
    "dot_product": "link",
    "seed_everything": "_common",
    "EarlyStopping": "_common",
    "TrainResult": "_common",
    "run_epochs": "_common",
    "add_common_args": "script",
    "summarize": "script",
    "print_json_line": "script",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"graphlearn.train.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'graphlearn.train' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
