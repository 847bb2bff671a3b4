"""ToCSR checks its options when it is built, not on the first graph."""
import pytest
import torch

from graphlearn.transforms import ToCSR


def test_options_checked_at_construction():
    with pytest.raises(TypeError, match="ToCSR: attr must be an attribute name"):
        ToCSR(5)
    with pytest.raises(ValueError, match="ToCSR: attr must be a valid attribute name like 'adj', got ''"):
        ToCSR("")
    for kw, message in (({"flow": "x"}, "ToCSR: flow must be one of 'source_to_target', 'target_to_source'"),
                        ({"reduce": "x"}, "ToCSR: reduce must be one of 'sum'"),
                        ({"self_loops": "keep"}, "ToCSR: self_loops must be one of None, 'add', 'remove'"),
                        ({"index_dtype": torch.float32}, "ToCSR: index_dtype must be one of None")):
        with pytest.raises(ValueError, match=message):
            ToCSR(**kw)
    for kw in ({"symmetrize": "yes"}, {"dedupe": 1}, {"remove_edge_index": None}):
        with pytest.raises(TypeError, match="must be True or False"):
            ToCSR(**kw)
    assert repr(ToCSR(symmetrize=True, index_dtype=torch.int32)) == "ToCSR(symmetrize=True, index_dtype=torch.int32)"
