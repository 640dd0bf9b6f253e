"""Plain pandas implementation of the corpus counts (the benchmark's baseline).

What an analyst would write without the package: read the Parquet files
with ``pandas.read_parquet``, match with ``Series.str.contains``, normalise
with ``str`` methods and deduplicate with ``groupby``. It follows the rules
of ``docs/corpus.md`` step by step, so its counts equal ``count_corpus``'s
(the benchmark checks that). pandas 3 stores text with pyarrow, so the
patterns run in RE2, as in DuckDB.

The normalisation patterns are spelled out here again, from the
documentation, rather than imported from the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

WS = r"\x{09}-\x{0D}\x{20}"
SCHEME = r"[hH][tT][tT][pP][sS]?://"
WWW = r"[wW][wW][wW]\."
URL_NOISE = (
    rf"^(?:[{WS}]+(?:{SCHEME})?(?:{WWW})?|{SCHEME}(?:{WWW})?|{WWW})"
    rf"|[/{WS}]*(?s:#.*)\z|[/{WS}]+\z"
)
NOT_WORD = r"[^\p{L}\p{M}\p{N}]"
TITLE_ENDS = rf"^{NOT_WORD}+|{NOT_WORD}+\z"
TITLE_SEPARATORS = rf"{NOT_WORD}*[^\p{{L}}\p{{M}}\p{{N}}\x{{20}}]{NOT_WORD}*|\x{{20}}\x{{20}}+"


def count_pandas(
    files: Sequence[str | Path], *, topic: str, defection: str
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Monthly counts (periods with articles only) and the undated totals."""
    df = pd.concat(
        [pd.read_parquet(f, columns=["url", "title", "published"]) for f in files],
        ignore_index=True,
    )
    totals = {"n_rows": len(df), "n_undated": int(df["published"].isna().sum())}
    df = df[df["title"].str.contains(topic, regex=True).fillna(False).astype(bool)]
    d = df["title"].str.contains(defection, regex=True).fillna(False).astype(bool)
    utc = df["published"].dt.tz_convert("UTC").dt.tz_localize(None)
    p = utc.dt.to_period("M").dt.start_time
    u = df["url"].str.replace(URL_NOISE, "", regex=True)
    k = (
        df["title"]
        .str.lower()
        .str.replace(TITLE_ENDS, "", regex=True)
        .str.replace(TITLE_SEPARATORS, " ", regex=True)
    )
    rows = pd.DataFrame({"p": p, "u": u.where(u != ""), "k": k.where(k != ""), "d": d})
    undated = rows[rows["p"].isna()]
    totals["n_undated_topic"] = len(undated)
    totals["n_undated_defection"] = int(undated["d"].sum())
    rows = rows[rows["p"].notna()]

    has_url = rows["u"].notna()
    by_url = (
        rows[has_url]
        .groupby("u", sort=False)
        .agg(p=("p", "min"), k=("k", "min"), d=("d", "any"), n=("d", "size"))
    )
    copies = pd.concat(
        [by_url.reset_index(drop=True), rows.loc[~has_url, ["p", "k", "d"]].assign(n=1)],
        ignore_index=True,
    )
    has_title = copies["k"].notna()
    by_title = (
        copies[has_title].groupby(["p", "k"], sort=False).agg(d=("d", "any"), n=("n", "sum"))
    )
    stories = pd.concat(
        [by_title.reset_index()[["p", "d", "n"]], copies.loc[~has_title, ["p", "d", "n"]]],
        ignore_index=True,
    )
    out = stories.groupby("p").agg(
        n_articles_topic=("d", "size"), n_articles_defection=("d", "sum"), rows=("n", "sum")
    )
    out["n_duplicates_removed"] = out.pop("rows") - out["n_articles_topic"]
    out = out.rename_axis("period").reset_index()
    return out.astype({c: "int64" for c in out.columns if c != "period"}), totals
