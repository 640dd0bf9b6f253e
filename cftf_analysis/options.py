"""Every option the package accepts, declared once, and the one way to check it.

Each set of allowed strings is a :data:`typing.Literal` type below; functions
annotate their parameters with it, and :func:`check_literal` derives the allowed
values from the same type (:func:`typing.get_args`), so the two can never drift
apart. Integer, fraction and column arguments have their own checks here, and
every check raises :class:`~cftf_analysis.errors.ArgumentError` with one
wording: ``<name>=<value> is not allowed; use one of ...`` or ``<name> must
be ...``.

Names used across the package:

- ``alpha`` is always a *significance level* (a test decision, a share of
  draws with ``p < alpha``);
- ``conf_level`` is always the *confidence level* of an interval (0.95);
- ``nb_dispersion`` is the negative-binomial dispersion (NB2:
  ``var = mu + nb_dispersion * mu**2``);
- ``dispersion`` is the choice of GLM scale (``"pearson"`` or ``"fixed"``).

Older spellings of public arguments keep working for one release with a
:class:`DeprecationWarning` (:func:`renamed_argument`).

Examples
--------
>>> check_literal("holm", Adjust, "adjust")
'holm'
>>> check_literal("sidak", Adjust, "adjust")
Traceback (most recent call last):
...
cftf_analysis.errors.ArgumentError: adjust='sidak' is not allowed; use one of 'holm', ...
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar, get_args

import numpy as np

from cftf_analysis.errors import ArgumentError

__all__ = [
    "IC",
    "ActorMatch",
    "Adjust",
    "Bound",
    "BoundMode",
    "CaseFreq",
    "CaveatKind",
    "CcfMethod",
    "ChangePointModel",
    "ChangePointResampling",
    "CollectionSubset",
    "CorpusEngine",
    "CorpusFreq",
    "CountSeries",
    "CovType",
    "DateBasis",
    "Detrend",
    "Direction",
    "Dispersion",
    "EventCategory",
    "Family",
    "FileKind",
    "Frequency",
    "ImageFormat",
    "ImportDataset",
    "IndicatorModel",
    "Interpolation",
    "ItsFamily",
    "LagWindow",
    "LatentTrend",
    "MultiverseChoice",
    "NanPolicy",
    "PoolDf",
    "ProducerChoice",
    "Regression",
    "Seasonal",
    "SeasonalKind",
    "SensitivityValue",
    "Vary",
    "allowed_values",
    "check_columns",
    "check_fraction",
    "check_int",
    "check_literal",
    "renamed_argument",
]

# --- statistics -------------------------------------------------------------------------------
#: Multiple-testing adjustment across a family of p-values.
Adjust = Literal["holm", "fdr_bh", "fdr_by", "bonferroni", "none"]
#: How a cross-correlation's p-values and intervals are computed.
CcfMethod = Literal["normal", "block_bootstrap", "permutation"]
#: Trend removal before a cross-correlation.
Detrend = Literal["linear", "difference", "none"]
#: Information criterion for choosing a lag order.
IC = Literal["aic", "bic"]
#: Deterministic part of a stationarity test's regression (constant, constant and trend).
Regression = Literal["c", "ct"]
#: Count-model family.
Family = Literal["poisson", "negative_binomial"]
#: Interrupted-time-series family.
ItsFamily = Literal["poisson", "gaussian"]
#: Covariance of GLM coefficients.
CovType = Literal["HAC", "HC0", "nonrobust"]
#: GLM scale: Pearson (quasi-likelihood) or fixed at 1.
Dispersion = Literal["fixed", "pearson"]
#: Seasonal terms of a monthly GLM.
SeasonalKind = Literal["dummies", "harmonics"]
#: ``False``/``None`` (none), ``True`` (dummies) or a :data:`SeasonalKind`.
Seasonal = bool | SeasonalKind
#: Direction of a planted effect whose minimum detectable size is sought (a rise or a fall).
Direction = Literal["increase", "decrease"]
#: Change-point cost model.
ChangePointModel = Literal["mean", "poisson"]
#: How change-point series "without a break" are resampled.
ChangePointResampling = Literal["auto", "permutation", "ar1_bootstrap"]
#: What a sensitivity analysis draws.
Vary = Literal["indicators", "dates"]
#: Which value of the sensitivity draws a figure shows.
SensitivityValue = Literal["estimate", "p_value"]
#: Trend of a latent monthly series: integrated random walk (smooth) or random walk.
LatentTrend = Literal["smooth", "local_level"]
#: How a latent series reads a one-sided bound: on the path itself, or on the producer's figure.
BoundMode = Literal["hard", "soft"]
#: Degrees of freedom of a Rubin-pooled estimate: Barnard & Rubin (1999) or Rubin (1987).
PoolDf = Literal["barnard_rubin", "classic"]
#: What pooling does with missing estimates: keep them (NaN result), leave them out, or raise.
NanPolicy = Literal["propagate", "omit", "raise"]

# --- the multiverse of analysis choices -------------------------------------------------------
#: The analysis choices :func:`cftf_analysis.stats.multiverse.multiverse` varies.
MultiverseChoice = Literal[
    "indicator_model", "producer", "date", "collection", "max_lag", "counts"
]
#: Which producer makes a series: the case file's, or each other producer of the series whose
#: figures can be modelled (at least three with a value or a range, in two different months).
ProducerChoice = Literal["case", "other"]
#: Which reports are counted: all, only those of the uniform search protocol (the case's
#: ``[collection] uniform`` codes), or all but those of the leads that started the search
#: (``[collection] leads``).
CollectionSubset = Literal["all", "uniform", "without_leads"]
#: Largest lag (months) of the cross-correlation a specification tries.
LagWindow = Literal[6, 3]
#: The monthly reporting series tested: coded reports, or articles reporting defection in a
#: news archive (needs a coverage table).
CountSeries = Literal["n_reports", "n_articles_defection"]

# --- data -------------------------------------------------------------------------------------
#: How indicator values are filled between reported months.
Interpolation = Literal["linear", "step", "loglinear"]
#: How the battery draws indicator paths: the latent model, or an interpolation.
IndicatorModel = Literal["latent", "linear", "step", "loglinear"]
#: Which date of a report counts: its publication or the defection.
DateBasis = Literal["published", "defection"]
#: Calendar period of a table: month, quarter, half year, year.
Frequency = Literal["MS", "QS", "6MS", "YS"]
#: Period a case is analysed at: months or quarters.
CaseFreq = Literal["MS", "QS"]
#: Which raw table a file holds.
FileKind = Literal["auto", "reports", "indicators", "events"]
#: Which data a caveat is about.
CaveatKind = Literal["reports", "indicators", "all"]
#: Direction of an observation that is a one-sided bound (``at_least`` is lower).
Bound = Literal["none", "lower", "upper"]
#: Image formats :func:`cftf_analysis.figures.save_figure` writes.
ImageFormat = Literal["png", "svg", "pdf"]
#: Category of a dated event (``events.csv`` column ``category``; the values of
#: :data:`cftf_analysis.vocab.EVENT_CATEGORIES`, which a test keeps equal).
EventCategory = Literal["military", "finance", "governance", "defection"]
#: Conflict datasets the importers read: UCDP GED, ACLED, the Global Terrorism Database.
ImportDataset = Literal["ucdp", "acled", "gtd"]
#: How an importer matches an actor or group name: a case-insensitive substring
#: of the cell, or the whole cell (or one ``;``-separated name in it), ignoring case.
ActorMatch = Literal["contains", "exact"]

# --- corpus -----------------------------------------------------------------------------------
#: Engine that counts a news archive (``auto``: DuckDB for files, else the frame's own).
CorpusEngine = Literal["auto", "duckdb", "polars", "pandas", "spark"]
#: Period of corpus counts: day, week (Monday), month, quarter, year.
CorpusFreq = Literal["D", "W-MON", "MS", "QS", "YS"]

T = TypeVar("T")


def allowed_values(kind: Any) -> tuple[Any, ...]:
    """The values a ``Literal`` type (or a union holding one) allows, in declaration order.

    Examples
    --------
    >>> allowed_values(Detrend)
    ('linear', 'difference', 'none')
    >>> allowed_values(Seasonal)
    ('dummies', 'harmonics')
    """
    out: list[Any] = []
    for arg in get_args(kind):
        if isinstance(arg, str | int | bool) and not isinstance(arg, type):
            out.append(arg)
        else:  # a nested Literal inside a union
            out.extend(allowed_values(arg))
    return tuple(out)


def _listed(values: Iterable[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def check_literal(value: Any, kind: Any, name: str) -> Any:
    """Return ``value`` if the ``Literal`` type ``kind`` allows it, else raise.

    Parameters
    ----------
    value
        The argument as given.
    kind
        A ``Literal[...]`` type from this module (or a tuple of allowed values).
    name
        The argument's name, for the message.

    Raises
    ------
    ArgumentError
        ``<name>=<value> is not allowed; use one of <values>``.

    Examples
    --------
    >>> check_literal("linear", Interpolation, "interpolation")
    'linear'
    >>> check_literal("cubic", Interpolation, "interpolation")
    Traceback (most recent call last):
    ...
    cftf_analysis.errors.ArgumentError: interpolation='cubic' is not allowed; use one of ...
    """
    allowed = tuple(kind) if isinstance(kind, tuple | list) else allowed_values(kind)
    # bool is an int: True must not pass for 1, nor 1 for True
    ok = any(value == a and type(value) is type(a) for a in allowed) or (
        isinstance(value, str) and value in allowed
    )
    if not ok:
        raise ArgumentError(f"{name}={value!r} is not allowed; use one of {_listed(allowed)}")
    return value


def check_int(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """Return ``value`` as an ``int`` if it is a whole number within bounds, else raise.

    ``bool`` is refused (``True`` is not a lag order), numpy integers are accepted.

    Examples
    --------
    >>> check_int(3, "max_lag", minimum=1)
    3
    >>> check_int(0, "max_lag", minimum=1)
    Traceback (most recent call last):
    ...
    cftf_analysis.errors.ArgumentError: max_lag must be an integer >= 1, got 0
    """
    if value is None and allow_none:
        return None
    bounds = []
    if minimum is not None:
        bounds.append(f">= {minimum}")
    if maximum is not None:
        bounds.append(f"<= {maximum}")
    what = "an integer" + (" " + " and ".join(bounds) if bounds else "")
    if allow_none:
        what += " or None"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or (minimum is not None and value < minimum)
        or (maximum is not None and value > maximum)
    ):
        raise ArgumentError(f"{name} must be {what}, got {value!r}")
    return int(value)


def check_fraction(value: Any, name: str) -> float:
    """Return ``value`` as a float strictly between 0 and 1 (a level or a share), else raise.

    Examples
    --------
    >>> check_fraction(0.95, "conf_level")
    0.95
    >>> check_fraction(95, "conf_level")
    Traceback (most recent call last):
    ...
    cftf_analysis.errors.ArgumentError: conf_level must be between 0 and 1, got 95
    """
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.floating | np.integer)
        or not 0.0 < float(value) < 1.0
    ):
        raise ArgumentError(f"{name} must be between 0 and 1, got {value!r}")
    return float(value)


def check_columns(frame: Any, columns: str | Sequence[str], what: str) -> list[str]:
    """Return ``columns`` as a list if all are columns of ``frame``, else raise.

    Examples
    --------
    >>> import pandas as pd
    >>> check_columns(pd.DataFrame({"a": [1]}), "a", "counts")
    ['a']
    >>> check_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "covariates")
    Traceback (most recent call last):
    ...
    cftf_analysis.errors.ArgumentError: covariates: column(s) ['b'] not in the data; ...
    """
    cols = [columns] if isinstance(columns, str) else list(columns)
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ArgumentError(
            f"{what}: column(s) {missing} not in the data; available: {list(frame.columns)}"
        )
    return cols


def renamed_argument(
    old: str, new: str, *, convert: Callable[[Any], Any] | None = None
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator: accept ``old=`` for one release, with a :class:`DeprecationWarning`.

    ``convert`` maps an old value to the new argument's scale (for example
    ``alpha=0.05`` to ``conf_level=0.95``).

    Examples
    --------
    >>> @renamed_argument("alpha", "conf_level", convert=lambda a: 1 - a)
    ... def interval(*, conf_level=0.95):
    ...     return conf_level
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     round(interval(alpha=0.1), 2), seen[0].category.__name__
    (0.9, 'DeprecationWarning')
    """

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            if old in kwargs:
                if new in kwargs:
                    raise ArgumentError(f"give {new}= only ({old}= is its deprecated spelling)")
                value = kwargs.pop(old)
                message = f"{func.__name__}({old}=...) is deprecated; use {new}= instead"
                if convert is not None:
                    message += f" ({old}={value!r} is {new}={convert(value)!r})"
                warnings.warn(message, DeprecationWarning, stacklevel=2)
                kwargs[new] = convert(value) if convert is not None else value
            return func(*args, **kwargs)

        return wrapper

    return decorate
