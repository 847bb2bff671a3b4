# graphlearn: `make demo` and `make test` set everything up on a fresh machine
# (virtual environment, pinned CPU torch, dependencies, compiled core) and run.
PYTHON     ?= python3
VENV       ?= .venv
# A bare `torch` may resolve to a multi-GB CUDA build; pin the CPU wheel (override freely).
TORCH_SPEC ?= torch==2.13.0
MAX_JOBS   ?= 2
PYTEST_ARGS ?=
SLOW       ?= 0

PY   := $(VENV)/bin/python
PIP  := $(PY) -m pip --disable-pip-version-check
SOURCES := $(shell find csrc -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh') setup.py
MARKERS := $(if $(filter 1,$(SLOW)),,-m "not slow")

.PHONY: install demo test bench build clean peers

install: $(VENV)/.built

# Dependencies: pinned torch first, then the package's own (editable, without
# compiling: GRAPHLEARN_SKIP_BUILD) so the extension is built once, below.
$(VENV)/.deps: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q "$(TORCH_SPEC)" setuptools wheel ninja
	GRAPHLEARN_SKIP_BUILD=1 $(PIP) install -q --no-build-isolation -e ".[test,bench]"
	touch $@

# The compiled core, rebuilt incrementally when csrc/ changes.
$(VENV)/.built: $(VENV)/.deps $(SOURCES)
	MAX_JOBS=$(MAX_JOBS) $(PY) setup.py -q build_ext --inplace
	touch $@

build: $(VENV)/.built

demo: install
	$(VENV)/bin/graphlearn demo

test: install
	GRAPHLEARN_REQUIRE_COMPILED=1 $(PY) -m pytest -q $(MARKERS) $(PYTEST_ARGS) tests

bench: install
	$(PY) benchmarks/ops.py

# Embedding peers for benchmarks/embed.py, in a folder of their own (.peers/, found by the
# benchmark): karateclub pins numpy<1.23 / networkx<2.7 / pandas<=1.3.5 and nodevectors pulls
# numba, so they are installed without their pins (--no-deps) next to the venv's numpy/scipy.
PEERS_DIR ?= .peers
PEER_PKGS := nodevectors csrgraph karateclub numba llvmlite gensim smart_open wrapt python-louvain pygsp decorator
peers: install
	$(PIP) install -q --no-deps --target $(PEERS_DIR) $(PEER_PKGS)
	PYTHONPATH=$(PEERS_DIR) $(PY) -c "import nodevectors, karateclub; print('peers import: nodevectors, karateclub')"

clean:
	rm -rf build $(VENV) $(PEERS_DIR) graphlearn/_C*.so csrc/version.inc *.egg-info
