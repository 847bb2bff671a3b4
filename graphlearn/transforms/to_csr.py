"""``ToCSR``: attach the graph contract's CSR to a Data, computed once."""
from __future__ import annotations

from typing import Any, Optional

import torch
from torch_geometric.transforms import BaseTransform

from graphlearn.sparse import as_csr

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
        attr: the attribute to set.
        flow, symmetrize, dedupe, reduce, self_loops, index_dtype: as in
            :func:`graphlearn.sparse.as_csr`.
        remove_edge_index: delete ``edge_index`` (and ``edge_weight``) afterwards,
            so the graph is stored once.
    """

    def __init__(self, attr: str = "adj", *, flow: str = "source_to_target", symmetrize: bool = False,
                 dedupe: bool = False, reduce: str = "sum", self_loops: Optional[str] = None,
                 index_dtype: Optional[torch.dtype] = None, remove_edge_index: bool = False):
        self.attr = attr
        self.options = dict(flow=flow, symmetrize=symmetrize, dedupe=dedupe, reduce=reduce, self_loops=self_loops,
                            index_dtype=index_dtype)
        self.remove_edge_index = remove_edge_index

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
