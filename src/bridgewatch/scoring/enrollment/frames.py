"""Edge helpers: contributor-scoring results as polars frames in the public column layout.

``helpfulness_enrollment_frame`` gives the contributor columns of ``helpfulness_scores.tsv``
(scoring-core.md §11.4) with the reference's empty cells; ``user_enrollment_frame`` gives the
``userEnrollment`` rows for the next run (scoring-extended.md §2.1, §2.6 write-back).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from numpy.typing import NDArray

from bridgewatch.model import EnrollmentState, IdIndex
from bridgewatch.scoring.enrollment.update import EnrollmentResult

__all__ = ["helpfulness_enrollment_frame", "user_enrollment_frame"]


def _maybe(values: NDArray[np.integer], present: NDArray[np.bool_]) -> pl.Series:
    return pl.Series(values.astype(np.int64)).set(pl.Series(~present), None)


def helpfulness_enrollment_frame(
    result: EnrollmentResult, participant_ids: IdIndex
) -> pl.DataFrame:
    """Contributor columns of helpfulness_scores.tsv, one row per listed participant.

    Counts of raters without a pre-status rating and note counts of non-authors are null,
    as in the reference; ``timestampOfLastStateChange`` is null where never set.

    Parameters
    ----------
    result : EnrollmentResult
    participant_ids : IdIndex
        The participant index the result is indexed by.

    Returns
    -------
    polars.DataFrame with ``raterParticipantId`` and the §11.4 contributor columns.
    """
    r, w, t = result.ratings, result.writing, result.table
    rated, authored = r.has_counts, w.is_author
    frame = pl.DataFrame(
        {
            "raterParticipantId": participant_ids.ids,
            "successfulRatingHelpfulCount": _maybe(r.successful_helpful, rated),
            "successfulRatingNotHelpfulCount": _maybe(r.successful_not_helpful, rated),
            "successfulRatingTotal": _maybe(r.successful_total, rated),
            "unsuccessfulRatingHelpfulCount": _maybe(r.unsuccessful_helpful, rated),
            "unsuccessfulRatingNotHelpfulCount": _maybe(r.unsuccessful_not_helpful, rated),
            "unsuccessfulRatingTotal": _maybe(r.unsuccessful_total, rated),
            "ratingsAwaitingMoreRatings": _maybe(r.ratings_awaiting_more_ratings, rated),
            "ratedAfterDecision": _maybe(r.rated_after_decision, rated),
            "notesCurrentlyRatedHelpful": _maybe(w.notes_crh, authored),
            "notesCurrentlyRatedNotHelpful": _maybe(w.notes_crnh, authored),
            "notesAwaitingMoreRatings": _maybe(w.notes_nmr, authored),
            "enrollmentState": t.state.astype(np.int64),
            "successfulRatingNeededToEarnIn": t.successful_rating_needed_to_earn_in,
            "timestampOfLastStateChange": _maybe(
                t.last_state_change_ms, t.last_state_change_ms >= 0
            ),
            "isEmergingWriter": result.is_emerging_writer,
            "aggregateRatingReceivedTotal": _maybe(w.aggregate_ratings_received, authored),
            "timestampOfLastEarnOut": t.last_earn_out_ms,
            "numberOfTimesEarnedOut": t.times_earned_out,
            "crhTotal14d": w.crh_14d,
            "crnhTotal14d": w.crnh_14d,
            "nmrTotal14d": w.nmr_14d,
            "crhTotal90d": w.crh_90d,
            "crnhTotal90d": w.crnh_90d,
            "nmrTotal90d": w.nmr_90d,
        }
    )
    return frame.filter(pl.Series(result.is_listed))


def user_enrollment_frame(
    result: EnrollmentResult,
    participant_ids: IdIndex,
    *,
    modeling_population: NDArray[np.str_] | None = None,
    modeling_group: NDArray[np.floating] | None = None,
) -> pl.DataFrame:
    """The next run's ``userEnrollment`` rows (every participant), states as names.

    ``modelingPopulation`` and ``modelingGroup`` are never changed by scoring: pass the loaded
    columns (indexed by participant) to carry them over; missing ones are null.

    Returns
    -------
    polars.DataFrame with the 8 ``userEnrollment`` columns in file order.
    """
    t = result.table
    n = participant_ids.ids.shape[0]
    names = np.array([EnrollmentState(int(code)).name for code in t.state])
    population = (
        pl.Series([None] * n, dtype=pl.String)
        if modeling_population is None
        else pl.Series(modeling_population, dtype=pl.String)
    )
    group = (
        pl.Series([None] * n, dtype=pl.Float64)
        if modeling_group is None
        else pl.Series(modeling_group, dtype=pl.Float64)
    )
    return pl.DataFrame(
        {
            "participantId": participant_ids.ids,
            "enrollmentState": names,
            "successfulRatingNeededToEarnIn": t.successful_rating_needed_to_earn_in,
            "timestampOfLastStateChange": _maybe(
                t.last_state_change_ms, t.last_state_change_ms >= 0
            ),
            "timestampOfLastEarnOut": t.last_earn_out_ms,
            "modelingPopulation": population,
            "modelingGroup": group,
            "numberOfTimesEarnedOut": t.times_earned_out,
        }
    )
