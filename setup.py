"""Builds graphlearn's compiled core (graphlearn._C). Metadata lives in pyproject.toml.

Environment:
  GRAPHLEARN_PORTABLE=1   do not tune for this machine's CPU (no -march=native)
  GRAPHLEARN_DEBUG=1      -O0 -g
  GRAPHLEARN_SKIP_BUILD=1 install the Python package only (the Makefile then
                          builds the extension in place, incrementally)
  GRAPHLEARN_CUDA=0       never build CUDA kernels (default: build them when torch
                          has CUDA, nvcc exists and csrc/ops/cuda has kernels)
"""
import glob
import importlib.util
import os
import re

from setuptools import setup

ROOT = os.path.dirname(os.path.abspath(__file__))


def read_version():
    text = open(os.path.join(ROOT, "graphlearn", "_version.py")).read()
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def source_hash():
    spec = importlib.util.spec_from_file_location("_build_info", os.path.join(ROOT, "graphlearn", "_build_info.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.source_hash(os.path.join(ROOT, "csrc"))


def write_version_header():
    # Only csrc/graphlearn.cpp includes this, so a change elsewhere recompiles two
    # files, not all of them. Rewritten only when the content changes.
    path = os.path.join(ROOT, "csrc", "version.inc")
    text = f'#define GRAPHLEARN_VERSION "{read_version()}+{source_hash()}"\n'
    if not os.path.exists(path) or open(path).read() != text:
        with open(path, "w") as f:
            f.write(text)


def extensions():
    import torch
    from torch.utils import cpp_extension

    write_version_header()
    sources = sorted(glob.glob(os.path.join("csrc", "*.cpp")) + glob.glob(os.path.join("csrc", "ops", "*.cpp"))
                     + glob.glob(os.path.join("csrc", "ops", "cpu", "*.cpp")))
    cuda_sources = sorted(glob.glob(os.path.join("csrc", "ops", "cuda", "*.cu")))
    debug = os.environ.get("GRAPHLEARN_DEBUG", "0") == "1"
    cxx = ["-O0", "-g"] if debug else ["-O3"]
    # as torch itself: lets branch-free selects and comparisons vectorise; IEEE results unchanged
    cxx += ["-fopenmp", "-Wall", "-Wno-unknown-pragmas", "-fno-trapping-math", "-fno-math-errno"]
    if os.environ.get("GRAPHLEARN_PORTABLE", "0") != "1" and not debug:
        cxx.append("-march=native")
    with_cuda = (os.environ.get("GRAPHLEARN_CUDA", "1") != "0" and torch.version.cuda is not None
                 and cpp_extension.CUDA_HOME is not None and len(cuda_sources) > 0)
    kwargs = dict(extra_compile_args={"cxx": cxx}, extra_link_args=["-fopenmp"])
    if with_cuda:
        kwargs["extra_compile_args"]["cxx"].append("-DGRAPHLEARN_WITH_CUDA")
        kwargs["extra_compile_args"]["nvcc"] = ["-O3", "-DGRAPHLEARN_WITH_CUDA", "--expt-relaxed-constexpr"]
        return [cpp_extension.CUDAExtension("graphlearn._C", sources + cuda_sources, **kwargs)]
    return [cpp_extension.CppExtension("graphlearn._C", sources, **kwargs)]


def cmdclass():
    from torch.utils.cpp_extension import BuildExtension

    return {"build_ext": BuildExtension.with_options(no_python_abi_suffix=True)}


if os.environ.get("GRAPHLEARN_SKIP_BUILD", "0") == "1":
    setup()
else:
    setup(ext_modules=extensions(), cmdclass=cmdclass())
