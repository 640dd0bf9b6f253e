"""motive_share_trend: against statsmodels called directly, and a simulated known slope."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import cftf_analysis as cftf
from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.stats.motives import MOTIVE_TREND_COLUMNS


@pytest.fixture(scope="module")
def reports():
    return cftf.load_reports()


def test_matches_statsmodels_logit(reports):
    res = cftf.motive_share_trend(reports, motive="ideology")
    mid = reports["published_start"] + (reports["published_end"] - reports["published_start"]) / 2
    frame = pd.DataFrame(
        {
            "y": reports["motive_ideology"].astype(float),
            "t": (mid - mid.min()).dt.days / 365.25,
        }
    )
    # statsmodels called directly: smf.logit("y ~ t", frame).fit()
    direct = smf.logit("y ~ t", frame).fit(disp=0)
    assert list(res.columns) == MOTIVE_TREND_COLUMNS
    assert res["estimate"].to_numpy() == pytest.approx(direct.params.to_numpy(), rel=1e-6)
    assert res["std_error"].to_numpy() == pytest.approx(direct.bse.to_numpy(), rel=1e-5)
    assert res["p_value"].to_numpy() == pytest.approx(direct.pvalues.to_numpy(), rel=1e-4)


def test_against_indicator_uses_panel_month(reports):
    panel = cftf.monthly_panel(reports, cftf.load_indicators())
    with pytest.warns(UserWarning, match="outside the months"):
        res = cftf.motive_share_trend(reports, motive="violence", against="territory", panel=panel)
    assert res.loc[1, "term"] == "territory"
    assert res.loc[1, "n_obs"] < len(reports)
    assert res.loc[1, "scale"] > 0


def test_recovers_simulated_slope(rng):
    n = 4000
    days = rng.integers(0, 4 * 365, n)
    start = pd.Timestamp("2014-01-01") + pd.to_timedelta(days, unit="D")
    years = (start - start.min()).days / 365.25
    p = 1 / (1 + np.exp(-(-2.0 + 0.5 * years)))
    frame = pd.DataFrame(
        {"published_start": start, "published_end": start, "motive_financial": rng.random(n) < p}
    )
    res = cftf.motive_share_trend(frame, motive="financial")
    slope = res.set_index("term").loc["time"]
    assert slope["ci_low"] < 0.5 < slope["ci_high"]
    assert slope["p_value"] < 1e-6


def test_errors(reports):
    with pytest.raises(ArgumentError, match="motive='boredom' is not allowed; use one of"):
        cftf.motive_share_trend(reports, motive="boredom")
    with pytest.raises(ArgumentError, match="needs panel"):
        cftf.motive_share_trend(reports, against="revenue_total")
    none = reports.assign(motive_financial=False)
    with pytest.raises(AnalysisError, match="0 of 146"):
        cftf.motive_share_trend(none)


def test_conf_level_and_its_deprecated_spelling(reports):
    wide = cftf.motive_share_trend(reports, conf_level=0.99).iloc[1]
    narrow = cftf.motive_share_trend(reports, conf_level=0.9).iloc[1]
    assert wide["ci_low"] < narrow["ci_low"] < narrow["ci_high"] < wide["ci_high"]
    # scipy.stats.norm.ppf(0.95): the 90% Wald interval is estimate -/+ 1.645 se
    half = narrow["ci_high"] - narrow["estimate"]
    assert half == pytest.approx(1.6448536269514722 * narrow["std_error"], rel=1e-12)
    with pytest.warns(DeprecationWarning, match=r"alpha=0.1 is conf_level=0.9"):
        old = cftf.motive_share_trend(reports, alpha=0.1).iloc[1]
    assert old["ci_low"] == pytest.approx(narrow["ci_low"], rel=1e-12)
