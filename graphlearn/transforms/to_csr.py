"""``ToCSR``: attach the graph contract's CSR to a Data, computed once."""
from __future__ import annotations

from typing import Any, Optional

import torch
from torch_geometric.transforms import BaseTransform

from graphlearn import _validate
from graphlearn.ops._checks import flag
from graphlearn.sparse import _FLOWS, _REDUCES, as_csr

__all__ = ["ToCSR"]

_DEFAULTS = dict(flow="source_to_target", symmetrize=False, dedupe=False, reduce="sum", self_loops=None,
                 index_dtype=None)


class ToCSR(BaseTransform):
    """Sets ``data[attr] = as_csr(data, ...)`` (default ``data.adj``): the adjacency in
    the graph contract (:mod:`graphlearn.sparse`: rows aggregate, an edge ``s -> t`` is
    entry ``(t, s)``; a 1-D ``data.edge_weight`` becomes the values).

    Convert once, then pass ``data.adj`` to layers and models instead of
    ``edge_index`` (every graphlearn layer accepts it unchanged);
    :func:`graphlearn.train.train_node_classifier` uses ``data.adj`` when it is there.
    Meant for single graphs trained full-batch: PyG's ``DataLoader`` does not batch a
    CSR attribute (mini-batches keep ``edge_index``), and ``data.to(device)`` does not
    move it (``data.adj = data.adj.to(device)``).

    Args:
        attr: the attribute to set (a valid Python identifier).
        flow, symmetrize, dedupe, reduce, self_loops, index_dtype: as in
            :func:`graphlearn.sparse.as_csr`.
        remove_edge_index: delete ``edge_index`` (and ``edge_weight``) afterwards,
            so the graph is stored once.

    Every option is checked when the transform is built (TypeError / ValueError).
    """

    def __init__(self, attr: str = "adj", *, flow: str = "source_to_target", symmetrize: bool = False,
                 dedupe: bool = False, reduce: str = "sum", self_loops: Optional[str] = None,
                 index_dtype: Optional[torch.dtype] = None, remove_edge_index: bool = False):
        if not isinstance(attr, str):
            raise TypeError(f"ToCSR: attr must be an attribute name (a string), got {attr!r}")
        if not attr.isidentifier():
            raise ValueError(f"ToCSR: attr must be a valid attribute name like 'adj', got {attr!r}")
        # checked here, so a bad option fails when the transform is built, not on the first graph
        self.attr = attr
        self.options = dict(flow=_validate.choice(flow, "ToCSR: flow", _FLOWS),
                            symmetrize=flag(symmetrize, "symmetrize", "ToCSR"), dedupe=flag(dedupe, "dedupe", "ToCSR"),
                            reduce=_validate.choice(reduce, "ToCSR: reduce", _REDUCES),
                            self_loops=_validate.choice(self_loops, "ToCSR: self_loops", (None, "add", "remove")),
                            index_dtype=_validate.choice(index_dtype, "ToCSR: index_dtype",
                                                         (None, torch.int32, torch.int64)))
        self.remove_edge_index = flag(remove_edge_index, "remove_edge_index", "ToCSR")

    def forward(self, data: Any) -> Any:
        if getattr(data, "edge_index", None) is None:
            raise ValueError("ToCSR needs a Data with edge_index")
        data[self.attr] = as_csr(data, **self.options, name="data")
        if self.remove_edge_index:
            num_nodes = data.num_nodes
            del data.edge_index
            if "edge_weight" in data:
                del data.edge_weight
            data.num_nodes = num_nodes
        return data

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.options.items() if v != _DEFAULTS[k]}
        args = [repr(self.attr)] if self.attr != "adj" else []
        args += [f"{k}={v!r}" for k, v in changed.items()]
        if self.remove_edge_index:
            args.append("remove_edge_index=True")
        return f"{type(self).__name__}({', '.join(args)})"
