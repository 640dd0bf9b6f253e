"""Outputs: never over the inputs, all at once or not at all, with a manifest (issue 12).

Every case that writes near raw data uses a copy of the bundled raw folder in
``tmp_path`` (a case file there), never the real ``data/raw``.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cftf_analysis import config
from cftf_analysis.cli import app
from cftf_analysis.errors import CftfError, OutputError
from cftf_analysis.outputs import check_outputs
from cftf_analysis.report import RESULTS_FORMAT

runner = CliRunner()
ACLED = Path(__file__).parent / "data" / "acled_codebook2023_sample.csv"


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry below ``folder`` (links not followed) with the sha256 of each file."""
    found = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            found[rel] = f"link to {path.readlink()}"
        elif path.is_file():
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            found[rel] = "folder"
    return found


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip()]


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A copy of the bundled raw folder, with its case file: a case whose raw folder we own."""
    return Path(shutil.copytree(config.RAW_DIR, tmp_path / "raw"))


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    path = tmp_path / "articles" / "a.parquet"
    path.parent.mkdir()
    rows = [
        {"published": f"2016-0{m}-1{d}", "title": f"ISIS report {m}{d}", "text": ""}
        for m in range(1, 4)
        for d in range(3)
    ]
    pd.DataFrame(rows).to_parquet(path)
    return path


# ------------------------------------------------------------- outputs never touch inputs


def test_output_error_is_a_package_error():
    assert issubclass(OutputError, CftfError)


def test_the_real_raw_folder_is_protected_without_writing_anything():
    # check_outputs only looks: it is safe to point it at the real raw folder
    with pytest.raises(OutputError, match="inside the raw data folder"):
        check_outputs(files=[config.RAW_DIR / "events.csv"])
    with pytest.raises(OutputError, match="inside the raw data folder"):
        check_outputs(folders=[config.RAW_DIR / "data" / "processed"])
    with pytest.raises(OutputError, match="holds the raw data folder"):
        check_outputs(folders=[config.RAW_DIR.parent])


def test_corpus_out_into_the_raw_folder_is_refused(tmp_path, raw_copy, articles, monkeypatch):
    """Reviewer: `corpus a.parquet --out data/raw/events.csv` replaced the bundled file."""
    monkeypatch.setattr(config, "RAW_DIR", raw_copy)  # the check reads it at call time
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["corpus", str(articles), "--out", str(raw_copy / "events.csv")])
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 1 and "inside the raw data folder" in lines[0]
    assert snapshot(tmp_path) == before


def test_corpus_out_into_the_case_folder_is_refused(tmp_path, raw_copy, articles):
    """The case file's folder is raw data too, whatever its name."""
    before = snapshot(tmp_path)
    out = raw_copy / "counts.csv"
    result = runner.invoke(
        app, ["corpus", str(articles), "--case", str(raw_copy), "--out", str(out)]
    )
    assert result.exit_code == 1
    assert "inside the raw data folder" in result.output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("how", ["same path", "through a link", "glob"])
def test_corpus_out_over_its_input_is_refused(tmp_path, articles, how):
    """Reviewer: `corpus f.parquet --out f.parquet` replaced the input."""
    source, out = str(articles), articles
    if how == "through a link":
        out = tmp_path / "link.parquet"
        out.symlink_to(articles)
    elif how == "glob":
        source = str(articles.parent / "*.parquet")
    before = snapshot(tmp_path)
    result = runner.invoke(app, ["corpus", source, "--out", str(out)])
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 1 and "is the input file" in lines[0]
    assert snapshot(tmp_path) == before


def test_corpus_out_naming_a_folder_is_one_line(tmp_path, articles):
    result = runner.invoke(app, ["corpus", str(articles), "--out", str(tmp_path)])
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert len(lines) == 1 and "is a folder" in lines[0]


def test_import_out_into_the_raw_folder_is_refused(tmp_path, raw_copy, monkeypatch):
    monkeypatch.setattr(config, "RAW_DIR", raw_copy)
    before = snapshot(tmp_path)
    result = runner.invoke(
        app, ["import", "acled", str(ACLED), "--out", str(raw_copy / "events.csv")]
    )
    assert result.exit_code == 1 and "inside the raw data folder" in result.output
    assert snapshot(tmp_path) == before


