"""Visual regression: each report figure, rendered on the bundled data, against a stored image.

The figures are drawn by :func:`cftf_analysis.figures.make_figure` from the
standard battery (with few sensitivity draws), saved as PNG at
:data:`BASELINE_DPI` through :func:`cftf_analysis.figures.save_figure` and
compared with ``tests/figures/baseline/<name>.png`` by matplotlib's
``compare_images`` (RMS difference of the pixel values, 0-255, at most
:data:`RMS_TOLERANCE`). After a deliberate change to a figure, look at the new
images and store them with ``make update-figure-baselines`` (or
``pytest -m visual tests/figures --update-baselines``); see
``tests/figures/baseline/README.md``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib import font_manager
from matplotlib.testing.compare import compare_images

from cftf_analysis.figures import FIGURES, make_figure, report_theme, save_figure

BASELINE_DIR = Path(__file__).parent / "baseline"
#: Resolution of the stored images (modest, to keep the repository small).
BASELINE_DPI = 100
#: Largest RMS pixel difference (0-255) accepted: a moved label or a changed
#: bar fails it; antialiasing differences between FreeType builds do not.
RMS_TOLERANCE = 2.0
#: Bound on the stored images' total size.
MAX_TOTAL_BYTES = 2_000_000

pytestmark = pytest.mark.visual


def test_text_uses_matplotlibs_bundled_dejavu():
    """Deterministic text: the report theme resolves to the DejaVu Sans shipped with matplotlib."""
    with report_theme():
        path = Path(font_manager.findfont(font_manager.FontProperties(family=["sans-serif"])))
        assert mpl.rcParams["text.hinting"] == "none"
    assert path.name == "DejaVuSans.ttf"
    assert Path(mpl.get_data_path()) in path.parents


@pytest.mark.parametrize("name", list(FIGURES))
def test_figure_matches_baseline(name, battery, request, tmp_path):
    fig, _ = make_figure(name, battery)
    with report_theme():
        (actual,) = save_figure(fig, tmp_path / name, formats=("png",), dpi=BASELINE_DPI)
    plt.close(fig)
    expected = BASELINE_DIR / f"{name}.png"
    if request.config.getoption("--update-baselines"):
        BASELINE_DIR.mkdir(exist_ok=True)
        expected.write_bytes(actual.read_bytes())
        pytest.skip(f"baseline written: {expected}")
    if not expected.exists():
        pytest.fail(f"no baseline {expected}; run `make update-figure-baselines`")
    diff = compare_images(str(expected), str(actual), tol=RMS_TOLERANCE)
    assert diff is None, (
        f"{name} differs from its baseline: {diff}\n"
        f"new image: {actual} (and the -failed-diff image beside it). If the change is "
        "intended, look at it, then run `make update-figure-baselines`."
    )


def test_baselines_stay_small():
    sizes = {p.name: p.stat().st_size for p in BASELINE_DIR.glob("*.png")}
    assert set(sizes) == {f"{name}.png" for name in FIGURES}
    assert sum(sizes.values()) < MAX_TOTAL_BYTES, sizes
