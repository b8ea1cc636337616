"""One name per flag across the commands, one seed default, and the old names still parse."""

from __future__ import annotations

import argparse

import pytest

from bridgewatch import DEFAULT_SEED
from bridgewatch.cli import build_parser

_REQUIRED = {
    "score": ["--notes", "n", "--ratings", "r", "--outdir", "o"],
    "simulate": ["--outdir", "o"],
    "analyze": ["--scores", "s", "--outdir", "o"],
    "worker": [],
    "demo": [],
}


def _parse(*words: str) -> argparse.Namespace:
    return build_parser(list(words)).parse_args(list(words))


@pytest.mark.parametrize("command", sorted(_REQUIRED))
def test_every_seed_defaults_to_the_one_default(command: str) -> None:
    assert _parse(command, *_REQUIRED[command]).seed == DEFAULT_SEED


def _option_strings(command: str) -> set[str]:
    parser = build_parser([command])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        option
        for action in sub.choices[command]._actions
        if action.help is not argparse.SUPPRESS
        for option in action.option_strings
    }


def test_shown_flags_have_one_name_in_every_command() -> None:
    commands = ("score", "simulate", "analyze", "attack-bench", "export", "demo", "worker")
    shown = {c: _option_strings(c) for c in commands}
    everywhere = set().union(*shown.values())
    # The output directory, "now" and the community sizes have one spelling each.
    assert "--out" not in everywhere and "--as-of-ms" not in everywhere
    assert {"--outdir"} <= shown["score"] & shown["simulate"] & shown["analyze"]
    assert {"--as-of"} <= shown["score"] & shown["export"]
    assert {"--n-notes", "--n-raters", "--n-ratings"} <= shown["simulate"] & shown["demo"]


def test_old_flag_names_still_parse() -> None:
    assert _parse("simulate", "--out", "x").outdir == "x"
    assert _parse("analyze", "--scores", "s", "--out", "x").outdir == "x"
    assert _parse("export", "--as-of-ms", "5").as_of == 5
    demo = _parse("demo", "--notes", "60", "--raters", "100", "--ratings", "1500")
    assert (demo.n_notes, demo.n_raters, demo.n_ratings) == (60, 100, 1500)
    assert _parse("demo").n_notes == 300


def test_the_output_directory_is_still_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parse("simulate")
    assert exc.value.code == 2
    assert "--outdir" in capsys.readouterr().err
