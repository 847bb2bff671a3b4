"""The README's code must run as printed."""
import os
import re

import pytest

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def test_readme_python_blocks_run():
    text = open(README).read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks
    namespace = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["cn"].tolist() == [1]
    assert namespace["emb"].shape == (100, 64) and namespace["paper"].dim == 512
    assert namespace["dist"].tolist() == [[0, 1, 2]]


def test_readme_leads_with_the_two_commands():
    head = open(README).read().split("##")[0]
    assert "make demo" in head and "make test" in head


@pytest.mark.skipif(not os.path.exists(os.path.join(os.path.dirname(README), "Makefile")), reason="no Makefile")
def test_ci_calls_make_test():
    ci = open(os.path.join(os.path.dirname(README), ".ci", "run")).read()
    assert "make test" in ci
