"""The documentation site (docs/, mkdocs.yml): what it documents, what it copies, that it builds.

- The API pages document exactly the public names: every name in ``cftf_analysis.__all__``
  once, plus the further names of the public subpackages' ``__all__``, and nothing else.
- Every table copied into a page (or into the README) from a results file or the README is
  still in its source.
- Every ``cftf.<name>`` and ``cftf_analysis.<path>`` a page mentions exists.
- The tour's code runs, and ``mkdocs build --strict`` (warnings are errors) succeeds.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import types
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import cftf_analysis as cftf

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
PAGES = sorted(DOCS.rglob("*.md"))
API_PAGES = sorted((DOCS / "api").glob("*.md"))
ENTRY = re.compile(r"^::: (\S+)\s*$", re.MULTILINE)
COPIED = re.compile(r"^<!-- copied from (\S+?):")


def resolve(path: str) -> object:
    """The object at a dotted path: the longest importable module, then attributes."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


def api_entries() -> list[str]:
    """Every ``::: path`` entry of the API pages, in page order."""
    return [m.group(1) for page in API_PAGES for m in ENTRY.finditer(page.read_text())]


def submodule_names() -> dict[str, set[str]]:
    """Public subpackage -> the public names it adds to the top-level ones."""
    top = set(cftf.__all__)
    return {
        sub: set(getattr(cftf, sub).__all__) - top
        for sub in cftf.__all__
        if isinstance(getattr(cftf, sub), types.ModuleType)
    }


def test_api_pages_document_exactly_the_public_names():
    entries = api_entries()
    repeated = [path for path, n in Counter(entries).items() if n > 1]
    assert not repeated, f"documented more than once: {repeated}"
    extra = submodule_names()
    top_documented: list[str] = []
    sub_documented: dict[str, set[str]] = {sub: set() for sub in extra}
    not_public = []
    for path in entries:
        obj, name = resolve(path), path.rsplit(".", 1)[-1]
        if name in cftf.__all__ and getattr(cftf, name) is obj:
            top_documented.append(name)
            continue
        owners = [s for s in extra if name in extra[s] and getattr(getattr(cftf, s), name) is obj]
        if owners:
            sub_documented[owners[0]].add(name)
        else:
            not_public.append(path)
    assert not not_public, f"documented but not public: {not_public}"
    assert len(top_documented) == len(set(top_documented)), "a public name documented twice"
    missing = sorted(set(cftf.__all__) - set(top_documented))
    assert not missing, f"public names missing from docs/api/: {missing}"
    for sub, names in extra.items():
        gap = sorted(names - sub_documented[sub])
        assert not gap, f"cftf.{sub} names missing from docs/api/: {gap}"


def test_copied_tables_are_still_in_their_sources():
    n_blocks = 0
    for page in [*PAGES, ROOT / "README.md"]:
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            match = COPIED.match(line)
            if not match:
                continue
            n_blocks += 1
            source = ROOT / match.group(1)
            have = {row.rstrip() for row in source.read_text().splitlines()}
            block = []
            for row in lines[i + 1 :]:
                if not row.startswith("|"):
                    break
                block.append(row)
            assert len(block) >= 3, f"{page.name}: the table copied from {source.name} is empty"
            stale = [row for row in block if row.rstrip() not in have]
            assert not stale, f"{page.name}: lines no longer in {match.group(1)}: {stale}"
    assert n_blocks >= 10


def test_names_the_pages_mention_exist():
    missing = []
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"\bcftf\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?", text):
            first, second = match.groups()
            obj = getattr(cftf, first, None)
            if obj is None:
                missing.append(f"{page.name}: {match.group(0)}")
            elif second and isinstance(obj, types.ModuleType) and not hasattr(obj, second):
                missing.append(f"{page.name}: {match.group(0)}")
        for match in re.finditer(r"\bcftf_analysis(?:\.[A-Za-z_]\w*)+", text):
            try:
                resolve(match.group(0))
            except (ImportError, AttributeError):
                missing.append(f"{page.name}: {match.group(0)}")
    assert not missing, missing


