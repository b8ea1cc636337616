"""Service settings: one pydantic-settings object passed to ``create_app(settings)``.

Values come from the arguments, then from environment variables prefixed ``BRIDGEWATCH_``
(for example ``BRIDGEWATCH_DATABASE_URL``), read only when ``Settings()`` is constructed,
never at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bridgewatch.usecases.rules import SUMMARY_MAX_CHARS

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Configuration of the HTTP service.

    Attributes
    ----------
    database_url : SQLAlchemy URL. ``None`` means a SQLite file ``bridgewatch.sqlite3`` in
        ``data_dir`` (WAL mode). PostgreSQL: ``postgresql+psycopg://user@host:5432/db``.
    data_dir : directory for the default SQLite database and exports.
    open_registration : allow anyone to join without an API key (web app sign-up).
    session_ttl_s : lifetime of a session token, seconds.
    ratings_per_minute : ratings (new or replaced) one participant may write per 60 s.
    note_requests_per_day : note requests one participant may make per 24 h (spec-extended
        §6.1).
    notes_per_post_author_per_day : notes one writer may write on one post author's posts per
        24 h until they have 6 notes there (spec-extended §7.2.1, initial value); then the
        limit follows their helpful rate on that author.
    post_author_history_since_ms : the per-post-author helpful rate counts notes created
        from this time on (ms since the epoch; the spec's 2025-05-28).
    max_request_bytes : largest accepted request body, bytes.
    summary_max_chars : longest note summary, characters, URLs excluded (spec-extended §7.2).
    max_page_size : largest ``limit`` of a paginated list.
    pool_size : database connection pool size per worker process.
    pool_pre_ping : test each pooled connection with a round trip when a request takes it
        (PostgreSQL), so that a database restart costs no failed request. Off saves one
        round trip per request; connections are then recycled after ``pool_recycle_s`` and
        a broken one fails one request and empties the pool. (The asynchronous rating
        path checks its idle connections without a round trip, always.)
    pool_recycle_s : replace pooled connections older than this, seconds (both pools).
    login_attempts_per_account : failed log-ins to one account within ``throttle_window_s``
        before each further attempt must wait (``usecases.throttle``).
    login_attempts_per_address : failed log-ins from one client address (IPv6: /64) within
        the window before each further attempt must wait.
    signups_per_address : sign-ups (web form or anonymous ``POST /participants``) from one
        client address within the window before each further one must wait.
    throttle_window_s : how long a log-in or sign-up attempt counts, seconds.
    login_backoff_s : the first wait once the free log-in attempts are used, seconds; it
        doubles with each further attempt.
    signup_backoff_s : the first wait once the free sign-ups are used, seconds (doubling).
    throttle_max_delay_s : the longest wait between log-in or sign-up attempts, seconds.
    rating_fast_path : on PostgreSQL, write a session's rating with one statement on an
        asynchronous connection (``service.pg_ratings``); off: the general SQLAlchemy path.
    defences : the platform's scoring (refits, worker, demo) runs with the manipulation
        defences on (``scoring.defences.with_defences``; ``BRIDGEWATCH_DEFENCES=0`` turns
        them off). ``bridgewatch score`` stays faithful to the published algorithm.
    """

    model_config = SettingsConfigDict(env_prefix="BRIDGEWATCH_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path("data")
    open_registration: bool = True
    session_ttl_s: int = Field(default=30 * 24 * 3600, gt=0)
    ratings_per_minute: int = Field(default=30, ge=1)
    note_requests_per_day: int = Field(default=5, ge=1)
    notes_per_post_author_per_day: int = Field(default=3, ge=1)
    post_author_history_since_ms: int = Field(default=1_748_390_400_000, ge=0)
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    summary_max_chars: int = Field(default=SUMMARY_MAX_CHARS, ge=1)
    max_page_size: int = Field(default=100, ge=1)
    pool_size: int = Field(default=10, ge=1)
    pool_pre_ping: bool = True
    pool_recycle_s: int = Field(default=1800, ge=1)
    rating_fast_path: bool = True
    defences: bool = True
    login_attempts_per_account: int = Field(default=5, ge=1)
    login_attempts_per_address: int = Field(default=20, ge=1)
    signups_per_address: int = Field(default=5, ge=1)
    throttle_window_s: int = Field(default=3600, ge=1)
    login_backoff_s: int = Field(default=1, ge=1)
    signup_backoff_s: int = Field(default=60, ge=1)
    throttle_max_delay_s: int = Field(default=900, ge=1)

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bridgewatch.sqlite3').resolve()}"
