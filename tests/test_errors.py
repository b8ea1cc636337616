"""The exception family."""

from __future__ import annotations

from bridgewatch.errors import ConfigError, InputError


def test_input_error_names_file_line_and_field() -> None:
    exc = InputError("not a number: 'x'", path="ratings.tsv", line=7, field="createdAtMillis")
    assert str(exc) == "ratings.tsv, line 7, field 'createdAtMillis': not a number: 'x'"
    assert (exc.path, exc.line, exc.field) == ("ratings.tsv", 7, "createdAtMillis")


def test_config_error_names_field_value_and_allowed() -> None:
    exc = ConfigError("n_factors", 0, "an integer >= 1")
    assert "n_factors=0" in str(exc) and "an integer >= 1" in str(exc)
