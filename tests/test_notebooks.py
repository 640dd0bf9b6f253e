"""Notebooks only call the package's public API (``import cftf_analysis as cftf``).

They run in CI under nbmake (``make test``); this checks what they may import.
"""

from __future__ import annotations

import ast
import json
import re
import types
from pathlib import Path

import pytest

import cftf_analysis as cftf

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def code_of(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] == "code":
            # IPython magics are not Python
            lines += [ln for ln in "".join(cell["source"]).splitlines() if not ln.startswith("%")]
    return "\n".join(lines)


def test_notebooks_are_numbered():
    assert [p.name[:3] for p in NOTEBOOKS] == ["01-", "02-", "03-"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_uses_only_public_names(path):
    tree = ast.parse(code_of(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cftf_analysis"):
            pytest.fail(f"{path.name}: 'from {node.module} import ...'; use cftf.<name>")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("cftf_analysis"):
                    assert (alias.name, alias.asname) == ("cftf_analysis", "cftf"), path.name
    used = set(re.findall(r"\bcftf\.([A-Za-z_]\w*)", code_of(path)))
    assert used, path.name
    assert used <= set(cftf.__all__), f"{path.name}: not public: {used - set(cftf.__all__)}"
    # deeper paths too (cftf.figures.FIGURES): each module on the way lists the next name
    for chain in re.findall(r"\bcftf((?:\.[A-Za-z_]\w*)+)", code_of(path)):
        obj: object = cftf
        for name in chain.lstrip(".").split("."):
            if not isinstance(obj, types.ModuleType):
                break
            assert name in obj.__all__, f"{path.name}: cftf{chain}: {name} is not public"
            obj = getattr(obj, name)
