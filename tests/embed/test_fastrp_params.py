"""FastRP's hyper-parameters (issue 11): what a numeric Python user passes is accepted
(NumPy integers, tensors of weights), what would be truncated or overflow is refused
naming the parameter and the range, no run returns NaN, infinite or accidentally
all-zero embeddings, and a run that cannot fit in memory says so before allocating."""
import numpy as np
import pytest
import torch

from graphlearn.embed import FastRP
from tests.conftest import run_isolated

RING = torch.arange(50)
GRAPH = torch.stack([torch.cat([RING, (RING + 1) % 50]), torch.cat([(RING + 1) % 50, RING])])


def embed(**params):
    params = {"dim": 8, **params}
    return FastRP(**params).fit_transform(GRAPH, num_nodes=50)


# --------------------------------------------------------- numeric types (class 5)

@pytest.mark.parametrize("params", [
    dict(dim=np.int64(8)), dict(dim=torch.tensor(8)), dict(random_state=np.uint32(3)),
    dict(random_state=torch.tensor(3)), dict(random_state=2**63 - 1),
    dict(iteration_weights=torch.tensor([0.0, 1.0, 1.0])), dict(iteration_weights=np.array([0.0, 1.0, 1.0])),
    dict(iteration_weights=[np.float32(1.0), 2]), dict(normalization_strength=torch.tensor(-0.5)),
    dict(self_influence=np.float32(0.5)), dict(sparsity=np.int64(3)), dict(sparsity=torch.tensor(3.0)),
    dict(feature_ratio=np.float64(0.0)), dict(normalize_iterations=np.bool_(False)), dict(progress=0),
], ids=lambda p: f"{next(iter(p))}={type(next(iter(p.values()))).__name__}")
def test_numeric_types_are_accepted(params):
    emb = embed(**params)
    assert emb.shape[0] == 50 and np.isfinite(emb).all()
    plain = {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in params.items()}
    np.testing.assert_array_equal(emb, embed(**plain))  # the same run as with plain Python values


@pytest.mark.parametrize("name,value,error,pattern", [
    ("random_state", 1.5, TypeError, r"random_state must be an integer in \[0, 9223372036854775807\], got 1.5"),
    ("random_state", 2**64, ValueError, r"random_state must be an integer in \[0, 9223372036854775807\]"),
    ("random_state", 2**63, ValueError, r"random_state must be an integer in \[0, 9223372036854775807\]"),
    ("random_state", -1, ValueError, r"random_state must be an integer in \[0, "),
    ("dim", 8.0, TypeError, r"dim must be an integer"),
    ("dim", True, TypeError, r"dim must be an integer"),
    ("dim", 0, ValueError, r"dim must be an integer in \[1, "),
    ("dim", 2**63, ValueError, r"dim must be an integer in \[1, 9223372036854775807\]"),
    ("iteration_weights", "1,2", TypeError, r"iteration_weights must be a sequence of numbers"),
    ("iteration_weights", (True, 1.0), TypeError, r"iteration_weights\[0\] must be a number"),
    ("iteration_weights", torch.ones(2, 2), ValueError, r"iteration_weights must be a 1-D sequence"),
    ("normalization_strength", "0.5", TypeError, r"normalization_strength must be a number"),
    ("sparsity", "3", ValueError, r"sparsity must be 'sqrt' or a number in \[1, 2\*\*53\]"),
    ("sparsity", 0.5, ValueError, r"sparsity must be a number >= 1.0, got 0.5"),
    ("feature_ratio", True, TypeError, r"feature_ratio must be a number"),
    ("feature_ratio", float("nan"), ValueError, r"feature_ratio must be a finite number"),
    ("normalize_iterations", "no", TypeError, r"normalize_iterations must be True or False"),
    ("progress", 2, TypeError, r"progress must be True or False"),
    ("output", "L2", ValueError, r"output must be one of 'standardize', 'l2', 'none'"),
])
def test_refused_values_name_the_parameter(name, value, error, pattern):
    with pytest.raises(error, match=pattern):
        embed(**{name: value})


# ----------------------------------------------------- non-finite output (class 4)

@pytest.mark.parametrize("params,pattern", [
    (dict(self_influence=1e308), r"self_influence must be a number in \[-3.4e\+38, 3.4e\+38\].*float32"),
    (dict(iteration_weights=(1e39,)), r"iteration_weights\[0\] must be a number in \[-3.4e\+38, 3.4e\+38\]"),
    (dict(iteration_weights=(0.0, -1e39)), r"iteration_weights\[1\] must be"),
    (dict(sparsity=1e300), r"sparsity must be 'sqrt' or a number in \[1, 2\*\*53\]"),
    (dict(sparsity=1e20), r"sparsity must be 'sqrt' or a number in \[1, 2\*\*53\]"),
    (dict(iteration_weights=(1e-50,)), r"iteration_weights\[0\] must be 0 or at least 1.2e-38"),
    (dict(iteration_weights=(0.0,), self_influence=0.0), r"all zero"),
])
def test_out_of_range_weights_are_refused_up_front(params, pattern):
    with pytest.raises(ValueError, match=pattern):
        embed(**params)


