"""Does the share of reports citing a motive change over time or with an indicator?"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as sps

from cftf_analysis.errors import AnalysisError, ArgumentError
from cftf_analysis.options import check_fraction, check_literal, renamed_argument
from cftf_analysis.vocab import MOTIVES

__all__ = ["MOTIVE_TREND_COLUMNS", "motive_share_trend"]

MOTIVE_TREND_COLUMNS = [
    "motive",
    "against",
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "ci_low",
    "ci_high",
    "odds_ratio",
    "odds_ratio_low",
    "odds_ratio_high",
    "scale",
    "n_obs",
    "n_citing",
    "method",
]


@renamed_argument("alpha", "conf_level", convert=lambda a: 1 - a)
def motive_share_trend(
    reports: pd.DataFrame,
    *,
    motive: str = "financial",
    against: Literal["time"] | str = "time",
    panel: pd.DataFrame | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Binomial GLM of whether a report cites a motive, against time or an indicator.

    Parameters
    ----------
    reports
        Output of :func:`cftf_analysis.load_reports`.
    motive
        One of :data:`cftf_analysis.vocab.MOTIVES` (``"financial"``,
        ``"corruption"``, ``"violence"``, ``"ideology"``,
        ``"living_conditions"``, ``"joined_for_money"``).
    against
        ``"time"`` (years since the first report) or a column of ``panel``
        such as ``"revenue_total"``; each report gets the panel value of the
        month holding the midpoint of its publication interval.
    panel
        Output of :func:`cftf_analysis.monthly_panel`; needed unless
        ``against="time"``.
    conf_level
        Confidence level of the intervals (``alpha=`` is its deprecated
        spelling, ``1 - conf_level``).

    Returns
    -------
    pandas.DataFrame
        Two rows (``term`` = ``"intercept"`` and the slope term named after
        ``against``) with columns :data:`MOTIVE_TREND_COLUMNS`: log-odds
        ``estimate`` with its Wald ``std_error``, ``statistic`` (z),
        ``p_value`` and confidence interval, the ``odds_ratio`` (exp of the
        estimate) and its interval, ``scale`` (the slope is per this many
        units: one year for time, one standard deviation of the indicator
        among the reports otherwise), ``n_obs`` reports used and
        ``n_citing`` of them citing the motive.

    Notes
    -----
    Motive flags are lower bounds (1 = cited in the text read, 0 = not
    seen), so a trend in the share can reflect what outlets chose to print
    as much as what defectors said. Reports outside the indicator's coverage
    are left out with a warning.

    Examples
    --------
    >>> import cftf_analysis as cftf
    >>> res = motive_share_trend(cftf.load_reports(), motive="violence")
    >>> res["term"].tolist()
    ['intercept', 'time']
    >>> int(res.loc[1, "n_obs"]), int(res.loc[1, "n_citing"])
    (146, 59)
    """
    check_literal(motive, MOTIVES, "motive")
    check_fraction(conf_level, "conf_level")
    flag = reports[f"motive_{motive}"].to_numpy(dtype=float)
    mid = reports["published_start"] + (reports["published_end"] - reports["published_start"]) / 2
    if against == "time":
        x = ((mid - mid.min()).dt.days / 365.25).to_numpy(dtype=float)
        scale = 1.0
    else:
        if panel is None:
            raise ArgumentError(f"against={against!r} needs panel= (from monthly_panel)")
        if against not in panel.columns:
            raise ArgumentError(f"against={against!r} is not a column of panel")
        lookup = panel.set_index("month")[against]
        x = lookup.reindex(mid.dt.to_period("M").dt.to_timestamp()).to_numpy(dtype=float)
        scale = float(np.nanstd(x, ddof=1)) if np.isfinite(x).sum() > 1 else np.nan
        if not np.isfinite(scale) or scale == 0:
            raise AnalysisError(f"'{against}' does not vary over the reports' months")
        x = x / scale
    keep = np.isfinite(x)
    if (~keep).any():
        warnings.warn(
            f"{int((~keep).sum())} reports fall outside the months where '{against}' is known "
            "and are left out",
            stacklevel=2,
        )
    y, x = flag[keep], x[keep]
    n_citing = int(y.sum())
    if len(y) < 10:
        raise AnalysisError(f"only {len(y)} reports to fit; need at least 10")
    if n_citing == 0 or n_citing == len(y):
        raise AnalysisError(
            f"{n_citing} of {len(y)} reports cite '{motive}': the share cannot be modelled"
        )
    design = sm.add_constant(x, has_constant="add")
    fit = sm.GLM(y, design, family=sm.families.Binomial()).fit()
    z = sps.norm.ppf((1 + conf_level) / 2)
    est, se = np.asarray(fit.params), np.asarray(fit.bse)
    out = pd.DataFrame(
        {
            "motive": motive,
            "against": against,
            "term": ["intercept", against],
            "estimate": est,
            "std_error": se,
            "statistic": est / se,
            "p_value": np.asarray(fit.pvalues),
            "ci_low": est - z * se,
            "ci_high": est + z * se,
        }
    )
    out["odds_ratio"] = np.exp(out["estimate"])
    out["odds_ratio_low"] = np.exp(out["ci_low"])
    out["odds_ratio_high"] = np.exp(out["ci_high"])
    out["scale"] = [np.nan, scale]
    out["n_obs"] = len(y)
    out["n_citing"] = n_citing
    out["method"] = "binomial GLM (logit), Wald"
    return out[MOTIVE_TREND_COLUMNS]
