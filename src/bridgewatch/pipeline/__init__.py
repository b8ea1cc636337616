"""Batch scoring of dumps, the event log, the incremental worker and scheduled refits."""
