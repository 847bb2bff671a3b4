"""Ops are findable by name: every registered schema is a function of graphlearn.ops (or
``<function>_<variant>``, the rule written in csrc/graphlearn.cpp), and each op family
<op> has csrc/ops/<op>.cpp/.h, csrc/ops/cpu/<op>_kernel.cpp (which registers the CPU
kernels of exactly its schemas), graphlearn/ops/<op>.py and tests/ops/test_<op>.py.
The op functions take a graphlearn.sparse.CSR (annotated, and checked by isinstance)."""
import os
import re
import typing
from types import SimpleNamespace

import pytest
import torch

from graphlearn import CSR, ops
from tests.conftest import graphlearn_schemas, messy_csr, require_compiled

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_QUERIES = {"version", "cuda_compiled"}  # the documented exceptions: no tensors, no Python op


def defined_schemas():
    """Schema names m.def()ed in csrc/graphlearn.cpp."""
    with open(os.path.join(ROOT, "csrc", "graphlearn.cpp")) as f:
        return sorted(set(re.findall(r'm\.def\(\s*"([A-Za-z_][A-Za-z0-9_]*)', f.read())))


def python_op(schema: str):
    """The graphlearn.ops function a schema belongs to: the one whose name it equals, or
    else the longest one it extends as <name>_<variant>."""
    functions = [n for n in ops.__all__ if callable(getattr(ops, n)) and n not in ("compiled", "load_error")]
    if schema in functions:
        return getattr(ops, schema)
    prefixes = [n for n in functions if schema.startswith(n + "_")]
    return getattr(ops, max(prefixes, key=len)) if prefixes else None


def family(schema: str) -> str:
    return python_op(schema).__module__.rsplit(".", 1)[1]


def test_registered_schemas_are_those_of_graphlearn_cpp():
    require_compiled()
    assert graphlearn_schemas() == defined_schemas()


def test_every_schema_is_a_python_name_or_a_variant_of_one():
    require_compiled()
    orphans = [s for s in graphlearn_schemas() if s not in BUILD_QUERIES and python_op(s) is None]
    assert not orphans, (f"schemas {orphans} are neither a function of graphlearn.ops nor <function>_<variant>; "
                         "see the naming rule in csrc/graphlearn.cpp")


def test_renamed_schemas_are_gone():
    require_compiled()
    old = {"common_neighbors_count", "common_neighbors_sets", "khop_dense", "khop_sparse"}
    assert not old & set(graphlearn_schemas())


@pytest.mark.parametrize("schema", sorted(set(defined_schemas()) - BUILD_QUERIES))
def test_op_family_files(schema):
    fam = family(schema)
    for path in (f"csrc/ops/{fam}.cpp", f"csrc/ops/{fam}.h", f"csrc/ops/cpu/{fam}_kernel.cpp",
                 f"graphlearn/ops/{fam}.py", f"tests/ops/test_{fam}.py"):
        assert os.path.isfile(os.path.join(ROOT, path)), f"{schema}: {path} is missing"
    with open(os.path.join(ROOT, "csrc", "ops", "cpu", f"{fam}_kernel.cpp")) as f:
        impls = re.findall(r'm\.impl\(\s*"([A-Za-z0-9_]+)"', f.read())
    assert schema in impls, f"the CPU kernel of {schema} is not registered in csrc/ops/cpu/{fam}_kernel.cpp"


def test_cpu_kernel_files_register_only_their_family():
    cpu_dir = os.path.join(ROOT, "csrc", "ops", "cpu")
    for name in sorted(os.listdir(cpu_dir)):
        if name.endswith("_kernel.cpp"):
            with open(os.path.join(cpu_dir, name)) as f:
                for schema in re.findall(r'm\.impl\(\s*"([A-Za-z0-9_]+)"', f.read()):
                    assert family(schema) + "_kernel.cpp" == name, f"{schema} is registered in {name}"


@pytest.mark.parametrize("name", [n for n in ops.__all__ if n not in ("compiled", "load_error", "reference")])
def test_adjacency_arguments_are_annotated_csr(name):
    fn = getattr(ops, name)
    hints = typing.get_type_hints(fn)
    if "adj" in fn.__code__.co_varnames[:fn.__code__.co_argcount]:
        assert hints["adj"] is CSR, f"graphlearn.ops.{name}: adj is annotated {hints.get('adj')!r}, not CSR"


def test_op_functions_stay_functions_after_their_modules_are_imported():
    """graphlearn.ops.spmm is the function even though graphlearn.ops.spmm is also a module."""
    import graphlearn.ops.segment_softmax  # noqa: F401
    import graphlearn.ops.spmm  # noqa: F401

    for name in ("spmm", "sddmm", "segment_softmax", "common_neighbors", "khop_distances"):
        assert callable(getattr(ops, name)) and getattr(ops, name).__name__ == name
    from graphlearn.ops import csr, reference

    assert csr.__name__ == "graphlearn.ops.csr" and reference.__name__ == "graphlearn.ops.reference"


def test_non_csr_adjacency_is_a_type_error():
    adj = messy_csr(10, 30)
    lookalike = SimpleNamespace(rowptr=adj.rowptr, col=adj.col, value=None, num_rows=10, num_cols=10)
    for call in (lambda: ops.spmm(lookalike, torch.randn(10, 2)),
                 lambda: ops.common_neighbors(lookalike, torch.tensor([[0], [1]])),
                 lambda: ops.khop_distances(lookalike, torch.tensor([0]), 1)):
        # not a CSR: it goes to the one conversion, as_csr, which names the accepted forms
        with pytest.raises(TypeError, match=r"adj must be a graph: a graphlearn CSR, .*got SimpleNamespace"):
            call()
