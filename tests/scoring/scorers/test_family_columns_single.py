"""``family_columns``' whole-column path for one-scorer families equals filling its rows."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.run import score
from bridgewatch.scoring.scorers import family_columns
from bridgewatch.scoring.scorers.columns import (
    ColumnCache,
    FamilyColumns,
    _fill,
    _fill_coverage,
    _objects,
)
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


def test_the_column_cache_equals_fresh_columns() -> None:
    rng = np.random.default_rng(0)
    n = 500
    cache = ColumnCache()
    scored = rng.random(n) < 0.8
    bits = rng.integers(0, 8, n).astype(np.uint32)
    for step in range(12):
        if step % 3:
            flip = rng.integers(0, n, 20)
            scored = scored.copy()
            scored[flip] = ~scored[flip]
            bits = bits.copy()
            bits[rng.integers(0, n, 30)] = rng.integers(0, 8, 30).astype(np.uint32)
        rules, names = cache.objects("S", scored, bits)
        want_rules, want_names = _objects("S", scored, bits)
        assert rules.tolist() == want_rules.tolist()
        assert names.tolist() == want_names.tolist()
        assert not rules.flags.writeable and not names.flags.writeable
