"""The contributor rows a pass writes: those whose figures differ from the last published
ones, also when those were published under another refit's participant index (the first
pass after a worker installs a background refit)."""

from __future__ import annotations

import numpy as np

from bridgewatch.model import IdIndex
from bridgewatch.pipeline.contributors import ContributorFigures, changed_rows


def _figures(
    ids: list[str],
    *,
    intercept: list[float],
    counts: list[int],
    state: list[int],
    times: list[int] | None = None,
) -> ContributorFigures:
    n = len(ids)
    enrollment = np.zeros((n, 5), dtype=np.int64)
    enrollment[:, 0] = state
    enrollment[:, 2] = times if times is not None else [0] * n
    return ContributorFigures(
        participant_ids=IdIndex.from_values(np.asarray(ids, dtype=np.str_)),
        listed=np.ones(n, dtype=np.bool_),
        counts=np.repeat(np.asarray(counts, dtype=np.int64)[:, None], 9, axis=1),
        rater_intercept=np.asarray(intercept, dtype=np.float64),
        rater_factor=np.zeros(n),
        above=np.ones(n, dtype=np.int8),
        enrollment=enrollment,
    )


def _ids(rows: list[dict[str, object]], key: str) -> list[str]:
    return sorted(str(r[key]) for r in rows)


def test_rows_are_matched_by_participant_id_across_indexes() -> None:
    """b unchanged, c's rater intercept moved (a refit's), d new, e's enrollment state moved,
    f's enrollment time alone moved (a time alone does not make a row change); a left."""
    before = _figures(
        ["a", "b", "c", "e", "f"],
        intercept=[0.1, 0.2, 0.3, 0.5, np.nan],
        counts=[1, 2, 3, 5, 6],
        state=[0, 0, 0, 0, 1],
        times=[0, 0, 0, 0, 10],
    )
    after = _figures(
        ["b", "c", "d", "e", "f"],
        intercept=[0.2, 0.31, 0.4, 0.5, np.nan],
        counts=[2, 3, 4, 5, 6],
        state=[0, 0, 0, 2, 1],
        times=[0, 0, 0, 0, 20],
    )
    known = np.ones(5, dtype=np.bool_)
    rows = changed_rows(after, before, known, 99)
    assert _ids(rows.scores, "participant_id") == ["c", "d"]
    assert _ids(rows.enrollment, "participantId") == ["d", "e"]
    # On the same index nothing changed, nothing is written; with no previous, every row.
    same = changed_rows(after, after, known, 99)
    assert same.scores == [] and same.enrollment == []
    full = changed_rows(after, None, known, 99)
    assert len(full.scores) == len(full.enrollment) == 5


def test_a_changed_row_is_the_row_a_full_rewrite_writes() -> None:
    before = _figures(["a", "b"], intercept=[0.1, 0.2], counts=[1, 2], state=[0, 0])
    after = _figures(["a", "b"], intercept=[0.1, 0.25], counts=[1, 2], state=[0, 0])
    known = np.ones(2, dtype=np.bool_)
    full = {r["participant_id"]: r for r in changed_rows(after, None, known, 7).scores}
    for row in changed_rows(after, before, known, 7).scores:
        assert row == full[row["participant_id"]]