def test_report_into_a_link_to_the_raw_folder_is_refused(tmp_path, raw_copy):
    """Reviewer: `report --out X`, X/data/processed a link into data/raw, overwrote raw files."""
    out = tmp_path / "X"
    (out / "data").mkdir(parents=True)
    (out / "data" / "processed").symlink_to(raw_copy, target_is_directory=True)
    before = snapshot(tmp_path)
    result = runner.invoke(
        app, ["report", "--case", str(raw_copy / "case.toml"), "--out", str(out), "--draws", "2"]
    )
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert lines[-1].startswith("error:") and "inside the raw data folder" in lines[-1]
    assert not any("error" in line for line in lines[:-1])  # only progress lines before it
    assert snapshot(tmp_path) == before


def test_report_out_the_raw_folder_is_refused(tmp_path, raw_copy):
    """Reviewer: `report --out data/raw` wrote 32 files into the raw folder."""
    before = snapshot(tmp_path)
    result = runner.invoke(
        app, ["report", "--case", str(raw_copy / "case.toml"), "--out", str(raw_copy)]
    )
    assert result.exit_code == 1 and "inside the raw data folder" in result.output
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("option", ["--indicators", "--coverage"])
def test_report_refuses_an_output_folder_that_holds_an_input(tmp_path, raw_copy, option):
    """The report replaces its output folders whole: one holding an input would lose it."""
    out = tmp_path / "out"
    tree = out / "data" / "processed"
    tree.mkdir(parents=True)
    source = tree / "input.csv"
    shutil.copy(raw_copy / "indicators.csv", source)
    before = snapshot(tmp_path)
    result = runner.invoke(
        app,
        ["report", "--case", str(raw_copy / "case.toml"), option, str(source), "--out", str(out)],
    )
    assert result.exit_code == 1 and "holds the input file" in result.output
    assert snapshot(tmp_path) == before


def test_build_processed_refuses_the_case_folder(tmp_path, raw_copy):
    from cftf_analysis.report import build_processed

    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="inside the raw data folder"):
        build_processed(raw_copy, case=raw_copy / "case.toml")
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------ outputs follow the umask


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_every_kind_of_output_file_follows_the_umask(tmp_path, umask):
    import matplotlib.pyplot as plt

    from cftf_analysis._io import write_csv, write_parquet
    from cftf_analysis.figures.theme import save_figure

    frame = pd.DataFrame({"a": [1, 2]})
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    old = os.umask(umask)
    try:
        paths = [write_csv(frame, tmp_path / "a.csv"), write_parquet(frame, tmp_path / "a.pq")]
        paths += save_figure(fig, tmp_path / "figure", dpi=20)
    finally:
        os.umask(old)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in paths} == {
        p.name: 0o666 & ~umask for p in paths
    }


# ------------------------------------------------- all at once or not at all: the swap itself

TREES = ("data/processed", "figures")


def files_of(root: Path) -> dict[str, str]:
    """The files of the output trees (links followed), as the manifest lists them."""
    found = {}
    for rel in TREES:
        tree = root / rel
        for path in sorted(tree.rglob("*")) if tree.is_dir() else []:
            name = path.relative_to(tree).as_posix()
            if path.is_file() and name not in ("manifest.json", ".gitkeep"):
                found[f"{rel}/{name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def leftovers(root: Path) -> list[str]:
    """Staging folders, old trees, the journal and temporaries a run leaves only if killed."""
    names = [p for p in root.rglob("*") if p.name.startswith(".cftf-") or p.suffix == ".tmp"]
    return sorted(str(p.relative_to(root)) for p in names if p.name != ".cftf-outputs.lock")


def write_set(root: Path, tag: str, *, extra: str | None = None, **kwargs) -> None:
    """One small output set in both trees, its content marked by ``tag``."""
    from cftf_analysis.outputs import replace_outputs

    with replace_outputs(root, TREES, run={"tag": tag}, **kwargs) as staging:
        processed, figures = staging.folder("data/processed"), staging.folder("figures")
        (processed / "results").mkdir()
        (processed / "results.csv").write_text(f"run,{tag}\n")
        (processed / "results" / "ccf.csv").write_text(f"lag,{tag}\n")
        (figures / "timeline.svg").write_text(f"<svg>{tag}</svg>\n")
        if extra:
            (figures / extra).write_text(tag)


def test_both_trees_are_replaced_with_one_manifest_each(tmp_path):
    from cftf_analysis.outputs import verify_outputs

    write_set(tmp_path, "a", extra="only-in-a.png")
    write_set(tmp_path, "b")
    manifest = verify_outputs(tmp_path, TREES)
    assert manifest["tag"] == "b"
    assert manifest["files"] == files_of(tmp_path)
    assert sorted(manifest["files"]) == [
        "data/processed/results.csv",
        "data/processed/results/ccf.csv",
        "figures/timeline.svg",
    ]  # nothing of run a is left: not even a file that run b does not write
    one, two = (tmp_path / rel / "manifest.json" for rel in TREES)
    assert one.read_bytes() == two.read_bytes()
    assert leftovers(tmp_path) == []


def test_a_failed_run_leaves_the_previous_outputs_exactly(tmp_path):
    from cftf_analysis.outputs import replace_outputs

    write_set(tmp_path, "a")
    before = snapshot(tmp_path)
    with pytest.raises(RuntimeError, match="boom"), replace_outputs(tmp_path, TREES) as staging:
        (staging.folder("figures") / "timeline.svg").write_text("half")
        raise RuntimeError("boom")
    assert snapshot(tmp_path) == before


def test_a_full_disk_is_one_output_error_and_the_previous_outputs_stay(tmp_path):
    from cftf_analysis.outputs import replace_outputs

    write_set(tmp_path, "a")
    before = snapshot(tmp_path)
    with (
        pytest.raises(OutputError, match="No space left on device"),
        replace_outputs(tmp_path, TREES),
    ):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert snapshot(tmp_path) == before


def test_a_failed_rename_during_the_swap_is_rolled_back(tmp_path, monkeypatch):
    """The second tree cannot be moved (a mount point, say): the first goes back."""
    write_set(tmp_path, "a")
    before = snapshot(tmp_path)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append(src)
        if len(calls) == 3:  # processed aside, new processed in, figures aside: fails
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(src))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OutputError, match="busy"):
        write_set(tmp_path, "b")
    assert snapshot(tmp_path) == before


