"""Griffe extension: read the package's reStructuredText habits as Markdown.

The docstrings are numpydoc, written for ``pytest --doctest-modules`` and
for readers of the source, with Sphinx roles (``:func:`make_figure```,
``:class:`~cftf_analysis.case.Case```) and reST paragraphs. mkdocstrings
renders Markdown, where a role would show as ``:func:`` followed by code and
a list written straight under its paragraph would run into that paragraph.
This extension rewrites, in memory and only for the documentation site:

- every role to a cross-reference to the object's canonical path (found with
  Griffe's own lookup: the enclosing class, module and package first, then the
  path as written). The reference is *optional*: a target that the site does
  not document (a private helper, pandas) shows as code without a link
  instead of failing the strict build;
- a list item (``- ``) that follows a line of text without a blank line gets
  the blank line that Markdown needs to start a list;
- a paragraph ending in ``::`` (a reST literal block follows) ends in ``:``;
- a ``#`` that starts a line ("issue\n#1486") is escaped: Python-Markdown would
  read it as a heading.

Examples sections are left alone: their ``>>>`` lines are doctests.
"""

from __future__ import annotations

import html
import re
from typing import Any

from griffe import AliasResolutionError, CyclicAliasError, Extension, Object

ROLE = re.compile(r":(?:py:)?(func|meth|class|data|attr|mod|obj|exc|const):`([^`]+)`")
TITLED = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$")
SECTION = re.compile(r"^\s*(?P<name>[A-Z][A-Za-z ]+)\n\s*-{3,}\s*$", re.MULTILINE)
LIST_ITEM = re.compile(r"^\s*[-*] \S")


def _lookup(loader: Any, path: str) -> str | None:
    """Canonical path of ``path`` in the loaded packages, or None."""
    try:
        found = loader.modules_collection[path]
    except (KeyError, ValueError, AliasResolutionError, CyclicAliasError):
        return None
    try:
        return found.final_target.path if found.is_alias else found.path
    except (AliasResolutionError, CyclicAliasError):
        return None


def _candidates(obj: Object, target: str) -> list[str]:
    if target.startswith("."):
        return [obj.module.path + target]
    out = []
    scope: Any = obj if (obj.is_class or obj.is_module) else obj.parent
    while scope is not None:
        out.append(f"{scope.path}.{target}")
        scope = scope.parent
    out.append(target)
    return out


def _role(match: re.Match[str], obj: Object, loader: Any) -> str:
    kind, text = match.group(1), match.group(2).strip()
    titled = TITLED.match(text)
    if titled:
        title, target = titled["title"], titled["target"].lstrip("~")
    else:
        target = text.lstrip("~")
        title = target.rsplit(".", 1)[-1] if text.startswith("~") else target.lstrip(".")
        if kind in ("func", "meth") and not title.endswith(")"):
            title += "()"
    identifier = next(
        (p for p in map(lambda c: _lookup(loader, c), _candidates(obj, target)) if p), target
    )
    return (
        f'<autoref identifier="{html.escape(identifier)}" optional>'
        f"<code>{html.escape(title)}</code></autoref>"
    )


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _prose(text: str, obj: Object, loader: Any) -> str:
    text = ROLE.sub(lambda m: _role(m, obj, loader), text)
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        if (
            LIST_ITEM.match(line)
            and out
            and out[-1].strip()
            and not LIST_ITEM.match(out[-1])
            and _indent(out[-1]) <= _indent(line)
        ):
            out.append("")
        if line.rstrip().endswith("::") and not line.strip() == "::":
            line = line.rstrip()[:-1]
        if line.lstrip().startswith("#"):  # "#1486)" at a line start is not a heading
            line = line.replace("#", "\\#", 1)
        out.append(line)
    return "\n".join(out)


def rewrite(docstring: str, obj: Object, loader: Any) -> str:
    """The docstring with its prose converted, its Examples sections unchanged."""
    parts: list[str] = []
    pos = 0
    in_examples = False
    for match in SECTION.finditer(docstring):
        chunk = docstring[pos : match.start()]
        parts.append(chunk if in_examples else _prose(chunk, obj, loader))
        parts.append(match.group(0))
        in_examples = match["name"].strip() == "Examples"
        pos = match.end()
    rest = docstring[pos:]
    parts.append(rest if in_examples else _prose(rest, obj, loader))
    return "".join(parts)


class SphinxRoles(Extension):
    """Rewrite every docstring of the loaded package once its tree is complete."""

    def on_object(self, *, obj: Object, loader: Any, **kwargs: Any) -> None:
        if obj.is_alias or obj.docstring is None:
            return
        obj.docstring.value = rewrite(obj.docstring.value, obj, loader)
