"""`bridgewatch simulate`."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import polars as pl
import pytest

from bridgewatch.cli import main
from bridgewatch.cli.simulate import (
    AUTO_SCORED_MAX_RATINGS,
    brigades_for_share,
    config_from_args,
    register,
)
from bridgewatch.sim import BrigadeGoal


def test_simulate_writes_a_community(tmp_path: Path) -> None:
    out = tmp_path / "community"
    code = main(
        [
            "simulate",
            "--outdir",
            str(out),
            "--seed",
            "2",
            "--n-notes",
            "50",
            "--n-raters",
            "80",
            "--n-ratings",
            "600",
            "--polarization",
            "1.5",
        ]
    )
    assert code == 0
    for name in (
        "notes-00000.tsv",
        "ratings-00000.tsv",
        "noteStatusHistory-00000.tsv",
        "userEnrollment-00000.tsv",
        "noteRequests-00000.tsv",
        "truth/notes.tsv",
        "truth/raters.tsv",
        "truth/config.json",
    ):
        assert (out / name).is_file(), name
    ratings = pl.read_csv(out / "ratings-00000.tsv", separator="\t", quote_char=None)
    assert ratings.height == 600


def test_adversary_share_adds_brigades(tmp_path: Path) -> None:
    out = tmp_path / "c"
    args = [
        "simulate",
        "--outdir",
        str(out),
        "--n-notes",
        "300",
        "--n-raters",
        "100",
        "--n-ratings",
        "2000",
        "--adversary-share",
        "0.1",
        "--brigade-size",
        "4",
        "--brigade-goal",
        "suppress",
        "--brigade-targets",
        "2",
    ]
    assert main(args) == 0
    raters = pl.read_csv(out / "truth" / "raters.tsv", separator="\t")
    assert raters["isAdversary"].sum() == 10
    assert sorted(raters.filter(pl.col("isAdversary"))["brigadeId"].unique().to_list()) == [0, 1, 2]
    notes = pl.read_csv(out / "truth" / "notes.tsv", separator="\t")
    assert set(notes.filter(pl.col("attackTarget"))["attackGoal"].to_list()) == {"suppress"}


@pytest.mark.parametrize(
    ("flag", "value", "field"),
    [
        ("--n-notes", "0", "n_notes"),
        ("--polarization", "-1", "polarization"),
        ("--adversary-share", "2", "adversary_share"),
    ],
)
def test_bad_values_fail_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, field: str
) -> None:
    assert main(["simulate", "--outdir", str(tmp_path), flag, value]) == 1
    assert field in capsys.readouterr().err


def test_brigades_for_share_splits_members_and_alternates_camps() -> None:
    brigades = brigades_for_share(0.05, 1000, 20, 3, BrigadeGoal.PROMOTE)
    assert [b.n_members for b in brigades] == [20, 20, 10]
    assert [b.camp for b in brigades] == [1, -1, 1]
    assert brigades_for_share(0.0, 1000, 20, 3, BrigadeGoal.PROMOTE) == ()


def _statuses(path: Path) -> set[str]:
    nsh = pl.read_csv(path / "noteStatusHistory-00000.tsv", separator="\t", quote_char=None)
    return set(nsh["currentStatus"].to_list())


def test_the_status_history_is_scored_by_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sizes = ["--n-notes", "200", "--n-raters", "300", "--n-ratings", "8000", "--days", "21"]
    assert main(["simulate", "--outdir", str(tmp_path / "a"), "--seed", "1", *sizes]) == 0
    assert "CURRENTLY_RATED_HELPFUL" in _statuses(tmp_path / "a")
    # One line for the history, not the scorer's stage log of each checkpoint's run.
    names = [r.name for r in caplog.records]
    assert "bridgewatch.sim.history" in names
    assert not [n for n in names if n.startswith("bridgewatch.scoring")]
    assert (tmp_path / "a" / "posts-00000.tsv").is_file()
    seeded = ["--status-history", "seeded"]
    assert main(["simulate", "--outdir", str(tmp_path / "b"), "--seed", "1", *sizes, *seeded]) == 0
    assert _statuses(tmp_path / "b") == {"NEEDS_MORE_RATINGS"}


@pytest.mark.parametrize(
    ("flags", "seeded", "scored"),
    [
        ([], True, True),
        (["--n-ratings", str(AUTO_SCORED_MAX_RATINGS + 1)], True, False),
        (
            ["--n-ratings", str(AUTO_SCORED_MAX_RATINGS + 1), "--status-history", "scored"],
            True,
            True,
        ),
        (["--status-history", "empty"], False, False),
        (["--no-status-history"], False, False),
    ],
)
def test_status_history_modes(flags: list[str], seeded: bool, scored: bool) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    config = config_from_args(parser.parse_args(["simulate", "--outdir", "x", *flags]))
    assert (config.seed_status_history, config.score_status_history) == (seeded, scored)
