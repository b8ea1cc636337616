"""The top-level command line."""

from __future__ import annotations

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
