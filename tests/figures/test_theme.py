"""Theme, palette and reproducible saving."""

from __future__ import annotations

import os
import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from cftf_analysis import figures
from cftf_analysis.errors import ArgumentError
from cftf_analysis.tables import report_count_spread

# --- new figures, theme and saving --------------------------------------------------


def test_new_figure_when_no_axes_given(reports):
    ax = figures.plot_report_counts(report_count_spread(reports))
    assert ax.figure.get_figwidth() == pytest.approx(figures.PAGE_WIDTH)
    assert any(t.get_text().startswith("Source") for t in ax.figure.texts)


def test_palette_is_colour_blind_safe():
    okabe = {to_hex(c) for c in figures.OKABE_ITO.values()}
    assert {to_hex(c) for c in figures.PALETTE} <= okabe
    assert len(set(figures.MARKERS)) == len(figures.MARKERS) >= len(figures.PALETTE)
    assert len({str(s) for s in figures.LINESTYLES}) == len(figures.LINESTYLES)


def test_report_theme_is_scoped():
    before = dict(mpl.rcParams)
    with figures.report_theme():
        assert mpl.rcParams["svg.hashsalt"] == "cftf_analysis"
        assert mpl.rcParams["font.size"] == 8
    assert dict(mpl.rcParams) == before


def test_importing_figures_changes_no_rcparams():
    code = (
        "import matplotlib as mpl; before = dict(mpl.rcParams); "
        "import cftf_analysis.figures; print(dict(mpl.rcParams) == before)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"


def _small_figure():
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.plot([0, 1, 2], [1, 3, 2], marker="o")
    ax.set_title("demo")
    figures.add_source(fig, figures.SOURCE_REPORTS)
    return fig


def test_save_figure_writes_each_format_byte_identically(tmp_path):
    fig = _small_figure()
    first = figures.save_figure(fig, tmp_path / "demo", formats=("png", "svg", "pdf"), dpi=80)
    assert [p.name for p in first] == ["demo.png", "demo.svg", "demo.pdf"]
    blobs = [p.read_bytes() for p in first]
    second = figures.save_figure(fig, tmp_path / "demo", formats=("png", "svg", "pdf"), dpi=80)
    assert [p.read_bytes() for p in second] == blobs
    assert sorted(os.listdir(tmp_path)) == ["demo.pdf", "demo.png", "demo.svg"]  # no temp files
    png, svg, pdf = blobs
    assert png.startswith(b"\x89PNG") and b"Software" not in png
    assert b"<dc:date>" not in svg and mpl.__version__.encode() not in svg
    assert b"CreationDate" not in pdf and mpl.__version__.encode() not in pdf


def test_save_figure_constrained_layout_is_reproducible(tmp_path, panel, reports):
    """Repeated constrained-layout passes drift by rounding noise; saving must not."""
    fig = figures.timeline_figure(panel, reports=reports)
    first = [p.read_bytes() for p in figures.save_figure(fig, tmp_path / "a", dpi=50)]
    second = [p.read_bytes() for p in figures.save_figure(fig, tmp_path / "b", dpi=50)]
    assert first == second
    # frozen after the first save
    assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)


def test_save_figure_lays_out_once_and_draws_once_per_format(tmp_path, panel, reports):
    """No layout pass before each format (``cftf-analysis figures`` draws nine figures)."""
    fig = figures.timeline_figure(panel, reports=reports)
    calls = []
    real = Figure.draw

    def counted(self, renderer):
        calls.append(type(renderer).__name__)
        return real(self, renderer)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Figure, "draw", counted)
        figures.save_figure(fig, tmp_path / "t", dpi=50)
    assert len(calls) == 3  # the layout, the PNG, the SVG
    assert fig.get_layout_engine() is None


def test_save_figure_keeps_the_layout_when_the_rcparams_ask_for_one(tmp_path):
    with mpl.rc_context({"figure.constrained_layout.use": True}):
        fig = _small_figure()
        first = figures.save_figure(fig, tmp_path / "a", formats=("svg",))[0].read_bytes()
        second = figures.save_figure(fig, tmp_path / "b", formats=("svg",))[0].read_bytes()
    assert first == second
    assert not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine)


def test_save_figure_same_bytes_from_a_fresh_process(tmp_path):
    """The SVG is identical across interpreter runs (fixed hash salt, no date)."""
    code = (
        "import sys, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt; "
        "from cftf_analysis.figures import save_figure; "
        "fig, ax = plt.subplots(figsize=(3, 2)); ax.plot([0, 1], [1, 0]); "
        "save_figure(fig, sys.argv[1], formats=('svg',))"
    )
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(tmp_path / name)], check=True)
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_save_figure_is_atomic(tmp_path, monkeypatch):
    fig = _small_figure()
    (target,) = figures.save_figure(fig, tmp_path / "demo", formats=("png",), dpi=50)
    good = target.read_bytes()

    def broken(self, fname, **kwargs):
        with open(fname, "wb") as handle:
            handle.write(b"half a file")
        raise RuntimeError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        figures.save_figure(fig, tmp_path / "demo", formats=("png",), dpi=50)
    assert target.read_bytes() == good  # the old file is intact
    assert os.listdir(tmp_path) == ["demo.png"]  # and the temporary file is gone


def test_save_figure_errors(tmp_path):
    fig = _small_figure()
    with pytest.raises(
        ArgumentError, match="format='jpg' is not allowed; use one of 'png', 'svg', 'pdf'"
    ):
        figures.save_figure(fig, tmp_path / "demo", formats=("jpg",))
    with pytest.raises(ArgumentError, match="without a suffix"):
        figures.save_figure(fig, tmp_path / "demo.png")
