"""Writing outputs: never over the inputs, all at once or not at all, with a manifest.

Internal machinery of the report and the commands that write; the names in
``__all__`` are what a reader or a test of the outputs needs.

Never over the inputs
    Every command checks all its output paths with :func:`check_outputs`
    before it writes anything. Paths are compared after
    :meth:`pathlib.Path.resolve` (links followed), so an output reached
    through a link is judged by where it really lands. Raw data folders
    (:data:`~cftf_analysis.config.RAW_DIR` and the case file's folder) and the
    run's input files are never written.

All at once or not at all
    A run's outputs are one or more *trees* below an output *root*: the
    report's are ``<root>/data/processed`` and ``<root>/figures``
    (:data:`~cftf_analysis.config.OUTPUT_TREES`), two sibling trees, because
    that is the project layout people and tools rely on. :func:`replace_outputs`
    builds each tree complete in a staging folder beside its real location
    (``<parent>/.cftf-new.<name>``: same folder, so same file system, even when
    the tree is a link to another disk), writes the manifest into each, and
    only then swaps the trees in with directory renames: the old tree moves to
    ``.cftf-old.<name>``, the new one to its place, and the old one is deleted.

    No single rename can swap two sibling folders, so the swap is journalled:
    before the first rename, ``<root>/.cftf-outputs.journal`` records every
    tree's target, staging and old path; it is removed after the last rename.
    A run killed between the renames leaves the journal, and the next run
    (or :func:`recover_outputs`) first *completes* the swap: once the journal
    exists every staging tree is complete, so rolling forward is always
    possible and never mixes runs. A rename that fails in a running process
    (a mount point, a read-only disk) is rolled back there and then, and the
    error is raised. Staging and old folders that a killed run left without a
    journal are deleted by the next run; temporaries of half-written files
    only ever live inside staging folders, and go with them.

    While the trees are swapped there is a window of a few renames in which a
    reader could see one tree new and the other old; the manifests show it
    (the two trees' manifests differ), :func:`verify_outputs` refuses such a
    state, and the next run completes it.

One run at a time
    A run holds an exclusive :func:`fcntl.flock` on ``<root>/.cftf-outputs.lock``
    from before it stages anything until its outputs are in place. A second
    run into the same root does not wait (a report takes minutes and a silent
    wait looks like a hang): it fails at once with an :class:`OutputError`
    naming the process that holds the folder. The kernel releases the lock
    when the holder exits, however it exits, so a killed run never leaves the
    folder locked. The lock file itself stays (removing it would race), empty
    once the run is over.

The manifest
    ``manifest.json`` in every tree (the same bytes in each) lists every file
    of the run with its sha256 (paths relative to the root, ``/``-separated),
    the inputs with their sha256 (a table given as a data frame: the sha256
    of its CSV text), the package and its version, and the run's settings
    (the report's: case id, seed, draws, counts, figures). Keys are sorted and
    there are no timestamps, so two runs of the same inputs write identical
    manifests, and anyone can check which run made a figure.

Never lose data
    A tree is replaced whole, so files in it that the package did not write
    would be lost: such a tree is refused (its files are those its manifest
    lists; a tree from a version without manifests may hold only files that
    the new run writes again). ``.gitkeep`` placeholders are carried over.

Modes
    Files and folders are created with the process umask, like any file the
    user makes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cftf_analysis import config
from cftf_analysis._io import atomic_path
from cftf_analysis.errors import OutputError

__all__ = [
    "MANIFEST_NAME",
    "Staging",
    "check_outputs",
    "recover_outputs",
    "replace_outputs",
    "verify_outputs",
    "writing",
]

PathLike = str | os.PathLike[str]

#: The manifest's name in every output tree.
MANIFEST_NAME = "manifest.json"
#: Version of the manifest's layout (a new key keeps it; a changed meaning bumps it).
MANIFEST_FORMAT = 1
LOCK_NAME = ".cftf-outputs.lock"
JOURNAL_NAME = ".cftf-outputs.journal"
_NEW, _OLD = ".cftf-new.", ".cftf-old."
#: Files kept from the previous tree (git needs them to keep an empty folder).
_PLACEHOLDERS = (".gitkeep",)


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _input_record(value: Any) -> dict[str, str]:
    """An input's entry in the manifest: where it is shown to come from, and its sha256.

    A mapping is an entry taken from an earlier manifest, kept as it is.
    """
    import pandas as pd

    if isinstance(value, Mapping):
        return {"path": str(value["path"]), "sha256": str(value["sha256"])}
    if isinstance(value, pd.DataFrame):
        text = value.to_csv(index=False, lineterminator="\n", date_format="%Y-%m-%d")
        return {"path": "<DataFrame>", "sha256": hashlib.sha256(text.encode()).hexdigest()}
    path = Path(value)
    return {"path": shown_path(path), "sha256": _sha256(path)}


def shown_path(path: Path) -> str:
    """A path as outputs show it: relative to the project when inside it, else its name.

    Never absolute, so that outputs do not depend on where a checkout lives.
    """
    try:
        return path.resolve().relative_to(config.PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return path.name


def _rmtree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        os.unlink(path)
    elif path.exists():
        shutil.rmtree(path)


@dataclass(frozen=True)
class _Tree:
    """One output tree: its path below the root, its real place, its staging and old paths."""

    rel: str
    target: Path

    @property
    def new(self) -> Path:
        return self.target.parent / f"{_NEW}{self.target.name}"

    @property
    def old(self) -> Path:
        return self.target.parent / f"{_OLD}{self.target.name}"

    def to_json(self) -> dict[str, str]:
        return {"rel": self.rel, "target": str(self.target)}


def _trees(root: Path, rels: Sequence[str]) -> list[_Tree]:
    return [_Tree(rel, (root / rel).resolve()) for rel in rels]


class Staging:
    """The staging folders of one run (see :func:`replace_outputs`)."""

    def __init__(self, root: Path, trees: list[_Tree]) -> None:
        self.root = root
        self._trees = {t.rel: t for t in trees}

    def folder(self, rel: str | os.PathLike[str]) -> Path:
        """Where the run writes tree ``rel`` (for example ``"figures"``)."""
        return self._trees[Path(rel).as_posix()].new

    def final(self, path: Path) -> Path:
        """Where a file written in a staging folder will be once the run is in place."""
        for tree in self._trees.values():
            if tree.new in path.parents:
                return self.root / tree.rel / path.relative_to(tree.new)
        raise ValueError(f"{path} is not in a staging folder")


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """Hold the root's lock; fail at once, naming the holder, if another run has it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no flock; runs are not serialised
        yield
        return
    fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise OutputError(
                f"another run (process {holder}) is writing outputs to '{root}'; wait for it "
                "to finish or choose another output folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # an idle folder's lock file is empty, whoever ran last
    finally:
        os.close(fd)  # releases the lock


def _complete(journal: Path) -> None:
    """Finish the swap a killed run recorded in ``journal``: every staged tree goes in."""
    try:
        entries = json.loads(journal.read_text(encoding="utf-8"))["trees"]
        trees = [_Tree(e["rel"], Path(e["target"])) for e in entries]
    except (ValueError, KeyError, TypeError) as exc:
        raise OutputError(
            f"cannot read the journal '{journal}' of an interrupted run ({exc}); compare the "
            "output folders with their manifest.json, then delete it"
        ) from exc
    for tree in trees:
        if tree.new.is_dir():
            if os.path.lexists(tree.target):
                _rmtree(tree.old)
                os.rename(tree.target, tree.old)
            os.rename(tree.new, tree.target)
    os.unlink(journal)
    for tree in trees:
        _rmtree(tree.old)


def _recover(root: Path, trees: list[_Tree]) -> None:
    """Under the lock: complete an interrupted swap, then delete what killed runs left."""
    journal = root / JOURNAL_NAME
    if journal.exists():
        _complete(journal)
    for tree in trees:
        _rmtree(tree.new)
        _rmtree(tree.old)
    for tmp in root.glob(f".{JOURNAL_NAME}.*.tmp"):
        os.unlink(tmp)


def recover_outputs(root: PathLike, trees: Sequence[str] = config.OUTPUT_TREES) -> None:
    """Complete a swap that a killed run left halfway, and delete its staging folders.

    Every run does this first; call it to repair an output folder without a
    new run. Takes the folder's lock (an :class:`OutputError` if a run holds it).
    """
    real = Path(root).resolve()
    with writing(root), _locked(real):
        _recover(real, _trees(real, trees))


def _foreign_files(tree: _Tree, new_files: set[str]) -> list[str]:
    """Files in the current tree that no run of the package wrote (they would be lost)."""
    if not tree.target.is_dir():
        return []
    known = new_files
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
        listed = json.loads((tree.target / MANIFEST_NAME).read_text(encoding="utf-8"))["files"]
        prefix = f"{tree.rel}/"
        known = {k.removeprefix(prefix) for k in listed if k.startswith(prefix)}
    found = []
    for path in sorted(tree.target.rglob("*")):
        name = path.relative_to(tree.target).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        ours = name in known or name in (MANIFEST_NAME, *_PLACEHOLDERS)
        if not ours and not (path.name.startswith(".") and path.name.endswith(".tmp")):
            found.append(name)
    return found


def _files(folder: Path, rel: str) -> dict[str, str]:
    """``{path below the root: sha256}`` of tree ``rel`` in ``folder`` (manifest aside)."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in (MANIFEST_NAME, *_PLACEHOLDERS):
            found[f"{rel}/{name}"] = _sha256(path)
    return found


def _manifest(trees: list[_Tree], inputs: Mapping[str, Any], run: Mapping[str, Any]) -> bytes:
    from cftf_analysis import __version__

    files: dict[str, str] = {}
    for tree in trees:
        files.update(_files(tree.new, tree.rel))
    doc = {
        **run,
        "files": files,
        "format": MANIFEST_FORMAT,
        "inputs": {k: _input_record(v) for k, v in inputs.items() if v is not None},
        "package": "cftf-analysis",
        "version": __version__,
    }
    return (json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()


def _swap(root: Path, trees: list[_Tree]) -> None:
    """Move every staged tree into place, journalled (see the module notes)."""
    journal = root / JOURNAL_NAME
    with atomic_path(journal) as tmp:
        tmp.write_text(json.dumps({"trees": [t.to_json() for t in trees]}, indent=2) + "\n")
    try:
        for tree in trees:
            if os.path.lexists(tree.target):
                os.rename(tree.target, tree.old)
            os.rename(tree.new, tree.target)
    except OSError:
        _roll_back(trees)  # if this fails too, the journal stays and the next run completes
        os.unlink(journal)
        raise
    os.unlink(journal)
    for tree in trees:
        with contextlib.suppress(OSError):  # the next run removes what is left
            _rmtree(tree.old)


def _roll_back(trees: list[_Tree]) -> None:
    for tree in reversed(trees):
        if not tree.new.exists() and os.path.lexists(tree.target):
            os.rename(tree.target, tree.new)
        if tree.old.exists() and not os.path.lexists(tree.target):
            os.rename(tree.old, tree.target)


def _commit(staging: Staging, trees: list[_Tree], inputs, run) -> None:
    for tree in trees:
        new_files = {k.removeprefix(f"{tree.rel}/") for k in _files(tree.new, tree.rel)}
        foreign = _foreign_files(tree, new_files)
        if foreign:
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            shown = ", ".join(foreign[:3]) + more
            raise OutputError(
                f"refusing to replace '{staging.root / tree.rel}': it holds files that "
                f"cftf-analysis did not write ({shown}); move them or choose another "
                "output folder"
            )
        for name in _PLACEHOLDERS:
            if (tree.target / name).is_file():
                shutil.copyfile(tree.target / name, tree.new / name)
    manifest = _manifest(trees, inputs, run)
    for tree in trees:
        with atomic_path(tree.new / MANIFEST_NAME) as tmp:
            tmp.write_bytes(manifest)
    _swap(staging.root.resolve(), trees)


@contextlib.contextmanager
def replace_outputs(
    root: PathLike,
    trees: Sequence[str] = config.OUTPUT_TREES,
    *,
    inputs: Mapping[str, Any] | None = None,
    protected: Iterable[PathLike | None] = (),
    run: Mapping[str, Any] | None = None,
) -> Iterator[Staging]:
    """Stage a run's output trees below ``root`` and swap them in together on success.

    Parameters
    ----------
    root
        The output root; the trees are folders below it.
    trees
        The trees, as ``/``-separated paths below ``root``.
    inputs
        The run's inputs by kind (a path or a data frame; None entries are
        skipped): never written over, and listed in the manifest with their sha256.
        An input may also be an entry of an earlier manifest (``{"path", "sha256"}``),
        listed as it is: a run that redraws from earlier results keeps their inputs.
    protected
        Raw data folders besides :data:`~cftf_analysis.config.RAW_DIR`.
    run
        The run's settings, written at the top level of the manifest.

    Yields
    ------
    Staging
        ``staging.folder(rel)`` is where the run writes tree ``rel``.

    Raises
    ------
    OutputError
        Before anything is written: an output over raw data or an input, a
        root that is a file, another run holding the root. After: a full or
        read-only disk, a failed swap, files that the package did not write in
        a tree. In each case the previous outputs are left exactly as they were.

    Notes
    -----
    See the module notes for the staging, the journal, the lock and the
    manifest. On any exception inside the block the staging folders are
    deleted and nothing else changes; an ``OSError`` is raised as an
    :class:`OutputError` naming the root and the reason.
    """
    inputs = dict(inputs or {})
    given = Path(root)
    real = given.resolve()
    check_outputs(
        files=[real / LOCK_NAME, real / JOURNAL_NAME],
        folders=[given / rel for rel in trees],
        inputs=[v for v in inputs.values() if isinstance(v, str | os.PathLike)],
        protected=protected,
    )
    if real.exists() and not real.is_dir():
        raise OutputError(f"cannot write outputs to '{given}': it is a file, not a folder")
    with writing(given):
        real.mkdir(parents=True, exist_ok=True)
        with _locked(real):
            staged = _trees(real, trees)
            _recover(real, staged)
            staging = Staging(given, staged)
            try:
                for tree in staged:
                    tree.new.mkdir(parents=True)
                yield staging
                _commit(staging, staged, inputs, dict(run or {}))
            except BaseException:
                for tree in staged:
                    shutil.rmtree(tree.new, ignore_errors=True)
                raise


def verify_outputs(root: PathLike, trees: Sequence[str] = config.OUTPUT_TREES) -> dict:
    """Check that the output trees hold exactly the files of one run; return its manifest.

    Raises
    ------
    OutputError
        A swap left halfway (the next run completes it), a tree without a
        manifest, trees whose manifests differ (they come from different
        runs), a file missing, added or changed since the run.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> root = Path(tempfile.mkdtemp())
    >>> with replace_outputs(root, ["tables"], run={"seed": 1}) as staging:
    ...     _ = (staging.folder("tables") / "a.csv").write_text("x\\n1\\n")
    >>> manifest = verify_outputs(root, ["tables"])
    >>> list(manifest["files"]), manifest["seed"]
    (['tables/a.csv'], 1)
    """
    real = Path(root).resolve()
    if (real / JOURNAL_NAME).exists():
        raise OutputError(
            f"'{root}' is halfway through a swap of its outputs (a run was killed); the next "
            "run completes it, or call recover_outputs"
        )
    texts = {}
    for rel in trees:
        manifest = real / rel / MANIFEST_NAME
        if not manifest.is_file():
            raise OutputError(f"'{root}/{rel}' has no {MANIFEST_NAME}")
        texts[rel] = manifest.read_bytes()
    if len(set(texts.values())) > 1:
        raise OutputError(f"the output folders of '{root}' come from different runs")
    doc = json.loads(next(iter(texts.values())))
    on_disk: dict[str, str] = {}
    for rel in trees:
        on_disk.update(_files(real / rel, rel))
    listed = doc.get("files", {})
    for name in sorted(set(listed) | set(on_disk)):
        if listed.get(name) != on_disk.get(name):
            what = (
                "missing"
                if name not in on_disk
                else "not in the manifest"
                if name not in listed
                else "changed since the run"
            )
            raise OutputError(f"'{Path(root) / name}' is {what} ({MANIFEST_NAME})")
    return doc
