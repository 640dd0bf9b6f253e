"""Package-level behaviour: lazy imports, error hierarchy, data found when installed."""

from __future__ import annotations

import subprocess
import sys
import zipfile

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