def test_a_concurrent_run_into_the_same_folder_fails_clearly(tmp_path):
    from cftf_analysis.outputs import replace_outputs

    write_set(tmp_path, "a")
    before = files_of(tmp_path)
    with replace_outputs(tmp_path, TREES):
        with pytest.raises(OutputError, match=rf"another run \(process {os.getpid()}\)"):
            write_set(tmp_path, "b")
        assert files_of(tmp_path) == before
    write_set(tmp_path, "c")  # the lock is released with the run


def test_files_the_package_did_not_write_are_never_deleted(tmp_path):
    write_set(tmp_path, "a")
    notes = tmp_path / "figures" / "my-notes.txt"
    notes.write_text("mine")
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match=r"did not write \(my-notes.txt\)"):
        write_set(tmp_path, "b")
    assert snapshot(tmp_path) == before


def test_outputs_of_a_version_without_manifests_are_replaced(tmp_path):
    """A folder filled by an earlier version holds only files this run writes again."""
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "timeline.svg").write_text("old")
    (tmp_path / "figures" / ".timeline.svg.abc123.tmp").write_text("killed")
    write_set(tmp_path, "b")
    assert (tmp_path / "figures" / "timeline.svg").read_text() == "<svg>b</svg>\n"
    assert leftovers(tmp_path) == []


def test_gitkeep_placeholders_stay(tmp_path):
    for rel in TREES:
        (tmp_path / rel).mkdir(parents=True)
        (tmp_path / rel / ".gitkeep").write_text("")
    write_set(tmp_path, "a")
    assert all((tmp_path / rel / ".gitkeep").is_file() for rel in TREES)


def test_a_linked_output_folder_is_replaced_where_it_leads(tmp_path):
    """A tree that is a link (to a bigger disk, say) stays a link; its target is replaced."""
    elsewhere = tmp_path / "big-disk" / "figs"
    root = tmp_path / "out"
    elsewhere.mkdir(parents=True)
    root.mkdir()
    (root / "figures").symlink_to(elsewhere, target_is_directory=True)
    write_set(root, "a")
    write_set(root, "b")
    assert (root / "figures").is_symlink()
    assert (elsewhere / "timeline.svg").read_text() == "<svg>b</svg>\n"
    assert leftovers(tmp_path) == []


def test_stale_staging_and_temporaries_of_killed_runs_are_removed(tmp_path):
    write_set(tmp_path, "a")
    for stale in (
        tmp_path / "data" / ".cftf-new.processed" / "results.csv",
        tmp_path / ".cftf-old.figures" / "x.png",
        tmp_path / "..cftf-outputs.journal.0a1b2c3d.tmp",
    ):
        stale.parent.mkdir(parents=True, exist_ok=True)
        stale.write_text("stale")
    assert len(leftovers(tmp_path)) >= 3
    write_set(tmp_path, "b")
    assert leftovers(tmp_path) == []


