"""`bridgewatch simulate`."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from bridgewatch.cli import main
from bridgewatch.cli.simulate import brigades_for_share
from bridgewatch.sim import BrigadeGoal


def test_simulate_writes_a_community(tmp_path: Path) -> None:
    out = tmp_path / "community"
    code = main(
        [
            "simulate",
            "--out",
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
        "--out",
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
    assert main(["simulate", "--out", str(tmp_path), flag, value]) == 1
    assert field in capsys.readouterr().err


def test_brigades_for_share_splits_members_and_alternates_camps() -> None:
    brigades = brigades_for_share(0.05, 1000, 20, 3, BrigadeGoal.PROMOTE)
    assert [b.n_members for b in brigades] == [20, 20, 10]
    assert [b.camp for b in brigades] == [1, -1, 1]
    assert brigades_for_share(0.0, 1000, 20, 3, BrigadeGoal.PROMOTE) == ()
