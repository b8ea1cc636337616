"""Note status history: typed table and the per-run update (scoring-core.md §10, §11.3)."""

from bridgewatch.scoring.history.table import StatusHistory, status_codes, status_names
from bridgewatch.scoring.history.update import (
    LOCK_ELIGIBLE_RULES,
    RunStatuses,
    StatusHistoryConfig,
    lock_eligible,
    update_status_history,
)

__all__ = [
    "LOCK_ELIGIBLE_RULES",
    "RunStatuses",
    "StatusHistory",
    "StatusHistoryConfig",
    "lock_eligible",
    "status_codes",
    "status_names",
    "update_status_history",
]
