"""Event types the real-time pipeline writes to the event log (the service's routers and
the worker both use them)."""

from __future__ import annotations

__all__ = ["REFIT_REQUESTED", "STATUS_CHANGED"]

# A note's published status changed (payload: noteId, status, previousStatus, decidedBy).
STATUS_CHANGED = "note.status_changed"
# Someone asked for a full refit (CLI or admin API); the worker that reads it refits.
REFIT_REQUESTED = "pipeline.refit_requested"