def crash_at(step: int, root: Path) -> int:
    """Run ``write_set(root, "new")`` in a child killed (os._exit) at its ``step``-th change.

    The changes counted are the renames and removals of whole folders and the
    removal of files: every point where a killed swap could stop. Returns the
    child's exit status: 0 if it finished before reaching ``step``.
    """
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            count = [0]

            def dying(real):
                def call(*args, **kwargs):
                    count[0] += 1
                    if count[0] == step:
                        os._exit(9)
                    return real(*args, **kwargs)

                return call

            os.rename = dying(os.rename)
            os.unlink = dying(os.unlink)
            shutil.rmtree = dying(shutil.rmtree)
            write_set(root, "new")
            os._exit(0)
        except BaseException:
            os._exit(1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def test_a_run_killed_at_any_step_of_the_swap_leaves_one_whole_set(tmp_path):
    """Killed at each step in turn: the old set, or the new one (completed by the next run)."""
    from cftf_analysis.outputs import recover_outputs, verify_outputs

    root, reference = tmp_path / "out", tmp_path / "reference"
    write_set(reference, "new")
    write_set(root, "old")
    expected = {"old": files_of(root), "new": files_of(reference)}
    finished, completed, step = False, 0, 0
    while not finished:
        step += 1
        status = crash_at(step, root)
        assert status in (0, 9)
        finished = status == 0
        if (root / ".cftf-outputs.journal").exists():
            recover_outputs(root, TREES)  # what the next run does first
            completed += 1
        manifest = verify_outputs(root, TREES)  # every file listed, every digest right
        assert files_of(root) == expected[manifest["tag"]]
        write_set(root, "old")  # back to the old set; this also clears what the kill left
        assert leftovers(root) == [] and files_of(root) == expected["old"]
    assert step > 4 and completed >= 2  # some kills did land between the renames


# ------------------------------------------------------------------ the report's output set


def test_report_out_naming_a_file_is_one_line_and_the_file_stays(tmp_path):
    blocked = tmp_path / "results.txt"
    blocked.write_text("mine")
    result = runner.invoke(app, ["report", "--out", str(blocked), "--draws", "2"])
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert "is a file, not a folder" in lines[-1] and lines[-1].startswith("error:")
    assert blocked.read_text() == "mine" and list(tmp_path.iterdir()) == [blocked]


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """Outputs of one report run (no figures, no multiverse, 2 draws), under umask 077."""
    from cftf_analysis.report import run_report

    root = tmp_path_factory.mktemp("previous")
    old = os.umask(0o077)
    try:
        outputs = run_report(out_dir=root, n_draws=2, seed=7, figures=False, multiverse=False)
    finally:
        os.umask(old)
    return root, outputs


def test_report_manifest_lists_every_file_input_and_setting(previous):
    from cftf_analysis import __version__
    from cftf_analysis.outputs import verify_outputs

    root, outputs = previous
    manifest = verify_outputs(root)
    assert outputs.manifest == root / "data" / "processed" / "manifest.json"
    assert sorted(manifest) == [
        "case",
        "counts",
        "figures",
        "files",
        "format",
        "inputs",
        "multiverse",
        "n_draws",
        "package",
        "results_format",
        "seed",
        "version",
    ]
    assert (manifest["case"], manifest["seed"], manifest["n_draws"]) == ("islamic-state", 7, 2)
    assert manifest["results_format"] == RESULTS_FORMAT
    assert manifest["version"] == __version__ and manifest["figures"] is False
    assert manifest["multiverse"] is False
    assert {root / name for name in manifest["files"]} == {
        *outputs.processed,
        *outputs.results,
    }
    inputs = manifest["inputs"]
    assert sorted(inputs) == ["case_file", "events", "indicators", "reports"]
    for kind, path in [("reports", config.REPORTS_FILE), ("case_file", config.BUNDLED_CASE_FILE)]:
        assert inputs[kind]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert inputs["reports"]["path"] == "data/raw/defection_reports.csv"
    text = outputs.manifest.read_text()
    assert json.dumps(manifest, sort_keys=True, indent=2) + "\n" == text  # sorted, stable
    assert str(root) not in text  # nothing in it depends on where the outputs are


def test_report_outputs_follow_the_umask(previous):
    root, _ = previous
    entries = [p for p in root.rglob("*") if p.name != ".cftf-outputs.lock"]
    modes = {stat.S_IMODE(p.stat().st_mode) for p in entries if p.is_file()}
    assert modes == {0o600}
    assert {stat.S_IMODE(p.stat().st_mode) for p in entries if p.is_dir()} == {0o700}


@pytest.mark.parametrize(
    ("failure", "message"),
    [(errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system")],
)
def test_report_disk_errors_are_one_line_and_the_previous_outputs_stay(
    tmp_path, previous, monkeypatch, failure, message, report_uses_the_session_battery
):
    root = tmp_path / "out"
    shutil.copytree(previous[0], root, symlinks=True)
    before = snapshot(root)

    def fail(*args, **kwargs):
        raise OSError(failure, os.strerror(failure))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", fail)
    result = runner.invoke(app, ["report", "--out", str(root), "--draws", "2"])
    assert result.exit_code == 1
    lines = error_lines(result.output)
    assert lines[-1].startswith("error:") and message in lines[-1]
    assert snapshot(root) == before


def test_report_tables_given_as_frames_are_hashed_not_the_case_files(
    tmp_path, report_uses_the_session_battery
):
    from cftf_analysis.report import run_report

    reports = pd.read_csv(config.REPORTS_FILE, dtype=str, keep_default_na=False)
    outputs = run_report(
        case="islamic-state", reports=reports, out_dir=tmp_path, n_draws=2, figures=False
    )
    inputs = json.loads(outputs.manifest.read_text())["inputs"]
    assert inputs["reports"]["path"] == "<DataFrame>"
    assert inputs["indicators"]["path"] == "data/raw/indicators.csv"


# ------------------------------------------------------------------- kill -9 at random moments

PROJECT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_report_killed_at_random_moments_leaves_one_whole_set(tmp_path):
    """SIGKILL a report run after a random delay, again and again.

    Each time, the folder holds exactly one complete set, the previous or the
    new one (its manifest lists every file, and nothing else is there); a swap
    cut between its renames is completed as the next run would. Then a clean
    run succeeds and leaves nothing of the killed runs behind. Each run uses
    its own seed, so the manifest says which run the folder holds.
    """
    from cftf_analysis.outputs import recover_outputs, verify_outputs

    root = tmp_path / "D"

    def command(seed: int) -> list[str]:
        report = ["report", "--out", str(root), "--draws", "20", "--seed", str(seed)]
        return [sys.executable, "-m", "cftf_analysis.cli", *report]

    started = time.monotonic()
    subprocess.run(command(1), cwd=PROJECT, check=True, capture_output=True)
    full = time.monotonic() - started
    held = verify_outputs(root)["seed"]
    rng = random.Random(20160418)
    seen = []
    for seed in range(2, 10):
        run = subprocess.Popen(
            command(seed), cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            run.wait(timeout=rng.uniform(0.3, 1.1 * full))
            outcome = "finished"
        except subprocess.TimeoutExpired:
            run.send_signal(signal.SIGKILL)
            run.wait()
            outcome = "killed"
        assert run.returncode in (0, -signal.SIGKILL)
        if (root / ".cftf-outputs.journal").exists():
            outcome += " between renames"
            recover_outputs(root)  # what the next run does first
        manifest = verify_outputs(root)  # every file listed is there, unchanged; no other
        assert manifest["seed"] in (held, seed), outcome
        held = manifest["seed"]
        seen.append((outcome, "new" if held == seed else "previous"))
    print(f"one run {full:.1f} s; {seen}")
    assert any(o == ("killed", "previous") for o in seen)  # most kills land mid-run
    subprocess.run(command(1), cwd=PROJECT, check=True, capture_output=True)
    assert verify_outputs(root)["seed"] == 1
    assert leftovers(root) == []


@pytest.mark.slow
def test_default_layout_two_sibling_trees_with_gitkeep(tmp_path):
    """`cftf-analysis report` without --out: <project>/data/processed and <project>/figures.

    CFTF_OUTPUT_DIR stands for the project root. The placeholders git needs
    stay, outputs of a version without manifests are replaced, and nothing
    but the lock file is added beside the two trees.
    """
    from cftf_analysis.outputs import verify_outputs

    for rel in TREES:
        (tmp_path / rel).mkdir(parents=True)
        (tmp_path / rel / ".gitkeep").write_text("")
    (tmp_path / "figures" / "timeline.png").write_bytes(b"written by an older version")
    env = {**os.environ, "CFTF_OUTPUT_DIR": str(tmp_path)}
    command = [sys.executable, "-m", "cftf_analysis.cli", "report", "--draws", "2"]
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    manifest = verify_outputs(tmp_path)
    assert "figures/timeline.png" in manifest["files"]
    assert all((tmp_path / rel / ".gitkeep").is_file() for rel in TREES)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".cftf-outputs.lock", "data", "figures"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["processed"]

    # `figures` without --out redraws the same layout: every file as the report wrote it
    def digests() -> dict[str, str]:
        return {
            str(p.relative_to(tmp_path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in tmp_path.rglob("*")
            if p.is_file()
        }

    before = digests()
    command = [sys.executable, "-m", "cftf_analysis.cli", "figures"]
    done = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert digests() == before
