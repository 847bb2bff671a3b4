"""The package's module-level import graph has no cycle, and modules import on their own.

The graph is read from the sources (ast), not from a running interpreter, so it
covers every module whatever happens to be imported first. An edge A -> B means
that executing A's body imports B: ``import B``, ``from B import name``, and
``from P import B`` where B is a submodule of P. Imports inside functions and
under ``if TYPE_CHECKING:`` are not followed (they do not run at import time).
Importing ``a.b.c`` also runs the packages ``a`` and ``a.b`` unless the importer
is itself inside them (then they are already running), so A -> a.b.c adds
A -> a.b for a module A outside ``a.b``: that is how ``graphlearn.sparse``
importing ``graphlearn.ops.csr`` runs ``graphlearn/ops/__init__.py``.
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from typing import Dict, List, Optional, Set

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "graphlearn"


def package_modules(root: str = ROOT, package: str = PACKAGE) -> Dict[str, str]:
    """Dotted module name -> source path, for every .py file of the package."""
    modules = {}
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, package)):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and "__init__.py" in os.listdir(os.path.join(dirpath, d)))
        rel = os.path.relpath(dirpath, root).split(os.sep)
        for f in sorted(filenames):
            if f.endswith(".py"):
                parts = rel + ([] if f == "__init__.py" else [f[:-3]])
                modules[".".join(parts)] = os.path.join(dirpath, f)
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def module_level_imports(tree: ast.Module):
    """Import statements that run when the module body runs (not in functions or TYPE_CHECKING blocks)."""
    stack: List[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(reversed(node.orelse))
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _ancestors(name: str) -> List[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph(modules: Dict[str, str]) -> Dict[str, Set[str]]:
    graph: Dict[str, Set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        is_pkg = path.endswith("__init__.py")
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), filename=path)
        targets: Set[str] = set()
        for node in module_level_imports(tree):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
                continue
            if node.level:  # relative import
                base_parts = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base_parts = base_parts[:len(base_parts) - node.level + 1]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module
            for a in node.names:
                sub = f"{base}.{a.name}"
                targets.add(sub if sub in modules else base)
        running = set(_ancestors(mod)) | {mod}  # the importer's own packages are already executing
        for t in targets:
            while t not in modules and "." in t:  # `import graphlearn.x.y` of a name-less path
                t = t.rsplit(".", 1)[0]
            if t not in modules:
                continue  # outside the package
            for m in _ancestors(t) + [t]:
                if m not in running:
                    graph[mod].add(m)
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """One cycle as [a, b, ..., a], or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {m: WHITE for m in graph}
    for start in sorted(graph):
        if color[start] != WHITE:
            continue
        path = [start]
        iters = [iter(sorted(graph[start]))]
        color[start] = GREY
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                color[path.pop()] = BLACK
                iters.pop()
            elif color[nxt] == GREY:
                return path[path.index(nxt):] + [nxt]
            elif color[nxt] == WHITE:
                color[nxt] = GREY
                path.append(nxt)
                iters.append(iter(sorted(graph[nxt])))
    return None


def test_graph_sees_package_and_submodule_edges():
    """The graph is not vacuous: known edges of the package are found."""
    graph = import_graph(package_modules())
    assert "graphlearn.ops.csr" in graph["graphlearn.sparse"]  # from graphlearn.ops import csr
    assert "graphlearn.ops" in graph["graphlearn.sparse"]  # ... which runs graphlearn/ops/__init__.py
    assert "graphlearn.ops.reference" in graph["graphlearn.sparse"]
    assert "graphlearn.sparse" in graph["graphlearn.ops.spmm"]


def test_cycle_detection_reports_the_cycle(tmp_path):
    """A package shaped like graphlearn before its ops/__init__.py became lazy: sparse ->
    ops.csr runs ops/__init__, which imports ops.spmm, which imports sparse."""
    pkg = tmp_path / "pkg"
    (pkg / "ops").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sparse.py").write_text("from pkg.ops import csr\n")
    (pkg / "ops" / "__init__.py").write_text("from pkg.ops.spmm import spmm\n")
    (pkg / "ops" / "csr.py").write_text("import torch\n")
    (pkg / "ops" / "spmm.py").write_text("from typing import TYPE_CHECKING\nfrom pkg.sparse import CSR\n"
                                         "def spmm():\n    from pkg import nothing\n")
    graph = import_graph(package_modules(str(tmp_path), "pkg"))
    assert find_cycle(graph) == ["pkg.ops", "pkg.ops.spmm", "pkg.sparse", "pkg.ops"]
    # the same package with a lazy ops/__init__.py (or a TYPE_CHECKING-only import) has none
    (pkg / "ops" / "__init__.py").write_text("def __getattr__(name):\n    from pkg.ops.spmm import spmm\n")
    assert find_cycle(import_graph(package_modules(str(tmp_path), "pkg"))) is None
    (pkg / "ops" / "__init__.py").write_text("from pkg.ops.spmm import spmm\n")
    (pkg / "ops" / "spmm.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                         "    from pkg.sparse import CSR\n")
    assert find_cycle(import_graph(package_modules(str(tmp_path), "pkg"))) is None


def test_no_import_cycles():
    graph = import_graph(package_modules())
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _all_imports(path: str):
    """(module imported, inside a function?) for every import statement of a file."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), filename=path)
    top = set(map(id, module_level_imports(tree)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, id(node) not in top
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                yield f"{node.module}.{a.name}", id(node) not in top


def test_ops_import_sparse_at_module_level_only():
    """An op module imports CSR at the top; an import of graphlearn.sparse inside a function
    would only hide a cycle. The modules graphlearn.sparse itself imports (the package,
    csr, _args, _ext, reference) do not import it at all."""
    modules = package_modules()
    for mod, path in modules.items():
        if not mod.startswith("graphlearn.ops"):
            continue
        for target, in_function in _all_imports(path):
            imports_sparse = target == "graphlearn.sparse" or target.startswith("graphlearn.sparse.")
            if mod in ("graphlearn.ops", "graphlearn.ops.csr", "graphlearn.ops._args", "graphlearn.ops._ext",
                       "graphlearn.ops.reference"):
                assert not imports_sparse, f"{mod} imports {target}, but graphlearn.sparse imports {mod}"
            else:
                assert not (imports_sparse and in_function), f"{mod} imports {target} inside a function"


@pytest.mark.parametrize("module", ["graphlearn.sparse", "graphlearn.ops.spmm", "graphlearn.ops.common_neighbors",
                                    "graphlearn.ops", "graphlearn.embed", "graphlearn.linkpred"])
def test_module_imports_in_a_fresh_interpreter(module):
    """Imported first, on its own, each module loads (a cycle would leave a name undefined)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([ROOT] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    proc = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
