"""One validator for every option: allowed values come from the Literal types."""

from __future__ import annotations

import ast
import typing
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cftf_analysis import options
from cftf_analysis.errors import ArgumentError

PACKAGE = Path(options.__file__).parent


def literal_types() -> dict[str, object]:
    return {
        name: value
        for name, value in vars(options).items()
        if name[0].isupper() and typing.get_origin(value) is typing.Literal
    }


def test_every_literal_is_checked_with_its_own_values():
    kinds = literal_types()
    assert len(kinds) >= 15
    for kind in kinds.values():
        allowed = typing.get_args(kind)
        for value in allowed:
            assert options.check_literal(value, kind, "x") == value
        with pytest.raises(ArgumentError) as err:
            options.check_literal("definitely-not-allowed", kind, "x")
        listed = ", ".join(repr(v) for v in allowed)
        assert str(err.value) == f"x='definitely-not-allowed' is not allowed; use one of {listed}"


def test_bool_is_not_an_integer_option():
    with pytest.raises(ArgumentError, match="n must be an integer >= 1, got True"):
        options.check_int(True, "n", minimum=1)
    assert options.check_int(np.int64(3), "n", minimum=1) == 3
    assert options.check_int(None, "n", allow_none=True) is None
    with pytest.raises(ArgumentError, match="n must be an integer <= 5, got 6"):
        options.check_int(6, "n", maximum=5)
    with pytest.raises(ArgumentError, match=r"n must be an integer, got 2\.5"):
        options.check_int(2.5, "n")


def test_fraction_and_columns():
    assert options.check_fraction(0.05, "alpha") == 0.05
    for bad in (0, 1, -0.1, True, "0.5", np.nan):
        with pytest.raises(ArgumentError, match="alpha must be between 0 and 1"):
            options.check_fraction(bad, "alpha")
    frame = pd.DataFrame({"a": [1], "b": [2]})
    assert options.check_columns(frame, ["a", "b"], "cols") == ["a", "b"]
    with pytest.raises(ArgumentError, match=r"cols: column\(s\) \['c'\] not in the data"):
        options.check_columns(frame, "c", "cols")


def test_renamed_argument_warns_converts_and_refuses_both():
    @options.renamed_argument("alpha", "conf_level", convert=lambda a: 1 - a)
    def f(*, conf_level=0.95):
        return conf_level

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(conf_level=0.8) == 0.8
    with pytest.warns(DeprecationWarning, match=r"f\(alpha=...\) is deprecated"):
        assert f(alpha=0.2) == pytest.approx(0.8)
    with pytest.raises(ArgumentError, match="give conf_level= only"):
        f(alpha=0.2, conf_level=0.8)


def test_no_option_tuple_is_written_twice():
    """No module declares a tuple of allowed strings beside a Literal: the validator derives it.

    An assignment of a tuple of string constants to an upper-case name that equals the
    values of a Literal in :mod:`cftf_analysis.options` is a duplicate declaration.
    """
    declared = {tuple(typing.get_args(k)) for k in literal_types().values()}
    duplicates = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "options.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            value = getattr(node, "value", None)
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(value, ast.Tuple):
                items = value.elts
                if items and all(isinstance(e, ast.Constant) for e in items):
                    if tuple(e.value for e in items) in declared:
                        duplicates.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert duplicates == []