def test_every_api_entry_is_on_a_page_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in API_PAGES:
        assert f"api/{page.name}" in nav, f"docs/api/{page.name} is not in the nav"


@pytest.mark.slow
def test_tour_code_runs():
    code = re.findall(r"^```python\n(.*?)^```", (DOCS / "tour.md").read_text(), re.S | re.M)
    assert len(code) > 10
    namespace: dict[str, object] = {}
    for block in code:
        exec(compile(block, "docs/tour.md", "exec"), namespace)


@pytest.mark.slow
def test_strict_build(tmp_path):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # generated pages: every command in the CLI reference, every figure in the gallery
    import typer.main

    from cftf_analysis.cli import app

    cli = (site / "cli" / "index.html").read_text()
    for command in typer.main.get_command(app).commands:
        assert f"cftf-analysis {command}" in cli
    gallery = (site / "gallery" / "index.html").read_text()
    for name, spec in cftf.figures.FIGURES.items():
        assert (site / "gallery" / f"{name}.png").is_file()
        assert spec.title in gallery
    # the calibration pages include their source files
    latent = (site / "calibration" / "latent-coverage" / "index.html").read_text()
    assert "model&#39;s own process" in latent or "model's own process" in latent


def _rate_rows(path: Path) -> pd.DataFrame:
    """The rate rows of a calibration page: leading cells, rate, and its interval's ends."""
    rows = []
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"\[[\d.]+, [\d.]+\]", cells[-2]):
            low, high = (float(v) for v in cells[-2].strip("[]").split(", "))
            rows.append((*cells[:-3], float(cells[-3]), low, high))
    return pd.DataFrame(rows)


def test_readme_calibration_prose_quotes_the_calibration():
    """The numbers the README's battery-calibration section and the methods page quote in
    words are read back from validation/results/ (the copied tables are checked above)."""
    results = ROOT / "validation" / "results"
    table = _rate_rows(results / "battery_calibration.md")
    table.columns = ["planted", "series", "method", "finding", "rate", "low", "high"]
    null = table[table["planted"] == "null"]
    default = null[null["method"] == "latent, Monte Carlo p (default)"]
    assert len(default) == 8
    assert ((default["low"] <= 0.05) & (default["high"] >= 0.05)).all()  # "every interval..."
    granger = default[default["finding"].str.startswith("granger")]
    linear = null[(null["method"] == "linear interpolation, Rubin p")
                  & (null["finding"] == "count_model")]["rate"]  # fmt: skip
    compared = _rate_rows(results / "granger_statistics.md")
    compared.columns = ["series", "finding", "statistic", "rate", "low", "high"]
    d2 = compared[compared["statistic"] == "D2"]["rate"]
    average = compared[compared["statistic"] == "F of the average draw"]
    # the comparison ran on the calibration's own datasets: the default's rates agree
    pd.testing.assert_series_equal(
        average.set_index(["series", "finding"])["rate"].sort_index(),
        granger.set_index(["series", "finding"])["rate"].sort_index(),
    )
    text = README.read_text().split("### On the bundled design")[1].split("\n## ")[0]
    text = re.sub(r"\s+", " ", text)
    methods = re.sub(r"\s+", " ", (ROOT / "docs" / "methods.md").read_text())
    for phrase in [
        f"({linear.iloc[0]:.3f} and {linear.iloc[1]:.3f} above)",
        f"({default['rate'].min():.3f} to {default['rate'].max():.3f}, every interval covering",
        f"({d2.min():.3f} to {d2.max():.3f} on the same datasets)",
        f"({granger['rate'].min():.3f} to {granger['rate'].max():.3f}; `validation/results/",
    ]:
        assert phrase in text, phrase
    for phrase in [
        f"at 5% ({d2.min():.3f} to {d2.max():.3f})",
        f"at about their level ({granger['rate'].min():.3f} to {granger['rate'].max():.3f};",
    ]:
        assert phrase in methods, phrase
