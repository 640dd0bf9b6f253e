"""What ``count_corpus`` can read, and which engine runs it.

A source is either files (a path, a glob, a folder, or a list of those; all
Parquet, all CSV or all JSON lines) or a frame of one of the supported
libraries. Nothing here imports polars or pyspark: frames are recognised by
the module their class comes from.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cftf_analysis.errors import ArgumentError, DataValidationError
from cftf_analysis.options import CorpusEngine as Engine
from cftf_analysis.options import check_literal

__all__ = ["Engine", "Source", "corrupt_input_error", "resolve_engine", "resolve_source"]

FileFormat = Literal["parquet", "csv", "json"]

_SUFFIXES: dict[str, FileFormat] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".csv.gz": "csv",
    ".jsonl": "json",
    ".ndjson": "json",
    ".json": "json",
    ".jsonl.gz": "json",
    ".ndjson.gz": "json",
}


@dataclass(frozen=True)
class Source:
    """A resolved source: its kind, the object or files, and a label for messages."""

    kind: Literal["files", "pandas", "polars", "arrow", "duckdb", "spark"]
    obj: Any = None
    files: tuple[Path, ...] = ()
    fmt: FileFormat | None = None

    @property
    def label(self) -> str:
        if self.kind == "files":
            return str(self.files[0]) if len(self.files) == 1 else f"{len(self.files)} files"
        return f"<{self.kind} DataFrame>"


def _format_of(path: Path) -> FileFormat | None:
    name = path.name.lower()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return _SUFFIXES[suffix]
    return None


def _expand(item: str | Path) -> list[Path]:
    path = Path(item)
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and _format_of(p))
        if not found:
            raise ArgumentError(f"folder '{path}' holds no .parquet, .csv or .jsonl files")
        return found
    if any(ch in str(item) for ch in "*?["):
        found = sorted(Path(p) for p in glob.glob(str(item), recursive=True))
        if not found:
            raise ArgumentError(f"no file matches '{item}'")
        return found
    if not path.is_file():
        raise ArgumentError(f"file '{path}' does not exist")
    return [path]


def _files(items: Sequence[str | Path]) -> Source:
    files: list[Path] = []
    for item in items:
        files.extend(_expand(item))
    if not files:
        raise ArgumentError("source is an empty list of files")
    formats = {_format_of(p) for p in files}
    if None in formats:
        bad = next(p for p in files if _format_of(p) is None)
        raise ArgumentError(
            f"cannot tell the format of '{bad}': name files *.parquet, *.csv or *.jsonl"
        )
    if len(formats) > 1:
        raise ArgumentError(f"files mix formats ({', '.join(sorted(map(str, formats)))})")
    return Source("files", files=tuple(files), fmt=formats.pop())


def resolve_source(source: object) -> Source:
    """Classify ``source``; raise ArgumentError for anything unsupported."""
    if isinstance(source, str | Path):
        return _files([source])
    if (
        isinstance(source, list | tuple)
        and source
        and all(isinstance(s, str | Path) for s in source)
    ):
        return _files(source)
    module = type(source).__module__
    name = type(source).__name__
    if module.startswith("pandas") and name == "DataFrame":
        return Source("pandas", source)
    if module.startswith("polars") and name in ("DataFrame", "LazyFrame"):
        return Source("polars", source)
    if module.startswith("pyarrow") and name == "Table":
        return Source("arrow", source)
    if module.startswith("duckdb") and name == "DuckDBPyRelation":
        return Source("duckdb", source)
    if module.startswith("pyspark.sql") and name == "DataFrame":
        return Source("spark", source)
    raise ArgumentError(
        "source must be a path, glob or folder of Parquet/CSV/JSON-lines files (or a list "
        "of them), a pandas, polars or pyarrow table, a DuckDB relation or a Spark "
        f"DataFrame; got {module}.{name}"
    )


_NATIVE = {
    "files": "duckdb",
    "pandas": "pandas",
    "polars": "polars",
    "arrow": "duckdb",
    "duckdb": "duckdb",
    "spark": "spark",
}
# engine -> source kinds it can take
_ACCEPTS = {
    "duckdb": {"files", "pandas", "polars", "arrow", "duckdb"},
    "polars": {"files", "pandas", "polars", "arrow"},
    "pandas": {"files", "pandas", "polars", "arrow"},
    "spark": {"files", "spark"},
}


def resolve_engine(engine: str, source: Source) -> str:
    """The engine that runs ``source``: ``auto`` is DuckDB for files, else the frame's own."""
    check_literal(engine, Engine, "engine")
    chosen = _NATIVE[source.kind] if engine == "auto" else engine
    if source.kind not in _ACCEPTS[chosen]:
        raise ArgumentError(
            f"engine={chosen!r} cannot run a {source.kind} source; use engine='auto' "
            f"(which runs it with {_NATIVE[source.kind]!r})"
        )
    return chosen


# Libraries whose exceptions, raised while a file source is read, mean the input is corrupt.
_READER_MODULES = ("duckdb", "_duckdb", "pyarrow", "polars", "pyspark", "py4j")


def corrupt_input_error(exc: BaseException, source: Source) -> DataValidationError | None:
    """The package's error for ``exc`` if it says a file of ``source`` cannot be read, else None.

    A truncated or empty Parquet file, malformed JSON lines or a CSV file the
    reader rejects end in an exception of DuckDB, Arrow, polars or Spark (or
    an ``OSError``/``ValueError`` from pandas); this names the file it is
    about (the one the message mentions, or the only one) and keeps the
    reader's own words.
    """
    if source.kind != "files":
        return None
    module = type(exc).__module__ or ""
    if not (
        module.startswith(_READER_MODULES) or isinstance(exc, OSError | ValueError | EOFError)
    ):
        return None
    text = str(exc).strip()
    named = [p for p in source.files if str(p) in text or p.name in text]
    file = str(named[0]) if named else source.label
    what = {"parquet": "Parquet", "csv": "CSV", "json": "JSON-lines"}.get(str(source.fmt), "")
    first_line = text.splitlines()[0] if text else type(exc).__name__
    return DataValidationError(f"cannot read this {what} input: {first_line}", file=file)
