"""Running a loader on damaged input in a fresh interpreter (not collected by pytest).

Cases that segfaulted or tried to allocate tens of GiB before the loaders checked
their input run through :func:`tests.conftest.run_isolated`, so that a regression
fails one test instead of killing the run or the machine: the child caps its own
address space (8 GiB) before importing anything."""
from __future__ import annotations

import json

from tests.conftest import run_isolated

_PRELUDE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))
import graphlearn.datasets as D
args = json.loads(sys.argv[1])


def attempt(f):
    try:
        out = f()
    except Exception as exc:
        return {{"error": type(exc).__name__, "message": str(exc)}}
    return {{"error": None, "message": repr(out)[:200]}}


try:
    out = {call}
except Exception as exc:
    print(json.dumps({{"error": type(exc).__name__, "message": str(exc)}}))
else:
    print(json.dumps(out if isinstance(out, list) else {{"error": None, "message": repr(out)[:200]}}))
"""


def call_isolated(call: str, *args, timeout: float = 300, env=None):
    """Evaluates `call` (an expression using ``D`` = ``graphlearn.datasets`` and ``args``,
    the JSON-encoded `args`) in a fresh interpreter. Returns ``{"error": exception type
    name or None, "message": str}``; fails the test if the child died of a signal.
    ``attempt(lambda: ...)`` in `call` gives such a dict per case, so one child can run
    many cases: ``"[attempt(lambda d=d: D.load_tu('X', d)) for d in args]"``."""
    proc = run_isolated(_PRELUDE.format(call=call), args=(json.dumps(list(args)),), timeout=timeout, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(("{", "["))]
    assert lines, f"no result from the child (rc {proc.returncode})\n{proc.stderr[-3000:]}"
    return json.loads(lines[-1])


def expect_error(call: str, *args, error: str = "ValueError", contains=(), **kw) -> str:
    """Asserts that `call` raises `error` whose message contains every string in `contains`;
    returns the message."""
    res = call_isolated(call, *args, **kw)
    assert res["error"] == error, res
    for c in contains:
        assert c in res["message"], (c, res["message"])
    return res["message"]
