"""Incremental rescoring between refits (implicit's ``partial_fit``, here): every scorer of
the roster re-solves only the notes whose ratings changed, with its rater parameters, its
defence decisions and the PSS groups held from the last refit; then the family columns,
the meta chain and the status history run as in ``score``.

The worker (``bridgewatch.pipeline``) owns the data and the events; it calls
:func:`roster_refit` on each refit's ``score`` result and :func:`rescore_roster` on every
pass, with the shared inputs from :func:`live_inputs`.
"""

from bridgewatch.scoring.incremental.cache import (
    NoteFitCache,
    align_prescoring,
    rating_fingerprints,
)
from bridgewatch.scoring.incremental.corroboration import (
    CorroborationConfig,
    corroboration_holds,
    is_corroboration_reason,
)
from bridgewatch.scoring.incremental.defences import HeldDefences, hold_defences
from bridgewatch.scoring.incremental.deviation import (
    DeviationConfig,
    DeviationResult,
    deviation_holds,
    recent_deviation,
    residual_spread,
)
from bridgewatch.scoring.incremental.final import (
    FitKind,
    IncrementalConfig,
    IncrementalResult,
    NotePlan,
    cache_from_final,
    rescore_final,
)
from bridgewatch.scoring.incremental.inputs import (
    InputsTrail,
    NoteContext,
    RecentPerNote,
    empty_ratings,
    follow_inputs,
    live_inputs,
)
from bridgewatch.scoring.incremental.roster import (
    LivePass,
    PrescoringAligner,
    RosterRefit,
    ScorerRefit,
    rescore_roster,
    roster_refit,
)
from bridgewatch.scoring.incremental.watch import (
    PopularityCache,
    RaterModel,
    WatchConfig,
    apply_holds,
    crosses_helpful,
    established_fit,
    newly_helpful,
    rater_model,
    sticky_proven,
    suspicious_notes,
    unproven_support,
)
from bridgewatch.scoring.incremental.writes import WriteLog, copy_put

__all__ = [
    "CorroborationConfig",
    "DeviationConfig",
    "DeviationResult",
    "FitKind",
    "HeldDefences",
    "IncrementalConfig",
    "IncrementalResult",
    "InputsTrail",
    "LivePass",
    "NoteContext",
    "NoteFitCache",
    "NotePlan",
    "PopularityCache",
    "PrescoringAligner",
    "RaterModel",
    "RecentPerNote",
    "RosterRefit",
    "ScorerRefit",
    "WatchConfig",
    "WriteLog",
    "align_prescoring",
    "apply_holds",
    "cache_from_final",
    "copy_put",
    "corroboration_holds",
    "crosses_helpful",
    "deviation_holds",
    "empty_ratings",
    "established_fit",
    "follow_inputs",
    "hold_defences",
    "is_corroboration_reason",
    "live_inputs",
    "newly_helpful",
    "rater_model",
    "rating_fingerprints",
    "recent_deviation",
    "rescore_final",
    "rescore_roster",
    "residual_spread",
    "roster_refit",
    "sticky_proven",
    "suspicious_notes",
    "unproven_support",
]
