"""Repositories: functions over a SQLAlchemy session that read and write one concern.

Repositories never commit: the request (or worker) owns the transaction, so a data change
and its event-log append land together or not at all (STYLE.md, Errors).
"""
