"""MkDocs hook: the parts of the site that are generated from the code at build time.

- ``cli.md``: the marker ``<!-- cli-reference -->`` becomes the reference of every
  command, option and default, written by Typer's own documentation generator
  (``python -m typer cftf_analysis.cli utils docs``) from ``cftf_analysis.cli.app``,
  so the page cannot drift from ``--help``.
- ``gallery.md``: the marker ``<!-- figure-gallery -->`` becomes one section per
  report figure, in the order and with the title of ``cftf_analysis.figures.FIGURES``,
  showing the visual-test baseline ``tests/figures/baseline/<name>.png`` (rendered from
  the report's figures on the bundled case; the build runs no analysis). A figure
  without a baseline image fails the build.

The hook is listed under ``hooks:`` in ``mkdocs.yml``; ``exclude_docs`` keeps this
file out of the site.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

CLI_MARKER = "<!-- cli-reference -->"
GALLERY_MARKER = "<!-- figure-gallery -->"
BASELINES = Path("tests/figures/baseline")
GALLERY_DIR = "gallery"
NAME = ("--name", "cftf-analysis")


def _root(config) -> Path:
    return Path(config.config_file_path).resolve().parent


def _figures(root: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, title, steps it reads) of each report figure, in report order."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from cftf_analysis.figures import FIGURES

    return [(name, spec.title, tuple(spec.requires)) for name, spec in FIGURES.items()]


def cli_reference(root: Path) -> str:
    """Markdown reference of the command line, from Typer's generator."""
    done = subprocess.run(
        [sys.executable, "-m", "typer", "cftf_analysis.cli", "utils", "docs", *NAME],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise PluginError(f"the CLI reference could not be generated:\n{done.stderr}")
    # one level down: the page has its own title
    text = re.sub(r"^(#+) ", r"#\1 ", done.stdout, flags=re.MULTILINE)
    # Typer cuts each command's summary in the list of commands; give it whole, with a link
    import typer.main

    from cftf_analysis.cli import app

    commands = typer.main.get_command(app).commands

    def whole(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in commands:  # an option such as `--version`, listed the same way
            return match.group(0)
        summary = commands[name].get_short_help_str(limit=300)
        return f"* [`{name}`](#cftf-analysis-{name}): {summary}"

    return re.sub(r"^\* `([\w-]+)`: .*$", whole, text, flags=re.MULTILINE)


def gallery(root: Path) -> str:
    parts = []
    for name, title, steps in _figures(root):
        reads = (
            f" It reads the battery step{'s' if len(steps) > 1 else ''} "
            + ", ".join(f"`{s}`" for s in steps)
            + "."
            if steps
            else ""
        )
        parts.append(
            f"## {title}\n\n"
            f"![{title}]({GALLERY_DIR}/{name}.png)\n\n"
            f'`figures/{name}.png`; in a notebook, `cftf.make_figure("{name}", battery)`.'
            f"{reads}\n"
        )
    return "\n".join(parts)


def on_files(files: Files, config) -> Files:
    root = _root(config)
    for name, _, _ in _figures(root):
        image = root / BASELINES / f"{name}.png"
        if not image.is_file():
            raise PluginError(f"figure {name!r} has no baseline image {image}")
        files.append(File.generated(config, f"{GALLERY_DIR}/{name}.png", abs_src_path=str(image)))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    root = _root(config)
    src = page.file.src_uri
    if src == "cli.md":
        if CLI_MARKER not in markdown:
            raise PluginError(f"cli.md lost its marker {CLI_MARKER}")
        return markdown.replace(CLI_MARKER, cli_reference(root))
    if src == "gallery.md":
        if GALLERY_MARKER not in markdown:
            raise PluginError(f"gallery.md lost its marker {GALLERY_MARKER}")
        return markdown.replace(GALLERY_MARKER, gallery(root))
    return markdown
