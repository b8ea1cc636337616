"""Contributor scoring against the reference's helpfulness_scores.tsv on the fixtures.

Given the reference's own final statuses and updated status history of a run, every
contributor column that does not come from a matrix factorisation (counts, enrollment,
emerging writer, recent outcome counts) agrees for every participant the reference writes,
nulls included.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bridgewatch.analysis.enrollment_fidelity import (
    enrollment_agreement,
    load_reference_contributor_case,
)

FIXTURES = Path(os.environ.get("BRIDGEWATCH_FIXTURES", "/work/shared/fixtures"))


@pytest.mark.parametrize(("fixture", "run"), [("S-core", "run2"), ("S-full", "run2")])
def test_enrollment_columns_match_the_reference(fixture: str, run: str) -> None:
    if not (FIXTURES / fixture / "reference" / run).is_dir():
        pytest.skip(f"fixture {fixture} is not available")
    case = load_reference_contributor_case(FIXTURES / fixture, run)
    result = case.score()
    assert int(result.is_listed.sum()) == case.reference.height
    agreement = enrollment_agreement(result, case)
    assert agreement.height == 24
    differing = agreement.filter(agreement["agree"] != agreement["rows"])
    assert differing.height == 0, f"columns that differ:\n{differing}"
