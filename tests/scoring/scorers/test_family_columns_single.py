"""``family_columns``' whole-column path for one-scorer families equals filling its rows."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import score
from bridgewatch.scoring.scorers import family_columns
from bridgewatch.scoring.scorers.columns import FamilyColumns, _fill, _fill_coverage
from bridgewatch.scoring.scorers.spec import Family
from tests.scoring.community import load_small_community


def _by_rows(result, n_notes: int) -> dict[Family, FamilyColumns]:  # type: ignore[no-untyped-def]
    """The coalescing as it was: every scorer's rows filled into empty columns."""
    out = {family: FamilyColumns.empty(n_notes) for family in Family}
    for run in result.final_runs():
        _fill(out[run.spec.family], run, run.final)
    for run in result.reputation_runs():
        _fill_coverage(out[run.spec.family], run)
    return out


def test_family_columns_equal_the_filled_rows(tmp_path_factory: pytest.TempPathFactory) -> None:
    dataset = load_small_community(tmp_path_factory.mktemp("community"))
    as_of = int(dataset.ratings.created_at_ms.max())
    result = score(dataset, ScoringConfig(topics=None), as_of_ms=as_of, seed=0)
    assert result.roster is not None
    n = result.inputs.n_notes
    got = family_columns(result.roster, n)
    want = _by_rows(result.roster, n)
    singles = 0
    for family in Family:
        members = [r for r in result.roster.final_runs() if r.spec.family is family]
        singles += len(members) == 1
        for f in fields(FamilyColumns):
            a, b = getattr(got[family], f.name), getattr(want[family], f.name)
            assert a.dtype == b.dtype, (family, f.name)
            assert a.shape == b.shape
            if a.dtype.kind == "f":
                np.testing.assert_array_equal(a, b, err_msg=f"{family} {f.name}")
            else:
                assert a.tolist() == b.tolist(), (family, f.name)
    assert singles >= 3
