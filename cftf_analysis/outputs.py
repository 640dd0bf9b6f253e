"""Writing outputs: never over the raw data or a run's inputs.

Every command that writes checks all its output paths with
:func:`check_outputs` before it writes anything. Paths are compared after
:meth:`pathlib.Path.resolve` (links followed), so an output reached through a
link is judged by where it really lands.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from cftf_analysis import config
from cftf_analysis.errors import OutputError

__all__ = ["check_outputs", "writing"]

PathLike = str | os.PathLike[str]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _shown(given: PathLike) -> str:
    """A path as the user gave it, and where it really lands when a link leads elsewhere."""
    real = Path(given).resolve()
    if Path(os.path.abspath(given)) == real:
        return f"'{given}'"
    return f"'{given}' (which leads to '{real}')"


def _same_file(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)  # hard links: two names, one file
    except OSError:
        return False


def check_outputs(
    files: Iterable[PathLike] = (),
    folders: Iterable[PathLike] = (),
    *,
    inputs: Iterable[PathLike | None] = (),
    protected: Iterable[PathLike | None] = (),
) -> None:
    """Refuse outputs that would touch raw data or inputs; look only, write nothing.

    Parameters
    ----------
    files
        Files the run will create or replace.
    folders
        Folders the run will replace whole (with everything in them).
    inputs
        The run's input files (None entries are skipped).
    protected
        Raw data folders besides :data:`cftf_analysis.config.RAW_DIR` (always
        protected), such as the case file's folder.

    Raises
    ------
    OutputError
        When a file or folder is, or lies inside, a protected folder; when a
        file is an input (also through a link or a hard link); when a folder
        holds an input or a protected folder; when a file is an existing
        folder or a folder an existing file.
    """
    raw = [Path(p).resolve() for p in (config.RAW_DIR, *protected) if p is not None]
    ins = [Path(p).resolve() for p in inputs if p is not None]
    for given in files:
        real = Path(given).resolve()
        _check_not_raw(given, real, raw)
        for source in ins:
            if _same_file(real, source):
                raise OutputError(
                    f"refusing to write {_shown(given)}: it is the input file '{source}'; "
                    "choose another output path"
                )
        if real.is_dir():
            raise OutputError(f"cannot write {_shown(given)}: it is a folder")
    for given in folders:
        real = Path(given).resolve()
        _check_not_raw(given, real, raw)
        for folder in raw:
            if _inside(folder, real):
                raise OutputError(
                    f"refusing to replace {_shown(given)}: it holds the raw data folder "
                    f"'{folder}', which is never written"
                )
        for source in ins:
            if _inside(source, real):
                raise OutputError(
                    f"refusing to replace {_shown(given)}: it holds the input file '{source}' "
                    "(the report replaces its output folders whole); choose another output folder"
                )
        if real.exists() and not real.is_dir():
            raise OutputError(
                f"cannot write outputs to {_shown(given)}: it is a file, not a folder"
            )


def _check_not_raw(given: PathLike, real: Path, raw: list[Path]) -> None:
    for folder in raw:
        if _inside(real, folder):
            raise OutputError(
                f"refusing to write {_shown(given)}: it is inside the raw data folder "
                f"'{folder}', which is never written; choose another output path"
            )


@contextlib.contextmanager
def writing(path: PathLike) -> Iterator[None]:
    """Turn an operating-system error while writing ``path`` into one :class:`OutputError`.

    Out of space, read-only file system, a missing or unwritable folder: the
    message names the path and the reason, and the CLI prints it on one line.
    """
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise OutputError(f"cannot write '{path}': {reason}") from exc
