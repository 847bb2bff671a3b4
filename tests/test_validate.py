"""graphlearn._validate: the one definition of integer, real, seed and number-list arguments."""
import math

import numpy as np
import pytest
import torch

from graphlearn import _validate as V
from tests.conftest import run_isolated


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.uint8(3), torch.tensor(3), np.array(3)])
def test_integer_accepts_what_a_numeric_user_passes(value):
    out = V.integer(value, "k")
    assert out == 3 and type(out) is int


@pytest.mark.parametrize("value", [3.7, 3.0, np.float64(3.0), True, np.bool_(True), "3", None,
                                   torch.tensor(3.0), torch.tensor([3]), np.array([3])])
def test_integer_refuses_non_integers_without_truncating(value):
    with pytest.raises(TypeError, match="k must be an integer"):
        V.integer(value, "k")


def test_integer_range_is_named():
    with pytest.raises(ValueError, match=r"k must be an integer in \[0, 5\], got 6"):
        V.integer(6, "k", min=0, max=5)
    with pytest.raises(ValueError, match=r"k must be an integer >= 1, got 0"):
        V.integer(0, "k", min=1)


def test_seed_range():
    assert V.seed(2**63 - 1) == 2**63 - 1
    for bad in (2**63, 2**64, -1):
        with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 9223372036854775807\]"):
            V.seed(bad)
    with pytest.raises(TypeError):
        V.seed(1.5)


def test_real():
    assert V.real(np.float32(0.5), "x") == 0.5 and type(V.real(1, "x")) is float
    assert V.real(torch.tensor(2.0), "x") == 2.0
    for bad in (math.nan, math.inf, -math.inf, 10**400):
        with pytest.raises(ValueError, match="x must be a finite number"):
            V.real(bad, "x")
    assert V.real(math.inf, "x", finite=False) == math.inf
    with pytest.raises(ValueError, match=r"x must be a number in \(0, 1\]"):
        V.real(0, "x", min=0, max=1, min_open=True)
    with pytest.raises(TypeError):
        V.real("1", "x")
    with pytest.raises(TypeError):
        V.real(True, "x")


@pytest.mark.parametrize("value", [[0, 1, 1.5], (0, 1, 1.5), np.array([0, 1, 1.5]), torch.tensor([0., 1., 1.5])])
def test_reals_accepts_lists_arrays_and_tensors(value):
    assert V.reals(value, "w") == [0.0, 1.0, 1.5]


def test_reals_names_the_bad_entry():
    with pytest.raises(ValueError, match=r"w\[1\] must be a finite number"):
        V.reals([1.0, float("inf")], "w")
    with pytest.raises(ValueError, match="at least one"):
        V.reals([], "w")
    with pytest.raises(TypeError):
        V.reals("abc", "w")
    with pytest.raises(ValueError, match="1-D"):
        V.reals(np.ones((2, 2)), "w")


def test_choice():
    assert V.choice("a", "mode", ("a", "b")) == "a"
    with pytest.raises(ValueError, match="mode must be one of 'a', 'b'; got 'c'"):
        V.choice("c", "mode", ("a", "b"))
    with pytest.raises(ValueError):
        V.choice([1], "mode", ("a", "b"))  # unhashable


def test_check_memory_refuses_before_allocating(monkeypatch):
    monkeypatch.setenv("GRAPHLEARN_MEMORY_LIMIT", str(2**30))
    assert V.available_memory() == 2**30
    V.check_memory(2**29, "a buffer")
    with pytest.raises(MemoryError, match=r"the embedding needs about 7.3 TiB, but only 1.0 GiB .*--dim"):
        V.check_memory(8 * 10**12, "the embedding", hint="lower --dim")
    with pytest.raises(MemoryError):
        V.check_memory(2**200, "x")


def test_available_memory_is_positive_without_override(monkeypatch):
    monkeypatch.delenv("GRAPHLEARN_MEMORY_LIMIT", raising=False)
    avail = V.available_memory()
    assert avail is None or avail > 0


def test_real_states_half_open_ranges_plainly():
    with pytest.raises(ValueError, match=r"^lr must be a number > 0, got 0.0$"):
        V.real(0, "lr", min=0, min_open=True)
    with pytest.raises(ValueError, match=r"^p must be a number <= 1, got 2.0$"):
        V.real(2, "p", max=1)
    with pytest.raises(ValueError, match=r"^p must be a finite number < 1, got nan$"):
        V.real(float("nan"), "p", max=1, max_open=True)


def test_checks_never_import_torch():
    """The checks (and their argparse form) work before torch is loaded: the CLI parses
    its options with them before anything heavy is imported."""
    code = ("import sys, argparse\nfrom graphlearn import _validate as V\n"
            "assert V.integer(3, 'k') == 3 and V.reals([1, 2.5], 'w') == [1.0, 2.5] and V.seed(5) == 5\n"
            "p = argparse.ArgumentParser(prog='x')\n"
            "p.add_argument('--k', type=V.arg_type(lambda v, n: V.integer(v, n, min=1)))\n"
            "assert p.parse_args(['--k', '4']).k == 4\n"
            "try:\n    p.parse_args(['--k', '0'])\nexcept SystemExit as e:\n    assert e.code == 2\n"
            "print('torch' in sys.modules)")
    proc = run_isolated(code, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
    assert proc.stderr.strip().splitlines()[-1] == "x: error: argument --k: must be an integer >= 1, got 0"
