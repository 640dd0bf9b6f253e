"""Package-level behaviour: lazy imports, error hierarchy, data found when installed."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

import cftf_analysis as cftf
from cftf_analysis import config, errors


def test_error_hierarchy():
    for cls in (errors.ArgumentError, errors.AnalysisError, errors.DataValidationError):
        assert issubclass(cls, errors.CftfError)
    assert issubclass(errors.DateParseError, errors.DataValidationError)


def test_import_is_light():
    code = (
        "import sys, cftf_analysis; "
        "heavy = [m for m in ('statsmodels', 'matplotlib', 'duckdb', 'pyspark') "
        "if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_names_resolve():
    for name in cftf.__all__:
        assert getattr(cftf, name) is not None


@pytest.mark.slow
def test_wheel_ships_data_and_loads_from_any_directory(tmp_path):
    """A non-editable install finds the bundled data inside the package."""
    root = config.RAW_DIR.parent.parent
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(root),
        ],
        check=True,
    )
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "cftf_analysis/_bundled/raw/defection_reports.csv" in names
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import cftf_analysis as c, cftf_analysis.config as cfg; "
        "print(cfg.RAW_DIR); "
        "print(c.load_reports().shape[0], c.load_indicators().shape[0] > 0)"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # PYTHONPATH puts the unpacked wheel ahead of the editable checkout
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert out.returncode == 0, out.stderr
    raw_dir, counts = out.stdout.strip().splitlines()
    assert raw_dir.startswith(str(target))
    assert counts == "146 True"


def test_no_private_name_crosses_a_module_boundary():
    """No ``from x import _name`` and no ``module._name`` on an imported module."""
    package = Path(cftf.__file__).parent
    found = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text())
        imported_modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.name}:{node.lineno} imports {alias.name}")
                    else:
                        imported_modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    imported_modules.add((alias.asname or alias.name).split(".")[0])
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in imported_modules
                and node.value.id.startswith(("cftf", "config", "errors"))
            ):
                found.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert found == []


def test_version_comes_from_the_package_metadata():
    assert cftf.__version__ == version("cftf-analysis")
    text = (Path(cftf.__file__).parent / "__init__.py").read_text()
    assert "0.1.0" not in text  # written once, in pyproject.toml


WORKFLOW = [
    # loaders and checks
    "load_reports", "load_indicators", "load_events", "validate_file", "data_caveats",
    # panel
    "monthly_panel", "percent_change", "indicator_points",
    # statistics and the battery
    "cross_correlation", "granger_test", "granger_both_ways", "stationarity_tests",
    "fit_count_model", "change_points", "event_effect", "motive_share_trend", "sensitivity",
    "adjust_pvalues", "run_battery", "association_summary", "register_step",
    # tables behind the figures
    "report_count_spread", "motive_shares", "lagged_pairs", "timeline_events",
    # plots and the catalog
    "plot_report_counts", "plot_indicator", "timeline_figure", "plot_cross_correlation",
    "cross_correlation_figure", "plot_lagged_scatter", "plot_motive_shares",
    "plot_change_points", "plot_rate_ratios", "plot_sensitivity", "sensitivity_figure",
    "save_figure", "report_theme", "make_figure",
    # report and corpus
    "run_report", "count_corpus", "corpus_summary",
]  # fmt: skip


def test_the_whole_workflow_is_reachable_from_the_top_level():
    assert set(WORKFLOW) <= set(cftf.__all__)
    assert "timeline" in cftf.figures.FIGURES
    assert cftf.stats.run_battery is cftf.run_battery
    for sub in (cftf.stats, cftf.figures):
        for name in sub.__all__:
            assert getattr(sub, name) is not None, f"{sub.__name__}.{name}"