@pytest.mark.parametrize("params,pattern", [
    (dict(iteration_weights=(3e38, 3e38), output="none"), r"NaN or infinite .*the weights are huge"),
    (dict(self_influence=3e38, iteration_weights=(3e38,), output="l2"), r"NaN or infinite .*iteration_weights"),
    (dict(normalization_strength=-200.0), r"normalization_strength underflows to 0 in float32 for 50 nodes"),
    (dict(normalization_strength=300.0), r"normalization_strength overflows float32"),
    (dict(iteration_weights=(1.0,) * 200, propagation="adjacency", normalize_iterations=False),
     r"NaN or infinite .*propagation='adjacency'"),
    (dict(iteration_weights=(1.0,) * 300, propagation="adjacency"), r"at iteration \d+ .*norms overflow"),
    (dict(dim=1, sparsity=2.0**53), r"random projection is all zero: with sparsity s = 9.0072e\+15"),
])
def test_non_finite_or_zero_embeddings_are_refused(params, pattern):
    with pytest.raises(ValueError, match=pattern):
        embed(**params)


def test_walks_that_vanish_are_refused():
    """A directed chain has no walk of length 3: weights only on step 3 give zeros."""
    chain = torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match=r"all zero: every weighted power M\^i X0 vanished.*direction='both'"):
        FastRP(dim=8, iteration_weights=(0.0, 0.0, 1.0)).fit_transform(chain)
    assert np.isfinite(FastRP(dim=8, iteration_weights=(0.0, 0.0, 1.0), direction="both").fit_transform(chain)).all()


def test_large_finite_weights_still_give_the_scaled_result():
    """Weights near float32's limit are fine when their sum stays finite: FastRP's
    standardised (and l2) output does not depend on the weights' common scale."""
    for output in ("standardize", "l2"):
        small = embed(iteration_weights=(0.0, 1.0, 2.0), output=output)
        huge = embed(iteration_weights=(0.0, 1e37, 2e37), output=output)
        np.testing.assert_allclose(huge, small, rtol=1e-4, atol=1e-5)


def test_defaults_and_paper_setting_unchanged():
    emb = FastRP.paper_blogcatalog(dim=16).fit_transform(GRAPH, num_nodes=50)
    assert np.isfinite(emb).all() and np.abs(emb).sum() > 0


# -------------------------------------------------------------- memory (class 6)

MEMORY = """
import sys, torch
from graphlearn.embed import FastRP
ring = torch.arange(50)
try:
    FastRP(dim=int(sys.argv[1]), iteration_weights=eval(sys.argv[2])).fit_transform(torch.stack([ring, (ring + 1) % 50]))
except MemoryError as e:
    print("MemoryError:", e)
else:
    print("ran")
"""


@pytest.mark.parametrize("dim", [10**12, 2**62, 2**40])
def test_huge_dim_says_how_much_memory_before_allocating(dim):
    proc = run_isolated(MEMORY, args=[dim, "(0.0, 1.0, 1.0)"], timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"MemoryError: FastRP with dim={dim} on 50 nodes needs about "), proc.stdout
    assert "of memory is available; lower dim" in proc.stdout


def test_memory_estimate_counts_the_buffers():
    """Two [n, dim] buffers with the paper's weights, three with others (README)."""
    paper = FastRP(dim=100, iteration_weights=(0.0, 0.0, 1.0, 6.67))
    other = FastRP(dim=100, iteration_weights=(1.0, 0.0, 1.0))
    assert paper.estimate_memory(1000) == 2 * 1000 * 100 * 4
    assert other.estimate_memory(1000) == 3 * 1000 * 100 * 4
    assert FastRP(dim=100, iteration_weights=(1.0, 1.0)).estimate_memory(10) == 2 * 10 * 100 * 4
    assert FastRP(dim=100, iteration_weights=(), self_influence=1.0).estimate_memory(10) == 2 * 10 * 100 * 4


def test_memory_limit_override_refuses_what_does_not_fit():
    code = MEMORY.replace("import sys, torch", "import os, sys, torch\nos.environ['GRAPHLEARN_MEMORY_LIMIT'] = '100000'")
    proc = run_isolated(code, args=[2048, "(0.0, 0.0, 1.0, 6.67)"], timeout=120)
    assert proc.stdout.startswith("MemoryError: FastRP with dim=2048 on 50 nodes needs about 800.0 KiB, but only "
                                  "97.7 KiB of memory is available"), proc.stdout + proc.stderr
    proc = run_isolated(code, args=[64, "(0.0, 0.0, 1.0, 6.67)"], timeout=120)
    assert proc.stdout.strip() == "ran", proc.stderr
