"""The top-level command line."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from bridgewatch import __version__
from bridgewatch.cli import build_parser, main


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    choices = subparsers.choices
    assert isinstance(choices, dict) and choices, "no commands registered"
    for name in choices:
        with pytest.raises(SystemExit) as exc:
            main([name, "--help"])
        assert exc.value.code == 0
        assert "usage: bridgewatch" in capsys.readouterr().out


def test_info_prints_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    assert __version__ in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: bridgewatch" in capsys.readouterr().out


def _listed_commands(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    """Command name -> its one-line help, as ``bridgewatch --help`` lists them."""
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert isinstance(subparsers, argparse._SubParsersAction)
    return {action.dest: action.help for action in subparsers._choices_actions}


def test_light_listing_equals_the_full_registration() -> None:
    # `bridgewatch --help` lists the commands from a table without importing their modules;
    # the table must say what the modules themselves register.
    assert _listed_commands(build_parser(["--help"])) == _listed_commands(build_parser())


def test_a_run_imports_only_its_own_command() -> None:
    code = (
        "import sys; from bridgewatch.cli import main; main(['info']); "
        "print(sorted(m for m in ('bridgewatch.cli.score', 'bridgewatch.cli.serve', "
        "'bridgewatch.service.app', 'numba') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_scorers_lists_the_whole_roster_with_the_reputation_scorer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scorers"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("MF", "Gaussian", "Rep"))]
    # 30 final scorers + MFGroupScorer_15 and MFTopicScorer_InDimensionTwo (prescoring only)
    assert len(rows) == 32
    reputation = next(line for line in rows if line.startswith("ReputationScorer"))
    assert "reputation" in reputation and "coverage*" in reputation
    assert "prescoring+final" in reputation and "capture 0.5" in reputation
    assert "  reputation " in out  # the --scorers keyword
