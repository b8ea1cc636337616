"""The roster of scorers as data, and running it (scoring-multimodel.md).

``default_roster`` describes the reference's scorers, ``select_scorers`` picks some,
``run_roster`` prescores and scores them on the shared preprocessed inputs.
"""

from bridgewatch.scoring.scorers.columns import (
    FamilyColumns,
    family_columns,
    helpfulness_columns,
    scored_note_columns,
    topic_confidence,
)
from bridgewatch.scoring.scorers.roster import SCORER_KEYWORDS, default_roster, select_scorers
from bridgewatch.scoring.scorers.run import (
    CORE_NAME,
    Prescored,
    RosterResult,
    ScorerRun,
    SerialExecutor,
    final_roster,
    prescore_roster,
    run_roster,
    scorer_seed,
    screen_roster,
)
from bridgewatch.scoring.scorers.scope import capture_share, scorer_inputs
from bridgewatch.scoring.scorers.spec import Family, ScorerKind, ScorerSpec

__all__ = [
    "CORE_NAME",
    "SCORER_KEYWORDS",
    "Family",
    "FamilyColumns",
    "Prescored",
    "RosterResult",
    "ScorerKind",
    "ScorerRun",
    "ScorerSpec",
    "SerialExecutor",
    "capture_share",
    "default_roster",
    "family_columns",
    "final_roster",
    "helpfulness_columns",
    "prescore_roster",
    "run_roster",
    "scored_note_columns",
    "scorer_inputs",
    "scorer_seed",
    "screen_roster",
    "select_scorers",
    "topic_confidence",
]
