"""Running the query on an engine: prepare the source, collect results, report progress."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import narwhals as nw
import pandas as pd

from cftf_analysis.corpus import engine_duckdb
from cftf_analysis.corpus.query import Spec
from cftf_analysis.corpus.sources import Source

__all__ = ["first_undated", "prepare", "records", "run_with_progress"]


def records(frame: nw.LazyFrame[Any], *, streaming: bool = False) -> list[dict[str, Any]]:
    native = nw.to_native(frame)
    module = type(native).__module__
    if module.startswith("duckdb"):
        return [dict(zip(native.columns, row, strict=True)) for row in native.fetchall()]
    if module.startswith("pyspark"):
        return [row.asDict() for row in native.collect()]
    if module.startswith("polars"):
        done = native.collect(engine="streaming") if streaming else native.collect()
        return done.to_dicts()
    records = native.astype(object).to_dict("records")
    return [{k: (None if v is None or pd.isna(v) else v) for k, v in r.items()} for r in records]


def run_with_progress(
    run: Callable[[], Any], con: Any, progress: Callable[[float], None] | None
) -> Any:
    """Run ``run()``; meanwhile report DuckDB's query progress (0-1) to ``progress``."""
    if progress is None or con is None:
        return run()
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = run()
        except BaseException as exc:  # handed to the caller's thread below
            result["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.25)
        done = con.query_progress()
        if done is not None and done >= 0:
            progress(min(float(done) / 100.0, 1.0))
    if "error" in result:
        raise result["error"]
    progress(1.0)
    return result["value"]


def prepare(
    engine: str, source: Source, spec: Spec, con: Any
) -> tuple[nw.LazyFrame[Any], Callable[..., Any] | None]:
    if engine == "duckdb":
        return engine_duckdb.prepare(source, spec, con), engine_duckdb.hash_keys
    if engine == "spark":
        from cftf_analysis.corpus.engine_spark import prepare_spark

        return prepare_spark(source, spec), None
    from cftf_analysis.corpus import engine_frames

    if engine == "polars":
        return engine_frames.prepare_polars(source, spec), None
    return engine_frames.prepare_pandas(source, spec), None


def first_undated(engine: str, source: Source, spec: Spec, con: Any) -> tuple[Any, Any, Any]:
    if engine == "duckdb":
        return engine_duckdb.first_undated(source, spec, con)
    if engine == "spark":
        from cftf_analysis.corpus.engine_spark import first_undated_spark

        return first_undated_spark(source, spec)
    from cftf_analysis.corpus import engine_frames

    if engine == "polars":
        return engine_frames.first_undated_polars(source, spec)
    return engine_frames.first_undated_pandas(source, spec)
