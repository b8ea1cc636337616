"""Group 14 ("expanded consensus", multimodel §4.2) against the reference's outputs.

Group 14's fits are stopped Adam runs, and where they stop depends on the random start: on
S-full the reference with seed 2 agrees with itself (seed 1) on only 60% of the group-14
statuses (intercept correlation −0.08). We fit by the reference's Adam loop from the seeded
reference's own start (``mf.reference_start``), so we must follow the reference per seed:
seed 1 against ``reference/run2``, seed 2 against ``reference/run2-other-seed``.

Runs only MFGroupScorer_14 (plus Core) through the two-run replay of test_s_core.py and
compares the notes the reference assigned to ``modelingGroup`` 14. Before the Adam fit
(exact ALS optimum) every group-14 intercept was 0.0: statuses agreed on 62% of S-full's 50
notes and GroupModel14 never promoted.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from bridgewatch.pipeline.batch import run_batch
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.scorers.roster import default_roster, select_scorers

pytestmark = pytest.mark.slow

_BESIDE = Path(__file__).parents[3] / "shared" / "fixtures"
FIXTURES = Path(
    os.environ.get("BRIDGEWATCH_FIXTURES", _BESIDE if _BESIDE.is_dir() else "/work/shared/fixtures")
)
RUN1_NOW_MS = 1_793_494_800_000
RUN2_NOW_MS = 1_793_502_000_000
_COLUMNS = ["noteId", "groupNoteIntercept", "groupRatingStatus", "modelingGroup", "decidedBy"]


def _read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator="\t", infer_schema_length=0, quote_char=None)


def _replay(fixture: str, seed: int, out: Path) -> pl.DataFrame:
    """Our run-2 scored notes of the fixture's two-run replay (group 14 and Core only)."""
    inputs = FIXTURES / fixture / "input"
    if not inputs.is_dir():
        pytest.skip(f"fixture {inputs} is not available")
    common = {
        "notes": inputs / "notes-00000.tsv",
        "ratings": inputs / "ratings-00000.tsv",
        "enrollment": inputs / "userEnrollment-00000.tsv",
        "seed": seed,
        "scorers": select_scorers(default_roster(ScoringConfig()), ["MFGroupScorer_14"]),
    }
    run_batch(
        **common,  # type: ignore[arg-type]
        status_history=inputs / "noteStatusHistory-00000.tsv",
        outdir=out / "run1",
        as_of_ms=RUN1_NOW_MS,
    )
    run_batch(
        **common,  # type: ignore[arg-type]
        status_history=out / "run1" / "note_status_history.tsv",
        outdir=out / "run2",
        as_of_ms=RUN2_NOW_MS,
    )
    return _read(out / "run2" / "scored_notes.tsv")


def _group14(reference: pl.DataFrame, ours: pl.DataFrame) -> pl.DataFrame:
    ref = reference.filter(pl.col("modelingGroup").cast(pl.Float64, strict=False) == 14)
    return ref.select(_COLUMNS).join(ours.select(_COLUMNS), on="noteId", suffix="_ours")


def _intercept_correlation(joined: pl.DataFrame) -> float:
    ref = joined["groupNoteIntercept"].cast(pl.Float64, strict=False).to_numpy()
    ours = joined["groupNoteIntercept_ours"].cast(pl.Float64, strict=False).to_numpy()
    ok = np.isfinite(ref) & np.isfinite(ours)
    assert ok.sum() >= 25
    return float(np.corrcoef(ref[ok], ours[ok])[0, 1])


def _status_agreement(joined: pl.DataFrame) -> float:
    same = joined["groupRatingStatus"] == joined["groupRatingStatus_ours"]
    return float(same.fill_null(False).mean())  # type: ignore[arg-type]


def _promotions(frame: pl.DataFrame) -> int:
    return int(frame["decidedBy"].str.contains("GroupModel14").fill_null(False).sum())


@pytest.fixture(scope="module")
def s_full_seed1(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    return _replay("S-full", 1, tmp_path_factory.mktemp("g14-full-1"))


def test_s_full_group14_intercepts_and_statuses_follow_the_reference(
    s_full_seed1: pl.DataFrame,
) -> None:
    reference = _read(FIXTURES / "S-full" / "reference" / "run2" / "scored_notes.tsv")
    joined = _group14(reference, s_full_seed1)
    assert joined.height == 50
    # Measured: r 0.979, 48 of 50 statuses (96%).
    assert _intercept_correlation(joined) >= 0.95
    assert _status_agreement(joined) >= 0.90


def test_s_full_group14_promotion_is_reproduced(s_full_seed1: pl.DataFrame) -> None:
    reference = _read(FIXTURES / "S-full" / "reference" / "run2" / "scored_notes.tsv")
    assert _promotions(reference) == 1
    promoted_ref = set(reference.filter(pl.col("decidedBy").str.contains("GroupModel14"))["noteId"])
    promoted_ours = set(
        s_full_seed1.filter(pl.col("decidedBy").str.contains("GroupModel14"))["noteId"]
    )
    assert promoted_ours == promoted_ref


def test_s_full_group14_follows_the_reference_with_another_seed(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # With seed 2 the reference lands in the other basin (intercepts within ±0.03, large
    # factors): only our seeded reference start can follow it. Measured: 44 of 50 (88%).
    ours = _replay("S-full", 2, tmp_path_factory.mktemp("g14-full-2"))
    reference = _read(FIXTURES / "S-full" / "reference" / "run2-other-seed" / "scored_notes.tsv")
    joined = _group14(reference, ours)
    assert joined.height == 50
    assert _status_agreement(joined) >= 0.85


def test_s_groups_group14_intercepts_follow_the_reference(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # 31 notes; measured r 0.945, 22 of 31 statuses (71%): the misses sit on the CRNH
    # threshold (−0.01) or differ in the note factor's sign (RatioCRNH) or in tag filters.
    ours = _replay("S-groups", 1, tmp_path_factory.mktemp("g14-groups-1"))
    reference = _read(FIXTURES / "S-groups" / "reference" / "run2" / "scored_notes.tsv")
    joined = _group14(reference, ours)
    assert joined.height == 31
    assert _intercept_correlation(joined) >= 0.90
    assert _status_agreement(joined) >= 0.65
